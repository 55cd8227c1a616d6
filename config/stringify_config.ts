// Copyright the @pyst/asterisk authors. MIT license.

import type { ConfigDocument } from "./config_document.ts";

/**
 * Writes a document back to text: the parsed text byte for byte (BOM, line
 * breaks, comments, spacing), with only the edited lines changed.
 *
 * @param document The document.
 * @returns Its text.
 *
 * @example Round-tripping a file untouched, then with one edit
 * ```ts
 * import { parseConfig, stringifyConfig } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const text = "\ufeff[general]\r\nfoo=bar;--note--;\r\n\r\n;-- [old]\r\nx=1 --;\r\n";
 * const doc = parseConfig(text);
 * assert.equal(stringifyConfig(doc), text);
 * doc.set("general", { foo: "baz" });
 * assert.equal(
 *   stringifyConfig(doc),
 *   "\ufeff[general]\r\nfoo=baz;--note--;\r\n\r\n;-- [old]\r\nx=1 --;\r\n",
 * );
 * ```
 */
export function stringifyConfig(document: ConfigDocument): string {
  return document.toString();
}
