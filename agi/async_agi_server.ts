// Copyright the @pyst/asterisk authors. MIT license.
import { LimitExceededError, ProtocolError } from "../errors.ts";
import type {
  AmiClient,
  AmiDisconnectedDetail,
} from "../manager/ami_client.ts";
import type { AmiMessage } from "../manager/ami_message.ts";
import { AgiSession, type AgiSessionOptions } from "./agi_session.ts";
import {
  type AsyncAgiLink,
  AsyncAgiTransport,
  decodeAsyncAgiValue,
} from "./async_agi_transport.ts";
import { AgiHangupError } from "./errors.ts";
import {
  type AgiEnvironment,
  parseAgiEnvironment,
} from "./parse_agi_environment.ts";

/** What an AsyncAGI handler learns about the call besides its session. */
export interface AsyncAgiRequest {
  /** The channel in `AGI(agi:async)`, e.g. `PJSIP/alice-00000001`. */
  readonly channel: string;
  /** Its `Uniqueid`, when the event carried one. */
  readonly uniqueId: string | undefined;
  /** The decoded `Env` (also `session.env`); `request` is `async`. */
  readonly env: AgiEnvironment;
  /** The `AsyncAGIStart` event (or the legacy `AsyncAGI` `Start`) as received. */
  readonly event: AmiMessage;
}

/**
 * Drives one AsyncAGI channel. When the returned promise settles the session
 * ends: unless the channel hung up or the handler already sent `ASYNCAGI
 * BREAK`, the server sends it so the call continues in the dialplan. A
 * rejection is reported to `onError` and affects no other channel.
 */
export type AsyncAgiHandler = (
  session: AgiSession,
  request: AsyncAgiRequest,
) => void | Promise<void>;

/** Where an AsyncAGI server error happened. */
export type AsyncAgiErrorPhase = "start" | "handler" | "break";

/** Context passed to `onError` alongside the error. */
export interface AsyncAgiErrorContext {
  /**
   * `start` (a bad `AsyncAGIStart`, `maxSessions` reached, or `accept`
   * threw), `handler` (the handler threw) or `break` (an `ASYNCAGI BREAK`
   * could not be queued, so the channel may stay in AsyncAGI until it hangs
   * up).
   */
  readonly phase: AsyncAgiErrorPhase;
  /** The channel, when known. */
  readonly channel: string | undefined;
  /** The `AsyncAGIStart` event of the channel, when known. */
  readonly event: AmiMessage | undefined;
}

/**
 * Options of {@linkcode serveAsyncAgi}. The {@linkcode AgiSessionOptions}
 * (`commandTimeoutMs`, `maxQueuedCommands`, `onTrace`) apply to every
 * channel's session.
 */
export interface ServeAsyncAgiOptions extends AgiSessionOptions {
  /**
   * Chooses the channels this server drives; the others are left alone (for
   * another server, or another program on another AMI connection). What it
   * throws is reported and the channel left alone.
   *
   * @default {undefined} (every channel)
   */
  accept?: (request: AsyncAgiRequest) => boolean;
  /**
   * Channels driven at once. Over the limit, a new channel is reported as a
   * `LimitExceededError` and sent `ASYNCAGI BREAK` (the call continues in
   * the dialplan).
   *
   * @default {1024}
   */
  maxSessions?: number;
  /**
   * Most lines accepted in a decoded `Env` before its blank line.
   *
   * @default {1024}
   */
  maxEnvironmentLines?: number;
  /**
   * Most lines accepted in one `520-` usage block of a `Result`.
   *
   * @default {1024}
   */
  maxUsageLines?: number;
  /**
   * Prefix of the generated `CommandID`s; a counter follows a `-`.
   *
   * @default {12 random hex digits}
   */
  commandIdPrefix?: string;
  /**
   * How long `shutdown()` lets running handlers finish before it closes
   * their sessions (sending `ASYNCAGI BREAK`).
   *
   * @default {30000}
   */
  shutdownTimeoutMs?: number;
  /** Aborting it starts `shutdown()`. */
  signal?: AbortSignal;
  /**
   * Receives every error that ended or refused a channel, with where it
   * happened. What it throws is ignored. The default writes the error to
   * `console.error`, except an `AgiHangupError` from a handler, which is how
   * a call normally ends when the caller hangs up.
   */
  onError?: (error: unknown, context: AsyncAgiErrorContext) => void;
}

