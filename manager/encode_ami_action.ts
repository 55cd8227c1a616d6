// Copyright the @pyst/asterisk authors. MIT license.

/** A value an AMI header can carry; numbers, booleans and bigints are written with `String()`. */
export type AmiFieldValue = string | number | boolean | bigint;

/**
 * An AMI action as plain data: `Action` plus any headers. A header whose
 * value is an array is written once per element; one whose value is an
 * object (such as `Variable`) is written once per entry as `name=value`,
 * with `\`, `"`, `,`, parentheses and brackets backslash-escaped so that
 * Asterisk's app-args splitter delivers the name and value exactly as given;
 * `undefined` headers are skipped.
 */
export interface AmiAction {
  /** The action name, e.g. `Originate`. */
  readonly Action: string;
  /** Any other header. */
  readonly [key: string]:
    | AmiFieldValue
    | readonly AmiFieldValue[]
    | Readonly<Record<string, AmiFieldValue>>
    | undefined;
}

/** Asterisk's input line buffer: a line and its CRLF must fit in 1024 bytes. */
const MAX_LINE_BYTES = 1024;
/** Asterisk's `AST_MAX_MANHEADERS`. */
const MAX_HEADERS = 128;

const BAD_VALUE = /[\r\n\0]/;
const BAD_KEY = /[:\s\0]/;

/**
 * Formats an action as the text Asterisk expects: `Action` first, then
 * `ActionID` if present, then the other headers in their order, each as
 * `Key: value` with CRLF, and a blank line at the end.
 *
 * @param action The action.
 * @returns The packet text.
 * @throws {TypeError} If `Action` is missing or empty; if a key is empty or
 * holds a colon, whitespace or NUL; if a value holds CR, LF or NUL, or is of
 * an unsupported type (or a non-finite number); if a `name=value` map entry
 * has an empty name or one with `=`; if a line and its CRLF exceed
 * Asterisk's 1024-byte input limit; or if there are more than 128 lines
 * (Asterisk's header limit).
 *
 * @example Formatting an Originate
 * ```ts
 * import { formatAmiAction } from "@pyst/asterisk/manager";
 * import assert from "node:assert/strict";
 *
 * const text = formatAmiAction({
 *   Action: "Originate",
 *   Channel: "Local/s@echo",
 *   Application: "Wait",
 *   Data: 1,
 *   Async: true,
 *   Variable: { WAITSECS: 1, MODE: "test" },
 *   ActionID: "a-1",
 * });
 * assert.equal(
 *   text,
 *   "Action: Originate\r\nActionID: a-1\r\nChannel: Local/s@echo\r\n" +
 *     "Application: Wait\r\nData: 1\r\nAsync: true\r\n" +
 *     "Variable: WAITSECS=1\r\nVariable: MODE=test\r\n\r\n",
 * );
 * ```
 */
export function formatAmiAction(action: AmiAction): string {
  if (typeof action !== "object" || action === null) {
    throw new TypeError(
      "Cannot encode AMI action: expected an object with an Action header",
    );
  }
  const name: unknown = action.Action;
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      "Cannot encode AMI action: Action must be a non-empty string",
    );
  }
  const state: FormatState = { name, text: "", lines: 0 };
  addLine(state, "Action", name);
  let actionIdKey: string | undefined;
  for (const key of Object.keys(action)) {
    if (key !== "Action" && key.toLowerCase() === "actionid") {
      actionIdKey = key;
      break;
    }
  }
  if (actionIdKey !== undefined) {
    addHeader(state, actionIdKey, action[actionIdKey]);
  }
  for (const key of Object.keys(action)) {
    if (key === "Action" || key === actionIdKey) continue;
    addHeader(state, key, action[key]);
  }
  return state.text + "\r\n";
}

