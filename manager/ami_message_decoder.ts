// Copyright the @pyst/asterisk authors. MIT license.
import { LimitExceededError, ProtocolError } from "../errors.ts";
import { AmiRawPacket } from "./_ami_raw_packet.ts";
import { AmiMessage } from "./ami_message.ts";

const LF = 0x0a;
const CR = 0x0d;

/** Default `maxLineBytes` of {@linkcode AmiMessageDecoder}: 1 MiB. */
const DEFAULT_MAX_LINE_BYTES = 1_048_576;
/** Default `maxFieldsPerMessage`: 20,000. */
const DEFAULT_MAX_FIELDS = 20_000;
/** Default `maxMessageBytes`: 8 MiB. */
const DEFAULT_MAX_MESSAGE_BYTES = 8_388_608;

/** `Response: Follows`, the first line of a pre-Asterisk-14 Command reply. */
const FOLLOWS = Uint8Array.from("Response: Follows", (c) => c.charCodeAt(0));
/** The marker that ends a `Response: Follows` body. */
const END_COMMAND = Uint8Array.from("--END COMMAND--", (c) => c.charCodeAt(0));
const BANNER = /^([^:]*)\/([^\s:/]*)$/;

/** Framing state: `Key: Value` lines until a blank line. */
const HEADERS = 0;
/** Framing state: inside a `Response: Follows` body, where blank lines do not end the packet. */
const FOLLOWS_BODY = 1;

/** Options of {@linkcode AmiMessageDecoder} and {@linkcode AmiMessageDecoderStream}. */
export interface AmiMessageDecoderOptions {
  /**
   * Whether the input starts with Asterisk's one-line banner
   * (`Asterisk Call Manager/<version>`). Set it to `false` when decoding
   * what a client sends (the server side).
   *
   * @default {true}
   */
  expectBanner?: boolean;
  /** Called once with the version from the banner (e.g. `13.0.0`). */
  onBanner?: (version: string) => void;
  /**
   * Longest accepted line in bytes, without its line ending. Big enough for
   * the JSON of `GetConfigJSON`.
   *
   * @default {1048576}
   */
  maxLineBytes?: number;
  /**
   * Most fields (lines) in one message. Big enough for long `Command`
   * output and `GetConfig` replies.
   *
   * @default {20000}
   */
  maxFieldsPerMessage?: number;
  /**
   * Most bytes in one message, line endings included.
   *
   * @default {8388608}
   */
  maxMessageBytes?: number;
}

/**
 * A synchronous, sans-I/O decoder of the bytes an AMI peer sends. Feed it
 * chunks with {@linkcode AmiMessageDecoder.push}; it calls `onMessage` for
 * every complete packet.
 *
 * What it understands:
 * - the banner line `Asterisk Call Manager/x.y.z`, which has no blank line
 *   after it (see {@linkcode AmiMessageDecoder.version});
 * - packets of `Key: Value` lines ended by a blank line, with CRLF or bare LF
 *   line endings; stray blank lines between packets are ignored;
 * - fields split on the FIRST colon, with exactly one following space
 *   removed; a line without a colon becomes a field with key `""`;
 * - the legacy Command reply (`Response: Follows`, `Privilege:`,
 *   `ActionID:`, then raw text that may contain blank lines, up to a line
 *   ending in `--END COMMAND--`): each body line becomes an `Output` field,
 *   so Command output reads the same as in the modern form;
 * - bytes that are not UTF-8: they become U+FFFD (framing happens on bytes,
 *   so a character split across chunks survives). A NUL byte is kept as
 *   U+0000.
 *
 * Limits: a line longer than `maxLineBytes`, a message with more than
 * `maxFieldsPerMessage` lines or more than `maxMessageBytes` bytes is
 * dropped whole. Decoding goes on with the next packet, and `push` throws a
 * {@linkcode LimitExceededError} once it has consumed the rest of its chunk,
 * so the messages around the bad one are not lost.
 *
 * @example Decoding a banner and a response
 * ```ts
 * import { AmiMessageDecoder, type AmiMessage } from "@pyst/asterisk/manager";
 * import assert from "node:assert/strict";
 *
 * const messages: AmiMessage[] = [];
 * const decoder = new AmiMessageDecoder((message) => messages.push(message));
 * const bytes = new TextEncoder().encode(
 *   "Asterisk Call Manager/13.0.0\r\n" +
 *     "Response: Success\r\nActionID: 1\r\nPing: Pong\r\n\r\n",
 * );
 * decoder.push(bytes.subarray(0, 40));
 * decoder.push(bytes.subarray(40));
 * decoder.end();
 * assert.equal(decoder.version, "13.0.0");
 * assert.equal(messages.length, 1);
 * assert.equal(messages[0]!.kind, "response");
 * assert.equal(messages[0]!.get("ping"), "Pong");
 * ```
 */
