// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { ConfigCategory, resolveConfigSync } from "./mod.ts";

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

Deno.test(
  "ConfigCategory lists inherited variables in order through chains of bases, (+) and +=",
  { permissions: "none" },
  () => {
    const config = resolveConfigSync(
      [
        "[a](!)",
        "x = 1",
        "y = 2",
        "[b](!,a)",
        "z = 3",
        "[c](b)",
        "w = 4",
        "x += 0",
        "[c](+)",
        "v = 5",
        "[d](a,b)",
        "u = 6",
        "[e](b)",
        "[e](+)",
        "t = 7",
        "[f](e)",
        "y += 9",
        "[g](c,a)",
        "",
      ].join("\n"),
    );
    const shown = (name: string) =>
      config.category(name, "TEMPLATES=include")!.variables.map((v) =>
        `${v.name}=${v.value}${v.inherited ? "^" : ""}@${v.line}`
      );
    assert.deepEqual(shown("b"), ["x=1^@2", "y=2^@3", "z=3@5"]);
    assert.deepEqual(shown("c"), [
      "x=1 0@2",
      "y=2^@3",
      "z=3^@5",
      "w=4@7",
      "v=5@10",
    ]);
    assert.deepEqual(shown("d"), [
      "x=1^@2",
      "y=2^@3",
      "x=1^@2",
      "y=2^@3",
      "z=3^@5",
      "u=6@12",
    ]);
    assert.deepEqual(shown("e"), ["x=1^@2", "y=2^@3", "z=3^@5", "t=7@15"]);
    assert.deepEqual(shown("f"), ["x=1^@2", "y=2 9@3", "z=3^@5", "t=7^@15"]);
    assert.deepEqual(shown("g"), [
      "x=1 0^@2",
      "y=2^@3",
      "z=3^@5",
      "w=4^@7",
      "v=5^@10",
      "x=1^@2",
      "y=2^@3",
    ]);
    const d = config.category("d")!;
    assert.equal(d.get("X"), "1");
    assert.deepEqual(d.getAll("y"), ["2", "2"]);
    assert.equal(d.has("u"), true);
    assert.equal(config.category("a"), undefined);
    assert.equal(config.category("f")!.get("y"), "2 9");
    assert.equal(config.category("c")!.get("x"), "1 0");
  },
);
