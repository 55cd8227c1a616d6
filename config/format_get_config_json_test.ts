// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { formatGetConfigJson, resolveConfigSync } from "./mod.ts";

const opts = { permissions: "none" } as const;

Deno.test("formatGetConfigJson writes Asterisk's text exactly", opts, () => {
  const config = resolveConfigSync(
    '[t](!)\nk = 1\n[t2](!)\n[a](t,t2)\nk = 2\nq = say "hi" \\\\ bye\ntab = a\tb\n',
  );
  assert.equal(
    formatGetConfigJson(config),
    '{"a":{"templates":"t,t2","k":"1","k":"2","q":"say \\"hi\\" \\\\\\\\ bye","tab":"a\tb"}}',
  );
  assert.equal(
    formatGetConfigJson(config, { filter: "TEMPLATES=restrict" }),
    '{"t":{"istemplate":1,"k":"1"},"t2":{"istemplate":1}}',
  );
  assert.equal(formatGetConfigJson(config, { category: "none" }), "{}");
});

Deno.test(
  "formatGetConfigJson leaves the templates list unescaped, as Asterisk does",
  opts,
  () => {
    const config = resolveConfigSync('[a"b](!)\n[c](a"b)\n');
    assert.equal(formatGetConfigJson(config), '{"c":{"templates":"a"b"}}');
  },
);