/** A running AsyncAGI server, returned by {@linkcode serveAsyncAgi}. */
export interface AsyncAgiServer {
  /** Channels being driven right now. */
  readonly sessions: number;
  /** Resolves when the server has stopped and every session has ended. */
  readonly finished: Promise<void>;
  /**
   * Stops taking channels (a channel that starts AsyncAGI from now on is
   * sent `ASYNCAGI BREAK`), lets running handlers finish (up to
   * `shutdownTimeoutMs`, then closes their sessions), stops listening to
   * the client, and resolves with `finished`. The client stays open.
   */
  shutdown(): Promise<void>;
  /** Same as `shutdown()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Serves AsyncAGI over an AMI client: every channel that runs
 * `AGI(agi:async)` in the dialplan gets its own {@linkcode AgiSession} (the
 * same API as stdio AGI and FastAGI) and a run of `handler`, all over the one
 * AMI connection.
 *
 * - A session starts on `AsyncAGIStart`, whose URL-encoded `Env` becomes
 *   `session.env` (`request` is `async`).
 * - Each command goes out as the AMI `AGI` action (`Channel`, `Command`, and
 *   a `CommandID` unique to the command) and completes on the
 *   `AsyncAGIExec` with that id; its URL-encoded `Result` is decoded like
 *   any AGI reply (GOSUB's two lines and 520 usage blocks included).
 *   Commands of one channel run one at a time; channels run independently.
 * - `AsyncAGIEnd` is a hangup: `session.hungUp`, `session.signal` aborts,
 *   the command in flight rejects with `AgiHangupError`. After
 *   `session.asyncAgiBreak()` it just ends the session.
 * - An `AGI` action that Asterisk refuses (`Channel … does not exist.`)
 *   rejects the command with {@linkcode AsyncAgiActionError}.
 * - When the handler returns or throws (reported to `onError`), the server
 *   sends `ASYNCAGI BREAK` unless the channel hung up or already broke out,
 *   so the call continues in the dialplan.
 * - If the AMI connection drops, commands waiting for their `AsyncAGIExec`
 *   reject with `ConnectionClosedError` (their sessions close, and send
 *   their BREAK once the client has reconnected).
 * - Asterisk 11's `Event: AsyncAGI` with `SubEvent: Start|Exec|End` works
 *   too.
 *
 * The client must receive `agi` events: log in with `events` including
 * `"agi"` (or leave `events` out), and with a user whose `read` and `write`
 * permissions include `agi`. Run one server per Asterisk, or split channels
 * between servers with `accept`: every AMI session sees every
 * `AsyncAGIStart`. Connecting needs `--allow-net=PBX:5038` (e.g.
 * `--allow-net=127.0.0.1:5038`); the server itself needs nothing more.
 *
 * @param client The AMI client (connected, or connecting).
 * @param handler Runs once per channel.
 * @param options Limits, channel selection, session options, error reporting.
 * @returns The running server.
 * @throws {TypeError} If `client` is no AMI client, `handler` no function,
 * or an option is out of range.
 *
 * @example Answering an AsyncAGI channel over an in-memory AMI connection
 * ```ts
 * import { serveAsyncAgi } from "@pyst/asterisk/agi";
 * import { AmiClient } from "@pyst/asterisk/manager";
 * import assert from "node:assert/strict";
 *
 * // A stand-in for Asterisk's AMI port.
 * const toClient = new TransformStream<Uint8Array, Uint8Array>();
 * const toServer = new TransformStream<Uint8Array, Uint8Array>();
 * const pbx = toClient.writable.getWriter();
 * const say = (text: string) => pbx.write(new TextEncoder().encode(text));
 * const heard = toServer.readable.pipeThrough(new TextDecoderStream()).getReader();
 * const hear = async () => {
 *   const action = (await heard.read()).value!;
 *   const header = (key: string) => new RegExp(`${key}: (.*)\r\n`).exec(action)![1]!;
 *   await say(`Response: Success\r\nActionID: ${header("ActionID")}\r\n\r\n`);
 *   return { command: header("Command"), commandId: header("CommandID") };
 * };
 *
 * const client = new AmiClient({ readable: toClient.readable, writable: toServer.writable });
 * const connected = client.connect();
 * await say("Asterisk Call Manager/13.0.0\r\n");
 * await connected;
 * const languages: (string | undefined)[] = [];
 * const server = serveAsyncAgi(client, async (session) => {
 *   assert.equal(session.env.channel, "PJSIP/1-00000001");
 *   languages.push(await session.getVariable("LANG"));
 * });
 *
 * // Asterisk runs AGI(agi:async) on a channel…
 * await say(
 *   "Event: AsyncAGIStart\r\nChannel: PJSIP/1-00000001\r\nEnv: agi_request%3A%20async%0A" +
 *     "agi_channel%3A%20PJSIP%2F1-00000001%0A%0A\r\n\r\n",
 * );
 * // …queues the GET VARIABLE it is sent, runs it, publishes the result…
 * const getVariable = await hear();
 * assert.equal(getVariable.command, "GET VARIABLE LANG");
 * await say(
 *   `Event: AsyncAGIExec\r\nChannel: PJSIP/1-00000001\r\nCommandId: ${getVariable.commandId}\r\n` +
 *     "Result: 200%20result%3D1%20(fr)%0A\r\n\r\n",
 * );
 * // …and once the handler returns, the call goes back to the dialplan.
 * assert.equal((await hear()).command, "ASYNCAGI BREAK");
 * await server.shutdown();
 * assert.deepEqual(languages, ["fr"]);
 * await client.close();
 * ```
 */
export function serveAsyncAgi(
  client: AmiClient,
  handler: AsyncAgiHandler,
  options: ServeAsyncAgiOptions = {},
): AsyncAgiServer {
  return new Server(client, handler, options);
}

interface Entry {
  readonly channel: string;
  readonly transport: AsyncAgiTransport;
  readonly session: AgiSession;
  readonly request: AsyncAgiRequest;
}

const DEFAULTS = {
  maxSessions: 1024,
  maxEnvironmentLines: 1024,
  maxUsageLines: 1024,
  shutdownTimeoutMs: 30_000,
} as const;

const START = 1;
const EXEC = 2;
const END = 3;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(
      `Cannot start AsyncAGI server: ${name} must be a positive integer, got ${value}`,
    );
  }
  return value;
}

