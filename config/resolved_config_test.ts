// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { ConfigCategory, resolveConfigSync, ResolvedConfig } from "./mod.ts";

const opts = { permissions: "none" } as const;

const config = resolveConfigSync(
  "[t](!)\ntype = endpoint\n[6001](t)\nctx = a\n[6001]\ntype = auth\npw = x\n[General]\nk = 1\nk = 2\n",
  { file: "pjsip.conf" },
);

Deno.test("ResolvedConfig.names lists non-templates in order", opts, () => {
  assert.deepEqual(config.names(), ["6001", "6001", "General"]);
  assert.equal(config.categories.length, 4);
});

Deno.test("ResolvedConfig.browse filters by name and filter", opts, () => {
  assert.deepEqual(config.browse("6001").map((c) => c.get("type")), [
    "endpoint",
    "auth",
  ]);
  assert.deepEqual(config.browse(undefined, "type=auth").map((c) => c.name), [
    "6001",
  ]);
  assert.deepEqual(
    config.browse(undefined, "TEMPLATES=restrict").map((c) => c.name),
    ["t"],
  );
  assert.deepEqual(config.browse("", "TEMPLATES=include").length, 4);
  assert.deepEqual(config.browse("nope"), []);
});

Deno.test("ResolvedConfig.category returns the first match", opts, () => {
  assert.equal(config.category("6001")!.get("type"), "endpoint");
  assert.equal(config.category("6001", "type=auth")!.get("pw"), "x");
  assert.equal(config.category("t"), undefined);
  assert.equal(config.category("t", "TEMPLATES=include")!.isTemplate, true);
});

Deno.test(
  "ResolvedConfig.get and getAll look in the first category, without case",
  opts,
  () => {
    assert.equal(config.get("general", "K"), "2");
    assert.deepEqual(config.getAll("GENERAL", "k"), ["1", "2"]);
    assert.equal(config.get("6001", "pw"), undefined);
    assert.deepEqual(config.getAll("none", "k"), []);
  },
);

Deno.test(
  "ResolvedConfig keeps positions of categories and variables",
  opts,
  () => {
    const endpoint = config.category("6001")!;
    assert.equal(endpoint.file, "pjsip.conf");
    assert.equal(endpoint.line, 3);
    assert.deepEqual(
      endpoint.variables.map((v) => [v.name, v.line, v.inherited]),
      [
        ["type", 2, true],
        ["ctx", 4, false],
      ],
    );
  },
);

Deno.test("ResolvedConfig can be built by hand", opts, () => {
  const built = new ResolvedConfig({
    categories: [
      new ConfigCategory({
        name: "x",
        isTemplate: false,
        templates: [],
        variables: [{
          name: "a",
          value: "1",
          object: false,
          inherited: false,
          file: "",
          line: 0,
        }],
        file: "",
        line: 0,
      }),
    ],
  });
  assert.equal(built.get("X", "A"), "1");
  assert.deepEqual(built.warnings, []);
  assert.deepEqual(built.files, []);
});
