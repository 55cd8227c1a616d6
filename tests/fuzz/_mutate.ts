// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helper: byte-level mutations for the fuzzer, biased towards what
 * breaks line protocols (line endings, NUL, colons, truncated UTF-8, the
 * markers of AMI, AGI and config files, very long runs).
 *
 * @module
 */

import type { Prng } from "./_prng.ts";

const encoder = new TextEncoder();

/** Interesting fragments spliced into inputs. */
export const TOKENS: readonly Uint8Array[] = [
  "\r\n",
  "\n",
  "\r",
  "\0",
  ":",
  ": ",
  " ",
  "\t",
  "\r\n\r\n",
  "\n\n",
  "\r\n\n",
  "Response: Follows\r\nPrivilege: Command\r\n",
  "--END COMMAND--",
  "Response: Success\r\n",
  "Response: Error\r\n",
  "Response: Goodbye\r\n",
  "ActionID: ",
  "Event: ",
  "EventList: start\r\n",
  "EventList: Complete\r\n",
  "Message: Authentication accepted\r\n",
  "Asterisk Call Manager/",
  "Action: Login\r\nUsername: admin\r\nSecret: x\r\n\r\n",
  "Action: Ping\r\n\r\n",
  "Action: ",
  "HANGUP",
  "HANGUP\n",
  "520-Invalid command syntax.  Proper usage follows:\n",
  "520 End of proper usage.\n",
  "100 result=0 Trying...\n",
  "200 result=",
  "200 result=1 (",
  "510 Invalid or unknown command\n",
  "511 Command Not Permitted on a dead channel or intercept routine\n",
  "503 result=-2 Memory allocation failure\n",
  "(",
  ")",
  "endpos=",
  "endpos=99999999999999999999",
  "result=-1",
  "agi_",
  "agi_network: yes\n",
  "agi_network_script: ",
  "agi_arg_1000000: x\n",
  "agi_arg_0: x\n",
  "#include ",
  "#tryinclude ",
  "#exec ",
  "[",
  "]",
  "(!)",
  "(+)",
  "(+type=endpoint)",
  ";--",
  "--;",
  ";",
  "\\;",
  "\\",
  "=>",
  "+=",
  "=",
  "*",
  "{a,b}",
  "../",
  "/etc/passwd",
  "\u00e9",
  "\u{1f600}",
].map((token) => encoder.encode(token)).concat([
  new Uint8Array([0xff]),
  new Uint8Array([0xc3]),
  new Uint8Array([0xe2, 0x82]),
  new Uint8Array([0xf0, 0x9f, 0x98]),
  new Uint8Array([0xef, 0xbb, 0xbf]),
  new Uint8Array([0xed, 0xa0, 0x80]),
]);

/** Joins byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Options of {@linkcode mutate}. */
export interface MutateOptions {
  /** Other inputs to splice from. */
  readonly corpus?: readonly Uint8Array[];
  /** Largest result, in bytes. */
  readonly maxBytes: number;
  /** Most mutations applied. */
  readonly maxMutations?: number;
}

/**
 * Applies 1 to `maxMutations` random mutations to a copy of `input`: bit
 * flips, random bytes, inserted tokens, deletions, duplications, repeats,
 * splices from the corpus, truncation, long runs.
 */
export function mutate(
  rng: Prng,
  input: Uint8Array,
  options: MutateOptions,
): Uint8Array {
  let data = input;
  const count = rng.range(1, options.maxMutations ?? 8);
  for (let i = 0; i < count; i++) {
    data = mutateOnce(rng, data, options);
    if (data.length > options.maxBytes) {
      data = data.subarray(0, options.maxBytes);
    }
  }
  return data;
}

