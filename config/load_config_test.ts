// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { ConfigNotFoundError, ConfigSyntaxError, loadConfig } from "./mod.ts";
import { memoryHost } from "../tests/config/_helpers.ts";

const opts = { permissions: "none" } as const;

Deno.test(
  "loadConfig joins a relative name to the config directory",
  opts,
  async () => {
    const log: string[] = [];
    const config = await loadConfig("pbx.conf", {
      configDir: "/conf/",
      host: memoryHost({ "/conf/pbx.conf": "[a]\nk = 1\n" }, log),
    });
    assert.equal(config.get("a", "k"), "1");
    assert.deepEqual(log, ["read /conf/pbx.conf"]);
    assert.deepEqual(config.files, ["/conf/pbx.conf"]);
  },
);

Deno.test("loadConfig accepts a glob as the top-level name", opts, async () => {
  const config = await loadConfig("pbx-*.conf", {
    configDir: "/conf",
    host: memoryHost({
      "/conf/pbx-b.conf": "k = b\n",
      "/conf/pbx-a.conf": "[s]\nk = a\n",
    }),
  });
  assert.deepEqual(config.getAll("s", "k"), ["a", "b"]);
});

Deno.test(
  "loadConfig throws ConfigNotFoundError when nothing matches",
  opts,
  async () => {
    await assert.rejects(
      loadConfig("none-*.conf", { configDir: "/conf", host: memoryHost({}) }),
      (error: unknown) =>
        error instanceof ConfigNotFoundError &&
        error.path === "/conf/none-*.conf" &&
        error.message === 'Cannot load config "none-*.conf": file not found',
    );
  },
);

Deno.test(
  "loadConfig rejects a bad top-level file with its path",
  opts,
  async () => {
    await assert.rejects(
      loadConfig("bad.conf", {
        configDir: "/c",
        host: memoryHost({ "/c/bad.conf": "k = 1\n" }),
      }),
      (error: unknown) =>
        error instanceof ConfigSyntaxError && error.code === "no-category" &&
        error.file === "/c/bad.conf",
    );
  },
);
