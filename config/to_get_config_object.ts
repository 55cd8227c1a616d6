// Copyright the @pyst/asterisk authors. MIT license.

import type { ResolvedConfig } from "./resolved_config.ts";
import type { GetConfigOptions } from "./get_config_fields.ts";
import { addRepeated } from "./_repeated.ts";

/** A value in the GetConfigJSON shape: a string, or `1` for `istemplate`. */
export type GetConfigValue = string | number;

/** One category in the GetConfigJSON shape; a repeated key holds an array. */
export type GetConfigCategoryObject = Record<
  string,
  GetConfigValue | GetConfigValue[]
>;

/**
 * The GetConfigJSON shape as a JavaScript value: category name to
 * category, name to value, where a name that appears more than once (a
 * repeated key, or a repeated section name) maps to an array of its values
 * in order.
 */
export type GetConfigObject = Record<
  string,
  GetConfigCategoryObject | GetConfigCategoryObject[]
>;

/**
 * The configuration in the shape of Asterisk's `GetConfigJSON`, as a
 * JavaScript value: what parsing {@linkcode formatGetConfigJson}'s text
 * gives when repeated keys are collected into arrays.
 *
 * @param config The resolved configuration.
 * @param options The AMI `Category` and `Filter` headers.
 * @returns The object.
 *
 * @example Repeated keys become arrays
 * ```ts
 * import { resolveConfigSync, toGetConfigObject } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const config = resolveConfigSync("[t](!)\nallow=ulaw\n[a](t)\nallow=alaw\n");
 * assert.deepEqual(toGetConfigObject(config), {
 *   a: { templates: "t", allow: ["ulaw", "alaw"] },
 * });
 * assert.deepEqual(toGetConfigObject(config, { filter: "TEMPLATES=restrict" }), {
 *   t: { istemplate: 1, allow: "ulaw" },
 * });
 * ```
 */
export function toGetConfigObject(
  config: ResolvedConfig,
  options: GetConfigOptions = {},
): GetConfigObject {
  const out: GetConfigObject = {};
  for (const category of config.browse(options.category, options.filter)) {
    const object: GetConfigCategoryObject = {};
    if (category.isTemplate) {
      addRepeated<GetConfigValue>(object, "istemplate", 1);
    }
    const templates = category.templates.join(",");
    if (templates !== "") {
      addRepeated<GetConfigValue>(object, "templates", templates);
    }
    for (const v of category.variables) {
      addRepeated<GetConfigValue>(object, v.name, v.value);
    }
    addRepeated(out, category.name, object);
  }
  return out;
}
