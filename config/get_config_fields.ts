// Copyright the @pyst/asterisk authors. MIT license.

import type { ResolvedConfig } from "./resolved_config.ts";

/** Which categories the AMI config actions list. */
export interface GetConfigOptions {
  /** Only categories with this name (AMI `Category` header). @default {undefined} */
  category?: string;
  /**
   * An AMI `Filter`: `name=value` regex pairs joined by `,`, and
   * `TEMPLATES=include` or `TEMPLATES=restrict` (templates are left out
   * otherwise).
   *
   * @default {undefined}
   */
  filter?: string;
}

function pad(n: number): string {
  return String(n).padStart(6, "0");
}

/**
 * The header fields of Asterisk's answer to the AMI `GetConfig` action, in
 * order: `Category-NNNNNN`, `IsTemplate-NNNNNN`, `Templates-NNNNNN` and
 * `Line-NNNNNN-NNNNNN: name=value` (inherited variables included). When a
 * `category` is asked for and none matches, Asterisk also sends the bare
 * line `No categories found`; that line is not a field and is left to the
 * caller.
 *
 * @param config The resolved configuration.
 * @param options The AMI `Category` and `Filter` headers.
 * @returns `[name, value]` pairs.
 *
 * @example Answering GetConfig for one category
 * ```ts
 * import { getConfigFields, resolveConfigSync } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const config = resolveConfigSync("[base](!)\nallow=ulaw\n[alice](base)\nsecret=pw\n");
 * assert.deepEqual(getConfigFields(config, { category: "alice" }), [
 *   ["Category-000000", "alice"],
 *   ["Templates-000000", "base"],
 *   ["Line-000000-000000", "allow=ulaw"],
 *   ["Line-000000-000001", "secret=pw"],
 * ]);
 * ```
 */
export function getConfigFields(
  config: ResolvedConfig,
  options: GetConfigOptions = {},
): [string, string][] {
  const out: [string, string][] = [];
  let count = 0;
  for (const category of config.browse(options.category, options.filter)) {
    const n = pad(count);
    out.push([`Category-${n}`, category.name]);
    if (category.isTemplate) out.push([`IsTemplate-${n}`, "1"]);
    const templates = category.templates.join(",");
    if (templates !== "") out.push([`Templates-${n}`, templates]);
    let line = 0;
    for (const v of category.variables) {
      out.push([`Line-${n}-${pad(line++)}`, `${v.name}=${v.value}`]);
    }
    count++;
  }
  return out;
}
