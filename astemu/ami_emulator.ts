// Copyright the @pyst/asterisk authors. MIT license.
import type { AmiMessage } from "../manager/ami_message.ts";
import type { AmiFieldValue } from "../manager/encode_ami_action.ts";
import {
  type AmiEmulatorFaults,
  AmiEmulatorSession,
  type AmiShutdownOptions,
} from "./ami_emulator_session.ts";
import { formatPacket, toFields } from "./_ami_fields.ts";
import { EmulatorState, eventCategory } from "./_ami_server.ts";
import { ReplayScript } from "./_ami_replay.ts";
import { registerState } from "./_ami_state_registry.ts";

/** A user the emulator accepts. */
export interface AmiEmulatorUser {
  /** The plain secret (also used for the MD5 challenge login). */
  secret: string;
  /**
   * Read permission: comma-separated categories (`call,agent`), `all` or
   * `none`; limits which events the user receives.
   *
   * @default {"all"}
   */
  read?: string;
  /**
   * Write permission: which actions the user may send (`Command` needs
   * `command`, `Originate` needs `originate`…).
   *
   * @default {"all"}
   */
  write?: string;
}

/**
 * Packet fields as the emulator takes them: an object (one field per key in
 * order, arrays repeating the key) or a list of `[key, value]` pairs.
 */
export type AmiEmulatorFields =
  | Readonly<
    Record<string, AmiFieldValue | readonly AmiFieldValue[] | undefined>
  >
  | Iterable<readonly [string, string]>;

/** An event list a handler answers with (see {@linkcode AmiActionReply.list}). */
export interface AmiEmulatorList {
  /** The item events; `ActionID` is added after their first field. */
  items: readonly AmiEmulatorFields[];
  /** The name of the closing event, e.g. `QueueStatusComplete`. */
  complete: string;
  /**
   * The `Message` of the ack.
   *
   * @default {"Events will follow"}
   */
  message?: string;
  /** Extra fields of the closing event, after `ListItems`. */
  completeFields?: AmiEmulatorFields;
}

/**
 * What a scripted action sends back. Every part is optional; a handler may
 * also return plain fields, which are taken as the response.
 */
export interface AmiActionReply {
  /**
   * The response fields (`Response` first). `ActionID` is inserted second
   * unless given; `null` sends no response at all (to test timeouts).
   */
  response?: AmiEmulatorFields | null;
  /** An event list: an ack (unless `response` is given), the items, the `…Complete` event. */
  list?: AmiEmulatorList;
  /** Packets sent to this session right after the response, whatever its event mask. */
  events?: readonly AmiEmulatorFields[];
  /** Events published to every session, subject to their masks (see {@linkcode AmiEmulator.emit}). */
  broadcast?: readonly AmiEmulatorFields[];
  /** Milliseconds to wait before answering (the session answers nothing else meanwhile). */
  delayMs?: number;
  /** Close the session after answering. */
  close?: boolean;
}

/** What a handler receives besides the action. */
export interface AmiActionContext {
  /** The session the action came from. */
  readonly session: AmiEmulatorSession;
  /** The emulator. */
  readonly emulator: AmiEmulator;
}

/**
 * Answers one action. Return a reply, plain response fields, or `undefined`
 * to let the emulator's built-in behaviour answer. A handler that throws
 * gets the client a `Response: Error` and is recorded in
 * {@linkcode AmiEmulator.handlerErrors}; the session goes on.
 */
export type AmiActionHandler = (
  action: AmiMessage,
  context: AmiActionContext,
) =>
  | AmiActionReply
  | AmiEmulatorFields
  | undefined
  | Promise<AmiActionReply | AmiEmulatorFields | undefined>;

/**
 * One entry of a chat script: the response fields, a list whose first
 * element is the response and the rest events sent after it, a reply, or a
 * handler.
 */
