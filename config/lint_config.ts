// Copyright the @pyst/asterisk authors. MIT license.

import type { ConfigWarning, ResolvedConfig } from "./resolved_config.ts";
import { asciiLower, quote } from "./_text.ts";

/**
 * Everything worth a look in a resolved configuration: what Asterisk logs
 * while loading it (its `warnings`), plus sections defined twice without a
 * `type` that tells them apart (pjsip's `[6001]` endpoint and `[6001]` auth
 * are fine). Findings come in file order of the warnings, then the
 * duplicates.
 *
 * @param config The resolved configuration.
 * @returns The findings.
 *
 * @example Finding a section defined twice
 * ```ts
 * import { lintConfig, resolveConfigSync } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const config = resolveConfigSync("[a]\nx=1\nnot an item\n[a]\ny=2\n", { file: "a.conf" });
 * assert.deepEqual(lintConfig(config).map((w) => [w.code, w.line]), [
 *   ["missing-equals", 3],
 *   ["duplicate-section", 4],
 * ]);
 * ```
 */
export function lintConfig(config: ResolvedConfig): ConfigWarning[] {
  const out: ConfigWarning[] = [...config.warnings];
  const seen = new Map<string, { file: string; line: number }>();
  for (const category of config.categories) {
    if (category.isTemplate) continue;
    const key = asciiLower(category.name) + "\0" + (category.get("type") ?? "");
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, { file: category.file, line: category.line });
      continue;
    }
    out.push({
      code: "duplicate-section",
      severity: "lint",
      message: `Section ${
        quote(category.name)
      } is defined again (first at ${first.file}:${first.line})`,
      file: category.file,
      line: category.line,
      column: 1,
    });
  }
  return out;
}
