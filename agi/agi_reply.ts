// Copyright the @pyst/asterisk authors. MIT license.

/**
 * One decoded AGI reply, as {@linkcode AgiReplyDecoder} builds it from the
 * lines Asterisk sent. The typed methods of {@linkcode AgiSession} turn it into
 * the value a user wants; {@linkcode AgiSession.command} returns it as is.
 *
 * | line | `code` | `result` | `data` | `endpos` | `fields` | `text` |
 * | --- | --- | --- | --- | --- | --- | --- |
 * | `200 result=1 (hello world)` | 200 | `"1"` | `"hello world"` | – | `{}` | `""` |
 * | `200 result= (timeout)` | 200 | `""` | `"timeout"` | – | `{}` | `""` |
 * | `200 result=0 endpos=3520` | 200 | `"0"` | – | 3520 | `{}` | `""` |
 * | `200 result=0 Gosub complete` | 200 | `"0"` | – | – | `{}` | `"Gosub complete"` |
 * | `510 Invalid or unknown command` | 510 | `""` | – | – | `{}` | `"Invalid or unknown command"` |
 *
 * @example Reading a reply
 * ```ts
 * import { AgiReplyDecoder } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const decoded = new AgiReplyDecoder().push("200 result=1 (a (nested) value)");
 * assert.equal(decoded?.type, "reply");
 * if (decoded?.type === "reply") {
 *   assert.equal(decoded.reply.result, "1");
 *   assert.equal(decoded.reply.data, "a (nested) value");
 * }
 * ```
 */
export interface AgiReply {
  /** The status code: 200, 510, 511, 520, 503… */
  readonly code: number;
  /** The raw text after `result=` ("" when empty or absent). */
  readonly result: string;
  /**
   * The text between the `(` right after the result and the LAST `)` of the
   * line, unescaped as Asterisk sends it; `undefined` when there is none.
   */
  readonly data: string | undefined;
  /**
   * The `endpos=` token as a number: samples for STREAM FILE, GET OPTION,
   * RECORD FILE and SPEECH RECOGNIZE, milliseconds for CONTROL STREAM FILE.
   */
  readonly endpos: number | undefined;
  /** Other `key=value` tokens after the data (quotes removed from values). */
  readonly fields: Readonly<Record<string, string>>;
  /**
   * Free text: GOSUB's `Gosub complete`, or the message of a 510, 511, 520 or
   * 503 line ("" when there is none).
   */
  readonly text: string;
  /** The usage text of a `520-` block, lines joined with LF. */
  readonly usage: string | undefined;
  /** GOSUB's interim `100 result=0 Trying...` reply, when one came first. */
  readonly interim: AgiReply | undefined;
  /** The raw lines of this reply (the interim's included), without LF. */
  readonly lines: readonly string[];
}
