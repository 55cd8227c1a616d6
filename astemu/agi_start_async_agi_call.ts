// Copyright the @pyst/asterisk authors. MIT license.
import type { AmiMessage } from "../manager/ami_message.ts";
import type { AmiEmulator } from "./ami_emulator.ts";
import { AgiEmulator, type AgiEmulatorOptions } from "./agi_emulator.ts";

/** Options of {@linkcode startAsyncAgiCall}. */
export interface StartAsyncAgiCallOptions extends AgiEmulatorOptions {
  /**
   * The `Linkedid` of the channel snapshot in the events.
   *
   * @default {the unique id}
   */
  linkedId?: string;
}

/** Channels of each AMI emulator that are in AsyncAGI, and those that left it. */
interface Registry {
  /** Channel name → how to queue a command on it. */
  readonly active: Map<
    string,
    (command: string, commandId: string | undefined) => void
  >;
  readonly broken: Set<string>;
}

const registries = new WeakMap<AmiEmulator, Registry>();

/**
 * One channel in `AGI(agi:async)` on an {@linkcode AmiEmulator}: it
 * published `AsyncAGIStart`, runs the commands that `AGI` actions queue, and
 * publishes `AGIExecStart`, `AGIExecEnd`, `AsyncAGIExec` and finally
 * `AsyncAGIEnd`, as Asterisk does. Returned by {@linkcode startAsyncAgiCall}.
 *
 * @example Hanging up an AsyncAGI call from the test
 * ```ts
 * import { AsyncAgiCall, startAmiEmulator, startAsyncAgiCall } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * await using ami = await startAmiEmulator({ listen: false });
 * await using call = startAsyncAgiCall(ami, { channel: "Local/s@agi-async-00000001;2" });
 * assert.ok(call instanceof AsyncAgiCall);
 * assert.equal(call.channel, "Local/s@agi-async-00000001;2");
 * assert.equal(call.active, true);
 * await call.hangup();
 * assert.equal(call.active, false);
 * ```
 */
export class AsyncAgiCall {
  /** The emulator answering the commands (its `call` is the channel model). */
  readonly emulator: AgiEmulator;
  /** Resolves once `AsyncAGIEnd` was published. */
  readonly ended: Promise<void>;
  readonly #ami: AmiEmulator;
  readonly #registry: Registry;
  readonly #linkedId: string;
  #queue: Promise<void> = Promise.resolve();
  #active = true;
  #resolveEnded!: () => void;

