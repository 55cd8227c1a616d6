// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: reads the header block a FastAGI client (Asterisk) sends when it
 * connects, and splits `agi_network_script` into a path and parameters.
 * Not re-exported from `mod.ts`.
 *
 * @module
 */

import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
} from "../errors.ts";

const LF = 0x0a;
const CR = 0x0d;
const INITIAL_BUFFER_BYTES = 2048;

/** Anything with Deno.Conn's `read`. */
export interface ByteReader {
  /** Reads into `buffer`; resolves with the byte count, or `null` at EOF. */
  read(buffer: Uint8Array): Promise<number | null>;
}

/** A FastAGI header block, split into lines. */
export interface FastAgiHeader {
  /** The header lines, without line endings and without the blank line. */
  readonly lines: string[];
  /**
   * Bytes that arrived after the blank line (empty in the usual case): a
   * view of `buffer`.
   */
  readonly rest: Uint8Array;
  /**
   * The buffer the block was read into, free for reuse once `rest` was
   * consumed (the connection's reads after the header reuse it).
   */
  readonly buffer: Uint8Array;
}

/**
 * Reads one header block (`agi_*: value` lines up to an empty line) from a
 * connection, holding at most `maxHeaderBytes` bytes.
 *
 * @param reader The connection.
 * @param maxHeaderBytes Largest accepted block, blank line included.
 * @returns The lines and any bytes that followed the block.
 * @throws {LimitExceededError} When the block exceeds `maxHeaderBytes`.
 * @throws {ProtocolError} When a line is not an `agi_*` header line.
 * @throws {ConnectionClosedError} When the peer closes before the block ends.
 */
export async function readFastAgiHeader(
  reader: ByteReader,
  maxHeaderBytes: number,
): Promise<FastAgiHeader> {
  let buffer = new Uint8Array(Math.min(INITIAL_BUFFER_BYTES, maxHeaderBytes));
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length >= maxHeaderBytes) {
        throw new LimitExceededError(
          "maxHeaderBytes",
          maxHeaderBytes,
          `Cannot read FastAGI header: no empty line within maxHeaderBytes of ${maxHeaderBytes}`,
        );
      }
      const grown = new Uint8Array(Math.min(buffer.length * 2, maxHeaderBytes));
      grown.set(buffer);
      buffer = grown;
    }
    const scanFrom = length;
    const count = await reader.read(buffer.subarray(length));
    if (count === null) {
      throw new ConnectionClosedError(
        length === 0
          ? "Cannot read FastAGI header: connection closed before any byte"
          : `Cannot read FastAGI header: connection closed after ${length} bytes`,
      );
    }
    length += count;
    const end = findBlankLine(buffer, scanFrom, length);
    if (end !== -1) {
      return {
        lines: splitHeaderLines(buffer.subarray(0, end)),
        rest: buffer.subarray(end + 1, length),
        buffer,
      };
    }
  }
}

/**
 * Returns the index of the LF that ends the first empty line in
 * `bytes[0, to)`, scanning LFs at or after `from`; -1 if there is none.
 */
function findBlankLine(bytes: Uint8Array, from: number, to: number): number {
  let at = bytes.indexOf(LF, from);
  while (at !== -1 && at < to) {
    if (at === 0 || bytes[at - 1] === LF) return at;
    if (bytes[at - 1] === CR && (at === 1 || bytes[at - 2] === LF)) return at;
    at = bytes.indexOf(LF, at + 1);
  }
  return -1;
}

const decoder = new TextDecoder();

/** Decodes and validates the header lines before the blank line. */
function splitHeaderLines(bytes: Uint8Array): string[] {
  const text = decoder.decode(bytes);
  const lines = text.split("\n");
  lines.pop(); // the empty line itself
  if (lines.length === 0 || (lines.length === 1 && lines[0] === "\r")) {
    throw new ProtocolError("Cannot read FastAGI header: the block is empty", {
      line: "",
    });
  }
  for (let index = 0; index < lines.length; index++) {
    let line = lines[index]!;
    if (line.endsWith("\r")) line = lines[index] = line.slice(0, -1);
    if (!isHeaderLine(line)) {
      throw new ProtocolError(
        `Cannot read FastAGI header: line ${
          index + 1
        } is not an "agi_*: value" line: ${JSON.stringify(line.slice(0, 80))}`,
        { line },
      );
    }
  }
  return lines;
}

/** `agi_<word>: value` or `agi_<word>:` (an empty value may lose its space). */
function isHeaderLine(line: string): boolean {
  if (!line.startsWith("agi_")) return false;
  const colon = line.indexOf(":", 4);
  if (colon <= 4) return false;
  for (let index = 4; index < colon; index++) {
    const code = line.charCodeAt(index);
    const word = (code >= 0x61 && code <= 0x7a) ||
      (code >= 0x30 && code <= 0x39) ||
      code === 0x5f || (code >= 0x41 && code <= 0x5a);
    if (!word) return false;
  }
  return colon === line.length - 1 || line.charCodeAt(colon + 1) === 0x20;
}

/** `agi_network_script` split at its first `?`. */
export interface FastAgiScript {
  /** The path part, e.g. `sales/ivr` (no leading `/`, not percent-decoded). */
  readonly path: string;
  /** The query string's parameters (empty when there is none). */
  readonly params: URLSearchParams;
}

/**
 * Splits an `agi_network_script` value into path and query parameters.
 *
 * @param script The value, e.g. `oracle-fast?mode=test&n=1`.
 * @returns The path and parameters.
 */
export function parseFastAgiScript(script: string): FastAgiScript {
  const question = script.indexOf("?");
  const path = question === -1 ? script : script.slice(0, question);
  const query = question === -1 ? "" : script.slice(question + 1);
  return { path: trimSlashes(path), params: new URLSearchParams(query) };
}

/** Removes leading and trailing `/` so `/a/b/` and `a/b` route alike. */
export function trimSlashes(path: string): string {
  let start = 0;
  let end = path.length;
  while (start < end && path.charCodeAt(start) === 0x2f) start++;
  while (end > start && path.charCodeAt(end - 1) === 0x2f) end--;
  return start === 0 && end === path.length ? path : path.slice(start, end);
}