/**
 * Encodes an action into the bytes to write to Asterisk (UTF-8 of
 * {@linkcode formatAmiAction}).
 *
 * @param action The action.
 * @returns The packet bytes, CRLF-framed.
 * @throws {TypeError} As {@linkcode formatAmiAction}.
 *
 * @example Encoding a Ping
 * ```ts
 * import { encodeAmiAction } from "@pyst/asterisk/manager";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeAmiAction({ Action: "Ping", ActionID: "42" });
 * assert.equal(new TextDecoder().decode(bytes), "Action: Ping\r\nActionID: 42\r\n\r\n");
 * ```
 */
export function encodeAmiAction(action: AmiAction): Uint8Array {
  return encoder.encode(formatAmiAction(action));
}

const encoder = new TextEncoder();

interface FormatState {
  readonly name: string;
  text: string;
  lines: number;
}

function addHeader(
  state: FormatState,
  key: string,
  value: AmiAction[string],
): void {
  if (value === undefined) return;
  checkKey(state, key);
  if (Array.isArray(value)) {
    for (const item of value as readonly unknown[]) {
      addLine(state, key, scalar(state, key, item));
    }
    return;
  }
  if (typeof value === "object" && value !== null) {
    for (const [variable, item] of Object.entries(value)) {
      if (
        variable === "" || variable.includes("=") || BAD_VALUE.test(variable)
      ) {
        throw new TypeError(
          `Cannot encode AMI action "${state.name}": name ${
            JSON.stringify(variable)
          } in "${key}" must be non-empty without "=", CR, LF or NUL`,
        );
      }
      addLine(
        state,
        key,
        `${escapeAppArg(variable)}=${escapeAppArg(scalar(state, key, item))}`,
      );
    }
    return;
  }
  addLine(state, key, scalar(state, key, value));
}

/**
 * Asterisk splits each `Variable` header value into `name=value` items with
 * its standard app-args splitter (manager.c `man_do_variable_value`, app.c
 * `__ast_app_separate_args` with quote and backslash removal): `,` separates
 * items outside quotes, parentheses and brackets, `"` and `\` are removed.
 * A backslash makes the next character literal, so escaping these characters
 * delivers a value exactly as given.
 */
const APP_ARG_SPECIAL = /[\\",()[\]]/;
const APP_ARG_SPECIALS = /[\\",()[\]]/g;

function escapeAppArg(text: string): string {
  return APP_ARG_SPECIAL.test(text)
    ? text.replace(APP_ARG_SPECIALS, (char) => "\\" + char)
    : text;
}

function checkKey(state: FormatState, key: string): void {
  if (key === "" || BAD_KEY.test(key)) {
    throw new TypeError(
      `Cannot encode AMI action "${state.name}": header name ${
        JSON.stringify(key)
      } must be non-empty without ":", whitespace or NUL`,
    );
  }
}

function scalar(state: FormatState, key: string, value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      if (!Number.isFinite(value)) {
        throw new TypeError(
          `Cannot encode AMI action "${state.name}": value of "${key}" is not a finite number: ${value}`,
        );
      }
      return String(value);
    case "boolean":
    case "bigint":
      return String(value);
    default:
      throw new TypeError(
        `Cannot encode AMI action "${state.name}": value of "${key}" has unsupported type ${
          value === null ? "null" : typeof value
        }`,
      );
  }
}

function addLine(state: FormatState, key: string, value: string): void {
  if (BAD_VALUE.test(value)) {
    throw new TypeError(
      `Cannot encode AMI action "${state.name}": value of "${key}" contains CR, LF or NUL`,
    );
  }
  const line = `${key}: ${value}\r\n`;
  if (line.length > MAX_LINE_BYTES || line.length * 3 > MAX_LINE_BYTES) {
    const bytes = utf8Length(line);
    if (bytes > MAX_LINE_BYTES) {
      throw new TypeError(
        `Cannot encode AMI action "${state.name}": header "${key}" is ${bytes} bytes with its CRLF, over Asterisk's limit of ${MAX_LINE_BYTES}`,
      );
    }
  }
  if (++state.lines > MAX_HEADERS) {
    throw new TypeError(
      `Cannot encode AMI action "${state.name}": more than ${MAX_HEADERS} header lines, Asterisk's limit`,
    );
  }
  state.text += line;
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
