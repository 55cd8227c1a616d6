// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: the sans-I/O heart of the AMI emulator. `EmulatorState` is what
 * all sessions share (users, handlers, channels, variables, database, the
 * action log); `SessionCore` is one session's protocol logic: it takes
 * decoded actions and produces the packets Asterisk would write, through a
 * {@linkcode SessionSink}. No streams, sockets or `Deno.*` here.
 *
 * @module
 */

import { md5Hex } from "../_internal/md5.ts";
import type { AmiMessage } from "../manager/ami_message.ts";
import type {
  AmiActionHandler,
  AmiActionReply,
  AmiEmulator,
  AmiEmulatorActionRecord,
  AmiEmulatorConfigCategory,
  AmiEmulatorFields,
  AmiEmulatorOptions,
  AmiOriginateOutcome,
  AmiOriginateRequest,
} from "./ami_emulator.ts";
import type {
  AmiEmulatorFaults,
  AmiEmulatorSession,
} from "./ami_emulator_session.ts";
import {
  type Channel,
  ChannelModel,
  duration,
  parseCallerId,
  snapshot,
} from "./_ami_channels.ts";
import {
  type Fields,
  fieldValue,
  formatPacket,
  insertField,
  toFields,
} from "./_ami_fields.ts";
import {
  ALL,
  CATEGORIES,
  eventsToMask,
  namesToMask,
  privilegeOf,
  privilegeToMask,
} from "./_ami_permissions.ts";
import type { ReplayScript } from "./_ami_replay.ts";

const SYSTEM = 1 << 0;
const CALL = 1 << 1;
const COMMAND = 1 << 4;
const USER = 1 << 6;
const CONFIG = 1 << 7;
const REPORTING = 1 << 9;
const ORIGINATE = 1 << 12;
const SECURITY = 1 << 17;

/** A configured user, with masks resolved. */
export interface ResolvedUser {
  readonly secret: string;
  readonly read: number;
  readonly write: number;
}

/** Where a session core writes. */
export interface SessionSink {
  /** Queues one unit of output (one or more whole packets). */
  write(text: string, kind: "response" | "event"): void;
  /** Sends what is queued, then closes the connection. */
  close(reason: string): void;
  /** The faults in effect for this session. */
  faults(): AmiEmulatorFaults;
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

const DEFAULT_USERS: Record<
  string,
  { secret: string; read?: string; write?: string }
> = {
  admin: { secret: "admin", read: "all", write: "all" },
};

/** State shared by every session of one emulator. */
export class EmulatorState {
  readonly emulator: AmiEmulator;
  readonly version: string;
  readonly asteriskVersion: string;
  readonly users: Map<string, ResolvedUser> = new Map();
  readonly handlers: Map<string, AmiActionHandler> = new Map();
  readonly channels: ChannelModel;
  readonly variables: Map<string, string>;
  readonly database: Map<string, string>;
  readonly configs: Map<string, readonly AmiEmulatorConfigCategory[]>;
  readonly commands: NonNullable<AmiEmulatorOptions["commands"]>;
  readonly commandStyle: "output" | "follows";
  readonly authFailureDelayMs: number;
  readonly authTimeoutMs: number;
  readonly authLimit: number;
  readonly maxActionLog: number;
  readonly writeTimeoutMs: number;
  readonly maxQueuedBytes: number;
  readonly timeScale: number;
  readonly originate: AmiEmulatorOptions["originate"];
  readonly onTrace: AmiEmulatorOptions["onTrace"];
  readonly replay: ReplayScript | undefined;
  replayConnections = 0;
  readonly startedMs: number;
  readonly sessions: AmiEmulatorSession[] = [];
  readonly cores: Set<SessionCore> = new Set();
  readonly log: AmiEmulatorActionRecord[] = [];
  readonly handlerErrors: unknown[] = [];
  faults: AmiEmulatorFaults = {};
  shuttingDown = false;
  /** Aborted when the emulator closes: ends every pending delay. */
  readonly lifetime: AbortController = new AbortController();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Wakes `waitFor…` callers when sessions or actions arrive. */
  readonly #waiters = new Set<() => void>();

  constructor(
    emulator: AmiEmulator,
    options: AmiEmulatorOptions,
    replay: ReplayScript | undefined,
  ) {
    this.emulator = emulator;
    this.startedMs = Date.now();
    this.version = options.version ?? "13.0.0";
    this.asteriskVersion = options.asteriskVersion ?? "GIT-master-astemu";
    for (const [name, user] of Object.entries(options.users ?? DEFAULT_USERS)) {
      if (typeof user?.secret !== "string") {
        throw new TypeError(
          `Cannot start AMI emulator: user "${name}" needs a secret string`,
        );
      }
      this.users.set(name, {
        secret: user.secret,
        read: namesToMask(user.read ?? "all"),
        write: namesToMask(user.write ?? "all"),
      });
    }
    this.channels = new ChannelModel({
      publish: (fields, category) => this.publish(fields, category),
      now: () => Date.now(),
      dialplan: (target) => {
        const step = options.dialplan?.[target];
        if (step === undefined) return undefined;
        return {
          application: step.application,
          data: step.data ?? "",
          priority: step.priority ?? 1,
        };
      },
    });
    this.variables = new Map(Object.entries(options.variables ?? {}));
    this.database = new Map(Object.entries(options.database ?? {}));
    this.configs = new Map(Object.entries(options.configs ?? {}));
    this.commands = options.commands ?? {};
    this.commandStyle = options.commandStyle ?? "output";
    this.authFailureDelayMs = nonNegative(
      "authFailureDelayMs",
      options.authFailureDelayMs,
      1000,
    );
    this.authTimeoutMs = nonNegative(
      "authTimeoutMs",
      options.authTimeoutMs,
      30_000,
    );
    this.authLimit = nonNegative("authLimit", options.authLimit, 50);
    this.maxActionLog = Math.max(
      1,
      nonNegative("maxActionLog", options.maxActionLog, 100_000),
    );
    this.writeTimeoutMs = nonNegative(
      "writeTimeoutMs",
      options.writeTimeoutMs,
      100,
    );
    this.maxQueuedBytes = nonNegative(
      "maxQueuedBytes",
      options.maxQueuedBytes,
      8 * 1024 * 1024,
    );
    this.timeScale = nonNegative("timeScale", options.timeScale, 1);
    this.originate = options.originate;
    this.onTrace = options.onTrace;
    this.replay = replay;
  }

