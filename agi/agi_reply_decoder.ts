// Copyright the @pyst/asterisk authors. MIT license.
import { LimitExceededError, ProtocolError } from "../errors.ts";
import { parseAgiTokens } from "./_agi_tokens.ts";
import type { AgiReply } from "./agi_reply.ts";

/**
 * What {@linkcode AgiReplyDecoder.push} recognised: a complete reply, or the
 * asynchronous `HANGUP` notice (FastAGI). A `HANGUP` glued to the start of
 * the next line is reported as the notice, with the rest of that line decoded
 * in `after` (`undefined` when the rest only started a multi-line reply).
 */
export type AgiDecoded =
  | { readonly type: "reply"; readonly reply: AgiReply }
  | {
    readonly type: "hangup";
    /** The notice itself: `HANGUP`. */
    readonly line: string;
    /** What the rest of a glued line decoded to, if anything. */
    readonly after: AgiDecoded | undefined;
  };

/** Options of {@linkcode AgiReplyDecoder}. */
export interface AgiReplyDecoderOptions {
  /**
   * Most usage-text lines accepted in one `520-` block before it fails with a
   * {@linkcode LimitExceededError}.
   *
   * @default {1024}
   */
  maxUsageLines?: number;
}

const HANGUP = "HANGUP";
const USAGE_END = "520 ";

/**
 * Turns the lines Asterisk writes on an AGI channel into replies. Feed it one
 * line at a time (without its LF); it returns a reply once one is complete,
 * `undefined` while a multi-line reply (a `520-` usage block, or GOSUB's
 * `100 … Trying...` before its `200`) is still open, and a `hangup` event for
 * the out-of-band `HANGUP` line, which is never taken for a reply.
 *
 * Grammar (res_agi.c): `200 result=<value> [(<data>)] [key=value…] [text]`
 * with a possibly empty value and data running to the LAST `)`; `510 …`,
 * `511 …`, the single-line `520 …`, the `520-` block up to
 * `520 End of proper usage.`, and `503 result=-2 …`.
 *
 * @example Decoding GOSUB's two lines and a usage block
 * ```ts
 * import { AgiReplyDecoder } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const decoder = new AgiReplyDecoder();
 * assert.equal(decoder.push("100 result=0 Trying..."), undefined);
 * const gosub = decoder.push("200 result=0 Gosub complete");
 * assert.equal(gosub?.type === "reply" && gosub.reply.interim?.code, 100);
 *
 * assert.deepEqual(decoder.push("HANGUP"), { type: "hangup", line: "HANGUP", after: undefined });
 *
 * decoder.push("520-Invalid command syntax.  Proper usage follows:");
 * decoder.push("Send the given file.");
 * const usage = decoder.push("520 End of proper usage.");
 * assert.equal(usage?.type === "reply" && usage.reply.usage, "Send the given file.");
 * ```
 */
export class AgiReplyDecoder {
  readonly #maxUsageLines: number;
  /** The open `520-` block: its first line then the usage lines. */
  #usage: string[] | undefined;
  /** GOSUB's interim reply, waiting for the final line. */
  #interim: AgiReply | undefined;

