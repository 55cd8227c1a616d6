// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { resolveConfigSync, toGetConfigObject } from "./mod.ts";

const opts = { permissions: "none" } as const;

Deno.test(
  "toGetConfigObject turns repeated keys and sections into arrays",
  opts,
  () => {
    const config = resolveConfigSync(
      "[a]\nk = 1\nk = 2\nk = 3\nj = x\n[a]\nk = 4\n",
    );
    assert.deepEqual(toGetConfigObject(config), {
      a: [{ k: ["1", "2", "3"], j: "x" }, { k: "4" }],
    });
  },
);

Deno.test("toGetConfigObject is safe with __proto__ and friends", opts, () => {
  const config = resolveConfigSync(
    "[__proto__]\n__proto__ = x\nconstructor = y\n",
  );
  const object = toGetConfigObject(config);
  assert.equal(Object.getPrototypeOf(object), Object.prototype);
  assert.deepEqual(Object.keys(object), ["__proto__"]);
  assert.deepEqual(Object.entries(object["__proto__"]!), [["__proto__", "x"], [
    "constructor",
    "y",
  ]]);
});
