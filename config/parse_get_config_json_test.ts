// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import {
  formatGetConfigJson,
  parseGetConfigJson,
  resolveConfigSync,
  toGetConfigObject,
} from "./mod.ts";

const opts = { permissions: "none" } as const;

Deno.test(
  "parseGetConfigJson reads Asterisk's text with repeated keys",
  opts,
  () => {
    assert.deepEqual(
      parseGetConfigJson(' {"a":{"k":"1", "k":"2","n":1} , "a":{}} '),
      {
        a: [{ k: ["1", "2"], n: 1 }, {}],
      },
    );
    assert.deepEqual(parseGetConfigJson("{}"), {});
    assert.deepEqual(
      parseGetConfigJson('{"x":{"s":"tab\there","e":"\\"\\\\\\u00e9\\n"}}'),
      {
        x: { s: "tab\there", e: '"\\é\n' },
      },
    );
  },
);

Deno.test("parseGetConfigJson undoes formatGetConfigJson", opts, () => {
  const config = resolveConfigSync(
    '[t](!)\nk=1\n[a](t)\nk="q\\\\"\nk=2\n[a]\n',
  );
  for (const filter of [undefined, "TEMPLATES=include"]) {
    const options = filter === undefined ? {} : { filter };
    assert.deepEqual(
      parseGetConfigJson(formatGetConfigJson(config, options)),
      toGetConfigObject(config, options),
    );
  }
});

Deno.test(
  "parseGetConfigJson rejects other shapes with SyntaxError",
  opts,
  () => {
    for (
      const bad of [
        "",
        "[]",
        '{"a":"b"}',
        '{"a":{"k":[1]}}',
        '{"a":{"k":"x}}',
        '{"a":{}}x',
        '{"a":{"k":"\\q"}}',
      ]
    ) {
      assert.throws(() => parseGetConfigJson(bad), SyntaxError, bad);
    }
  },
);