function defaultOnError(error: unknown, context: AsyncAgiErrorContext): void {
  if (context.phase === "handler" && error instanceof AgiHangupError) return;
  const channel = context.channel === undefined
    ? ""
    : ` on ${JSON.stringify(context.channel)}`;
  console.error(`AsyncAGI ${context.phase} error${channel}:`, error);
}

function randomPrefix(): string {
  let text = "";
  for (const byte of crypto.getRandomValues(new Uint8Array(6))) {
    text += byte.toString(16).padStart(2, "0");
  }
  return text;
}

/** START, EXEC or END for an AsyncAGI event, modern or legacy; else 0. */
function kindOf(event: AmiMessage): number {
  let name = event.event?.toLowerCase();
  if (name === "asyncagi") {
    const sub = event.get("SubEvent");
    name = sub === undefined ? undefined : "asyncagi" + sub.toLowerCase();
  }
  switch (name) {
    case "asyncagistart":
      return START;
    case "asyncagiexec":
      return EXEC;
    case "asyncagiend":
      return END;
    default:
      return 0;
  }
}

class Server implements AsyncAgiServer {
  readonly #client: AmiClient;
  readonly #handler: AsyncAgiHandler;
  readonly #accept: ((request: AsyncAgiRequest) => boolean) | undefined;
  readonly #maxSessions: number;
  readonly #maxEnvironmentLines: number;
  readonly #maxUsageLines: number;
  readonly #shutdownTimeoutMs: number;
  readonly #commandIdPrefix: string;
  readonly #sessionOptions: AgiSessionOptions;
  readonly #onError: (error: unknown, context: AsyncAgiErrorContext) => void;
  readonly #signal: AbortSignal | undefined;
  /** Transports by the CommandID of their command in flight. */
  readonly #byCommand = new Map<string, AsyncAgiTransport>();
  /** Live AsyncAGI sessions by channel name (until their AsyncAGIEnd). */
  readonly #byChannel = new Map<string, Entry>();
  /** Every session whose handler has not finished yet. */
  readonly #entries = new Set<Entry>();
  /** BREAKs sent to channels the server would not drive. */
  readonly #breaks = new Set<Promise<void>>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #finished: Promise<void>;
  readonly #link: AsyncAgiLink;
  #resolveFinished!: () => void;
  #counter = 0;
  #shuttingDown = false;
  #idle: (() => void) | undefined;

