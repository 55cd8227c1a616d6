// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Throughput of the AMI decoder on a deterministic mix of realistic events
 * (300-900 bytes, 15-30 fields, some repeated keys), fed in 64 KiB chunks,
 * next to the floor: a plain byte scan that only counts `\r\n\r\n` in the
 * same chunks.
 *
 * Run: `deno bench -P bench/ami_decode_bench.ts`
 *
 * @module
 */

import { AmiMessageDecoder } from "../manager/ami_message_decoder.ts";

const CHUNK = 65_536;
const TARGET_BYTES = 8 * 1024 * 1024;

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EVENTS = [
  "Newchannel",
  "Newstate",
  "VarSet",
  "Hangup",
  "DialBegin",
  "DialEnd",
  "BridgeEnter",
  "AgentCalled",
  "QueueMemberStatus",
  "Cdr",
];
const NAMES = [
  "Alice Example",
  "Bob",
  "<unknown>",
  "Carol O'Brien",
  "Zoë Müller",
];

function snapshot(next: () => number, prefix: string, id: number): string[][] {
  const state = Math.floor(next() * 7);
  return [
    [
      `${prefix}Channel`,
      `PJSIP/${100 + (id % 50)}-${id.toString(16).padStart(8, "0")}`,
    ],
    [`${prefix}ChannelState`, String(state)],
    [
      `${prefix}ChannelStateDesc`,
      ["Down", "Rsrvd", "OffHook", "Dialing", "Ring", "Ringing", "Up"][state]!,
    ],
    [`${prefix}CallerIDNum`, String(2000 + Math.floor(next() * 8000))],
    [`${prefix}CallerIDName`, NAMES[Math.floor(next() * NAMES.length)]!],
    [`${prefix}ConnectedLineNum`, "<unknown>"],
    [`${prefix}ConnectedLineName`, "<unknown>"],
    [`${prefix}Language`, "en"],
    [`${prefix}AccountCode`, ""],
    [`${prefix}Context`, "from-internal"],
    [`${prefix}Exten`, String(100 + Math.floor(next() * 900))],
    [`${prefix}Priority`, String(1 + Math.floor(next() * 9))],
    [`${prefix}Uniqueid`, `1795693513.${id}`],
    [`${prefix}Linkedid`, `1795693513.${id - (id % 3)}`],
  ];
}

/** Builds the event mix; every event is 300-900 bytes with 15-30 fields. */
function buildEvents(): { bytes: Uint8Array; events: number } {
  const next = random(42);
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  let total = 0;
  let events = 0;
  for (let id = 1; total < TARGET_BYTES; id++) {
    const name = EVENTS[Math.floor(next() * EVENTS.length)]!;
    const fields: string[][] = [["Event", name], ["Privilege", "call,all"]];
    fields.push(...snapshot(next, name.startsWith("Dial") ? "Dest" : "", id));
    const extra = Math.floor(next() * 12);
    for (let i = 0; i < extra; i++) {
      if (name === "AgentCalled" || next() < 0.3) {
        fields.push([
          "Variable",
          `VAR${i}=${"x".repeat(Math.floor(next() * 20))}`,
        ]);
      } else if (next() < 0.5) {
        fields.push(["ChanVariable", `CDR(userfield)=value-${i}`]);
      } else {
        fields.push([
          `Key${i}`,
          `value ${i}: ${"y".repeat(Math.floor(next() * 40))}`,
        ]);
      }
    }
    let text = fields.map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
    while (text.length < 300) {
      text = text.replace("\r\n\r\n", `\r\nPadding: ${"p".repeat(40)}\r\n\r\n`);
    }
    const bytes = encoder.encode(text);
    if (bytes.length > 900 || fields.length > 30 || fields.length < 15) {
      continue;
    }
    parts.push(bytes);
    total += bytes.length;
    events++;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return { bytes: out, events };
}

const { bytes, events } = buildEvents();
const chunks: Uint8Array[] = [];
for (let i = 0; i < bytes.length; i += CHUNK) {
  chunks.push(bytes.subarray(i, i + CHUNK));
}
console.log(
  `ami_decode_bench: ${bytes.length} bytes, ${events} events (avg ${
    Math.round(bytes.length / events)
  } B), ${chunks.length} chunks of 64 KiB`,
);

/** The floor: a plain byte scan counting `\r\n\r\n` separators. */
function countSeparators(chunks: readonly Uint8Array[]): number {
  let count = 0;
  let state = 0; // bytes of "\r\n\r\n" matched so far, across chunks
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === 13) state = state === 2 ? 3 : 1;
      else if (byte === 10 && (state === 1 || state === 3)) {
        if (state === 3) {
          count++;
          state = 0;
        } else state = 2;
      } else state = 0;
    }
  }
  return count;
}

function check(found: number, what: string): void {
  if (found !== events) {
    throw new Error(`${what}: found ${found} events, expected ${events}`);
  }
}

Deno.bench({
  name: "floor: byte scan counting \\r\\n\\r\\n",
  group: "ami-decode",
  baseline: true,
  fn() {
    check(countSeparators(chunks), "floor");
  },
});

Deno.bench({
  name: "AmiMessageDecoder, reading each event's name",
  group: "ami-decode",
  fn() {
    let count = 0;
    const decoder = new AmiMessageDecoder((message) => {
      if (message.event !== undefined) count++;
    }, { expectBanner: false });
    for (const chunk of chunks) decoder.push(chunk);
    decoder.end();
    check(count, "decoder");
  },
});

Deno.bench({
  name: "AmiMessageDecoder, reading name and every field",
  group: "ami-decode",
  fn() {
    let count = 0;
    let fields = 0;
    const decoder = new AmiMessageDecoder((message) => {
      if (message.event !== undefined) count++;
      fields += message.fields.length;
    }, { expectBanner: false });
    for (const chunk of chunks) decoder.push(chunk);
    decoder.end();
    check(count, "decoder");
    if (fields === 0) throw new Error("no fields");
  },
});