export type AmiScriptEntry =
  | AmiEmulatorFields
  | readonly AmiEmulatorFields[]
  | AmiActionReply
  | AmiActionHandler;

/** An Originate as the emulator's `originate` hook sees it. */
export interface AmiOriginateRequest {
  /** The `Channel` header, e.g. `Local/s@echo` or `PJSIP/100`. */
  channel: string;
  /** `Application`, for an application call. */
  application?: string;
  /** `Data` of the application. */
  data?: string;
  /** `Context`, for a dialplan call. */
  context?: string;
  /** `Exten`, for a dialplan call. */
  exten?: string;
  /** `Priority`, for a dialplan call. */
  priority?: number;
  /** Whether `Async` was true. */
  async: boolean;
  /** `CallerID`, if given. */
  callerId?: string;
  /** `Variable` headers, split on commas like Asterisk. */
  variables: Readonly<Record<string, string>>;
  /** `ActionID`, if given. */
  actionId?: string;
  /** The whole action. */
  action: AmiMessage;
}

/** How an originated call goes. */
export type AmiOriginateResult =
  | "answer"
  | "busy"
  | "no-answer"
  | "congestion"
  | "failure";

/** What the `originate` hook decides. */
export interface AmiOriginateOutcome {
  /**
   * How the call ends up.
   *
   * @default {"answer"}
   */
  result?: AmiOriginateResult;
  /**
   * Milliseconds before the call is answered or fails.
   *
   * @default {0}
   */
  delayMs?: number;
  /**
   * Hang the call up this long after it was answered (scaled by
   * `timeScale`). Without it, a `Wait` application hangs up after its
   * seconds, and anything else stays up until hung up.
   */
  hangupAfterMs?: number;
}

/** The application a dialplan location runs (see {@linkcode AmiEmulatorOptions.dialplan}). */
export interface AmiEmulatorDialplanStep {
  /** The application, e.g. `Wait`. */
  application: string;
  /**
   * Its data.
   *
   * @default {""}
   */
  data?: string;
  /**
   * The priority it runs at.
   *
   * @default {1}
   */
  priority?: number;
}

/** One category of a configuration file served by `GetConfig`. */
export interface AmiEmulatorConfigCategory {
  /** The category name. */
  name: string;
  /** Its `key=value` lines, in order (keys may repeat). */
  variables?: readonly (readonly [string, string])[];
  /** Templates it inherits from. */
  templates?: readonly string[];
  /** Whether it is a template (hidden unless `Filter: TEMPLATES=include`). */
  isTemplate?: boolean;
}

/** CLI output for the `Command` action: text, text with a failure flag, or a function of the command line. */
export type AmiCommandOutput =
  | string
  | { output: string; error?: boolean }
  | ((command: string) => string | { output: string; error?: boolean });

/** Bytes that went in or out of a session (see {@linkcode AmiEmulatorOptions.onTrace}). */
export interface AmiEmulatorTrace {
  /** The session's id. */
  session: number;
  /** `in`: from the client; `out`: to it. */
  direction: "in" | "out";
  /** The bytes. */
  data: Uint8Array;
}

