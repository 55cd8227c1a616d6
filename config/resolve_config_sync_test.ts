// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { resolveConfigSync } from "./mod.ts";
import { asyncHost, memoryHost } from "../tests/config/_helpers.ts";

const opts = { permissions: "none" } as const;

Deno.test("resolveConfigSync works with a synchronous host", opts, () => {
  const config = resolveConfigSync("[a]\n#include b.conf\n", {
    configDir: "/pbx",
    host: memoryHost({ "/pbx/b.conf": "k = v\n" }),
  });
  assert.equal(config.get("a", "k"), "v");
});

Deno.test(
  "resolveConfigSync refuses a host that returns promises",
  opts,
  () => {
    assert.throws(
      () =>
        resolveConfigSync("[a]\n#include b.conf\n", {
          configDir: "/pbx",
          host: asyncHost(memoryHost({ "/pbx/b.conf": "k = v\n" })),
        }),
      (error: unknown) =>
        error instanceof TypeError && /use resolveConfig/.test(error.message),
    );
  },
);

Deno.test(
  "resolveConfigSync without a host finds no included file",
  opts,
  () => {
    assert.throws(
      () => resolveConfigSync("[a]\n#include b.conf\n"),
      /does not exist/,
    );
    assert.equal(
      resolveConfigSync("[a]\n#tryinclude b.conf\nk=1\n").get("a", "k"),
      "1",
    );
  },
);
