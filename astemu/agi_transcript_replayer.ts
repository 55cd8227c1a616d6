// Copyright the @pyst/asterisk authors. MIT license.
import type {
  AgiAsteriskSide,
  AgiAsteriskSideServeOptions,
} from "./agi_asterisk_side.ts";
import {
  escapeWireLine,
  parseTranscript,
  type TranscriptEntry,
} from "./parse_transcript.ts";

/** Options of {@linkcode AgiTranscriptReplayer}. */
export interface AgiTranscriptReplayerOptions {
  /**
   * How long to wait for each line the script should send.
   *
   * @default {5000}
   */
  lineTimeoutMs?: number;
  /**
   * Longest line accepted from the script, in bytes (Asterisk's buffer is
   * 8192 bytes); a longer one counts as a mismatch.
   *
   * @default {8191}
   */
  maxLineBytes?: number;
}

/** Where a replay went off the transcript. */
export interface AgiTranscriptMismatch {
  /** The transcript line that was expected. */
  readonly lineNumber: number;
  /** The expected line, escaped as in transcripts (`[no LF]` if cut off). */
  readonly expected: string;
  /** What the script sent instead, escaped likewise; `undefined` when it sent nothing. */
  readonly actual: string | undefined;
  /** `different` line, script closed (`eof`), or nothing in time (`timeout`). */
  readonly reason: "different" | "eof" | "timeout";
}

/**
 * Plays Asterisk's side of a recorded AGI dialogue (a transcript of a real
 * Asterisk, or one the {@linkcode AgiEmulator} recorded): writes every `<<`
 * line, waits for every `>>` line and checks that the script sent exactly
 * those bytes, and delivers SIGHUP where a note mentions one. It stops at
 * the first mismatch and says where.
 *
 * @example Replaying a two-command dialogue
 * ```ts
 * import { AgiTranscriptReplayer } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * const replayer = new AgiTranscriptReplayer(
 *   "<< agi_request: x\n<< \n>> ANSWER\n<< 200 result=0\n",
 * );
 * const toScript = new TransformStream<Uint8Array, Uint8Array>();
 * const fromScript = new TransformStream<Uint8Array, Uint8Array>();
 * const served = replayer.serve(fromScript.readable, toScript.writable);
 * const writer = fromScript.writable.getWriter();
 * await writer.write(new TextEncoder().encode("ANSWER\n"));
 * await writer.close();
 * const heard = await new Response(toScript.readable).text();
 * await served;
 * assert.equal(heard, "agi_request: x\n\n200 result=0\n");
 * assert.equal(replayer.complete, true);
 * ```
 */
export class AgiTranscriptReplayer implements AgiAsteriskSide {
  readonly #entries: readonly TranscriptEntry[];
  readonly #lineTimeoutMs: number;
  readonly #maxLineBytes: number;
  #matched = 0;
  #mismatch: AgiTranscriptMismatch | undefined;
  #complete = false;
  readonly #extra: string[] = [];

  /**
   * Prepares a replay.
   *
   * @param transcript Transcript text, or entries from `parseTranscript`.
   * @param options Timeouts and limits.
   * @throws {SyntaxError} If the transcript text cannot be parsed.
   */
  constructor(
    transcript: string | readonly TranscriptEntry[],
    options: AgiTranscriptReplayerOptions = {},
  ) {
    this.#entries = typeof transcript === "string"
      ? parseTranscript(transcript)
      : transcript;
    this.#lineTimeoutMs = options.lineTimeoutMs ?? 5000;
    this.#maxLineBytes = options.maxLineBytes ?? 8191;
  }

  /** How many `>>` lines the script sent as recorded. */
  get matched(): number {
    return this.#matched;
  }

  /** The first difference, if the script strayed from the transcript. */
  get mismatch(): AgiTranscriptMismatch | undefined {
    return this.#mismatch;
  }

  /** Whether the whole transcript was replayed without a difference. */
  get complete(): boolean {
    return this.#complete;
  }