/** Options of {@linkcode AmiEmulator} and {@linkcode startAmiEmulator}. */
export interface AmiEmulatorOptions {
  /**
   * Users by name.
   *
   * @default {{ admin: { secret: "admin", read: "all", write: "all" } }}
   */
  users?: Record<string, AmiEmulatorUser>;
  /**
   * The AMI version in the banner.
   *
   * @default {"13.0.0"}
   */
  version?: string;
  /**
   * The Asterisk version `core show version` reports.
   *
   * @default {"GIT-master-astemu"}
   */
  asteriskVersion?: string;
  /** CLI output by command line (matched without regard to case or spacing). */
  commands?: Record<string, AmiCommandOutput>;
  /**
   * `output`: Asterisk ≥ 14's `Output:` headers; `follows`: the legacy
   * `Response: Follows` … `--END COMMAND--` body.
   *
   * @default {"output"}
   */
  commandStyle?: "output" | "follows";
  /**
   * What the dialplan runs, by `exten@context`: a Local channel's `;2`
   * half, or a call originated to that context and exten, shows this
   * application in `CoreShowChannels` and `Status`. Without an entry it
   * shows none.
   */
  dialplan?: Record<string, AmiEmulatorDialplanStep>;
  /** Global dialplan variables (for `Getvar` without a channel). */
  variables?: Record<string, string>;
  /** AstDB entries by `family/key` (for `DBGet`/`DBPut`/`DBDel`). */
  database?: Record<string, string>;
  /** Configuration files by name, for `GetConfig`, `GetConfigJSON` and `ListCategories`. */
  configs?: Record<string, readonly AmiEmulatorConfigCategory[]>;
  /** A chat script: action name → what to answer (see {@linkcode AmiScriptEntry}). */
  script?: Record<string, AmiScriptEntry>;
  /**
   * A recorded transcript to serve instead of the emulated behaviour: each
   * connection gets the next recorded connection, each action the recorded
   * answer (with the client's ActionID).
   */
  replay?: string;
  /** Decides how each originated call goes; every call is answered by default. */
  originate?: (
    request: AmiOriginateRequest,
  ) =>
    | AmiOriginateOutcome
    | AmiOriginateResult
    | Promise<AmiOriginateOutcome | AmiOriginateResult>;
  /**
   * Factor applied to simulated call durations (a `Wait(5)` call lasts
   * 5 s × `timeScale`).
   *
   * @default {1}
   */
  timeScale?: number;
  /**
   * Delay before `Authentication failed` (Asterisk sleeps 1 s).
   *
   * @default {1000}
   */
  authFailureDelayMs?: number;
  /**
   * An unauthenticated session is closed after this long.
   *
   * @default {30000}
   */
  authTimeoutMs?: number;
  /**
   * More unauthenticated sessions than this are dropped before the banner.
   *
   * @default {50}
   */
  authLimit?: number;
  /**
   * Most actions kept in {@linkcode AmiEmulator.actions} and in each
   * session's `actions`; past it the oldest tenth is forgotten, so a
   * long-running emulator (the CLI) does not grow without bound.
   *
   * @default {100000}
   */
  maxActionLog?: number;
  /**
   * A session whose client does not take a write within this long is
   * dropped, like Asterisk's `writetimeout`. 0 disables it.
   *
   * @default {100}
   */
  writeTimeoutMs?: number;
  /**
   * Output a session may queue (while writes stall) before it is dropped.
   *
   * @default {8388608}
   */
  maxQueuedBytes?: number;
  /** Sees every byte in and out, e.g. to print a trace. */
  onTrace?: (trace: AmiEmulatorTrace) => void;
  /**
   * Address to listen on ({@linkcode startAmiEmulator} only).
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * Port to listen on; 0 picks a free one ({@linkcode startAmiEmulator} only).
   *
   * @default {0}
   */
  port?: number;
  /**
   * Whether {@linkcode startAmiEmulator} listens on TCP at all; without it,
   * connect with {@linkcode AmiEmulator.connectInMemory} (no permissions
   * needed).
   *
   * @default {true}
   */
  listen?: boolean;
}

/** Options of {@linkcode AmiEmulator.emit}. */
export interface AmiEmitOptions {
  /** Send to this session only. */
  session?: AmiEmulatorSession;
  /**
   * The event's categories when it has no `Privilege` field (a
   * `Privilege: <category>,all` field is then added).
   *
   * @default {"call"}
   */
  category?: string;
  /** Send even where the event mask, read permission or filters would stop it. */
  ignoreMask?: boolean;
}

/** An action the emulator received. */
export interface AmiEmulatorActionRecord {
  /** Who sent it. */
  session: AmiEmulatorSession;
  /** The action. */
  action: AmiMessage;
  /** When it arrived (`Date.now()`). */
  receivedAt: number;
}

