// Copyright the @pyst/asterisk authors. MIT license.

import {
  ConfigDocument,
  type ConfigDocumentOptions,
} from "./config_document.ts";

/** Options of {@linkcode parseConfig}. */
export type ParseConfigOptions = ConfigDocumentOptions;

/**
 * Parses config text into a lossless, editable {@linkcode ConfigDocument}.
 * Needs no permission and never throws for bad content: lines Asterisk
 * would reject or skip become `malformed` lines, and
 * {@linkcode resolveConfig} reports them.
 *
 * @param text The file's text.
 * @param options The file name for positions, and the line length limit.
 * @returns The document.
 *
 * @example Reading the lines of a file
 * ```ts
 * import { parseConfig } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const doc = parseConfig("[internal](!) ; template\nexten => 100,1,Dial(PJSIP/100)\n");
 * const [header, item] = doc.lines;
 * assert.equal(header!.kind, "section");
 * assert.equal(item!.kind === "item" && item!.operator, "=>");
 * assert.equal(item!.kind === "item" && item!.value, "100,1,Dial(PJSIP/100)");
 * assert.equal(doc.toString(), "[internal](!) ; template\nexten => 100,1,Dial(PJSIP/100)\n");
 * ```
 */
export function parseConfig(
  text: string,
  options: ParseConfigOptions = {},
): ConfigDocument {
  return new ConfigDocument(text, options);
}