  /** Runs `fn` after `ms` unless the emulator closed first. */
  setTimer(fn: () => void, ms: number): void {
    if (this.lifetime.signal.aborted) return;
    const id = setTimeout(() => {
      this.#timers.delete(id);
      fn();
    }, ms);
    this.#timers.add(id);
  }

  /** Clears every timer and ends every pending delay. */
  shutdown(): void {
    this.lifetime.abort();
    for (const id of this.#timers) clearTimeout(id);
    this.#timers.clear();
    this.notify();
  }

  /** Records an action in the log and wakes waiters. */
  logAction(session: AmiEmulatorSession, action: AmiMessage): void {
    this.log.push({ session, action, receivedAt: Date.now() });
    trimOldest(this.log, this.maxActionLog);
    this.notify();
  }

  notify(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves when `check` returns a value (checked now and on every change). */
  waitFor<T>(
    check: () => T | undefined,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const wake = () => {
        if (signal?.aborted) {
          cleanup();
          reject(signal.reason);
          return;
        }
        const value = check();
        if (value !== undefined) {
          cleanup();
          resolve(value);
        } else if (this.lifetime.signal.aborted) {
          cleanup();
          reject(new Error("Cannot wait on AMI emulator: it was closed"));
        }
      };
      const cleanup = () => {
        this.#waiters.delete(wake);
        signal?.removeEventListener("abort", wake);
      };
      this.#waiters.add(wake);
      signal?.addEventListener("abort", wake, { once: true });
      wake();
    });
  }

  /** Publishes an event (fields without `Privilege`) to every session whose mask allows it. */
  publish(fields: Fields, category: number): number {
    const text = formatPacket(
      insertField(fields, 1, "Privilege", privilegeOf(category)),
    );
    return this.deliver(text, category, undefined, false);
  }

  /** Sends a formatted event to one or all sessions. */
  deliver(
    text: string,
    category: number,
    only: SessionCore | undefined,
    ignoreMask: boolean,
  ): number {
    let count = 0;
    for (const core of only === undefined ? this.cores : [only]) {
      if (core.deliver(text, category, ignoreMask)) count++;
    }
    return count;
  }

  /** Number of sessions not logged in yet. */
  unauthenticated(): number {
    let count = 0;
    for (const core of this.cores) if (!core.authenticated) count++;
    return count;
  }
}

function nonNegative(
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new TypeError(
      `Cannot start AMI emulator: ${name} must be a number >= 0, got ${value}`,
    );
  }
  return value;
}

/** The first non-empty value of `key` (Asterisk reads `Action` this way). */
function firstNonEmpty(message: AmiMessage, key: string): string {
  for (const value of message.getAll(key)) if (value !== "") return value;
  return "";
}

/** Header lookup as Asterisk does it: first match, leading blanks skipped. */
function header(message: AmiMessage, key: string): string {
  return (message.get(key) ?? "").replace(/^[ \t]+/, "");
}

const NO_PERMISSION_NEEDED = new Set(["login", "logoff", "challenge"]);