export class AmiMessageDecoder {
  readonly #onMessage: (message: AmiMessage) => void;
  readonly #onBanner: ((version: string) => void) | undefined;
  readonly #maxLineBytes: number;
  readonly #maxFields: number;
  readonly #maxMessageBytes: number;
  readonly #decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  #awaitingBanner: boolean;
  #version: string | undefined;

  /** Pieces of the current line that began in an earlier chunk. */
  #lineParts: Uint8Array[] = [];
  #lineBytes = 0;
  /** True while the rest of an over-long line is being skipped. */
  #skippingLine = false;

  /** Complete lines (with their LF) of the current packet from earlier chunks. */
  #packetParts: Uint8Array[] = [];
  /** Bytes of the current packet so far, in complete lines. */
  #packetBytes = 0;
  /** Lines of the current packet so far; 0 when between packets. */
  #lines = 0;
  #mode = HEADERS;
  /** True while the rest of a packet that broke a limit is being skipped. */
  #discarding = false;
  /** The first error met during the current `push`. */
  #error: unknown;
  #hasError = false;

  /**
   * Creates a decoder.
   *
   * @param onMessage Receives every decoded message, in order. If it throws,
   * decoding goes on and `push` rethrows the first such error at its end.
   * @param options Banner handling and limits.
   * @throws {TypeError} If a limit is not a positive integer.
   */
  constructor(
    onMessage: (message: AmiMessage) => void,
    options: AmiMessageDecoderOptions = {},
  ) {
    this.#onMessage = onMessage;
    this.#onBanner = options.onBanner;
    this.#awaitingBanner = options.expectBanner ?? true;
    this.#maxLineBytes = checkLimit(
      "maxLineBytes",
      options.maxLineBytes,
      DEFAULT_MAX_LINE_BYTES,
    );
    this.#maxFields = checkLimit(
      "maxFieldsPerMessage",
      options.maxFieldsPerMessage,
      DEFAULT_MAX_FIELDS,
    );
    this.#maxMessageBytes = checkLimit(
      "maxMessageBytes",
      options.maxMessageBytes,
      DEFAULT_MAX_MESSAGE_BYTES,
    );
  }

  /** The AMI version from the banner (e.g. `13.0.0`), once it was read. */
  get version(): string | undefined {
    return this.#version;
  }

  /**
   * Feeds one chunk of bytes. The chunk is not kept, so the caller may reuse
   * its buffer.
   *
   * @param chunk The next bytes from the peer.
   * @throws {LimitExceededError} If a line or message in it broke a limit
   * (after the rest of the chunk was decoded).
   * @throws {ProtocolError} If the first line is not a banner although one
   * was expected (the line is then decoded as part of a packet).
   */
  push(chunk: Uint8Array): void {
    const length = chunk.length;
    let pos = 0;
    if (this.#lineBytes > 0 || this.#skippingLine) {
      const lf = chunk.indexOf(LF);
      if (lf === -1) {
        this.#holdLine(chunk, 0, length);
        this.#throwPending();
        return;
      }
      pos = lf + 1;
      if (this.#skippingLine) {
        this.#skippingLine = false;
      } else {
        // The line that straddles chunks: join it once.
        this.#lineParts.push(chunk.subarray(0, pos));
        const line = join(this.#lineParts, this.#lineBytes + pos);
        this.#lineParts = [];
        this.#lineBytes = 0;
        this.#line(line, 0, line.length - 1, -1);
      }
    }
    // Start of the current packet's bytes in this chunk (-1: not in this chunk).
    let packetStart = this.#lines > 0 && !this.#discarding ? pos : -1;
    while (pos < length) {
      const lf = chunk.indexOf(LF, pos);
      if (lf === -1) break;
      const before = this.#lines;
      if (before === 0 && packetStart === -1) packetStart = pos;
      const ended = this.#line(chunk, pos, lf, packetStart);
      if (ended || this.#lines === 0 || this.#discarding) packetStart = -1;
      pos = lf + 1;
    }
    if (
      this.#lines > 0 && !this.#discarding && packetStart !== -1 &&
      packetStart < pos
    ) {
      // Keep this chunk's complete lines of the unfinished packet.
      this.#packetParts.push(chunk.slice(packetStart, pos));
    }
    if (pos < length) this.#holdLine(chunk, pos, length);
    this.#throwPending();
  }

  /**
   * Ends the input.
   *
   * @throws {ProtocolError} If the input ended inside a packet or line (the
   * partial text is in the error's `line`); the decoder is reset either way.
   */
  end(): void {
    const partial = this.#packetBytes > 0 || this.#lineBytes > 0;
    let text = "";
    if (partial) {
      text = this.#decoder.decode(join(this.#packetParts, this.#packetBytes));
      text += this.#decoder.decode(join(this.#lineParts, this.#lineBytes));
    }
    this.#lineParts = [];
    this.#lineBytes = 0;
    this.#skippingLine = false;
    this.#resetPacket();
    if (partial) {
      throw new ProtocolError(
        "Cannot decode AMI message: input ended inside a packet",
        { line: text },
      );
    }
  }

  /**
   * Handles one complete line, `buf[start, lf)` (`lf` is its LF). When the
   * line belongs to a packet whose earlier bytes start at `packetStart` in
   * the same buffer, they are used in place; otherwise (-1) the line is
   * copied or the packet is in `#packetParts`.
   *
   * @returns Whether the line ended a packet.
   */
  #line(
    buf: Uint8Array,
    start: number,
    lf: number,
    packetStart: number,
  ): boolean {
    const end = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
    const bytes = lf + 1 - start;
    if (end - start > this.#maxLineBytes) {
      this.#fail(
        new LimitExceededError(
          "maxLineBytes",
          this.#maxLineBytes,
          `Cannot decode AMI message: a line of ${
            end - start
          } bytes exceeds maxLineBytes of ${this.#maxLineBytes}`,
        ),
      );
      this.#discardPacket();
      return false;
    }
    if (this.#awaitingBanner) {
      if (end === start) return false;
      this.#awaitingBanner = false;
      const text = this.#decoder.decode(buf.subarray(start, end));
      const match = BANNER.exec(text);
      if (match !== null) {
        this.#version = match[2]!;
        this.#onBanner?.(this.#version);
        return false;
      }
      this.#fail(
        new ProtocolError(
          `Cannot read AMI banner: expected "Asterisk Call Manager/<version>", got "${
            text.slice(0, 80)
          }"`,
          { line: text },
        ),
      );
      // Not a banner: decode it as the first line of a packet.
    }
    if (end === start) {
      // A blank line.
      if (this.#lines === 0) return false; // Stray blank line between packets.
      if (this.#mode === FOLLOWS_BODY) {
        this.#addLine(buf, start, bytes, packetStart);
        return false;
      }
      if (this.#discarding) {
        this.#resetPacket();
        return true;
      }
      this.#emit(buf, start, packetStart);
      return true;
    }
    if (this.#lines === 0 && equalsAt(buf, start, end, FOLLOWS)) {
      this.#mode = FOLLOWS_BODY;
    } else if (
      this.#mode === FOLLOWS_BODY && endsWith(buf, start, end, END_COMMAND)
    ) {
      this.#mode = HEADERS;
    }
    this.#addLine(buf, start, bytes, packetStart);
    return false;
  }

  /** Counts a non-terminating line of the current packet against the limits. */
  #addLine(
    buf: Uint8Array,
    start: number,
    bytes: number,
    packetStart: number,
  ): void {
    this.#lines++;
    if (this.#discarding) return;
    this.#packetBytes += bytes;
    if (this.#lines > this.#maxFields) {
      this.#fail(
        new LimitExceededError(
          "maxFieldsPerMessage",
          this.#maxFields,
          `Cannot decode AMI message: more than ${this.#maxFields} fields exceeds maxFieldsPerMessage`,
        ),
      );
      this.#startDiscarding();
    } else if (this.#packetBytes > this.#maxMessageBytes) {
      this.#fail(
        new LimitExceededError(
          "maxMessageBytes",
          this.#maxMessageBytes,
          `Cannot decode AMI message: ${this.#packetBytes} bytes exceeds maxMessageBytes of ${this.#maxMessageBytes}`,
        ),
      );
      this.#startDiscarding();
    } else if (packetStart === -1) {
      // The packet's earlier bytes are not in this buffer: keep a copy.
      this.#packetParts.push(buf.slice(start, start + bytes));
    }
  }

  /** Drops the current packet (or starts one to drop) up to its blank line. */
  #discardPacket(): void {
    this.#awaitingBanner = false;
    this.#startDiscarding();
    if (this.#lines === 0) this.#lines = 1;
  }

  #startDiscarding(): void {
    this.#discarding = true;
    this.#packetParts = [];
    this.#packetBytes = 0;
  }

  #resetPacket(): void {
    this.#packetParts = [];
    this.#packetBytes = 0;
    this.#lines = 0;
    this.#mode = HEADERS;
    this.#discarding = false;
  }

  /** Emits the current packet, which ends right before `buf[blankStart]`. */
  #emit(buf: Uint8Array, blankStart: number, packetStart: number): void {
    let bytes: Uint8Array;
    if (packetStart !== -1) {
      const here = buf.subarray(packetStart, blankStart);
      if (this.#packetParts.length === 0) bytes = here;
      else {
        this.#packetParts.push(here);
        bytes = join(this.#packetParts, this.#packetBytes);
      }
    } else {
      bytes = join(this.#packetParts, this.#packetBytes);
    }
    const follows = equalsAt(bytes, 0, FOLLOWS.length, FOLLOWS) &&
      (bytes[FOLLOWS.length] === CR || bytes[FOLLOWS.length] === LF);
    this.#resetPacket();
    const text = this.#decoder.decode(bytes);
    let message: AmiMessage;
    try {
      message = follows
        ? new AmiMessage(followsFields(text))
        : new AmiMessage(new AmiRawPacket(text));
      this.#onMessage(message);
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Holds the unterminated tail `chunk[from, to)` of the current line. */
  #holdLine(chunk: Uint8Array, from: number, to: number): void {
    if (this.#skippingLine) return;
    const held = this.#lineBytes + (to - from);
    // One byte of slack for the CR of a CRLF still to come.
    if (held > this.#maxLineBytes + 1) {
      this.#lineParts = [];
      this.#lineBytes = 0;
      this.#skippingLine = true;
      this.#fail(
        new LimitExceededError(
          "maxLineBytes",
          this.#maxLineBytes,
          `Cannot decode AMI message: ${held} bytes without a line feed exceeds maxLineBytes of ${this.#maxLineBytes}`,
        ),
      );
      this.#discardPacket();
      return;
    }
    this.#lineParts.push(chunk.slice(from, to));
    this.#lineBytes = held;
  }

  #fail(error: unknown): void {
    if (this.#hasError) return;
    this.#hasError = true;
    this.#error = error;
  }

  #throwPending(): void {
    if (!this.#hasError) return;
    const error = this.#error;
    this.#hasError = false;
    this.#error = undefined;
    throw error;
  }
}

function checkLimit(
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(
      `Cannot create AMI message decoder: ${name} must be a positive integer, got ${value}`,
    );
  }
  return value;
}

function equalsAt(
  buf: Uint8Array,
  start: number,
  end: number,
  expected: Uint8Array,
): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) {
    if (buf[start + i] !== expected[i]) return false;
  }
  return true;
}

