// Copyright the @pyst/asterisk authors. MIT license.
/**
 * An in-memory AMI server that plays a recorded AsyncAGI transcript: each
 * action the client writes must equal the next recorded `>>` packet byte for
 * byte, except for the values of `ActionID` and `CommandID`, which the client
 * generates (they are mapped, and the mapped values are written back into the
 * recorded replies).
 *
 * Asterisk queues AsyncAGI commands, so a recording may show two `AGI`
 * actions before the events of the first; a client that waits for each
 * command's result cannot reproduce that order. The server therefore answers
 * every action with the recorded packets that belong to it: its response (by
 * ActionID), the `AsyncAGIExec` carrying its CommandID with the
 * `AGIExecStart`/`AGIExecEnd` pair recorded just before that event, and any
 * other event recorded after it (an `AsyncAGIEnd` belongs to the action
 * whose `AsyncAGIExec` came just before it).
 *
 * @module
 */

import type { AmiConnection } from "../../manager/ami_client.ts";
import type { TranscriptEntry } from "../../astemu/parse_transcript.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One recorded packet, as its lines (without CRLF) and exact bytes. */
interface Packet {
  readonly lines: string[];
  readonly bytes: Uint8Array;
}

/** One recorded action and the recorded packets that answer it. */
export interface RecordedAction {
  readonly packet: Packet;
  readonly answer: Packet[];
}

function field(line: string): [string, string] {
  const colon = line.indexOf(": ");
  return colon === -1
    ? [line, ""]
    : [line.slice(0, colon), line.slice(colon + 2)];
}