/** One session's protocol state and logic. */
export class SessionCore {
  readonly id: number;
  readonly state: EmulatorState;
  readonly session: AmiEmulatorSession;
  readonly sink: SessionSink;
  readonly localAddress: string;
  readonly remoteAddress: string;
  /** Aborted when the session ends: ends its pending delays. */
  readonly lifetime: AbortController = new AbortController();
  authenticated = false;
  username: string | undefined;
  readPerm = 0;
  writePerm = 0;
  /** Asterisk's `send_events`; all bits until `Events:` says otherwise. */
  sendEvents = ALL;
  challenge = "";
  includeFilters: RegExp[] = [];
  excludeFilters: RegExp[] = [];
  readonly actions: AmiMessage[] = [];
  closing = false;
  /** The recorded connection being replayed, if any. */
  replayIndex: number | undefined;
  replayStep = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    state: EmulatorState,
    session: AmiEmulatorSession,
    sink: SessionSink,
    addresses: { local: string; remote: string },
  ) {
    this.state = state;
    this.session = session;
    this.sink = sink;
    this.id = state.sessions.length;
    this.localAddress = addresses.local;
    this.remoteAddress = addresses.remote;
    if (state.replay !== undefined) {
      this.replayIndex = state.replayConnections++;
    }
  }

  /** The greeting Asterisk writes first. */
  banner(): string {
    if (this.replayIndex !== undefined) {
      return this.state.replay!.banner(this.replayIndex);
    }
    return `Asterisk Call Manager/${this.state.version}\r\n`;
  }

  /** Starts the unauthenticated-session timer. */
  start(): void {
    if (this.state.authTimeoutMs > 0 && this.state.authTimeoutMs < Infinity) {
      this.state.setTimer(() => {
        if (!this.authenticated && !this.closing) {
          this.close("authentication timeout");
        }
      }, this.state.authTimeoutMs);
    }
  }

  /** Queues an action; actions run one at a time, in order, like Asterisk's session thread. */
  receive(message: AmiMessage): Promise<void> {
    this.#chain = this.#chain.then(() => this.#handle(message)).catch(
      (error) => {
        // Never let one action end the session: record it and answer an error.
        this.state.handlerErrors.push(error);
        try {
          this.error(
            message,
            `astemu failed on this action: ${errorText(error)}`,
          );
        } catch {
          // Nothing sensible can be written back.
        }
      },
    );
    return this.#chain;
  }

  /** Sends what is queued, then closes. */
  close(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.lifetime.abort();
    this.sink.close(reason);
  }

  /** Marks the session gone (the transport ended). */
  ended(): void {
    this.closing = true;
    this.lifetime.abort();
    this.state.cores.delete(this);
  }

  /** Delivers an event if the session's permissions, mask and filters let it through. */
  deliver(text: string, category: number, ignoreMask: boolean): boolean {
    if (!this.authenticated || this.closing) return false;
    if (!ignoreMask) {
      if ((this.readPerm & category) !== category) return false;
      if ((this.sendEvents & category) !== category) return false;
      if (!this.#passesFilters(text)) return false;
    }
    this.sink.write(text, "event");
    return true;
  }

  #passesFilters(text: string): boolean {
    const includes = this.includeFilters;
    const excludes = this.excludeFilters;
    if (includes.length === 0 && excludes.length === 0) return true;
    if (excludes.some((re) => re.test(text))) return false;
    return includes.length === 0 || includes.some((re) => re.test(text));
  }

  /** The ActionID line of a response, after faults. */
  #idFields(message: AmiMessage): Fields {
    const id = message.get("ActionID") ?? "";
    const fault = this.sink.faults().actionId;
    if (fault === "missing") return [];
    if (fault === "wrong") return [["ActionID", `astemu-wrong-${id}`]];
    return id === "" ? [] : [["ActionID", id]];
  }

  /** `astman_send_response_full`: Response, ActionID, optional EventList and Message, extra fields. */
  response(
    message: AmiMessage,
    response: string,
    text: string | undefined,
    extra: Fields = [],
  ): string {
    const fields: Fields = [["Response", response], ...this.#idFields(message)];
    if (text !== undefined) fields.push(["Message", text]);
    return formatPacket([...fields, ...extra]);
  }

  /** Writes one response unit. */
  reply(text: string): void {
    if (!this.closing) this.sink.write(text, "response");
  }

  error(message: AmiMessage, text: string): void {
    this.reply(this.response(message, "Error", text));
  }

  ack(message: AmiMessage, text: string | undefined, extra: Fields = []): void {
    this.reply(this.response(message, "Success", text, extra));
  }

  /** `astman_send_listack`. */
  listAck(message: AmiMessage, text: string): string {
    const fields: Fields = [
      ["Response", "Success"],
      ...this.#idFields(message),
    ];
    fields.push(["EventList", "start"], ["Message", text]);
    return formatPacket(fields);
  }

  /** `astman_send_list_complete_start/end`. */
  listComplete(
    message: AmiMessage,
    event: string,
    count: number,
    extra: Fields = [],
  ): string {
    const fields: Fields = [["Event", event]];
    const id = message.get("ActionID") ?? "";
    if (id !== "") fields.push(["ActionID", id]);
    fields.push(
      ["EventList", "Complete"],
      ["ListItems", String(count)],
      ...extra,
    );
    return formatPacket(fields);
  }

  async #handle(message: AmiMessage): Promise<void> {
    if (this.closing) return;
    this.actions.push(message);
    trimOldest(this.actions, this.state.maxActionLog);
    this.state.logAction(this.session, message);
    const action = firstNonEmpty(message, "Action");
    const lower = action.toLowerCase();
    if (this.replayIndex !== undefined) {
      this.state.replay!.handle(this, message);
      return;
    }
    if (action === "") return this.error(message, "Missing action in request");
    if (this.state.shuttingDown) {
      return this.error(message, "Asterisk is shutting down");
    }
    if (!this.authenticated && !NO_PERMISSION_NEEDED.has(lower)) {
      return this.error(message, "Permission denied");
    }
    const handler = this.state.handlers.get(lower);
    if (handler !== undefined) {
      let result: Awaited<ReturnType<AmiActionHandler>>;
      try {
        result = await handler(message, {
          session: this.session,
          emulator: this.state.emulator,
        });
      } catch (error) {
        this.state.handlerErrors.push(error);
        this.error(
          message,
          `astemu handler for "${action}" failed: ${errorText(error)}`,
        );
        return;
      }
      if (result !== undefined) {
        try {
          await this.#applyReply(message, result);
        } catch (error) {
          this.state.handlerErrors.push(error);
          this.error(
            message,
            `astemu handler for "${action}" failed: ${errorText(error)}`,
          );
        }
        return;
      }
    }
    const builtin = BUILTINS.get(lower);
    if (builtin === undefined) {
      return this.error(
        message,
        `Invalid/unknown command: ${action}. Use Action: ListCommands to show available commands.`,
      );
    }
    if (builtin.authority !== 0 && (this.writePerm & builtin.authority) === 0) {
      return this.error(message, "Permission denied");
    }
    await builtin.run(this, message);
  }

  /** Sends what a handler returned. */
  async #applyReply(
    message: AmiMessage,
    result: AmiActionReply | AmiEmulatorFields,
  ): Promise<void> {
    const reply = isReply(result) ? result : { response: result };
    if (reply.delayMs !== undefined && reply.delayMs > 0) {
      await sleep(reply.delayMs, this.lifetime.signal);
    }
    let text = "";
    if (reply.response !== null && reply.response !== undefined) {
      let fields = toFields(reply.response, "handler response");
      if (fieldValue(fields, "ActionID") === undefined) {
        const ids = this.#idFields(message);
        if (ids.length > 0) {
          fields = insertField(fields, 1, ids[0]![0], ids[0]![1]);
        }
      }
      text += formatPacket(fields);
    }
    if (reply.list !== undefined) {
      const list = reply.list;
      if (text === "") {
        text += this.listAck(message, list.message ?? "Events will follow");
      }
      const id = message.get("ActionID") ?? "";
      for (const item of list.items) {
        let fields = toFields(item, "list item");
        if (id !== "" && fieldValue(fields, "ActionID") === undefined) {
          fields = insertField(fields, 1, "ActionID", id);
        }
        text += formatPacket(fields);
      }
      const extra = list.completeFields === undefined
        ? []
        : toFields(list.completeFields, "list");
      text += this.listComplete(
        message,
        list.complete,
        list.items.length,
        extra,
      );
    }
    for (const event of reply.events ?? []) {
      text += formatPacket(toFields(event, "handler event"));
    }
    if (text !== "") this.reply(text);
    for (const event of reply.broadcast ?? []) this.state.emulator.emit(event);
    if (reply.close === true) this.close("closed by handler");
  }

  // -- helpers for built-ins --

  /** Publishes an event to every session (this one included). */
  publish(fields: Fields, category: number): void {
    this.state.publish(fields, category);
  }
}

