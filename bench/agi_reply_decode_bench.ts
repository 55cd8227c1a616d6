// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Throughput of the AGI reply path: every reply Asterisk sent in the
 * recorded `fastagi.txt` (GOSUB pairs, 520 blocks, HANGUP notices included),
 * repeated to about 4 MiB and fed in 64 KiB chunks through the line splitter
 * and `AgiReplyDecoder`, next to the floor: the line splitter alone on the
 * same chunks. Also `formatAgiCommand` against a bare template string.
 *
 * Run: `deno bench -P bench/agi_reply_decode_bench.ts`
 *
 * @module
 */

import { LineSplitter } from "../_internal/line_splitter.ts";
import { AgiReplyDecoder } from "../agi/agi_reply_decoder.ts";
import { agiQuoted, formatAgiCommand } from "../agi/format_agi_command.ts";
import {
  parseTranscript,
  transcriptBytes,
} from "../astemu/parse_transcript.ts";

const CHUNK = 65_536;
const TARGET_BYTES = 4 * 1024 * 1024;

const text = await Deno.readTextFile(
  new URL("../tests/fixtures/transcripts/fastagi.txt", import.meta.url),
);
// Replies only: drop the environment blocks (up to each blank line).
const replies = [];
let inEnvironment = false;
for (const entry of parseTranscript(text)) {
  if (entry.direction !== "fromAsterisk") continue;
  if (entry.text.startsWith("agi_network: ")) inEnvironment = true;
  if (inEnvironment) {
    if (entry.text === "") inEnvironment = false;
    continue;
  }
  replies.push(entry);
}
const one = transcriptBytes(replies, "fromAsterisk");
const copies = Math.ceil(TARGET_BYTES / one.length);
const input = new Uint8Array(one.length * copies);
for (let i = 0; i < copies; i++) input.set(one, i * one.length);
const chunks: Uint8Array[] = [];
for (let at = 0; at < input.length; at += CHUNK) {
  chunks.push(input.subarray(at, at + CHUNK));
}

let sink = 0;

Deno.bench({
  name: "line splitter alone (floor)",
  group: "agi replies, 4 MiB",
  baseline: true,
  fn() {
    let lines = 0;
    const splitter = new LineSplitter(() => lines++);
    for (const chunk of chunks) splitter.push(chunk);
    sink += lines;
  },
});

Deno.bench({
  name: "line splitter + AgiReplyDecoder",
  group: "agi replies, 4 MiB",
  fn() {
    let replies = 0;
    const decoder = new AgiReplyDecoder();
    const splitter = new LineSplitter((line) => {
      if (decoder.push(line) !== undefined) replies++;
    });
    for (const chunk of chunks) splitter.push(chunk);
    sink += replies;
  },
});

const QUOTED = 'a "quoted" word';

Deno.bench({
  name: "template string (floor)",
  group: "format 1000 commands",
  baseline: true,
  fn() {
    for (let i = 0; i < 1000; i++) {
      sink += `SET VARIABLE ORACLE_QUOTED "${QUOTED.replaceAll('"', '\\"')}"\n`
        .length;
      sink += `STREAM FILE beep "" ${i}\n`.length;
    }
  },
});

Deno.bench({
  name: "formatAgiCommand",
  group: "format 1000 commands",
  fn() {
    for (let i = 0; i < 1000; i++) {
      sink +=
        formatAgiCommand("SET VARIABLE", ["ORACLE_QUOTED", QUOTED]).length;
      sink +=
        formatAgiCommand("STREAM FILE", ["beep", agiQuoted(""), i]).length;
    }
  },
});

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