/** A client connection without sockets (see {@linkcode AmiEmulator.connectInMemory}). */
export interface AmiInMemoryConnection {
  /**
   * What the emulator writes. It ends cleanly when the session ends
   * gracefully or the client closes `writable`, and errors with a
   * `ConnectionClosedError` when the emulator drops the session.
   */
  readable: ReadableStream<Uint8Array>;
  /** Where the client writes; writes after the session ended reject with a `ConnectionClosedError`. */
  writable: WritableStream<Uint8Array>;
  /** The emulator's side of the connection. */
  session: AmiEmulatorSession;
}

/** A channel of the emulator's channel model. */
export interface AmiEmulatorChannel {
  /** The channel name, e.g. `Local/s@echo-00000000;1`. */
  name: string;
  /** The state number (6 is Up). */
  state: number;
  /** Caller ID number. */
  callerIdNum: string;
  /** Caller ID name. */
  callerIdName: string;
  /** Dialplan context. */
  context: string;
  /** Dialplan extension. */
  exten: string;
  /** Dialplan priority. */
  priority: number;
  /** Unique id. */
  uniqueid: string;
  /** Linked id. */
  linkedid: string;
  /** Running application. */
  application: string;
  /** Its data. */
  data: string;
  /** Channel variables. */
  variables: Readonly<Record<string, string>>;
}

/** Options of {@linkcode AmiEmulator.waitForAction} and {@linkcode AmiEmulator.waitForSession}. */
export interface AmiWaitOptions {
  /** Stops waiting (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

/**
 * An in-process Asterisk Manager Interface server for tests: it speaks AMI
 * the way Asterisk does (banner, plain and MD5 login, permissions, event
 * masks, `Ping`, `Command`, `Originate` with its events, event lists,
 * `Getvar`/`Setvar`, `DBGet`/`DBPut`, `UserEvent`, `Filter`, `GetConfig`…),
 * lets a test script any action, emit events, inspect what clients sent,
 * replay a recorded transcript, and inject faults.
 *
 * Create one with {@linkcode startAmiEmulator} (TCP on 127.0.0.1) or
 * `new AmiEmulator()` (in memory only), and close it with `await using`.
 *
 * @example Scripting an action and checking what the client sent
 * ```ts
 * import { startAmiEmulator } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * await using emulator = await startAmiEmulator({ listen: false });
 * emulator.handle("QueueStatus", () => ({
 *   list: { items: [{ Event: "QueueParams", Queue: "support" }], complete: "QueueStatusComplete" },
 * }));
 * const { readable, writable } = emulator.connectInMemory();
 * const writer = writable.getWriter();
 * await writer.write(new TextEncoder().encode(
 *   "Action: Login\r\nUsername: admin\r\nSecret: admin\r\nEvents: off\r\n\r\n" +
 *     "Action: QueueStatus\r\nActionID: q1\r\n\r\n",
 * ));
 * const record = await emulator.waitForAction("QueueStatus");
 * assert.equal(record.action.actionId, "q1");
 * assert.equal(record.session.username, "admin");
 * await writer.close();
 * await readable.cancel();
 * ```
 */
export class AmiEmulator {
  readonly #state: EmulatorState;
  readonly #replay: ReplayScript | undefined;
  #listener: Deno.TcpListener | undefined;
  #accepting: Promise<void> | undefined;
  #closed = false;