  /** Lines the script sent after the transcript ran out, escaped as in transcripts. */
  get extra(): readonly string[] {
    return this.#extra;
  }

  /**
   * Replays the transcript over a byte stream pair, then closes `writable`
   * and collects what the script still sends until it closes its side (up to
   * `lineTimeoutMs`).
   *
   * @param readable What the script writes.
   * @param writable What the script reads.
   * @param options How to deliver SIGHUP.
   * @returns When the replay is over.
   */
  async serve(
    readable: ReadableStream<Uint8Array>,
    writable: WritableStream<Uint8Array>,
    options: AgiAsteriskSideServeOptions = {},
  ): Promise<void> {
    const writer = writable.getWriter();
    const lines = new LineReader(readable.getReader(), this.#maxLineBytes);
    let writing: Promise<void> = Promise.resolve();
    const write = (bytes: Uint8Array) => {
      writing = writing.then(() => writer.write(bytes)).catch(() => {});
    };
    try {
      for (const entry of this.#entries) {
        if (entry.direction === "note") {
          if (/\bSIGHUP\b/.test(entry.text)) {
            await writing;
            options.onSighup?.();
          }
          continue;
        }
        if (entry.direction === "fromAsterisk") {
          write(entry.bytes);
          continue;
        }
        // Not waiting for the writes: a script may send before it reads.
        const got = await lines.next(this.#lineTimeoutMs);
        const expected = escapeWireLine(entry.bytes);
        if (got === "timeout" || got === undefined) {
          this.#mismatch = {
            lineNumber: entry.lineNumber,
            expected,
            actual: undefined,
            reason: got === "timeout" ? "timeout" : "eof",
          };
          return;
        }
        if (!sameBytes(got, entry.bytes)) {
          this.#mismatch = {
            lineNumber: entry.lineNumber,
            expected,
            actual: escapeWireLine(got),
            reason: "different",
          };
          return;
        }
        this.#matched++;
      }
      this.#complete = true;
      await writing;
      await writer.close().catch(() => {});
      for (;;) {
        const got = await lines.next(this.#lineTimeoutMs);
        if (got === undefined || got === "timeout") break;
        this.#extra.push(escapeWireLine(got));
      }
    } finally {
      await writing;
      await writer.close().catch(() => {});
      writer.releaseLock();
      await lines.cancel();
    }
  }
}

/** Reads LF-terminated lines (a cut-off last line too) with a timeout. */
class LineReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #max: number;
  #buffer = new Uint8Array(0);
  #offset = 0;
  #done = false;
  #pending: Promise<Uint8Array | undefined> | undefined;

  constructor(reader: ReadableStreamDefaultReader<Uint8Array>, max: number) {
    this.#reader = reader;
    this.#max = max;
  }

  async next(timeoutMs: number): Promise<Uint8Array | undefined | "timeout"> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      for (;;) {
        const buffer = this.#buffer;
        const start = this.#offset;
        const lf = buffer.indexOf(0x0a, start);
        if (lf !== -1 || buffer.length - start > this.#max) {
          const end = lf === -1 ? start + this.#max : lf + 1;
          this.#offset = end;
          return buffer.slice(start, end);
        }
        if (this.#done) {
          if (buffer.length === start) return undefined;
          this.#offset = buffer.length;
          return buffer.slice(start);
        }
        this.#pending ??= this.#reader.read().then(
          (result) => result.done ? undefined : result.value,
          () => undefined,
        );
        const chunk = await Promise.race([this.#pending, timeout]);
        if (chunk === "timeout") return "timeout";
        this.#pending = undefined;
        if (chunk === undefined) this.#done = true;
        else {
          // Only the unfinished line is kept, so this copies little.
          const rest = this.#buffer.subarray(this.#offset);
          const joined = new Uint8Array(rest.length + chunk.length);
          joined.set(rest);
          joined.set(chunk, rest.length);
          this.#buffer = joined;
          this.#offset = 0;
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
    await this.#pending;
    this.#reader.releaseLock();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