function endsWith(
  buf: Uint8Array,
  start: number,
  end: number,
  suffix: Uint8Array,
): boolean {
  if (end - start < suffix.length) return false;
  const from = end - suffix.length;
  for (let i = 0; i < suffix.length; i++) {
    if (buf[from + i] !== suffix[i]) return false;
  }
  return true;
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

/**
 * Turns a legacy `Response: Follows` packet into fields: its header lines
 * (`Privilege`, `ActionID`), one `Output` per body line up to the
 * `--END COMMAND--` marker (text before the marker on its line included),
 * then any header lines after the marker.
 */
function followsFields(text: string): [string, string][] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const fields: [string, string][] = [];
  let i = 0;
  let inHead = true;
  let inBody = true;
  for (; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (i === 0) {
      fields.push(splitField(line));
      continue;
    }
    if (inBody && inHead && i <= 2 && /^(?:Privilege|ActionID):/i.test(line)) {
      fields.push(splitField(line));
      continue;
    }
    inHead = false;
    if (inBody) {
      if (line.endsWith("--END COMMAND--")) {
        inBody = false;
        const before = line.slice(0, -15);
        if (before !== "") fields.push(["Output", before]);
      } else {
        fields.push(["Output", line]);
      }
      continue;
    }
    fields.push(splitField(line));
  }
  return fields;
}

function splitField(line: string): [string, string] {
  const colon = line.indexOf(":");
  if (colon === -1) return ["", line];
  const valueStart = line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1;
  return [line.slice(0, colon), line.slice(valueStart)];
}
