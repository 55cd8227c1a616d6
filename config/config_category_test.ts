// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { ConfigCategory } from "./mod.ts";

const opts = { permissions: "none" } as const;

function variable(name: string, value: string) {
  return {
    name,
    value,
    object: false,
    inherited: false,
    file: "f.conf",
    line: 1,
  };
}

Deno.test(
  "ConfigCategory.get takes the last value, ignoring ASCII case only",
  opts,
  () => {
    const category = new ConfigCategory({
      name: "c",
      isTemplate: false,
      templates: ["t"],
      variables: [
        variable("Allow", "ulaw"),
        variable("allow", "alaw"),
        variable("É", "x"),
      ],
      file: "f.conf",
      line: 3,
    });
    assert.equal(category.get("ALLOW"), "alaw");
    assert.deepEqual(category.getAll("allow"), ["ulaw", "alaw"]);
    assert.equal(category.has("allow"), true);
    assert.equal(category.has("missing"), false);
    // strcasecmp in the C locale does not fold non-ASCII letters.
    assert.equal(category.get("é"), undefined);
    assert.equal(category.get("É"), "x");
    assert.deepEqual([
      category.name,
      category.isTemplate,
      category.templates,
      category.file,
      category.line,
    ], [
      "c",
      false,
      ["t"],
      "f.conf",
      3,
    ]);
  },
);