  /**
   * Creates an emulator that is not listening on any socket; connect to it
   * with {@linkcode AmiEmulator.connectInMemory} or {@linkcode AmiEmulator.listen}.
   *
   * @param options Users, behaviour, scripts and limits.
   * @throws {TypeError} On a malformed option.
   * @throws {SyntaxError} If `replay` is not a valid transcript.
   */
  constructor(options: AmiEmulatorOptions = {}) {
    this.#replay = options.replay === undefined
      ? undefined
      : new ReplayScript(options.replay);
    this.#state = new EmulatorState(this, options, this.#replay);
    registerState(this, this.#state);
    for (const [action, entry] of Object.entries(options.script ?? {})) {
      this.handle(action, entry);
    }
  }

  /**
   * Starts listening on TCP.
   *
   * @param options Where to listen.
   * @returns Resolves once the socket is bound.
   * @throws {TypeError} If already listening or closed.
   * @throws {Deno.errors.NotCapable} Without `--allow-net` for the address.
   */
  listen(options: { hostname?: string; port?: number } = {}): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new TypeError("Cannot listen: the AMI emulator is closed"),
      );
    }
    if (this.#listener !== undefined) {
      return Promise.reject(
        new TypeError("Cannot listen: the AMI emulator is already listening"),
      );
    }
    const listener = Deno.listen({
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 0,
      transport: "tcp",
    });
    this.#listener = listener;
    this.#accepting = this.#accept(listener);
    return Promise.resolve();
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    const local = listener.addr;
    try {
      for await (const conn of listener) {
        try {
          conn.setNoDelay(true);
        } catch {
          // Not fatal.
        }
        const remote = conn.remoteAddr;
        try {
          new AmiEmulatorSession(this, conn.readable, conn.writable, {
            localAddress: `IPV4/TCP/${local.hostname}/${local.port}`,
            remoteAddress: `IPV4/TCP/${remote.hostname}/${remote.port}`,
            onClose: () => {
              try {
                conn.close();
              } catch {
                // Already closed through its streams.
              }
            },
          });
        } catch {
          conn.close();
        }
      }
    } catch {
      // The listener was closed.
    }
  }

  /**
   * The address the emulator listens on.
   *
   * @throws {TypeError} If it is not listening.
   */
  get hostname(): string {
    return this.#address().hostname;
  }

  /**
   * The TCP port the emulator listens on.
   *
   * @throws {TypeError} If it is not listening.
   */
  get port(): number {
    return this.#address().port;
  }

  #address(): Deno.NetAddr {
    if (this.#listener === undefined) {
      throw new TypeError(
        "Cannot read AMI emulator address: it is not listening",
      );
    }
    return this.#listener.addr;
  }

  /** Every session so far, in connection order (closed ones included). */
  get sessions(): readonly AmiEmulatorSession[] {
    return this.#state.sessions;
  }

  /** Every action received so far, from all sessions, in order. */
  get actions(): readonly AmiEmulatorActionRecord[] {
    return this.#state.log;
  }

  /** Errors thrown by handlers and the `originate` hook (each got the client an error response). */
  get handlerErrors(): readonly unknown[] {
    return this.#state.handlerErrors;
  }

  /** With `replay`: every place where a client's action differed from the recording. */
  get replayMismatches(): readonly string[] {
    return this.#replay?.mismatches ?? [];
  }

  /** Global dialplan variables (`Getvar`/`Setvar` without a channel); mutable. */
  get variables(): Map<string, string> {
    return this.#state.variables;
  }

  /** AstDB entries by `family/key`; mutable. */
  get database(): Map<string, string> {
    return this.#state.database;
  }

  /** The channels that are up, as `CoreShowChannels` lists them. */
  get channels(): AmiEmulatorChannel[] {
    return this.#state.channels.list().map((c) => ({
      name: c.name,
      state: c.state,
      callerIdNum: c.callerIdNum,
      callerIdName: c.callerIdName,
      context: c.context,
      exten: c.exten,
      priority: c.priority,
      uniqueid: c.uniqueid,
      linkedid: c.linkedid,
      application: c.application,
      data: c.data,
      variables: Object.fromEntries(c.variables),
    }));
  }

  /** The faults set on every session (each session's own faults take precedence). */
  get faults(): Readonly<AmiEmulatorFaults> {
    return { ...this.#state.faults };
  }

  /**
   * Sets faults on every session, present and future, merged over the ones
   * already set; a field set to `undefined` clears it.
   *
   * @param faults The faults to change.
   */
  setFaults(faults: AmiEmulatorFaults): void {
    const merged: Record<string, unknown> = { ...this.#state.faults };
    for (const [key, value] of Object.entries(faults)) {
      if (value === undefined) delete merged[key];
      else merged[key] = value;
    }
    this.#state.faults = merged as AmiEmulatorFaults;
    for (const session of this.#state.sessions) session.setFaults({});
  }

  /**
   * Scripts an action: `handler` answers every action of that name
   * (case-insensitive), before the built-in behaviour.
   *
   * @param action The action name.
   * @param handler A function, or a fixed chat-script answer.
   * @returns The emulator, for chaining.
   * @throws {TypeError} For `Login`, `Challenge` and `Logoff`, which stay built in.
   *
   * @example A chat-script answer
   * ```ts
   * import { startAmiEmulator } from "@pyst/asterisk/astemu";
   * import assert from "node:assert/strict";
   *
   * await using emulator = await startAmiEmulator({ listen: false });
   * emulator.handle("SIPpeers", [
   *   { Response: "Success", EventList: "start", Message: "Peer status list will follow" },
   *   { Event: "PeerlistComplete", EventList: "Complete", ListItems: 0 },
   * ]);
   * assert.equal(emulator.sessions.length, 0);
   * ```
   */
  handle(action: string, handler: AmiScriptEntry): this {
    const name = action.toLowerCase();
    if (name === "login" || name === "challenge" || name === "logoff") {
      throw new TypeError(
        `Cannot script AMI action "${action}": it is built in`,
      );
    }
    if (typeof handler === "function") {
      this.#state.handlers.set(name, handler as AmiActionHandler);
      return this;
    }
    if (Array.isArray(handler)) {
      const [response, ...events] = handler as readonly AmiEmulatorFields[];
      toFields(response ?? [], "chat script");
      for (const event of events) toFields(event, "chat script");
      this.#state.handlers.set(
        name,
        () => ({ response: response ?? null, events }),
      );
      return this;
    }
    const fixed = handler as AmiActionReply | AmiEmulatorFields;
    this.#state.handlers.set(name, () => fixed);
    return this;
  }

  /**
   * Publishes an event to every session (or one), subject to each session's
   * read permission, event mask and filters unless `ignoreMask` is set.
   *
   * @param event The event's fields, `Event` first.
   * @param options Target session, category and mask handling.
   * @returns How many sessions it was sent to.
   * @throws {TypeError} If a field is malformed or holds CR or LF.
   *
   * @example Emitting to logged-in sessions
   * ```ts
   * import { startAmiEmulator } from "@pyst/asterisk/astemu";
   * import assert from "node:assert/strict";
   *
   * await using emulator = await startAmiEmulator({ listen: false });
   * // No session is logged in yet, so nobody gets it.
   * assert.equal(emulator.emit({ Event: "PeerStatus", Peer: "PJSIP/100" }), 0);
   * ```
   */
  emit(event: AmiEmulatorFields, options: AmiEmitOptions = {}): number {
    // Resolve the category once; each session then reads it from `Privilege`.
    const { fields } = eventCategory(
      toFields(event, "event"),
      options.category ?? "call",
    );
    formatPacket(fields);
    let count = 0;
    for (
      const session of options.session === undefined
        ? this.#state.sessions
        : [options.session]
    ) {
      if (session.isClosed) continue;
      if (session.emit(fields, { ignoreMask: options.ignoreMask ?? false })) {
        count++;
      }
    }
    return count;
  }

  /**
   * Hangs a channel up (and the other half of a Local pair), publishing the
   * events Asterisk would.
   *
   * @param channel The channel name.
   * @param cause The hangup cause code.
   * @returns Whether the channel existed.
   */
  hangup(channel: string, cause = 16): boolean {
    const found = this.#state.channels.find(channel);
    if (found === undefined) return false;
    this.#state.channels.hangup(found, cause, true);
    return true;
  }

  /**
   * Announces `Shutdown` to every session and closes them. Later actions on
   * sessions still open (with `close: false`) get `Asterisk is shutting down`.
   *
   * @param options How the shutdown is described.
   */
  announceShutdown(options: AmiShutdownOptions = {}): void {
    this.#state.shuttingDown = true;
    for (const session of this.#state.sessions) {
      if (!session.isClosed) session.announceShutdown(options);
    }
  }

  /**
   * Waits until session number `index` (0-based, in connection order) exists.
   *
   * @param index Which session.
   * @param options An abort signal.
   * @returns The session.
   */
  waitForSession(
    index: number,
    options: AmiWaitOptions = {},
  ): Promise<AmiEmulatorSession> {
    return this.#state.waitFor(
      () => this.#state.sessions[index],
      options.signal,
    );
  }

  /**
   * Waits for the next action named `name` (case-insensitive) that has not
   * been returned by an earlier call, or an earlier one not yet taken.
   *
   * @param name The action name.
   * @param options An abort signal.
   * @returns The action and its session.
   */
  waitForAction(
    name: string,
    options: AmiWaitOptions = {},
  ): Promise<AmiEmulatorActionRecord> {
    const lower = name.toLowerCase();
    return this.#state.waitFor(() => {
      const record = this.#state.log.find((r) =>
        !this.#taken.has(r) &&
        (r.action.get("Action") ?? "").toLowerCase() === lower
      );
      if (record !== undefined) this.#taken.add(record);
      return record;
    }, options.signal);
  }
  readonly #taken = new WeakSet<AmiEmulatorActionRecord>();

  /**
   * Opens a client connection without sockets: write actions to `writable`,
   * read Asterisk's bytes from `readable`. Closing `writable` ends the
   * session like a client closing its socket, and `readable` then ends
   * cleanly; if the emulator drops the session instead, both streams error
   * with a `ConnectionClosedError`.
   *
   * @returns The client's streams and the emulator's session.
   * @throws {TypeError} If the emulator is closed.
   *
   * @example A client that closes its side
   * ```ts
   * import { AmiEmulator } from "@pyst/asterisk/astemu";
   * import assert from "node:assert/strict";
   *
   * await using emulator = new AmiEmulator();
   * const { readable, writable, session } = emulator.connectInMemory();
   * await writable.close();
   * assert.equal(await new Response(readable).text(), "Asterisk Call Manager/13.0.0\r\n");
   * await session.closed;
   * assert.equal(session.closeReason, "client closed");
   * ```
   */
  connectInMemory(): AmiInMemoryConnection {
    const strategy = new ByteLengthQueuingStrategy({ highWaterMark: 65_536 });
    const toServer = new TransformStream<Uint8Array, Uint8Array>(
      {},
      strategy,
      strategy,
    );
    const toClient = new TransformStream<Uint8Array, Uint8Array>(
      {},
      strategy,
      strategy,
    );
    const session = new AmiEmulatorSession(
      this,
      toServer.readable,
      toClient.writable,
      {
        localAddress: "IPV4/TCP/127.0.0.1/5038",
        remoteAddress: "IPV4/TCP/127.0.0.1/0",
      },
    );
    return {
      readable: toClient.readable,
      writable: toServer.writable,
      session,
    };
  }

  /**
   * Closes the listener and every session, and stops every timer.
   *
   * @returns Resolves when everything has stopped.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener?.close();
    this.#state.shutdown();
    for (const session of this.#state.sessions) session.drop();
    await this.#accepting;
    await Promise.all(this.#state.sessions.map((s) => s.closed));
  }

  /** Closes the emulator (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