function mutateOnce(
  rng: Prng,
  data: Uint8Array,
  options: MutateOptions,
): Uint8Array {
  const at = rng.int(data.length + 1);
  switch (rng.int(12)) {
    case 0: { // flip a bit
      if (data.length === 0) return data;
      const out = data.slice();
      const index = rng.int(out.length);
      out[index] = out[index]! ^ (1 << rng.int(8));
      return out;
    }
    case 1: { // random bytes over existing ones
      if (data.length === 0) return data;
      const out = data.slice();
      const n = rng.range(1, 8);
      for (let k = 0; k < n; k++) out[rng.int(out.length)] = rng.int(256);
      return out;
    }
    case 2:
    case 3: // insert a token
      return insert(data, at, rng.pick(TOKENS));
    case 4: // insert random bytes
      return insert(data, at, rng.bytes(rng.range(1, 32)));
    case 5: { // delete a range
      const length = rng.range(1, Math.max(1, Math.min(256, data.length)));
      return concatBytes([data.subarray(0, at), data.subarray(at + length)]);
    }
    case 6: { // duplicate a range
      const length = rng.range(1, 512);
      return insert(data, at, data.subarray(at, at + length));
    }
    case 7: { // repeat a short range many times
      const length = rng.range(1, 64);
      const piece = data.subarray(at, at + length);
      if (piece.length === 0) return data;
      const times = rng.range(2, Math.max(2, Math.floor(4096 / piece.length)));
      const parts: Uint8Array[] = [];
      for (let k = 0; k < times; k++) parts.push(piece);
      return insert(data, at, concatBytes(parts));
    }
    case 8: { // splice from another input
      const corpus = options.corpus ?? [];
      if (corpus.length === 0) return data;
      const other = rng.pick(corpus);
      const from = rng.int(other.length);
      const length = rng.range(1, 2048);
      return insert(data, at, other.subarray(from, from + length));
    }
    case 9: // truncate
      return data.subarray(0, at);
    case 10: { // a long run without a line feed
      const length = rng.chance(0.5)
        ? rng.range(1000, 1100)
        : rng.range(1, 70_000);
      const byte = rng.pick([0x41, 0x20, 0x3a, 0x0d, 0x00, 0xff, 0x28]);
      return insert(data, at, new Uint8Array(length).fill(byte));
    }
    default: { // swap two lines
      return swapLines(rng, data);
    }
  }
}

function insert(data: Uint8Array, at: number, piece: Uint8Array): Uint8Array {
  return concatBytes([data.subarray(0, at), piece, data.subarray(at)]);
}

function swapLines(rng: Prng, data: Uint8Array): Uint8Array {
  const starts = [0];
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0x0a) starts.push(i + 1);
  }
  if (starts.length < 3) return data;
  const a = rng.int(starts.length - 1);
  const b = rng.int(starts.length - 1);
  if (a === b) return data;
  const [first, second] = a < b ? [a, b] : [b, a];
  const line = (k: number) => data.subarray(starts[k]!, starts[k + 1]!);
  return concatBytes([
    data.subarray(0, starts[first]!),
    line(second),
    data.subarray(starts[first + 1]!, starts[second]!),
    line(first),
    data.subarray(starts[second + 1]!),
  ]);
}

/** Chunk sizes the decoders are fed in (the convention's list, plus a random one). */
const CHUNK_SIZES = [1, 2, 3, 7, 13, 64, 1024, 65536];

/** Cuts `data` into chunks: one size for all, or random sizes. */
export function chunk(rng: Prng, data: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  const mode = rng.int(4);
  if (mode === 0) return [data];
  const fixed = mode === 1 ? rng.pick(CHUNK_SIZES) : 0;
  const bound = rng.pick([4, 32, 512, 8192]);
  for (let at = 0; at < data.length;) {
    const size = fixed > 0 ? fixed : rng.range(1, bound);
    chunks.push(data.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/**
 * Cuts `data` like {@linkcode chunk}, but into at most `maxPieces` pieces
 * (for targets where each piece costs a stream write).
 */
export function chunkAtMost(
  rng: Prng,
  data: Uint8Array,
  maxPieces: number,
): Uint8Array[] {
  const pieces = chunk(rng, data);
  if (pieces.length <= maxPieces) return pieces;
  const size = Math.ceil(data.length / maxPieces);
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += size) {
    out.push(data.subarray(at, at + size));
  }
  return out;
}

/** Random printable-heavy bytes: a mix of text, line endings and noise. */
export function randomInput(rng: Prng, maxBytes: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  const target = rng.int(maxBytes + 1);
  while (total < target) {
    const kind = rng.int(4);
    let piece: Uint8Array;
    if (kind === 0) piece = rng.pick(TOKENS);
    else if (kind === 1) piece = rng.bytes(rng.range(1, 16));
    else {
      const length = rng.range(1, 24);
      piece = new Uint8Array(length);
      for (let i = 0; i < length; i++) piece[i] = 0x20 + rng.int(95);
    }
    parts.push(piece);
    total += piece.length;
  }
  return concatBytes(parts).subarray(0, maxBytes);
}
