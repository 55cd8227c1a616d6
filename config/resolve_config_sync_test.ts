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

Deno.test(
  "resolveConfigSync finds same-named sections declared after a lookup of that name",
  opts,
  () => {
    // `tpl` is looked up (and its list remembered) before the second and
    // third `[tpl]` exist; `(+)` must append to the first non-template one,
    // a base is always the first of the name, and a filter sees them all.
    const config = resolveConfigSync(
      [
        "[tpl](!)",
        "a = 1",
        "[x](tpl)",
        "[TPL]",
        "b = 2",
        "[y](tpl)",
        "[tpl](+)",
        "c = 3",
        "[tpl]",
        "d = 4",
        "[z](tpl)",
        "[Tpl](+)",
        "e = 5",
        "[w](tpl)",
        "",
      ].join("\n"),
    );
    assert.deepEqual(
      config.browse("tpl", "TEMPLATES=include").map((c) => [
        c.name,
        c.variables.map((v) => `${v.name}=${v.value}`),
      ]),
      [["tpl", ["a=1"]], ["TPL", ["b=2", "c=3", "e=5"]], ["tpl", ["d=4"]]],
    );
    for (const name of ["x", "y", "z", "w"]) {
      assert.deepEqual(config.category(name)!.getAll("a"), ["1"], name);
      assert.equal(config.category(name)!.get("b"), undefined, name);
    }
  },
);
