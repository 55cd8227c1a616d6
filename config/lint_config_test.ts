// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { lintConfig, resolveConfigSync } from "./mod.ts";

const opts = { permissions: "none" } as const;

Deno.test(
  "lintConfig reports sections defined twice unless type tells them apart",
  opts,
  () => {
    const config = resolveConfigSync(
      "[6001]\ntype = endpoint\n[6001]\ntype = auth\n[ctx]\n[CTX]\n[t](!)\n[t](!)\n[6001]\ntype = auth\n",
      { file: "p.conf" },
    );
    assert.deepEqual(
      lintConfig(config).map((w) => [w.code, w.severity, w.line, w.message]),
      [
        [
          "duplicate-section",
          "lint",
          6,
          'Section "CTX" is defined again (first at p.conf:5)',
        ],
        [
          "duplicate-section",
          "lint",
          9,
          'Section "6001" is defined again (first at p.conf:3)',
        ],
      ],
    );
  },
);

Deno.test("lintConfig passes Asterisk's warnings through first", opts, () => {
  const config = resolveConfigSync("#bad\n[a]\n[a]\n");
  assert.deepEqual(lintConfig(config).map((w) => w.code), [
    "unknown-directive",
    "duplicate-section",
  ]);
  assert.deepEqual(lintConfig(resolveConfigSync("[a]\nk=1\n")), []);
});
