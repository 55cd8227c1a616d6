// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helpers for AsyncAGI: an in-memory AMI server the test scripts by
 * hand (it sees every action the client writes, raw), and builders of the
 * AsyncAGI events Asterisk publishes.
 *
 * @module
 */

import type { AmiConnection } from "../../manager/ami_client.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One action the client wrote. */
export class FakeAction {
  /** The packet as written, blank line included. */
  readonly text: string;
  readonly #fields: [string, string][];

  constructor(text: string) {
    this.text = text;
    this.#fields = text.split("\r\n").filter((line) => line !== "").map(
      (line) => {
        const colon = line.indexOf(": ");
        return [line.slice(0, colon), line.slice(colon + 2)];
      },
    );
  }

  /** The first value of `key` (case-insensitive). */
  get(key: string): string | undefined {
    const lower = key.toLowerCase();
    return this.#fields.find(([k]) => k.toLowerCase() === lower)?.[1];
  }

  /** The header names, in order. */
  get keys(): string[] {
    return this.#fields.map(([key]) => key);
  }
}

/** Reacts to one action; `undefined` leaves it to `next()`. */
export type FakePbxHandler = (action: FakeAction, pbx: FakePbx) => void;

/** An in-memory AMI server connection. */
export class FakePbx {
  readonly connection: AmiConnection;
  /** Every action received, in order. */
  readonly actions: FakeAction[] = [];
  /** Resolves when the client closed its side. */
  readonly done: Promise<void>;
  handler: FakePbxHandler | undefined;
  /** Bytes per write to the client (0: whole). */
  chunkSize = 0;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #queue: FakeAction[] = [];
  #waiter: ((action: FakeAction | undefined) => void) | undefined;
  #clientClosed = false;
  #closed = false;

  constructor(handler?: FakePbxHandler, banner = "13.0.0") {
    const toClient = new TransformStream<Uint8Array, Uint8Array>();
    const toServer = new TransformStream<Uint8Array, Uint8Array>();
    this.connection = {
      readable: toClient.readable,
      writable: toServer.writable,
    };
    this.handler = handler;
    this.#writer = toClient.writable.getWriter();
    this.write(`Asterisk Call Manager/${banner}\r\n`);
    this.done = this.#pump(toServer.readable);
  }

  async #pump(readable: ReadableStream<Uint8Array>): Promise<void> {
    let buffer = "";
    const reader = readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (
          let end = buffer.indexOf("\r\n\r\n");
          end !== -1;
          end = buffer.indexOf("\r\n\r\n")
        ) {
          const action = new FakeAction(buffer.slice(0, end + 4));
          buffer = buffer.slice(end + 4);
          this.actions.push(action);
          if (this.handler !== undefined) this.handler(action, this);
          else if (this.#waiter !== undefined) {
            const waiter = this.#waiter;
            this.#waiter = undefined;
            waiter(action);
          } else this.#queue.push(action);
        }
      }
    } catch {
      // The client aborted its side.
    }
    this.#clientClosed = true;
    this.#waiter?.(undefined);
    this.#waiter = undefined;
  }

  /** The next action not taken by the handler (fails after `ms`). */
  next(ms = 2000): Promise<FakeAction> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#clientClosed) {
      return Promise.reject(new Error("FakePbx: the client closed"));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`FakePbx: no action within ${ms} ms`));
      }, ms);
      this.#waiter = (action) => {
        clearTimeout(timer);
        if (action === undefined) reject(new Error("FakePbx: client closed"));
        else resolve(action);
      };
    });
  }

  /** Writes text to the client, in `chunkSize` pieces. */
  write(text: string): void {
    if (this.#closed) return;
    const bytes = encoder.encode(text);
    const size = this.chunkSize > 0 ? this.chunkSize : bytes.length;
    for (let at = 0; at < bytes.length; at += size) {
      this.#writer.write(bytes.slice(at, at + size)).catch(() => {});
    }
  }

  /** Writes one packet from `[key, value]` fields. */
  packet(fields: readonly (readonly [string, string])[]): void {
    this.write(fields.map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n");
  }

  /** Answers an action, echoing its ActionID. */
  reply(action: FakeAction, message: string, response = "Success"): void {
    const id = action.get("ActionID");
    this.packet([
      ["Response", response],
      ...(id === undefined ? [] : [["ActionID", id] as const]),
      ["Message", message],
    ]);
  }

  /** The server closes the connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer.close().catch(() => {});
  }
}

/** The channel snapshot headers of AsyncAGI events. */
function snapshot(channel: string): [string, string][] {
  return [
    ["Privilege", "agi,all"],
    ["Channel", channel],
    ["ChannelState", "6"],
    ["ChannelStateDesc", "Up"],
    ["Uniqueid", `u-${channel}`],
  ];
}

/** Asterisk's `ast_uri_encode` with `ast_uri_http` (same unreserved set). */
export function uriEncode(text: string): string {
  return encodeURIComponent(text);
}

/** An `AsyncAGIStart` event for `channel` with an `agi_*` block. */
export function startEvent(
  channel: string,
  env: readonly string[] = [],
): [string, string][] {
  const block = [
    "agi_request: async",
    `agi_channel: ${channel}`,
    ...env,
  ].join("\n") + "\n\n";
  return [
    ["Event", "AsyncAGIStart"],
    ...snapshot(channel),
    ["Env", uriEncode(block)],
  ];
}

/** An `AsyncAGIExec` event answering `commandId` with `reply` (lines, LF added). */
export function execEvent(
  channel: string,
  commandId: string,
  reply: string,
): [string, string][] {
  return [
    ["Event", "AsyncAGIExec"],
    ...snapshot(channel),
    ["Result", uriEncode(reply + "\n")],
    ["CommandId", commandId],
  ];
}

/** An `AsyncAGIEnd` event. */
export function endEvent(channel: string): [string, string][] {
  return [["Event", "AsyncAGIEnd"], ...snapshot(channel)];
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}

/** Waits until `predicate` holds, polling each macrotask (bounded). */
export async function until(
  predicate: () => boolean,
  ms = 2000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`until: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