  /**
   * Creates a decoder.
   *
   * @param options Limits.
   * @throws {TypeError} If `maxUsageLines` is not a positive integer.
   */
  constructor(options: AgiReplyDecoderOptions = {}) {
    const max = options.maxUsageLines ?? 1024;
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError(
        `Cannot create AGI reply decoder: maxUsageLines must be a positive integer, got ${max}`,
      );
    }
    this.#maxUsageLines = max;
  }

  /** Whether a multi-line reply has started and not yet ended. */
  get pending(): boolean {
    return this.#usage !== undefined || this.#interim !== undefined;
  }

  /**
   * Decodes one line.
   *
   * @param line One line from Asterisk, without its line ending.
   * @returns The reply or hangup notice it completes, or `undefined` when
   * more lines are needed.
   * @throws {ProtocolError} If the line fits no reply grammar (the decoder
   * then forgets any open reply).
   * @throws {LimitExceededError} If a usage block has more than
   * `maxUsageLines` lines.
   */
  push(line: string): AgiDecoded | undefined {
    const usage = this.#usage;
    if (usage !== undefined) {
      if (line.startsWith(USAGE_END)) {
        this.#usage = undefined;
        const first = usage[0]!;
        const body = usage.slice(1);
        usage.push(line);
        return this.#finish({
          code: 520,
          result: "",
          data: undefined,
          endpos: undefined,
          fields: {},
          text: first.slice(4),
          usage: body.join("\n"),
          interim: undefined,
          lines: usage,
        });
      }
      if (usage.length > this.#maxUsageLines) { // usage[0] is the "520-" line
        this.reset();
        throw new LimitExceededError(
          "maxUsageLines",
          this.#maxUsageLines,
          `Cannot read AGI usage block: more than ${this.#maxUsageLines} lines`,
        );
      }
      usage.push(line);
      return undefined;
    }
    if (line.startsWith(HANGUP)) {
      const rest = line.slice(HANGUP.length);
      return {
        type: "hangup",
        line: HANGUP,
        after: rest === "" ? undefined : this.push(rest),
      };
    }
    return this.#status(line);
  }

  /** Forgets any open multi-line reply. */
  reset(): void {
    this.#usage = undefined;
    this.#interim = undefined;
  }

  #status(line: string): AgiDecoded | undefined {
    const code = statusCode(line);
    if (code === undefined || line.includes("\0")) {
      this.reset();
      throw new ProtocolError(
        `Cannot decode AGI reply: ${quote(line)} is not a status line`,
        { line },
      );
    }
    if (line.charCodeAt(3) === 0x2d /* - */) {
      if (code !== 520 || this.#interim !== undefined) {
        this.reset();
        throw new ProtocolError(
          `Cannot decode AGI reply: unexpected continuation line ${
            quote(line)
          }`,
          { line },
        );
      }
      this.#usage = [line];
      return undefined;
    }
    let reply: AgiReply;
    try {
      reply = parseStatus(code, line);
    } catch (error) {
      this.reset();
      throw error;
    }
    if (code === 100) {
      if (this.#interim !== undefined) {
        this.reset();
        throw new ProtocolError(
          "Cannot decode AGI reply: two interim replies in a row",
          {
            line,
          },
        );
      }
      this.#interim = reply;
      return undefined;
    }
    return this.#finish(reply);
  }

  #finish(reply: AgiReply): AgiDecoded {
    const interim = this.#interim;
    if (interim === undefined) return { type: "reply", reply };
    this.#interim = undefined;
    return {
      type: "reply",
      reply: { ...reply, interim, lines: [...interim.lines, ...reply.lines] },
    };
  }
}

/** The three-digit code of `NNN ` / `NNN-`, or undefined. */
function statusCode(line: string): number | undefined {
  if (line.length < 4) return undefined;
  let code = 0;
  for (let i = 0; i < 3; i++) {
    const digit = line.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    code = code * 10 + digit;
  }
  const separator = line.charCodeAt(3);
  return separator === 0x20 || separator === 0x2d ? code : undefined;
}

const RESULT = "result=";
const INTEGER = /^-?\d+$/;

/** Parses a one-line reply. */
function parseStatus(code: number, line: string): AgiReply {
  const lines = [line];
  if (!line.startsWith(RESULT, 4)) {
    if (code === 200 || code === 100 || code === 503) {
      throw new ProtocolError(
        `Cannot decode AGI reply: ${quote(line)} has no "result="`,
        { line },
      );
    }
    return {
      code,
      result: "",
      data: undefined,
      endpos: undefined,
      fields: {},
      text: line.slice(4),
      usage: undefined,
      interim: undefined,
      lines,
    };
  }
  const valueStart = 4 + RESULT.length;
  let valueEnd = line.indexOf(" ", valueStart);
  if (valueEnd === -1) valueEnd = line.length;
  const result = line.slice(valueStart, valueEnd);
  let at = valueEnd;
  while (line.charCodeAt(at) === 0x20) at++;
  let data: string | undefined;
  if (line.charCodeAt(at) === 0x28 /* ( */) {
    const close = line.lastIndexOf(")");
    if (close < at) {
      throw new ProtocolError(
        `Cannot decode AGI reply: ${quote(line)} has no closing ")"`,
        {
          line,
        },
      );
    }
    data = line.slice(at + 1, close);
    at = close + 1;
  }
  if (at >= line.length) {
    // The common case, e.g. "200 result=0" or "200 result=1 (value)".
    return {
      code,
      result,
      data,
      endpos: undefined,
      fields: {},
      text: "",
      usage: undefined,
      interim: undefined,
      lines,
    };
  }
  const tokens = parseAgiTokens(line, at);
  const { fields, words } = tokens;
  let endpos: number | undefined;
  if (tokens.endpos !== undefined) {
    if (!INTEGER.test(tokens.endpos)) {
      throw new ProtocolError(
        `Cannot decode AGI reply: ${quote(line)} has a bad endpos`,
        { line },
      );
    }
    endpos = Number(tokens.endpos);
  }
  return {
    code,
    result,
    data,
    endpos,
    fields,
    text: words.join(" "),
    usage: undefined,
    interim: undefined,
    lines,
  };
}

/** Quotes a line for an error message, cut to 80 characters. */
function quote(line: string): string {
  return JSON.stringify(line.length > 80 ? line.slice(0, 80) + "…" : line);
}
