// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helper: the fuzzer's seed inputs, cut from the recorded transcripts
 * of a real Asterisk in `tests/fixtures/transcripts/` and the config
 * fixtures in `tests/fixtures/config/`.
 *
 * @module
 */

import {
  parseTranscript,
  type TranscriptEntry,
} from "../../astemu/parse_transcript.ts";
import { concatBytes } from "./_mutate.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url);

const AMI_FILES = [
  "ami-plain-login-ping-command.txt",
  "ami-md5-login-and-auth-errors.txt",
  "ami-coreshowchannels.txt",
  "ami-getconfig.txt",
  "ami-events-on-login-originate.txt",
  "asyncagi.txt",
  "agi-stdio-originate.txt",
];

const AGI_FILES = ["fastagi.txt", "agi-stdio.txt"];

/** One AGI command and the bytes Asterisk answered it with. */
export interface AgiStep {
  /** The command line as sent, without its LF. */
  readonly command: string;
  /** Everything Asterisk sent after it, up to the next command. */
  readonly reply: Uint8Array;
}

/** One recorded AGI call. */
export interface AgiScenario {
  /** Which transcript it came from. */
  readonly file: string;
  /** The environment block (FastAGI header), blank line included. */
  readonly environment: Uint8Array;
  /** The commands and their replies, in order. */
  readonly steps: readonly AgiStep[];
}

/** Every seed input, by kind. */
export interface Corpus {
  /** What Asterisk sent on each AMI connection (banner first). */
  readonly amiFromServer: readonly Uint8Array[];
  /** What the client sent on each AMI connection. */
  readonly amiFromClient: readonly Uint8Array[];
  /** The recorded AGI calls. */
  readonly agi: readonly AgiScenario[];
  /** Every line Asterisk sent on AGI after the environment, LF-terminated. */
  readonly agiReplyLines: readonly Uint8Array[];
  /** Config files, by name relative to `tests/fixtures/config/`. */
  readonly config: ReadonlyMap<string, string>;
}

let cached: Corpus | undefined;

/** Loads (once) and returns the corpus. Needs read access to `tests/fixtures`. */
export function loadCorpus(): Corpus {
  if (cached !== undefined) return cached;
  const amiFromServer: Uint8Array[] = [];
  const amiFromClient: Uint8Array[] = [];
  for (const file of AMI_FILES) {
    for (const segment of segments(read(file))) {
      const server = segment.filter((e) => e.direction === "fromAsterisk");
      const client = segment.filter((e) => e.direction === "toAsterisk");
      if (server.length > 0) {
        amiFromServer.push(concatBytes(server.map((e) => e.bytes)));
      }
      if (client.length > 0) {
        amiFromClient.push(concatBytes(client.map((e) => e.bytes)));
      }
    }
  }
  const agi: AgiScenario[] = [];
  const agiReplyLines: Uint8Array[] = [];
  for (const file of AGI_FILES) {
    for (const segment of segments(read(file))) {
      const scenario = agiScenario(file, segment);
      if (scenario === undefined) continue;
      agi.push(scenario);
      for (const step of scenario.steps) {
        for (const line of splitLines(step.reply)) agiReplyLines.push(line);
      }
    }
  }
  const config = new Map<string, string>();
  collectConfig(new URL("config/", FIXTURES), "", config);
  cached = { amiFromServer, amiFromClient, agi, agiReplyLines, config };
  return cached;
}

function read(file: string): TranscriptEntry[] {
  return parseTranscript(
    Deno.readTextFileSync(new URL(`transcripts/${file}`, FIXTURES)),
  );
}

/** Splits a transcript on its `=== …` notes (connections, scenarios). */
function segments(entries: readonly TranscriptEntry[]): TranscriptEntry[][] {
  const out: TranscriptEntry[][] = [[]];
  for (const entry of entries) {
    if (entry.direction === "note") {
      if (entry.text.startsWith("===") && out.at(-1)!.length > 0) out.push([]);
      continue;
    }
    out.at(-1)!.push(entry);
  }
  return out.filter((segment) => segment.length > 0);
}

function agiScenario(
  file: string,
  entries: readonly TranscriptEntry[],
): AgiScenario | undefined {
  const first = entries.findIndex((e) => e.direction === "toAsterisk");
  if (first <= 0) return undefined;
  const environment = concatBytes(entries.slice(0, first).map((e) => e.bytes));
  const steps: AgiStep[] = [];
  let command: string | undefined;
  let reply: Uint8Array[] = [];
  const flush = () => {
    if (command !== undefined) {
      steps.push({ command, reply: concatBytes(reply) });
    }
    reply = [];
  };
  for (const entry of entries.slice(first)) {
    if (entry.direction === "toAsterisk") {
      flush();
      command = entry.text;
    } else {
      reply.push(entry.bytes);
    }
  }
  flush();
  return { file, environment, steps };
}

function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push(bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

function collectConfig(
  dir: URL,
  prefix: string,
  out: Map<string, string>,
): void {
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isDirectory) {
      collectConfig(
        new URL(`${entry.name}/`, dir),
        `${prefix}${entry.name}/`,
        out,
      );
    } else if (entry.isFile && entry.name.endsWith(".conf")) {
      out.set(
        prefix + entry.name,
        Deno.readTextFileSync(new URL(entry.name, dir)),
      );
    }
  }
}
