// Copyright the @pyst/asterisk authors. MIT license.
import { LimitExceededError, ProtocolError } from "../errors.ts";
import { AmiRawPacket } from "./_ami_raw_packet.ts";
import { AmiMessage } from "./ami_message.ts";

/** Default `maxLineBytes` of {@linkcode AmiMessageDecoder}: 1 MiB. */
const DEFAULT_MAX_LINE_BYTES = 1_048_576;
/** Default `maxFieldsPerMessage`: 20,000. */
const DEFAULT_MAX_FIELDS = 20_000;
/** Default `maxMessageBytes`: 8 MiB. */
const DEFAULT_MAX_MESSAGE_BYTES = 8_388_608;

/** The first line of a pre-Asterisk-14 Command reply. */
const FOLLOWS = "Response: Follows";
/** The marker that ends a `Response: Follows` body. */
const END_COMMAND = "--END COMMAND--";
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
   * Longest accepted line in bytes (UTF-8), without its line ending. Big
   * enough for the JSON of `GetConfigJSON`.
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
   * Most bytes (UTF-8) in one message, line endings included.
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
 * - bytes that are not UTF-8: they become U+FFFD (a character split across
 *   chunks survives). A NUL byte is kept as U+0000.
 *
 * Limits: a line longer than `maxLineBytes`, a message with more than
 * `maxFieldsPerMessage` lines or more than `maxMessageBytes` bytes is
 * dropped whole (up to its blank line). Decoding goes on with the next
 * packet, and `push` throws a {@linkcode LimitExceededError} once it has
 * consumed the rest of its chunk, so the messages around the bad one are not
 * lost. Memory held between chunks never exceeds about `maxMessageBytes`
 * plus `maxLineBytes`.
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
  /** Longest packet (in UTF-16 units) that cannot break any limit. */
  readonly #fastMax: number;
  readonly #decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  #awaitingBanner: boolean;
  #version: string | undefined;

  /** Pieces of the current line that began in an earlier chunk. */
  #lineParts: string[] = [];
  #lineUnits = 0;
  /** True while the rest of an over-long line is being skipped. */
  #skippingLine = false;

  /** Lines (as received, without LF) of the current packet, when read line by line. */
  #lines: string[] = [];
  /** Lines of the current packet so far (also counted while discarding). */
  #lineCount = 0;
  /** UTF-8 bytes of the current packet so far, line endings included. */
  #packetBytes = 0;
  #mode = HEADERS;
  /** Whether the current packet is a legacy `Response: Follows` one. */
  #follows = false;
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
    // A UTF-16 unit is at most 3 UTF-8 bytes, and a non-blank line takes at
    // least 2 units with its LF: a packet this short breaks no limit.
    this.#fastMax = Math.min(
      Math.floor(this.#maxLineBytes / 3),
      Math.floor(this.#maxMessageBytes / 3),
      this.#maxFields * 2,
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
    const text = this.#decoder.decode(chunk, { stream: true });
    this.#feed(text);
    this.#throwPending();
  }

  /**
   * Ends the input.
   *
   * @throws {ProtocolError} If the input ended inside a packet or line (the
   * partial text is in the error's `line`); the decoder's packet state is
   * reset either way.
   */
  end(): void {
    const rest = this.#decoder.decode();
    if (rest !== "") this.#feed(rest);
    const partial = this.#lineCount > 0 && !this.#discarding ||
      this.#lineUnits > 0;
    let text = "";
    if (partial) {
      text = this.#lines.map((line) => line + "\n").join("") +
        this.#lineParts.join("");
    }
    this.#lineParts = [];
    this.#lineUnits = 0;
    this.#skippingLine = false;
    this.#resetPacket();
    this.#throwPending();
    if (partial) {
      throw new ProtocolError(
        "Cannot decode AMI message: input ended inside a packet",
        { line: text },
      );
    }
  }

  #feed(text: string): void {
    const length = text.length;
    let pos = 0;
    if (this.#lineUnits > 0 || this.#skippingLine) {
      const lf = text.indexOf("\n");
      if (lf === -1) {
        this.#holdLine(text, 0);
        return;
      }
      pos = lf + 1;
      if (this.#skippingLine) {
        this.#skippingLine = false;
      } else {
        // The line that straddles chunks: join it once.
        this.#lineParts.push(text.slice(0, lf));
        const line = this.#lineParts.join("");
        this.#lineParts = [];
        this.#lineUnits = 0;
        this.#line(line);
      }
    }
    // Next "\n\r\n" and "\n\n" at or after `pos` (-1: none left in `text`).
    let crlfEnd = -2;
    let lfEnd = -2;
    while (pos < length) {
      if (this.#lineCount === 0 && !this.#awaitingBanner) {
        // Fast path: a whole packet in `text`, found with two native searches.
        const first = text.charCodeAt(pos);
        if (first === 10) {
          pos++;
          continue;
        }
        if (first === 13 && text.charCodeAt(pos + 1) === 10) {
          pos += 2;
          continue;
        }
        if (crlfEnd !== -1 && crlfEnd < pos) {
          crlfEnd = text.indexOf("\n\r\n", pos);
        }
        if (lfEnd !== -1 && lfEnd < pos) lfEnd = text.indexOf("\n\n", pos);
        let end: number;
        let next: number;
        if (crlfEnd !== -1 && (lfEnd === -1 || crlfEnd < lfEnd)) {
          end = crlfEnd + 1;
          next = crlfEnd + 3;
        } else if (lfEnd !== -1) {
          end = lfEnd + 1;
          next = lfEnd + 2;
        } else {
          end = -1;
          next = -1;
        }
        if (
          end !== -1 && end - pos <= this.#fastMax &&
          !text.startsWith(FOLLOWS, pos)
        ) {
          this.#emit(new AmiRawPacket(copy(text.slice(pos, end))));
          pos = next;
          continue;
        }
      }
      // Line by line: banner, legacy bodies, big or incomplete packets.
      const lf = text.indexOf("\n", pos);
      if (lf === -1) break;
      this.#line(text.slice(pos, lf));
      pos = lf + 1;
    }
    if (pos < length) this.#holdLine(text, pos);
  }

  /** Handles one complete line read line by line (without its LF). */
  #line(raw: string): void {
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    const bytes = utf8Length(raw) + 1;
    if (bytes - (raw.length - line.length) - 1 > this.#maxLineBytes) {
      this.#fail(
        new LimitExceededError(
          "maxLineBytes",
          this.#maxLineBytes,
          `Cannot decode AMI message: a line of ${
            bytes - 1 - (raw.length - line.length)
          } bytes exceeds maxLineBytes of ${this.#maxLineBytes}`,
        ),
      );
      this.#discardPacket();
      return;
    }
    if (this.#awaitingBanner) {
      if (line === "") return;
      this.#awaitingBanner = false;
      const match = BANNER.exec(line);
      if (match !== null) {
        this.#version = match[2]!;
        this.#onBanner?.(this.#version);
        return;
      }
      this.#fail(
        new ProtocolError(
          `Cannot read AMI banner: expected "Asterisk Call Manager/<version>", got "${
            line.slice(0, 80)
          }"`,
          { line },
        ),
      );
      // Not a banner: decode it as the first line of a packet.
    }
    if (line === "") {
      if (this.#lineCount === 0) return; // A stray blank line between packets.
      if (this.#mode === FOLLOWS_BODY) {
        this.#addLine(raw, bytes);
        return;
      }
      const lines = this.#lines;
      const discarded = this.#discarding;
      const follows = this.#follows;
      this.#resetPacket();
      if (!discarded) {
        this.#emit(
          follows ? followsFields(lines) : new AmiRawPacket(lines.join("\n")),
        );
      }
      return;
    }
    if (this.#lineCount === 0 && line === FOLLOWS) {
      this.#mode = FOLLOWS_BODY;
      this.#follows = true;
    } else if (this.#mode === FOLLOWS_BODY && line.endsWith(END_COMMAND)) {
      this.#mode = HEADERS;
    }
    this.#addLine(raw, bytes);
  }

  /** Adds a line (as received, without LF) to the current packet, checking the limits. */
  #addLine(raw: string, bytes: number): void {
    this.#lineCount++;
    if (this.#discarding) return;
    this.#packetBytes += bytes;
    if (this.#lineCount > this.#maxFields) {
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
    } else {
      this.#lines.push(raw);
    }
  }

  /** Drops the current packet (or starts one to drop) up to its blank line. */
  #discardPacket(): void {
    this.#awaitingBanner = false;
    this.#startDiscarding();
    if (this.#lineCount === 0) this.#lineCount = 1;
  }

  #startDiscarding(): void {
    this.#discarding = true;
    this.#lines = [];
    this.#packetBytes = 0;
  }

  #resetPacket(): void {
    this.#lines = [];
    this.#lineCount = 0;
    this.#packetBytes = 0;
    this.#mode = HEADERS;
    this.#follows = false;
    this.#discarding = false;
  }

  #emit(fields: Iterable<readonly [string, string]>): void {
    try {
      this.#onMessage(new AmiMessage(fields));
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Holds the unterminated tail of `text` from `from` as the current line. */
  #holdLine(text: string, from: number): void {
    if (this.#skippingLine) return;
    const held = this.#lineUnits + (text.length - from);
    // A UTF-16 unit is at least one byte; one unit of slack for a CR.
    if (held > this.#maxLineBytes + 1) {
      this.#lineParts = [];
      this.#lineUnits = 0;
      this.#skippingLine = true;
      this.#fail(
        new LimitExceededError(
          "maxLineBytes",
          this.#maxLineBytes,
          `Cannot decode AMI message: ${held} characters without a line feed exceed maxLineBytes of ${this.#maxLineBytes}`,
        ),
      );
      this.#discardPacket();
      return;
    }
    this.#lineParts.push(from === 0 ? text : text.slice(from));
    this.#lineUnits = held;
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

/**
 * Returns a string equal to `slice` that does not keep the (much larger)
 * chunk it was sliced from alive: V8 flattens the concatenation into a new
 * string, and the slice of that covers one packet only.
 */
function copy(slice: string): string {
  return (" " + slice).slice(1);
}

/** UTF-8 length of `text` (lone surrogates count as the 3 bytes of U+FFFD). */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (
      code >= 0xd800 && code <= 0xdbff && i + 1 < text.length &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      bytes += 2;
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/**
 * Turns the lines of a legacy `Response: Follows` packet into fields: its
 * header lines (`Privilege`, `ActionID`), one `Output` per body line up to
 * the `--END COMMAND--` marker (text before the marker on its line
 * included), then any header lines after the marker.
 */
function followsFields(lines: readonly string[]): [string, string][] {
  const fields: [string, string][] = [["Response", "Follows"]];
  let inHead = true;
  let inBody = true;
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (inHead && i <= 2 && /^(?:Privilege|ActionID):/i.test(line)) {
      fields.push(splitField(line));
      continue;
    }
    inHead = false;
    if (inBody) {
      if (line.endsWith(END_COMMAND)) {
        inBody = false;
        const before = line.slice(0, -END_COMMAND.length);
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
