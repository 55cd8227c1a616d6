// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helper: loads the AMI transcripts in `tests/fixtures/transcripts/`
 * and gives a plain reader's view of them (what a person reading the file
 * sees), to compare the decoder, encoder and emulator against.
 *
 * @module
 */

import {
  parseTranscript,
  type TranscriptEntry,
} from "../../astemu/parse_transcript.ts";

/** The directory of the recorded transcripts. */
export const TRANSCRIPTS_DIR: URL = new URL(
  "../fixtures/transcripts/",
  import.meta.url,
);

/** Transcripts that hold an AMI conversation. */
export const AMI_TRANSCRIPTS: readonly string[] = [
  "ami-plain-login-ping-command.txt",
  "ami-md5-login-and-auth-errors.txt",
  "ami-coreshowchannels.txt",
  "ami-getconfig.txt",
  "ami-events-on-login-originate.txt",
  "asyncagi.txt",
  "agi-stdio-originate.txt",
];

/** One TCP connection of a transcript. */
export interface AmiConnection {
  /** `file#n`, for test names. */
  readonly name: string;
  /** The file name. */
  readonly file: string;
  /** Its entries, notes included. */
  readonly entries: TranscriptEntry[];
}

/** Reads a transcript and splits it on its `=== connection` notes. */
export function loadAmiConnections(file: string): AmiConnection[] {
  const entries = parseTranscript(
    Deno.readTextFileSync(new URL(file, TRANSCRIPTS_DIR)),
  );
  const connections: TranscriptEntry[][] = [[]];
  for (const entry of entries) {
    if (entry.direction === "note" && /^=== connection/.test(entry.text)) {
      if (connections.at(-1)!.some((e) => e.direction !== "note")) {
        connections.push([]);
      }
    }
    connections.at(-1)!.push(entry);
  }
  return connections.map((list, i) => ({
    name: `${file}#${i + 1}`,
    file,
    entries: list,
  }));
}

/** A reader's view of one side of a connection. */
export interface ReaderView {
  /** The banner line, when the side starts with one. */
  banner: string | undefined;
  /** Packets as `[key, value]` lists: split on the first colon, one space dropped. */
  packets: [string, string][][];
  /** Each packet's raw wire bytes, blank line included. */
  raw: Uint8Array[];
}

/** Reads one side of a connection as a person would. */
export function readerView(
  entries: readonly TranscriptEntry[],
  direction: "toAsterisk" | "fromAsterisk",
): ReaderView {
  const lines = entries.filter((e) => e.direction === direction);
  let banner: string | undefined;
  let start = 0;
  if (lines[0]?.text.startsWith("Asterisk Call Manager/")) {
    banner = lines[0].text;
    start = 1;
  }
  const packets: [string, string][][] = [];
  const raw: Uint8Array[] = [];
  let current: [string, string][] = [];
  let currentRaw: Uint8Array[] = [];
  for (const line of lines.slice(start)) {
    currentRaw.push(line.bytes);
    if (line.text === "") {
      if (current.length > 0) {
        packets.push(current);
        raw.push(concat(currentRaw));
      }
      current = [];
      currentRaw = [];
      continue;
    }
    const colon = line.text.indexOf(":");
    if (colon === -1) current.push(["", line.text]);
    else {
      const rest = line.text.slice(colon + 1);
      current.push([
        line.text.slice(0, colon),
        rest.startsWith(" ") ? rest.slice(1) : rest,
      ]);
    }
  }
  if (current.length > 0) {
    throw new Error("transcript side ends inside a packet");
  }
  return { banner, packets, raw };
}

/** Joins byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