  constructor(
    client: AmiClient,
    handler: AsyncAgiHandler,
    options: ServeAsyncAgiOptions,
  ) {
    if (
      typeof client !== "object" || client === null ||
      typeof client.send !== "function" || typeof client.on !== "function"
    ) {
      throw new TypeError(
        "Cannot start AsyncAGI server: client must be an AmiClient",
      );
    }
    if (typeof handler !== "function") {
      throw new TypeError(
        "Cannot start AsyncAGI server: handler must be a function",
      );
    }
    if (options.accept !== undefined && typeof options.accept !== "function") {
      throw new TypeError(
        "Cannot start AsyncAGI server: accept must be a function",
      );
    }
    this.#client = client;
    this.#handler = handler;
    this.#accept = options.accept;
    this.#maxSessions = positiveInteger(
      "maxSessions",
      options.maxSessions ?? DEFAULTS.maxSessions,
    );
    this.#maxEnvironmentLines = positiveInteger(
      "maxEnvironmentLines",
      options.maxEnvironmentLines ?? DEFAULTS.maxEnvironmentLines,
    );
    this.#maxUsageLines = positiveInteger(
      "maxUsageLines",
      options.maxUsageLines ?? DEFAULTS.maxUsageLines,
    );
    this.#shutdownTimeoutMs = positiveInteger(
      "shutdownTimeoutMs",
      options.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs,
    );
    const prefix = options.commandIdPrefix ?? randomPrefix();
    if (
      typeof prefix !== "string" || prefix === "" || /[\r\n\0]/.test(prefix)
    ) {
      throw new TypeError(
        "Cannot start AsyncAGI server: commandIdPrefix must be a non-empty string without CR, LF or NUL",
      );
    }
    this.#commandIdPrefix = prefix;
    this.#sessionOptions = sessionOptions(options);
    const onError = options.onError ?? defaultOnError;
    this.#onError = (error, context) => {
      try {
        onError(error, context);
      } catch {
        // A reporter that throws must not take the server down.
      }
    };
    this.#signal = options.signal;
    this.#finished = new Promise((resolve) => this.#resolveFinished = resolve);
    this.#link = {
      send: (action) => this.#client.send(action),
      nextCommandId: () => `${this.#commandIdPrefix}-${++this.#counter}`,
      track: (id, transport) => {
        if (transport === undefined) this.#byCommand.delete(id);
        else this.#byCommand.set(id, transport);
      },
      breakFailed: (error, channel) =>
        this.#onError(error, {
          phase: "break",
          channel,
          event: this.#byChannel.get(channel)?.request.event,
        }),
    };
    for (
      const name of ["AsyncAGIStart", "AsyncAGIExec", "AsyncAGIEnd", "AsyncAGI"]
    ) {
      this.#unsubscribe.push(client.on(name, this.#onEvent));
    }
    client.addEventListener("disconnected", this.#onDisconnected);
    this.#unsubscribe.push(() =>
      client.removeEventListener("disconnected", this.#onDisconnected)
    );
    if (this.#signal !== undefined) {
      if (this.#signal.aborted) queueMicrotask(() => void this.shutdown());
      else {this.#signal.addEventListener("abort", this.#onAbort, {
          once: true,
        });}
    }
  }

  get sessions(): number {
    return this.#entries.size;
  }

  get finished(): Promise<void> {
    return this.#finished;
  }

  shutdown(): Promise<void> {
    if (this.#shuttingDown) return this.#finished;
    this.#shuttingDown = true;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    void this.#drain();
    return this.#finished;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  #onAbort = (): void => {
    void this.shutdown();
  };

  #onDisconnected = (event: CustomEvent<AmiDisconnectedDetail>): void => {
    for (const entry of this.#entries) {
      entry.transport.connectionLost(event.detail.error);
    }
  };

  /** Routes the four AsyncAGI event names; runs in wire order. */
  #onEvent = (event: AmiMessage): void => {
    switch (kindOf(event)) {
      case START:
        this.#start(event);
        return;
      case EXEC: {
        const id = event.get("CommandId");
        if (id !== undefined) this.#byCommand.get(id)?.receiveExec(event);
        return;
      }
      case END: {
        const channel = event.get("Channel");
        const entry = channel === undefined
          ? undefined
          : this.#byChannel.get(channel);
        if (entry === undefined) return;
        this.#byChannel.delete(entry.channel);
        entry.transport.receiveEnd();
        return;
      }
    }
  };

  #start(event: AmiMessage): void {
    const channel = event.get("Channel");
    if (channel === undefined || channel === "") {
      this.#onError(
        new ProtocolError(
          "Cannot start AsyncAGI session: the AsyncAGIStart event has no Channel",
        ),
        { phase: "start", channel: undefined, event },
      );
      return;
    }
    const context: AsyncAgiErrorContext = { phase: "start", channel, event };
    let request: AsyncAgiRequest;
    try {
      request = {
        channel,
        uniqueId: event.get("Uniqueid"),
        env: this.#environment(channel, event),
        event,
      };
    } catch (error) {
      this.#onError(error, context);
      this.#break(channel, event);
      return;
    }
    if (this.#accept !== undefined) {
      try {
        if (!this.#accept(request)) return;
      } catch (error) {
        this.#onError(error, context);
        return;
      }
    }
    if (this.#shuttingDown) {
      this.#break(channel, event);
      return;
    }
    if (this.#entries.size >= this.#maxSessions) {
      this.#onError(
        new LimitExceededError(
          "maxSessions",
          this.#maxSessions,
          `Cannot start AsyncAGI session for channel ${
            JSON.stringify(channel)
          }: maxSessions of ${this.#maxSessions} reached`,
        ),
        context,
      );
      this.#break(channel, event);
      return;
    }
    // A channel starts AsyncAGI again before its AsyncAGIEnd was seen: the
    // old session is over.
    this.#byChannel.get(channel)?.transport.receiveEnd();
    const transport = new AsyncAgiTransport(channel, this.#link, {
      maxUsageLines: this.#maxUsageLines,
    });
    const entry: Entry = {
      channel,
      transport,
      session: new AgiSession(request.env, transport, this.#sessionOptions),
      request,
    };
    this.#entries.add(entry);
    this.#byChannel.set(channel, entry);
    void this.#run(entry);
  }

  #environment(channel: string, event: AmiMessage): AgiEnvironment {
    const raw = event.get("Env");
    if (raw === undefined) {
      throw new ProtocolError(
        `Cannot start AsyncAGI session for channel ${
          JSON.stringify(channel)
        }: the AsyncAGIStart event has no Env`,
      );
    }
    const text = decodeAsyncAgiValue(
      raw,
      `AsyncAGI environment of channel ${JSON.stringify(channel)}`,
    );
    const lines: string[] = [];
    let from = 0;
    for (;;) {
      const end = text.indexOf("\n", from);
      const line = text.slice(from, end === -1 ? text.length : end);
      if (line === "") break;
      if (lines.length >= this.#maxEnvironmentLines) {
        throw new LimitExceededError(
          "maxEnvironmentLines",
          this.#maxEnvironmentLines,
          `Cannot start AsyncAGI session for channel ${
            JSON.stringify(channel)
          }: more than ${this.#maxEnvironmentLines} environment lines`,
        );
      }
      lines.push(line);
      if (end === -1) break;
      from = end + 1;
    }
    return parseAgiEnvironment(lines);
  }

  async #run(entry: Entry): Promise<void> {
    try {
      await this.#handler(entry.session, entry.request);
    } catch (error) {
      this.#onError(error, this.#context("handler", entry));
    } finally {
      try {
        await entry.session.close();
      } catch (error) {
        this.#onError(error, this.#context("break", entry));
      }
      this.#entries.delete(entry);
      if (this.#byChannel.get(entry.channel) === entry) {
        this.#byChannel.delete(entry.channel);
      }
      if (this.#entries.size === 0) this.#idle?.();
    }
  }

  /** Sends ASYNCAGI BREAK to a channel the server will not drive. */
  #break(channel: string, event: AmiMessage): void {
    const sent: Promise<void> = this.#client.send({
      Action: "AGI",
      Channel: channel,
      Command: "ASYNCAGI BREAK",
      CommandID: this.#link.nextCommandId(),
    }).then(
      () => {},
      (error) => this.#onError(error, { phase: "break", channel, event }),
    ).finally(() => this.#breaks.delete(sent));
    this.#breaks.add(sent);
  }

  #context(phase: AsyncAgiErrorPhase, entry?: Entry): AsyncAgiErrorContext {
    return {
      phase,
      channel: entry?.channel,
      event: entry?.request.event,
    };
  }

  async #drain(): Promise<void> {
    if (this.#entries.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<void>((resolve) => this.#idle = resolve);
      const expired = new Promise<"expired">((resolve) => {
        timer = setTimeout(() => resolve("expired"), this.#shutdownTimeoutMs);
      });
      const outcome = await Promise.race([idle, expired]);
      clearTimeout(timer);
      if (outcome === "expired") {
        for (const entry of this.#entries) void entry.session.close();
        if (this.#entries.size > 0) await idle;
      }
    }
    while (this.#breaks.size > 0) await Promise.allSettled([...this.#breaks]);
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#resolveFinished();
  }
}

function sessionOptions(options: ServeAsyncAgiOptions): AgiSessionOptions {
  const result: AgiSessionOptions = {};
  const timeout = options.commandTimeoutMs;
  if (timeout !== undefined) {
    if (typeof timeout !== "number" || !(timeout > 0) || !isFinite(timeout)) {
      throw new TypeError(
        `Cannot start AsyncAGI server: commandTimeoutMs must be a positive number, got ${timeout}`,
      );
    }
    result.commandTimeoutMs = timeout;
  }
  const queued = options.maxQueuedCommands;
  if (queued !== undefined) {
    if (!Number.isInteger(queued) || queued < 0) {
      throw new TypeError(
        `Cannot start AsyncAGI server: maxQueuedCommands must be a non-negative integer, got ${queued}`,
      );
    }
    result.maxQueuedCommands = queued;
  }
  if (options.onTrace !== undefined) result.onTrace = options.onTrace;
  return result;
}
