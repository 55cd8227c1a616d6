// Copyright the @pyst/asterisk authors. MIT license.
// The resolver builds `ConfigCategory` objects directly and changes them
// while loading; this is the writable view of one.

import type { ConfigCategory, ConfigVariable } from "./config_category.ts";

/** A category while it is being built. */
export type CategoryRecord =
  & {
    -readonly [K in "name" | "file" | "line" | "isTemplate"]: ConfigCategory[K];
  }
  & {
    templates: readonly string[];
    variables: ConfigVariable[];
    readonly get: ConfigCategory["get"];
  };

/** Creates a variable record (all variables share this shape). */
export function makeVariable(
  name: string,
  value: string,
  object: boolean,
  inherited: boolean,
  file: string,
  line: number,
): ConfigVariable {
  return { name, value, object, inherited, file, line };
}