  /**
   * Starts the call: publishes `AsyncAGIStart` and accepts `AGI` actions for
   * the channel (same as {@linkcode startAsyncAgiCall}).
   *
   * @param ami The AMI emulator.
   * @param options The call.
   * @throws {TypeError} If that channel is already in AsyncAGI.
   */
  constructor(ami: AmiEmulator, options: StartAsyncAgiCallOptions = {}) {
    this.#ami = ami;
    this.#registry = registryOf(ami);
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    const onHangup = options.onHangup;
    this.emulator = new AgiEmulator({
      ...options,
      transport: "async",
      onHangup: () => {
        onHangup?.();
        // A hangup while no command runs ends the AsyncAGI at once.
        this.#queue = this.#queue.then(() => this.#end(true));
      },
    });
    this.#linkedId = options.linkedId ?? this.emulator.call.uniqueId;
    if (this.#registry.active.has(this.channel)) {
      this.emulator.close();
      throw new TypeError(
        `Cannot start AsyncAGI call: channel "${this.channel}" is already in AsyncAGI`,
      );
    }
    this.#registry.active.set(
      this.channel,
      (command, commandId) => this.#enqueue(command, commandId),
    );
    this.#registry.broken.delete(this.channel);
    this.#emit("AsyncAGIStart", [[
      "Env",
      uriEncode(this.emulator.environment),
    ]]);
  }

  /** The channel name that `AGI` actions address. */
  get channel(): string {
    return this.emulator.call.channel;
  }

  /** Whether the channel is still in AsyncAGI. */
  get active(): boolean {
    return this.#active;
  }

  /**
   * The caller hangs up: `AsyncAGIEnd` follows (after the running command).
   *
   * @returns When `AsyncAGIEnd` was published.
   */
  async hangup(): Promise<void> {
    this.emulator.hangup();
    await this.ended;
  }

  /** Hangs up (if still active) and waits for the end; for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#active) await this.hangup();
    await this.ended;
  }

  #enqueue(command: string, commandId: string | undefined): void {
    this.#queue = this.#queue
      .then(() => new Promise((resolve) => setTimeout(resolve, 0)))
      .then(() => this.#run(command, commandId));
  }

  async #run(command: string, commandId: string | undefined): Promise<void> {
    if (!this.#active) return;
    const execId = String(Math.floor(Math.random() * 2 ** 31));
    this.#emit("AGIExecStart", [["CommandId", execId], ["Command", command]]);
    const reply = await this.emulator.execute(command);
    const code = resultCode(reply);
    this.#emit("AGIExecEnd", [
      ["CommandId", execId],
      ["Command", command],
      ["ResultCode", String(code)],
      ["Result", RESULT_TEXT[code] ?? "Unknown Result"],
    ]);
    const fields: [string, string][] = [["Result", uriEncode(reply)]];
    if (commandId !== undefined) fields.push(["CommandId", commandId]);
    this.#emit("AsyncAGIExec", fields);
    if (this.emulator.asyncBreak) await this.#end(false);
    else if (this.emulator.dead) await this.#end(true);
  }

  #end(hungUp: boolean): Promise<void> {
    if (!this.#active) return Promise.resolve();
    this.#active = false;
    this.#emit("AsyncAGIEnd", []);
    this.#registry.active.delete(this.channel);
    if (!hungUp) this.#registry.broken.add(this.channel);
    this.emulator.close();
    this.#resolveEnded();
    return Promise.resolve();
  }

  #emit(event: string, extra: readonly (readonly [string, string])[]): void {
    const call = this.emulator.call;
    const unknown = (value: string | undefined) =>
      value === undefined || value === "" ? "<unknown>" : value;
    this.#ami.emit([
      ["Event", event],
      ["Privilege", "agi,all"],
      ["Channel", call.channel],
      ["ChannelState", String(call.state)],
      ["ChannelStateDesc", STATE_NAMES[call.state] ?? "Unknown"],
      ["CallerIDNum", unknown(call.callerIdNum)],
      ["CallerIDName", unknown(call.callerIdName)],
      ["ConnectedLineNum", unknown(call.callerIdNum)],
      ["ConnectedLineName", unknown(call.callerIdName)],
      ["Language", call.language],
      ["AccountCode", call.accountCode],
      ["Context", call.context],
      ["Exten", call.extension],
      ["Priority", String(call.priority)],
      ["Uniqueid", call.uniqueId],
      ["Linkedid", this.#linkedId],
      ...extra,
    ], { category: "agi" });
  }
}

const STATE_NAMES = [
  "Down",
  "Rsrvd",
  "OffHook",
  "Dialing",
  "Ring",
  "Ringing",
  "Up",
  "Busy",
  "Dialing Offhook",
  "Pre-ring",
];

const RESULT_TEXT: Record<number, string> = {
  200: "Success",
  510: "Invalid or unknown command",
  511: "Command Not Permitted on a dead channel or intercept routine",
  520: "Usage",
};

/**
 * Starts an AsyncAGI call on an AMI emulator, as `AGI(agi:async)` does in
 * the dialplan: `AsyncAGIStart` is published with the URL-encoded
 * environment, and from then on the `AGI` action (`Channel`, `Command`,
 * optional `CommandID`) queues commands for the channel. Each one is
 * answered by an {@linkcode AgiEmulator} and published as `AGIExecStart`,
 * `AGIExecEnd` and `AsyncAGIExec` (its `Result` URL-encoded, with the
 * `CommandId` given). `ASYNCAGI BREAK` or a hangup publishes `AsyncAGIEnd`.
 * Replies for unknown channels are Asterisk's (`Channel … does not exist.`).
 * The events are in the `agi` class.
 *
 * This installs a handler for the `AGI` action on the emulator (shared by
 * every AsyncAGI call on it).
 *
 * @param ami The AMI emulator the AsyncAGI client is logged in to.
 * @param options The call, the caller's keypresses and faults.
 * @returns The call.
 * @throws {TypeError} If that channel is already in AsyncAGI.
 *
 * @example Queuing a command over AMI
 * ```ts
 * import { startAmiEmulator, startAsyncAgiCall } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * await using ami = await startAmiEmulator({ listen: false });
 * const { readable, writable } = ami.connectInMemory();
 * const writer = writable.getWriter();
 * const lines = readable.pipeThrough(new TextDecoderStream()).getReader();
 * let text = "";
 * const waitFor = async (needle: string) => {
 *   while (!text.includes(needle)) text += (await lines.read()).value;
 * };
 * await writer.write(new TextEncoder().encode(
 *   "Action: Login\r\nUsername: admin\r\nSecret: admin\r\nEvents: agi\r\n\r\n",
 * ));
 * await waitFor("Authentication accepted");
 *
 * await using call = startAsyncAgiCall(ami, { channel: "Local/s@agi-async-00000007;2" });
 * await waitFor("Event: AsyncAGIStart");
 * await writer.write(new TextEncoder().encode(
 *   "Action: AGI\r\nChannel: Local/s@agi-async-00000007;2\r\n" +
 *     "Command: GET VARIABLE CHANNEL\r\nCommandID: c1\r\n\r\n",
 * ));
 * await waitFor("CommandId: c1\r\n");
 * assert.match(text, /Result: 200%20result%3D1%20\(Local%2Fs%40agi-async-00000007%3B2\)%0A\r\n/);
 * await call.hangup();
 * await writer.close();
 * await lines.cancel();
 * ```
 */