function get(packet: Packet, key: string): string | undefined {
  const lower = key.toLowerCase();
  for (const line of packet.lines) {
    const [k, v] = field(line);
    if (k.toLowerCase() === lower) return v;
  }
  return undefined;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Splits a transcript into its banner and its actions with their answers. */
export function recordedActions(
  entries: readonly TranscriptEntry[],
): { banner: Uint8Array; actions: RecordedAction[] } {
  let banner: Uint8Array | undefined;
  const packets: { toAsterisk: boolean; packet: Packet }[] = [];
  let lines: string[] = [];
  let bytes: Uint8Array[] = [];
  for (const entry of entries) {
    if (entry.direction === "note") continue;
    if (
      banner === undefined && entry.direction === "fromAsterisk" &&
      entry.text.startsWith("Asterisk Call Manager/")
    ) {
      banner = entry.bytes;
      continue;
    }
    lines.push(entry.text);
    bytes.push(entry.bytes);
    if (entry.text === "") {
      packets.push({
        toAsterisk: entry.direction === "toAsterisk",
        packet: { lines: lines.slice(0, -1), bytes: concat(bytes) },
      });
      lines = [];
      bytes = [];
    }
  }
  const actions: RecordedAction[] = [];
  let held: Packet[] = [];
  let lastExec: RecordedAction | undefined;
  for (const { toAsterisk, packet } of packets) {
    if (toAsterisk) {
      actions.push({ packet, answer: [] });
      continue;
    }
    const latest = actions.at(-1)!;
    const response = get(packet, "Response");
    const event = get(packet, "Event");
    if (response !== undefined && event === undefined) {
      const id = get(packet, "ActionID");
      const owner = actions.find((a) => get(a.packet, "ActionID") === id);
      (owner ?? latest).answer.push(packet);
    } else if (event === "AGIExecStart" || event === "AGIExecEnd") {
      held.push(packet);
    } else if (event === "AsyncAGIExec") {
      const id = get(packet, "CommandId");
      const owner = id === undefined
        ? latest
        : actions.find((a) => get(a.packet, "CommandID") === id) ?? latest;
      owner.answer.push(...held, packet);
      held = [];
      lastExec = owner;
    } else if (event === "AsyncAGIEnd") {
      (lastExec ?? latest).answer.push(packet);
    } else {
      latest.answer.push(packet);
    }
  }
  if (banner === undefined || held.length > 0) {
    throw new Error("recordedActions: no banner, or AGIExec events left over");
  }
  return { banner, actions };
}

/** The server side of one replayed AMI connection. */
export class TranscriptPbx {
  readonly connection: AmiConnection;
  /** Recorded ActionID -> the client's. */
  readonly actionIds = new Map<string, string>();
  /** Recorded CommandID -> the client's. */
  readonly commandIds = new Map<string, string>();
  /** Differences between what the client wrote and the recording. */
  readonly mismatches: string[] = [];
  /** Resolves when the client closed its side. */
  readonly done: Promise<void>;
  readonly #actions: RecordedAction[];
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #chunkSize: number;
  #next = 0;

  constructor(entries: readonly TranscriptEntry[], chunkSize = 0) {
    const { banner, actions } = recordedActions(entries);
    this.#actions = actions;
    this.#chunkSize = chunkSize;
    const toClient = new TransformStream<Uint8Array, Uint8Array>();
    const toServer = new TransformStream<Uint8Array, Uint8Array>();
    this.connection = {
      readable: toClient.readable,
      writable: toServer.writable,
    };
    this.#writer = toClient.writable.getWriter();
    this.#send(banner);
    this.done = this.#pump(toServer.readable);
  }

  /** Recorded actions the client has not sent yet. */
  get remaining(): number {
    return this.#actions.length - this.#next;
  }

  /** Writes extra text (not from the recording) to the client. */
  write(text: string): void {
    this.#send(encoder.encode(text));
  }

  #send(bytes: Uint8Array): void {
    const size = this.#chunkSize > 0 ? this.#chunkSize : bytes.length;
    for (let at = 0; at < bytes.length; at += size) {
      this.#writer.write(bytes.slice(at, at + size)).catch(() => {});
    }
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
          this.#receive(buffer.slice(0, end + 4));
          buffer = buffer.slice(end + 4);
        }
      }
    } catch {
      // The client aborted its side.
    }
  }

  #receive(text: string): void {
    const recorded = this.#actions[this.#next++];
    if (recorded === undefined) {
      this.#mismatch(`unexpected action after the recording: ${text}`);
      return;
    }
    const actual = text.split("\r\n").slice(0, -2);
    const expected = recorded.packet.lines;
    if (actual.length !== expected.length) {
      this.#mismatch(
        `action ${this.#next}: ${JSON.stringify(actual)} instead of ${
          JSON.stringify(expected)
        }`,
      );
      return;
    }
    const substituted = expected.map((line, i) => {
      const [key, value] = field(line);
      const ids = key === "ActionID"
        ? this.actionIds
        : key === "CommandID"
        ? this.commandIds
        : undefined;
      if (ids === undefined) return line;
      const [actualKey, actualValue] = field(actual[i]!);
      if (actualKey !== key) return line;
      ids.set(value, actualValue);
      return `${key}: ${actualValue}`;
    });
    const wanted = substituted.map((line) => line + "\r\n").join("") + "\r\n";
    if (text !== wanted) {
      this.#mismatch(
        `action ${this.#next}: ${JSON.stringify(text)} instead of ${
          JSON.stringify(wanted)
        }`,
      );
      return;
    }
    const isLogoff = get(recorded.packet, "Action") === "Logoff";
    for (const packet of recorded.answer) this.#send(this.#mapped(packet));
    if (isLogoff) this.#writer.close().catch(() => {});
  }

  /** The recorded packet with the client's ids in place of the recorded ones. */
  #mapped(packet: Packet): Uint8Array {
    let changed = false;
    const lines = packet.lines.map((line) => {
      const [key, value] = field(line);
      const ids = key === "ActionID"
        ? this.actionIds
        : key.toLowerCase() === "commandid"
        ? this.commandIds
        : undefined;
      const mapped = ids?.get(value);
      if (mapped === undefined) return line;
      changed = true;
      return `${key}: ${mapped}`;
    });
    if (!changed) return packet.bytes;
    return encoder.encode(lines.map((line) => line + "\r\n").join("") + "\r\n");
  }

  #mismatch(message: string): void {
    this.mismatches.push(message);
    this.#writer.close().catch(() => {});
  }
}
