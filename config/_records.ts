// Copyright the @pyst/asterisk authors. MIT license.
// How the resolver builds categories: `ConfigCategory` objects whose fields
// it sets while loading, and whose variables it stores packed (see the
// storage notes in config_category.ts).

import {
  categoryData,
  type ConfigCategory,
  type ConfigVariable,
} from "./config_category.ts";

/** A category while it is being built. */
export type CategoryRecord = ConfigCategory;

/** The fields the resolver changes after creating a category. */
interface Writable {
  name: string;
  isTemplate: boolean;
  templates: readonly string[];
}

/** A writable view of a category's fields. */
export function fields(cat: ConfigCategory): Writable {
  return cat as unknown as Writable;
}

/** A category's stored variables. */
export function dataOf(cat: ConfigCategory): unknown[] {
  return categoryData.get(cat);
}

/** Replaces a category's stored variables. */
export function setData(cat: ConfigCategory, data: unknown[]): void {
  categoryData.set(cat, data);
}

/** Appends an own variable, packed. */
export function pushVariable(
  data: unknown[],
  cat: ConfigCategory,
  name: string,
  value: string,
  object: boolean,
  file: string,
  line: number,
): void {
  if (file === cat.file) {
    data.push(name, value, line * 4 + (object ? 1 : 0));
  } else {
    data.push(name, value, line * 4 + 2 + (object ? 1 : 0), file);
  }
}

/** The packed slots of an own variable. */
export function packVariable(
  cat: ConfigCategory,
  name: string,
  value: string,
  object: boolean,
  file: string,
  line: number,
): unknown[] {
  return file === cat.file
    ? [name, value, line * 4 + (object ? 1 : 0)]
    : [name, value, line * 4 + 2 + (object ? 1 : 0), file];
}

/** Creates a variable object (all variable objects share this shape). */
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
