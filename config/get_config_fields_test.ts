// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { getConfigFields, resolveConfigSync } from "./mod.ts";

const opts = { permissions: "none" } as const;

Deno.test(
  "getConfigFields numbers categories and lines like Asterisk",
  opts,
  () => {
    const config = resolveConfigSync("[t](!)\na = 1\n[x](t)\nb=2\n[y]\n");
    assert.deepEqual(getConfigFields(config), [
      ["Category-000000", "x"],
      ["Templates-000000", "t"],
      ["Line-000000-000000", "a=1"],
      ["Line-000000-000001", "b=2"],
      ["Category-000001", "y"],
    ]);
    assert.deepEqual(
      getConfigFields(config, { filter: "TEMPLATES=restrict" }),
      [
        ["Category-000000", "t"],
        ["IsTemplate-000000", "1"],
        ["Line-000000-000000", "a=1"],
      ],
    );
    assert.deepEqual(getConfigFields(config, { category: "none" }), []);
  },
);

Deno.test("getConfigFields counts past six digits", opts, () => {
  const text = "[x]\n" + "k=v\n".repeat(1_000_001);
  const fields = getConfigFields(resolveConfigSync(text));
  assert.deepEqual(fields.at(-1), ["Line-000000-1000000", "k=v"]);
});
