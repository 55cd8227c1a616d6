// Copyright the @pyst/asterisk authors. MIT license.
// The mutable state the resolver builds; the public classes wrap it read-only.

import type { ConfigVariable } from "./config_category.ts";
import { asciiLower } from "./_text.ts";

/** One category (section) being built, like `struct ast_category`. */
export class CategoryRecord {
  name: string;
  lower: string;
  isTemplate: boolean;
  templates: string[] = [];
  variables: ConfigVariable[] = [];
  file: string;
  line: number;

  constructor(name: string, isTemplate: boolean, file: string, line: number) {
    this.name = name;
    this.lower = asciiLower(name);
    this.isTemplate = isTemplate;
    this.file = file;
    this.line = line;
  }
}

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
