// Copyright the @pyst/asterisk authors. MIT license.

import type { ResolvedConfig } from "./resolved_config.ts";
import type { GetConfigOptions } from "./get_config_fields.ts";

/** Asterisk's `json_escape`: a backslash before `\` and `"`, nothing else. */
function escape(text: string): string {
  if (!text.includes("\\") && !text.includes('"')) return text;
  return text.replace(/[\\"]/g, "\\$&");
}

/**
 * The JSON text Asterisk sends in the `JSON:` header of a `GetConfigJSON`
 * answer, byte for byte: one object per category with keys in order,
 * repeated keys repeated (so it is not JSON a standard parser keeps whole),
 * `"istemplate":1` and `"templates":"a,b"` first, only `\` and `"` escaped
 * (and the templates list not at all, as in Asterisk). Use
 * {@linkcode toGetConfigObject} for a JavaScript value.
 *
 * @param config The resolved configuration.
 * @param options The AMI `Category` and `Filter` headers.
 * @returns The JSON text.
 *
 * @example Repeated keys stay repeated
 * ```ts
 * import { formatGetConfigJson, resolveConfigSync } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const config = resolveConfigSync('[multi]\nitem=1\nitem=2\nsay="hi"\n');
 * assert.equal(
 *   formatGetConfigJson(config),
 *   '{"multi":{"item":"1","item":"2","say":"\\"hi\\""}}',
 * );
 * ```
 */
export function formatGetConfigJson(
  config: ResolvedConfig,
  options: GetConfigOptions = {},
): string {
  const parts: string[] = ["{"];
  let firstCategory = true;
  for (const category of config.browse(options.category, options.filter)) {
    parts.push(firstCategory ? '"' : ',"', escape(category.name), '":{');
    firstCategory = false;
    let first = true;
    if (category.isTemplate) {
      parts.push('"istemplate":1');
      first = false;
    }
    const templates = category.templates.join(",");
    if (templates !== "") {
      parts.push(first ? "" : ",", '"templates":"', templates, '"');
      first = false;
    }
    for (const v of category.variables) {
      parts.push(
        first ? '"' : ',"',
        escape(v.name),
        '":"',
        escape(v.value),
        '"',
      );
      first = false;
    }
    parts.push("}");
  }
  parts.push("}");
  return parts.join("");
}