export function startAsyncAgiCall(
  ami: AmiEmulator,
  options: StartAsyncAgiCallOptions = {},
): AsyncAgiCall {
  return new AsyncAgiCall(ami, options);
}

/** The AsyncAGI registry of an AMI emulator, installing the `AGI` handler once. */
function registryOf(ami: AmiEmulator): Registry {
  let registry = registries.get(ami);
  if (registry === undefined) {
    const created: Registry = { active: new Map(), broken: new Set() };
    registry = created;
    registries.set(ami, created);
    ami.handle("AGI", (action: AmiMessage) => handleAgiAction(created, action));
  }
  return registry;
}

function handleAgiAction(
  registry: Registry,
  action: AmiMessage,
): Record<string, string> {
  const channel = action.get("Channel");
  const command = action.get("Command");
  if (!channel || !command) {
    return {
      Response: "Error",
      Message: "Both, Channel and Command are *required*",
    };
  }
  const enqueue = registry.active.get(channel);
  if (enqueue === undefined) {
    return {
      Response: "Error",
      Message: registry.broken.has(channel)
        ? `Failed to add AGI command to channel ${channel} queue`
        : `Channel ${channel} does not exist.`,
    };
  }
  enqueue(command, action.get("CommandID"));
  return { Response: "Success", Message: "Added AGI command to queue" };
}

/** The status code AMI reports for a reply (GOSUB's 100 counts as its 200). */
function resultCode(reply: string): number {
  const lines = reply.split("\n").filter((line) => line !== "");
  const first = Number.parseInt(lines[0] ?? "", 10);
  if (first === 100) return Number.parseInt(lines.at(-1) ?? "", 10) || -1;
  return Number.isNaN(first) ? -1 : first;
}

/**
 * `ast_uri_encode` with the HTTP rules, after the 1024-byte read buffer:
 * `A-Z a-z 0-9 - _ . ! ~ * ' ( )` stay, every other byte becomes `%XX`,
 * and the result is cut at 2047 characters.
 */
function uriEncode(text: string): string {
  const bytes = new TextEncoder().encode(text).subarray(0, 1023);
  let out = "";
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    const piece = /[A-Za-z0-9\-_.!~*'()]/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    if (out.length + piece.length > 2047) break;
    out += piece;
  }
  return out;
}
