// Copyright the @pyst/asterisk authors. MIT license.

/** Who wrote a transcript line. */
export type TranscriptDirection = "toAsterisk" | "fromAsterisk" | "note";

/** One line of a transcript. */
export interface TranscriptEntry {
  /** `toAsterisk` for `>> `, `fromAsterisk` for `<< `, `note` for `## `. */
  readonly direction: TranscriptDirection;
  /** The wire bytes of the line, with its LF unless it was cut off. */
  readonly bytes: Uint8Array;
  /** The line as text, without its LF (for notes, the note text). */
  readonly text: string;
  /** 1-based line number in the transcript file. */
  readonly lineNumber: number;
}

const PREFIXES: Record<string, TranscriptDirection> = {
  ">>": "toAsterisk",
  "<<": "fromAsterisk",
  "##": "note",
};

/**
 * Parses a transcript in the format of the project's recordings of a real
 * Asterisk: one wire line per line, `>> ` sent to Asterisk, `<< ` received
 * from it, `## ` a note; CR shown as `\r`, backslash as `\\`, TAB as `\t`,
 * other bytes as `\xNN`, and `[no LF]` marking a line cut off without LF.
 *
 * @param text The transcript file's text.
 * @returns Its entries in order.
 * @throws {SyntaxError} On a line with an unknown prefix or a bad escape.
 *
 * @example Reading two lines of an AGI transcript
 * ```ts
 * import { parseTranscript } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * const entries = parseTranscript(">> ANSWER\n<< 200 result=0\n");
 * assert.equal(entries[0]!.direction, "toAsterisk");
 * assert.equal(entries[1]!.text, "200 result=0");
 * assert.deepEqual([...entries[1]!.bytes].at(-1), 10);
 * ```
 */
export function parseTranscript(text: string): TranscriptEntry[] {
  const entries: TranscriptEntry[] = [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const lineNumber = index + 1;
    if (line === "") continue;
    const direction = PREFIXES[line.slice(0, 2)];
    if (direction === undefined || (line.length > 2 && line[2] !== " ")) {
      throw new SyntaxError(
        `Cannot parse transcript: line ${lineNumber} starts with neither ">> ", "<< " nor "## "`,
      );
    }
    const body = line.slice(3);
    if (direction === "note") {
      entries.push({
        direction,
        bytes: encoder.encode(body),
        text: body,
        lineNumber,
      });
      continue;
    }
    const cut = body.endsWith("[no LF]");
    const bytes = unescape(cut ? body.slice(0, -7) : body, lineNumber, encoder);
    const withLf = cut ? bytes : appendLf(bytes);
    let shown = decoder.decode(bytes);
    if (shown.endsWith("\r")) shown = shown.slice(0, -1);
    entries.push({ direction, bytes: withLf, text: shown, lineNumber });
  }
  return entries;
}

function appendLf(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = 0x0a;
  return out;
}

function unescape(
  body: string,
  lineNumber: number,
  encoder: TextEncoder,
): Uint8Array {
  if (!body.includes("\\")) return encoder.encode(body);
  const out: number[] = [];
  let literal = "";
  const flush = () => {
    if (literal) out.push(...encoder.encode(literal));
    literal = "";
  };
  for (let i = 0; i < body.length; i++) {
    const char = body[i]!;
    if (char !== "\\") {
      literal += char;
      continue;
    }
    const next = body[i + 1];
    flush();
    if (next === "r") out.push(0x0d);
    else if (next === "t") out.push(0x09);
    else if (next === "\\") out.push(0x5c);
    else if (
      next === "x" && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 2, i + 4))
    ) {
      out.push(parseInt(body.slice(i + 2, i + 4), 16));
      i += 2;
    } else {
      throw new SyntaxError(
        `Cannot parse transcript: bad escape "\\${
          next ?? ""
        }" on line ${lineNumber}`,
      );
    }
    i++;
  }
  flush();
  return Uint8Array.from(out);
}

/**
 * Joins the bytes of every entry in one direction, in order: what one side
 * wrote on the wire.
 *
 * @param entries Entries from {@linkcode parseTranscript}.
 * @param direction Which side's bytes to join.
 * @returns The concatenated bytes.
 *
 * @example The bytes Asterisk sent
 * ```ts
 * import { parseTranscript, transcriptBytes } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * const entries = parseTranscript("<< 200 result=0\n>> NOOP\n<< 200 result=0\n");
 * const text = new TextDecoder().decode(transcriptBytes(entries, "fromAsterisk"));
 * assert.equal(text, "200 result=0\n200 result=0\n");
 * ```
 */
export function transcriptBytes(
  entries: readonly TranscriptEntry[],
  direction: "toAsterisk" | "fromAsterisk",
): Uint8Array {
  let total = 0;
  for (const entry of entries) {
    if (entry.direction === direction) total += entry.bytes.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const entry of entries) {
    if (entry.direction !== direction) continue;
    out.set(entry.bytes, offset);
    offset += entry.bytes.length;
  }
  return out;
}

/**
 * Formats entries back into transcript text (the inverse of
 * {@linkcode parseTranscript}).
 *
 * @param entries The entries to write.
 * @returns Transcript text, one line per entry, ending in LF.
 *
 * @example A round trip
 * ```ts
 * import { formatTranscript, parseTranscript } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * const text = "<< Response: Success\\r\n<< \\r\n";
 * assert.equal(formatTranscript(parseTranscript(text)), text);
 * ```
 */
export function formatTranscript(entries: readonly TranscriptEntry[]): string {
  let out = "";
  for (const entry of entries) {
    if (entry.direction === "note") {
      out += `## ${entry.text}\n`;
      continue;
    }
    out += entry.direction === "toAsterisk" ? ">> " : "<< ";
    out += escapeWireLine(entry.bytes) + "\n";
  }
  return out;
}

/**
 * Escapes one wire line (with or without its LF) the way transcripts show it.
 *
 * @param bytes The line's bytes; a final LF is dropped, its absence shown as `[no LF]`.
 * @returns The escaped text.
 *
 * @example Showing CR and a raw byte
 * ```ts
 * import { escapeWireLine } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * assert.equal(escapeWireLine(new Uint8Array([0x41, 0x0d, 0x0a])), "A\\r");
 * assert.equal(escapeWireLine(new Uint8Array([0x01])), "\\x01[no LF]");
 * ```
 */
export function escapeWireLine(bytes: Uint8Array): string {
  const hasLf = bytes.at(-1) === 0x0a;
  const body = hasLf ? bytes.subarray(0, -1) : bytes;
  const text = new TextDecoder("utf-8", { fatal: false }).decode(body);
  let out = "";
  // Re-encode per code point so invalid bytes come out as \xNN.
  const valid = new TextEncoder().encode(text);
  const sameBytes = valid.length === body.length &&
    valid.every((b, i) => b === body[i]);
  if (sameBytes) {
    for (const char of text) {
      const code = char.codePointAt(0)!;
      if (char === "\\") out += "\\\\";
      else if (char === "\r") out += "\\r";
      else if (char === "\t") out += "\\t";
      else if (code < 0x20 || code === 0x7f) {
        out += `\\x${code.toString(16).padStart(2, "0")}`;
      } else out += char;
    }
  } else {
    for (const byte of body) {
      if (byte === 0x5c) out += "\\\\";
      else if (byte === 0x0d) out += "\\r";
      else if (byte === 0x09) out += "\\t";
      else if (byte < 0x20 || byte >= 0x7f) {
        out += `\\x${byte.toString(16).padStart(2, "0")}`;
      } else out += String.fromCharCode(byte);
    }
  }
  return hasLf ? out : out + "[no LF]";
}