const REPLY_KEYS = new Set([
  "response",
  "events",
  "list",
  "broadcast",
  "delayMs",
  "close",
]);

/** A reply object has only reply keys; anything else is the response's fields. */
function isReply(
  value: AmiActionReply | AmiEmulatorFields,
): value is AmiActionReply {
  if (typeof value !== "object" || value === null || Symbol.iterator in value) {
    return false;
  }
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((key) => REPLY_KEYS.has(key));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// --------------------------------------------------------------------------
// Built-in actions

interface Builtin {
  /** Write permission bits; any one of them is enough (0: none needed). */
  readonly authority: number;
  readonly synopsis: string;
  run(core: SessionCore, message: AmiMessage): void | Promise<void>;
}

const BUILTINS = new Map<string, Builtin & { readonly name: string }>();

function builtin(
  name: string,
  authority: number,
  synopsis: string,
  run: Builtin["run"],
): void {
  BUILTINS.set(name.toLowerCase(), { name, authority, synopsis, run });
}

builtin("Login", 0, "Login Manager.", async (core, message) => {
  const state = core.state;
  if (core.authenticated) return core.ack(message, "Already authenticated");
  const username = header(message, "Username");
  const user = username === "" ? undefined : state.users.get(username);
  let ok = false;
  if (user !== undefined) {
    if (
      header(message, "AuthType").toLowerCase() === "md5" &&
      core.challenge !== ""
    ) {
      ok = md5Hex(core.challenge + user.secret) === header(message, "Key");
    } else {
      ok = header(message, "Secret") === user.secret;
    }
  }
  if (!ok) {
    await sleep(state.authFailureDelayMs, core.lifetime.signal);
    core.error(message, "Authentication failed");
    core.close("authentication failed");
    return;
  }
  core.authenticated = true;
  core.username = username;
  core.readPerm = user!.read;
  core.writePerm = user!.write;
  const events = eventsToMask(header(message, "Events"));
  if (events >= 0) core.sendEvents = events;
  core.ack(message, "Authentication accepted");
  if ((core.sendEvents & SYSTEM) !== 0 && (core.readPerm & SYSTEM) !== 0) {
    const uptime = String(Math.floor((Date.now() - state.startedMs) / 1000));
    core.reply(formatPacket([
      ["Event", "FullyBooted"],
      ["Privilege", privilegeOf(SYSTEM)],
      ["Uptime", uptime],
      ["LastReload", uptime],
      ["Status", "Fully Booted"],
    ]));
  }
  const now = new Date();
  const tv = now.toISOString().replace("Z", "+0000");
  core.publish([
    ["Event", "SuccessfulAuth"],
    ["EventTV", tv],
    ["Severity", "Informational"],
    ["Service", "AMI"],
    ["EventVersion", "1"],
    ["AccountID", username],
    ["SessionID", `0x${(0x7f0000000000 + core.id * 0x1000).toString(16)}`],
    ["LocalAddress", core.localAddress],
    ["RemoteAddress", core.remoteAddress],
    ["UsingPassword", "0"],
    ["SessionTV", tv],
  ], SECURITY);
});

builtin("Challenge", 0, "Generate Challenge for MD5 Auth.", (core, message) => {
  if (header(message, "AuthType").toLowerCase() !== "md5") {
    return core.error(message, "Must specify AuthType");
  }
  if (core.challenge === "") {
    core.challenge = String(Math.floor(Math.random() * 2 ** 31));
  }
  core.ack(message, undefined, [["Challenge", core.challenge]]);
});

builtin("Logoff", 0, "Logoff Manager.", (core, message) => {
  core.reply(core.response(message, "Goodbye", "Thanks for all the fish."));
  core.close("logoff");
});

builtin("Ping", 0, "Keepalive command.", (core, message) => {
  const now = Date.now();
  const timestamp = `${Math.floor(now / 1000)}.${
    String((now % 1000) * 1000).padStart(6, "0")
  }`;
  core.ack(message, undefined, [["Ping", "Pong"], ["Timestamp", timestamp]]);
});

builtin("Events", 0, "Control Event Flow.", (core, message) => {
  const mask = eventsToMask(header(message, "EventMask"));
  if (mask >= 0) core.sendEvents = mask;
  if (mask > 0) {
    core.reply(
      core.response(message, "Success", undefined, [["Events", "On"]]),
    );
  } else if (mask === 0) {
    core.reply(
      core.response(message, "Success", undefined, [["Events", "Off"]]),
    );
  } else core.error(message, "Invalid event mask");
});

builtin(
  "ListCommands",
  0,
  "List available manager commands.",
  (core, message) => {
    const fields: Fields = [];
    const names = new Map<string, string>();
    for (const b of BUILTINS.values()) {
      names.set(
        b.name.toLowerCase(),
        `${b.synopsis} (Priv: ${authorityText(b.authority)})`,
      );
      fields.push([b.name, names.get(b.name.toLowerCase())!]);
    }
    for (const name of core.state.handlers.keys()) {
      if (!names.has(name)) {
        fields.push([
          name,
          "Scripted by astemu. (Priv: <none>)",
        ]);
      }
    }
    core.ack(message, undefined, fields);
  },
);

function authorityText(mask: number): string {
  if (mask === 0) return "<none>";
  return CATEGORIES.filter(([, bit]) => (mask & bit) !== 0).map(([name]) =>
    name
  ).join(",");
}

builtin(
  "Command",
  COMMAND,
  "Execute Asterisk CLI Command.",
  (core, message) => {
    const command = header(message, "Command");
    if (command === "") return core.error(message, "No command provided");
    const words = command.trim().split(/\s+/);
    const lowered = words.map((w) => w.toLowerCase());
    const blacklist = [["module", "load"], ["module", "unload"], [
      "restart",
      "gracefully",
    ]];
    if (blacklist.some((bad) => bad.every((w, i) => lowered[i] === w))) {
      return core.error(message, "Command blacklisted");
    }
    const result = runCommand(core.state, command, words);
    if (core.state.commandStyle === "follows") {
      let text = "Response: Follows\r\nPrivilege: Command\r\n";
      const id = message.get("ActionID") ?? "";
      if (id !== "") text += `ActionID: ${id}\r\n`;
      text += result.output;
      if (result.output !== "" && !result.output.endsWith("\n")) text += "\n";
      core.reply(text + "--END COMMAND--\r\n\r\n");
      return;
    }
    const lines = result.output === ""
      ? []
      : result.output.replace(/\n$/, "").split("\n");
    core.reply(core.response(
      message,
      result.error ? "Error" : "Success",
      "Command output follows",
      lines.map((line) => ["Output", line.replace(/\r$/, "")]),
    ));
  },
);

function runCommand(
  state: EmulatorState,
  command: string,
  words: string[],
): { output: string; error: boolean } {
  const normalized = words.join(" ").toLowerCase();
  for (const [key, value] of Object.entries(state.commands)) {
    if (key.trim().split(/\s+/).join(" ").toLowerCase() !== normalized) {
      continue;
    }
    const out = typeof value === "function" ? value(command) : value;
    return typeof out === "string"
      ? { output: out, error: false }
      : { output: out.output, error: out.error ?? false };
  }
  if (normalized === "core show version") {
    return {
      output:
        `Asterisk ${state.asteriskVersion} built by astemu @ localhost on a x86_64 running Linux on 2026-01-01 00:00:00 UTC`,
      error: false,
    };
  }
  if (normalized === "core show uptime") {
    const up = uptimeText(Math.floor((Date.now() - state.startedMs) / 1000));
    return { output: `System uptime: ${up}\nLast reload: ${up}`, error: false };
  }
  // Asterisk suggests the known words plus the first unknown one.
  let known = 0;
  const commandWords = [
    ...Object.keys(state.commands),
    "core show version",
    "core show uptime",
  ].map((c) => c.trim().toLowerCase().split(/\s+/));
  for (const candidate of commandWords) {
    let same = 0;
    while (
      same < candidate.length && candidate[same] === words[same]?.toLowerCase()
    ) same++;
    known = Math.max(known, same);
  }
  const best = words.slice(0, Math.max(known, 1) + 1).join(" ");
  return {
    output:
      `No such command '${command}' (type 'core show help ${best}' for other possible commands)`,
    error: true,
  };
}

function uptimeText(seconds: number): string {
  const parts: string[] = [];
  const units: [number, string][] = [[86_400, "day"], [3600, "hour"], [
    60,
    "minute",
  ]];
  let rest = seconds;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    rest %= size;
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? "" : "s"}`);
  }
  if (rest > 0 || parts.length === 0) {
    parts.push(`${rest} second${rest === 1 ? "" : "s"}`);
  }
  return parts.join(", ");
}

builtin("Originate", ORIGINATE, "Originate a call.", async (core, message) => {
  const state = core.state;
  const channel = header(message, "Channel");
  if (channel === "") return core.error(message, "Channel not specified");
  const priorityText = header(message, "Priority");
  if (priorityText !== "" && !/^\s*[-+]?\d/.test(priorityText)) {
    return core.error(message, "Invalid priority");
  }
  const timeout = header(message, "Timeout");
  if (timeout !== "" && !/^\s*[-+]?\d/.test(timeout)) {
    return core.error(message, "Invalid timeout");
  }
  if (!channel.includes("/")) return core.error(message, "Invalid channel");
  const application = header(message, "Application");
  const data = header(message, "Data");
  if (
    application !== "" && (core.writePerm & SYSTEM) === 0 &&
    (/system|exec/i.test(application) || /SHELL|EVAL/.test(data))
  ) {
    return core.error(
      message,
      "Originate Access Forbidden: app or data blacklisted",
    );
  }
  const context = header(message, "Context");
  const exten = header(message, "Exten");
  if (application === "" && (exten === "" || context === "")) {
    return core.error(
      message,
      "Originate with 'Exten' requires 'Context' and 'Priority'",
    );
  }
  const variables: [string, string][] = [];
  for (const value of message.getAll("Variable")) {
    for (const item of splitAppArgs(value)) {
      const eq = item.indexOf("=");
      if (eq > 0) variables.push([item.slice(0, eq), item.slice(eq + 1)]);
    }
  }
  const callerId = header(message, "CallerID");
  const isAsync = /^(?:yes|true|y|t|1|on)$/i.test(header(message, "Async"));
  const actionId = message.get("ActionID") ?? "";
  const request: AmiOriginateRequest = {
    channel,
    async: isAsync,
    variables: Object.fromEntries(variables),
    action: message,
    ...(application === "" ? {} : { application, data }),
    ...(application === ""
      ? { context, exten, priority: Number.parseInt(priorityText || "1", 10) }
      : {}),
    ...(callerId === "" ? {} : { callerId }),
    ...(actionId === "" ? {} : { actionId }),
  };
  let outcome: AmiOriginateOutcome = {};
  if (state.originate !== undefined) {
    try {
      const result = await state.originate(request);
      outcome = typeof result === "string" ? { result } : result ?? {};
    } catch (error) {
      state.handlerErrors.push(error);
      return core.error(
        message,
        `astemu originate hook failed: ${errorText(error)}`,
      );
    }
  }
  const run = async (): Promise<boolean> => {
    if ((outcome.delayMs ?? 0) > 0) {
      await sleep(outcome.delayMs!, state.lifetime.signal);
    }
    return placeCall(core, request, outcome, {
      context: context || "default",
      exten: exten || "s",
      priority: Number.parseInt(priorityText || "1", 10) || 1,
      application,
      data,
      callerId: callerId === "" ? undefined : parseCallerId(callerId),
      variables,
      account: header(message, "Account"),
    });
  };
  if (isAsync) {
    core.ack(message, "Originate successfully queued");
    // The call proceeds on its own, like Asterisk's originate thread.
    state.setTimer(() => {
      run().catch((error) => state.handlerErrors.push(error));
    }, 0);
    return;
  }
  const ok = await run();
  if (ok) core.ack(message, "Originate successfully queued");
  else core.error(message, "Originate failed");
});

const REASONS: Record<string, [number, string, number]> = {
  // result: [OriginateResponse Reason, DialEnd status, hangup cause]
  "busy": [5, "BUSY", 17],
  "no-answer": [3, "NOANSWER", 19],
  "congestion": [8, "CONGESTION", 34],
};

/** Runs an originated call; returns whether it was answered. */
function placeCall(
  core: SessionCore,
  request: AmiOriginateRequest,
  outcome: AmiOriginateOutcome,
  create: {
    context: string;
    exten: string;
    priority: number;
    application: string;
    data: string;
    callerId: { name: string; num: string } | undefined;
    variables: [string, string][];
    account: string;
  },
): boolean {
  const state = core.state;
  const result = outcome.result ?? "answer";
  const response = (
    success: boolean,
    reason: number,
    channel: Channel | undefined,
  ) => {
    if (!request.async) return;
    const fields: Fields = [["Event", "OriginateResponse"]];
    if (request.actionId !== undefined) {
      fields.push(["ActionID", request.actionId]);
    }
    fields.push(["Response", success ? "Success" : "Failure"]);
    fields.push([
      "Channel",
      success && channel !== undefined ? channel.name : request.channel,
    ]);
    if (create.application !== "") {
      fields.push(["Application", create.application], ["Data", create.data]);
    } else {
      fields.push(["Context", create.context], ["Exten", create.exten]);
    }
    fields.push(
      ["Reason", String(reason)],
      [
        "Uniqueid",
        success && channel !== undefined ? channel.uniqueid : "<null>",
      ],
      ["CallerIDNum", create.callerId?.num || "<unknown>"],
      ["CallerIDName", create.callerId?.name || "<unknown>"],
    );
    // The Privilege goes after Event; publish() inserts it there.
    core.publish(fields, CALL);
  };
  if (result === "failure") {
    response(false, 0, undefined);
    return false;
  }
  const channel = state.channels.create({
    channel: request.channel,
    ...create,
  });
  const failure = REASONS[result];
  if (failure !== undefined) {
    state.channels.fail(channel, failure[1], failure[2]);
    response(false, failure[0], undefined);
    return false;
  }
  state.channels.answer(channel);
  response(true, 4, channel);
  state.channels.deviceState(channel, "INUSE");
  let hangupAfterMs = outcome.hangupAfterMs;
  if (hangupAfterMs === undefined && /^wait$/i.test(create.application)) {
    const seconds = Number.parseFloat(create.data);
    if (Number.isFinite(seconds)) hangupAfterMs = seconds * 1000;
  }
  if (hangupAfterMs !== undefined && hangupAfterMs !== Infinity) {
    state.setTimer(
      () => state.channels.hangup(channel, 16),
      hangupAfterMs * state.timeScale,
    );
  }
  return true;
}

/**
 * Asterisk's standard app-args split with quote and backslash removal
 * (app.c `__ast_app_separate_args(buf, ',', 1, …)`), as manager.c applies it
 * to each `Variable` header: commas split outside quotes, parentheses and
 * brackets; quotes are dropped; a backslash keeps the next character.
 */
function splitAppArgs(value: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  let paren = 0;
  let bracket = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\") {
      if (i + 1 < value.length) current += value[++i];
      continue;
    }
    if (c === '"') {
      quoted = !quoted;
      continue;
    }
    if (c === "(") paren++;
    else if (c === ")") paren = paren > 0 ? paren - 1 : 0;
    else if (c === "[") bracket++;
    else if (c === "]") bracket = bracket > 0 ? bracket - 1 : 0;
    else if (c === "," && !quoted && paren === 0 && bracket === 0) {
      out.push(current);
      current = "";
      continue;
    }
    current += c;
  }
  out.push(current);
  return out.slice(0, 64);
}

builtin("Hangup", SYSTEM | CALL, "Hangup channel.", (core, message) => {
  const name = header(message, "Channel");
  if (name === "") return core.error(message, "No channel specified");
  const causeText = header(message, "Cause");
  const cause = causeText === "" ? 16 : Number.parseInt(causeText, 10);
  if (Number.isNaN(cause)) return core.error(message, "Invalid cause");
  const model = core.state.channels;
  if (name.length > 1 && name.startsWith("/") && name.endsWith("/")) {
    let regex: RegExp;
    try {
      regex = new RegExp(name.slice(1, -1));
    } catch {
      return core.error(message, "Invalid regex");
    }
    let text = core.listAck(message, "Channels hung up will follow");
    const id = message.get("ActionID") ?? "";
    const matches = model.list().filter((c) => regex.test(c.name));
    for (const channel of matches) {
      const fields: Fields = [["Event", "ChannelHungup"], [
        "Channel",
        channel.name,
      ]];
      if (id !== "") fields.push(["ActionID", id]);
      text += formatPacket(fields);
    }
    text += core.listComplete(
      message,
      "ChannelsHungupListComplete",
      matches.length,
    );
    core.reply(text);
    for (const channel of matches) model.hangup(channel, cause, true);
    return;
  }
  const channel = model.find(name);
  if (channel === undefined) return core.error(message, "No such channel");
  core.ack(message, "Channel Hungup");
  model.hangup(channel, cause, true);
});

builtin(
  "Getvar",
  CALL | REPORTING,
  "Gets a channel variable or function value.",
  (core, message) => {
    const variable = header(message, "Variable");
    if (variable === "") return core.error(message, "No variable specified");
    const name = header(message, "Channel");
    let value: string | undefined;
    if (name !== "") {
      const channel = core.state.channels.find(name);
      if (channel === undefined) return core.error(message, "No such channel");
      value = channelVariable(channel, variable) ??
        core.state.variables.get(variable);
    } else {
      value = core.state.variables.get(variable);
    }
    core.ack(message, undefined, [["Variable", variable], [
      "Value",
      value ?? "",
    ]]);
  },
);

/** A channel variable, or one of a few dialplan functions Asterisk users read. */
function channelVariable(channel: Channel, name: string): string | undefined {
  const own = channel.variables.get(name);
  if (own !== undefined) return own;
  switch (name.toUpperCase()) {
    case "CHANNEL":
    case "CHANNEL(NAME)":
      return channel.name;
    case "UNIQUEID":
    case "CHANNEL(UNIQUEID)":
      return channel.uniqueid;
    case "CHANNEL(STATE)":
      return channel.state === 6 ? "Up" : channel.state === 4 ? "Ring" : "Down";
    case "CONTEXT":
      return channel.context;
    case "EXTEN":
      return channel.exten;
    case "CALLERID(NUM)":
      return channel.callerIdNum;
    case "CALLERID(NAME)":
      return channel.callerIdName;
  }
  return undefined;
}

builtin(
  "Setvar",
  CALL,
  "Sets a channel variable or function value.",
  (core, message) => {
    const variable = header(message, "Variable");
    if (variable === "") return core.error(message, "No variable specified");
    const value = header(message, "Value");
    const name = header(message, "Channel");
    if (name !== "") {
      const channel = core.state.channels.find(name);
      if (channel === undefined) return core.error(message, "No such channel");
      core.ack(message, "Variable Set");
      core.state.channels.setVariable(channel, variable, value);
      return;
    }
    core.state.variables.set(variable, value);
    core.ack(message, "Variable Set");
  },
);

builtin(
  "CoreShowChannels",
  SYSTEM | REPORTING,
  "List currently active channels.",
  (core, message) => {
    let text = core.listAck(message, "Channels will follow");
    const id = message.get("ActionID") ?? "";
    const channels = core.state.channels.list();
    const now = Date.now();
    for (const channel of channels) {
      const fields: Fields = [["Event", "CoreShowChannel"]];
      if (id !== "") fields.push(["ActionID", id]);
      fields.push(
        ...snapshot(channel),
        ["Application", channel.application],
        ["ApplicationData", channel.data],
        ["Duration", duration(Math.floor((now - channel.createdMs) / 1000))],
        ["BridgeId", ""],
      );
      text += formatPacket(fields);
    }
    core.reply(
      text +
        core.listComplete(message, "CoreShowChannelsComplete", channels.length),
    );
  },
);

builtin(
  "Status",
  SYSTEM | CALL | REPORTING,
  "List channel status.",
  (core, message) => {
    const name = header(message, "Channel");
    const model = core.state.channels;
    let channels: Channel[];
    if (name !== "") {
      const channel = model.find(name);
      if (channel === undefined) return core.error(message, "No such channel");
      channels = [channel];
    } else {
      channels = model.list();
    }
    const id = message.get("ActionID") ?? "";
    const wanted = header(message, "Variables").split(",").map((v) => v.trim())
      .filter((v) => v !== "");
    let text = core.listAck(message, "Channel status will follow");
    const now = Date.now();
    for (const channel of channels) {
      const fields: Fields = [
        ["Event", "Status"],
        ["Privilege", "Call"],
        ...snapshot(channel),
        ["Type", channel.tech],
        ["DNID", ""],
        ["EffectiveConnectedLineNum", channel.connectedNum || "<unknown>"],
        ["EffectiveConnectedLineName", channel.connectedName || "<unknown>"],
        ["TimeToHangup", "0"],
        ["BridgeID", ""],
        ["Application", channel.application],
        ["Data", channel.data],
        ["Nativeformats", "(slin)"],
        ["Readformat", "slin"],
        ["Readtrans", ""],
        ["Writeformat", "slin"],
        ["Writetrans", ""],
        ["Callgroup", "0"],
        ["Pickupgroup", "0"],
        ["Seconds", String(Math.floor((now - channel.createdMs) / 1000))],
      ];
      for (const variable of wanted) {
        fields.push([
          "Variable",
          `${variable}=${channelVariable(channel, variable) ?? ""}`,
        ]);
      }
      if (id !== "") fields.push(["ActionID", id]);
      text += formatPacket(fields);
    }
    const count = String(channels.length);
    core.reply(
      text +
        core.listComplete(message, "StatusComplete", channels.length, [[
          "Items",
          count,
        ]]),
    );
  },
);

builtin("UserEvent", USER, "Send an arbitrary event.", (core, message) => {
  const event = header(message, "UserEvent");
  const body: Fields = message.fields.filter(([key]) =>
    key.toLowerCase() !== "userevent" && key.toLowerCase() !== "action"
  ).map(([k, v]) => [k, v]);
  core.ack(message, "Event Sent");
  core.publish([["Event", "UserEvent"], ["UserEvent", event], ...body], USER);
});

builtin("DBPut", SYSTEM, "Put DB entry.", (core, message) => {
  const family = header(message, "Family");
  const key = header(message, "Key");
  if (family === "") return core.error(message, "No family specified");
  if (key === "") return core.error(message, "No key specified");
  core.state.database.set(`${family}/${key}`, header(message, "Val"));
  core.ack(message, "Updated database successfully");
});

builtin("DBGet", SYSTEM | REPORTING, "Get DB Entry.", (core, message) => {
  const family = header(message, "Family");
  const key = header(message, "Key");
  if (family === "") return core.error(message, "No family specified.");
  if (key === "") return core.error(message, "No key specified.");
  const value = core.state.database.get(`${family}/${key}`);
  if (value === undefined) {
    return core.error(message, "Database entry not found");
  }
  const id = message.get("ActionID") ?? "";
  const item: Fields = [["Event", "DBGetResponse"], ["Family", family], [
    "Key",
    key,
  ], ["Val", value]];
  if (id !== "") item.push(["ActionID", id]);
  core.reply(
    core.listAck(message, "Result will follow") + formatPacket(item) +
      core.listComplete(message, "DBGetComplete", 1),
  );
});

builtin("DBDel", SYSTEM, "Delete DB entry.", (core, message) => {
  const family = header(message, "Family");
  const key = header(message, "Key");
  if (family === "") return core.error(message, "No family specified.");
  if (key === "") return core.error(message, "No key specified.");
  if (!core.state.database.delete(`${family}/${key}`)) {
    return core.error(message, "Database entry not found");
  }
  core.ack(message, "Key deleted successfully");
});

builtin(
  "Filter",
  SYSTEM,
  "Dynamically add filters for the current manager session.",
  (core, message) => {
    const operation = header(message, "Operation");
    const filter = header(message, "Filter");
    if (operation.toLowerCase() !== "add") {
      return core.error(
        message,
        "Unknown operation",
      );
    }
    const exclude = filter.startsWith("!");
    let regex: RegExp;
    try {
      regex = new RegExp(exclude ? filter.slice(1) : filter);
    } catch {
      return core.error(
        message,
        "Filter did not compile.  Check the syntax of the filter given.",
      );
    }
    (exclude ? core.excludeFilters : core.includeFilters).push(regex);
    core.ack(message, "Success");
  },
);

function configFile(
  core: SessionCore,
  message: AmiMessage,
): readonly AmiEmulatorConfigCategory[] | undefined {
  const filename = header(message, "Filename");
  if (filename === "") {
    core.error(message, "Filename not specified");
    return undefined;
  }
  const file = core.state.configs.get(filename);
  if (file === undefined) core.error(message, "Config file not found");
  return file;
}

function selectCategories(
  file: readonly AmiEmulatorConfigCategory[],
  message: AmiMessage,
): AmiEmulatorConfigCategory[] {
  const wanted = header(message, "Category");
  const templates = /(?:^|,)\s*TEMPLATES=include\s*(?:,|$)/i.test(
    header(message, "Filter"),
  );
  return file.filter((c) =>
    (wanted === "" || c.name === wanted) && (templates || c.isTemplate !== true)
  );
}

const pad = (n: number) => String(n).padStart(6, "0");

builtin(
  "GetConfig",
  SYSTEM | CONFIG,
  "Retrieve configuration.",
  (core, message) => {
    const file = configFile(core, message);
    if (file === undefined) return;
    const fields: Fields = [];
    selectCategories(file, message).forEach((category, i) => {
      fields.push([`Category-${pad(i)}`, category.name]);
      if (category.isTemplate === true) {
        fields.push([`IsTemplate-${pad(i)}`, "1"]);
      }
      if (category.templates !== undefined && category.templates.length > 0) {
        fields.push([`Templates-${pad(i)}`, category.templates.join(",")]);
      }
      (category.variables ?? []).forEach(([key, value], j) => {
        fields.push([`Line-${pad(i)}-${pad(j)}`, `${key}=${value}`]);
      });
    });
    if (fields.length === 0) fields.push(["", "No categories found"]);
    core.ack(message, undefined, fields);
  },
);

builtin(
  "GetConfigJSON",
  SYSTEM | CONFIG,
  "Retrieve configuration (JSON format).",
  (core, message) => {
    const file = configFile(core, message);
    if (file === undefined) return;
    const json = (text: string) =>
      `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
    const parts = selectCategories(file, message).map((category) => {
      const members: string[] = [];
      if (category.templates !== undefined && category.templates.length > 0) {
        members.push(`"templates":${json(category.templates.join(","))}`);
      }
      for (const [key, value] of category.variables ?? []) {
        members.push(`${json(key)}:${json(value)}`);
      }
      return `${json(category.name)}:{${members.join(",")}}`;
    });
    core.ack(message, undefined, [["JSON", `{${parts.join(",")}}`]]);
  },
);

builtin(
  "ListCategories",
  CONFIG,
  "List categories in configuration file.",
  (core, message) => {
    const file = configFile(core, message);
    if (file === undefined) return;
    const names = file.filter((c) => c.isTemplate !== true).map((c) => c.name);
    if (names.length === 0) return core.error(message, "No categories found");
    core.ack(
      message,
      undefined,
      names.map((name, i) => [`Category-${pad(i)}`, name]),
    );
  },
);

/** The `Privilege`-derived category of an event (for masks); `fallback` names the default. */
export function eventCategory(
  fields: Fields,
  fallback: string,
): { fields: Fields; category: number } {
  const privilege = fieldValue(fields, "Privilege");
  if (privilege !== undefined) {
    return { fields, category: privilegeToMask(privilege) };
  }
  const category = namesToMask(fallback);
  return {
    fields: insertField(fields, 1, "Privilege", privilegeOf(category)),
    category,
  };
}

/** Forgets the oldest tenth of a log once it holds more than `max` items. */
function trimOldest(log: unknown[], max: number): void {
  if (log.length > max) log.splice(0, Math.max(1, Math.ceil(max / 10)));
}
