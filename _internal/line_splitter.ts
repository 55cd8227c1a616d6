// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Byte-level line framing shared by the AMI and AGI decoders.
 *
 * Lines end in LF; a CR right before the LF is removed as well, so CRLF and
 * bare LF both work. Framing happens on bytes, and UTF-8 is decoded once per
 * batch of complete lines, so a multibyte character split across chunks
 * survives and invalid bytes become U+FFFD instead of throwing.
 *
 * @module
 */

import { LimitExceededError } from "../errors.ts";

const LF = 0x0a;
const CR = 0x0d;

/** Options of {@linkcode LineSplitter}. */
export interface LineSplitterOptions {
  /**
   * Longest accepted line in bytes, without its line ending. A longer line is
   * reported to `onLongLine` and then discarded up to its LF.
   *
   * @default {65536}
   */
  maxLineBytes?: number;
  /**
   * Called once for each line longer than `maxLineBytes`, with the number of
   * bytes seen so far. The default throws a {@linkcode LimitExceededError};
   * the splitter is then in "discard until LF" mode and may keep being fed.
   */
  onLongLine?: (bytes: number) => void;
}

/** The default `maxLineBytes`: 64 KiB. */
export const DEFAULT_MAX_LINE_BYTES = 65_536;

/**
 * A synchronous, allocation-light line splitter. Feed it byte chunks with
 * {@linkcode LineSplitter.push}; it calls `onLine` for every complete line.
 */
export class LineSplitter {
  readonly #onLine: (line: string) => void;
  readonly #onLongLine: (bytes: number) => void;
  readonly #maxLineBytes: number;
  readonly #decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  /** Pieces of the current unterminated line, joined once at its LF. */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** True while the rest of an over-long line is being skipped. */
  #discarding = false;

  /**
   * @param onLine Receives every complete line, without its line ending.
   * @param options Limits.
   */
  constructor(
    onLine: (line: string) => void,
    options: LineSplitterOptions = {},
  ) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError(
        `Cannot create line splitter: maxLineBytes must be a positive integer, got ${max}`,
      );
    }
    this.#onLine = onLine;
    this.#maxLineBytes = max;
    this.#onLongLine = options.onLongLine ?? ((bytes) => {
      throw new LimitExceededError(
        "maxLineBytes",
        max,
        `Cannot read line: ${bytes} bytes without a line feed exceeds maxLineBytes of ${max}`,
      );
    });
  }

  /** Bytes held for the current unterminated line. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Feeds one chunk; calls `onLine` for each line it completes.
   *
   * @throws {LimitExceededError} From the default `onLongLine` (the rest of
   * that chunk is then dropped).
   */
  push(chunk: Uint8Array): void {
    const length = chunk.length;
    const max = this.#maxLineBytes;
    let start = 0;
    if (this.#pendingBytes > 0 || this.#discarding) {
      const lf = chunk.indexOf(LF);
      if (lf === -1) {
        this.#hold(chunk, 0, length);
        return;
      }
      start = lf + 1;
      if (this.#discarding) {
        this.#discarding = false;
      } else {
        const pending = this.#pending;
        const total = this.#pendingBytes + lf;
        const last = lf > 0 ? chunk[lf - 1] : pending.at(-1)!.at(-1);
        const bytes = last === CR ? total - 1 : total;
        this.#pending = [];
        this.#pendingBytes = 0;
        if (bytes > max) {
          this.#onLongLine(bytes);
        } else {
          pending.push(chunk.subarray(0, lf));
          const joined = join(pending, total);
          this.#onLine(this.#decoder.decode(joined.subarray(0, bytes)));
        }
      }
    }
    while (start < length) {
      // A run of complete lines: lengths checked on bytes, then the run is
      // decoded once and split as a string (LF never occurs inside UTF-8).
      let lineStart = start;
      let at = chunk.indexOf(LF, start);
      let longBytes = 0;
      while (at !== -1) {
        if (at - lineStart > max) {
          longBytes = chunk[at - 1] === CR
            ? at - lineStart - 1
            : at - lineStart;
          if (longBytes > max) break;
          longBytes = 0;
        }
        lineStart = at + 1;
        at = chunk.indexOf(LF, lineStart);
      }
      if (lineStart > start) {
        emitLines(
          this.#decoder.decode(chunk.subarray(start, lineStart - 1)),
          this.#onLine,
        );
      }
      if (at === -1) {
        this.#hold(chunk, lineStart, length);
        return;
      }
      start = at + 1;
      this.#onLongLine(longBytes);
    }
  }

  /**
   * Ends the input: returns the unterminated remainder (decoded, a trailing
   * CR removed), or `undefined` when the input ended on a line feed.
   */
  flush(): string | undefined {
    this.#discarding = false;
    if (this.#pendingBytes === 0) return undefined;
    const joined = join(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    return this.#decodeLine(joined, 0, joined.length);
  }

  #hold(chunk: Uint8Array, from: number, to: number): void {
    if (this.#discarding) return;
    const bytes = to - from;
    if (bytes === 0) return;
    // One byte of slack: it may be the CR of a CRLF still to come.
    if (this.#pendingBytes + bytes > this.#maxLineBytes + 1) {
      const seen = this.#pendingBytes + bytes;
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#discarding = true;
      this.#onLongLine(seen);
      return;
    }
    // Copy: the caller may reuse its buffer after push() returns.
    this.#pending.push(chunk.slice(from, to));
    this.#pendingBytes += bytes;
  }

  #decodeLine(bytes: Uint8Array, from: number, to: number): string {
    const end = to > from && bytes[to - 1] === CR ? to - 1 : to;
    return this.#decoder.decode(bytes.subarray(from, end));
  }
}

function join(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Splits text made of complete lines (the last LF excluded) on LF. */
function emitLines(text: string, onLine: (line: string) => void): void {
  let from = 0;
  for (;;) {
    const at = text.indexOf("\n", from);
    const end = at === -1 ? text.length : at;
    const cut = end > from && text.charCodeAt(end - 1) === CR ? end - 1 : end;
    onLine(text.slice(from, cut));
    if (at === -1) return;
    from = at + 1;
  }
}
