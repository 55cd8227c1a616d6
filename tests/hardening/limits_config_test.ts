// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Limits of the config reader: include depth (Asterisk's 10), files read
 * per load (include fan-out bombs), line length (Asterisk's 8190 bytes),
 * file size, nested block comments.
 */
import assert from "node:assert/strict";
import { LimitExceededError } from "../../errors.ts";
import { ConfigSyntaxError } from "../../config/errors.ts";
import { readConfigFile } from "../../config/read_config_file.ts";
import type { ResolveConfigOptions } from "../../config/resolve_config.ts";
import { resolveConfigSync } from "../../config/resolve_config_sync.ts";

function withFiles(
  files: Record<string, string>,
  options: ResolveConfigOptions = {},
): ResolveConfigOptions {
  return {
    ...options,
    host: { readFile: (path) => files[path.replace("/etc/asterisk/", "")] },
  };
}

/** `level1.conf` includes `level2.conf` … up to `level<n>.conf`, each setting `depth`. */
function chain(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 1; i <= n; i++) {
    files[`level${i}.conf`] = `depth = ${i}\n` +
      (i < n ? `#include level${i + 1}.conf\n` : "");
  }
  return files;
}

/**
 * Asterisk (config.c `ast_config_internal_load`, at f0c1c1a7b7) refuses a
 * file when `include_level == max_include_level + 1` ("The config file itself
 * bumps include_level by 1"): the top file is level 1, so a chain holds the
 * top file and 10 includes, and the 11th include is refused.
 */
Deno.test("config maxIncludeDepth: Asterisk's 10 levels by default, the top file counted; an option", async (t) => {
  await t.step(
    "default: level 10 of the chain is read, level 11 is not",
    () => {
      const config = resolveConfigSync(
        "[s]\n#include level1.conf\n",
        withFiles(chain(12)),
      );
      assert.deepEqual(
        config.getAll("s", "depth"),
        ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
      );
      assert.ok(config.warnings.some((w) => w.code === "include-depth"));
    },
  );
  await t.step("strict: the same file is rejected", () => {
    assert.throws(
      () =>
        resolveConfigSync(
          "[s]\n#include level1.conf\n",
          withFiles(chain(12), { strict: true }),
        ),
      (error) =>
        error instanceof ConfigSyntaxError && error.code === "include-depth",
    );
  });
  await t.step("maxIncludeDepth 3", () => {
    const config = resolveConfigSync(
      "[s]\n#include level1.conf\n",
      withFiles(chain(12), { maxIncludeDepth: 3 }),
    );
    assert.deepEqual(config.getAll("s", "depth"), ["1", "2", "3"]);
  });
});

Deno.test("config maxFiles: an include fan-out bomb stops with LimitExceededError; default 10,000", async (t) => {
  // Each file includes itself four times; #tryinclude only warns at the
  // depth limit, so every level fans out: 4^8 reads within the depth limit.
  const bomb = {
    "bomb.conf": "k = v\n" + "#tryinclude bomb.conf\n".repeat(4),
  };
  await t.step("default", () => {
    assert.throws(
      () => resolveConfigSync("[s]\n#include bomb.conf\n", withFiles(bomb)),
      (error) =>
        error instanceof LimitExceededError && error.limit === "maxFiles" &&
        error.max === 10_000,
    );
  });
  await t.step("maxFiles 5", () => {
    assert.throws(
      () =>
        resolveConfigSync(
          "[s]\n#include bomb.conf\n",
          withFiles(bomb, { maxFiles: 5 }),
        ),
      (error) =>
        error instanceof LimitExceededError && error.limit === "maxFiles" &&
        error.max === 5,
    );
  });
  await t.step("a plain self-include loop ends at the depth limit", () => {
    const config = resolveConfigSync(
      "[s]\n#include loop.conf\n",
      withFiles({ "loop.conf": "k = v\n#include loop.conf\n" }),
    );
    assert.equal(config.getAll("s", "k").length, 10);
  });
});

Deno.test("config maxLineBytes: Asterisk's 8190 bytes by default; a longer line is skipped with a warning, the rest kept", async (t) => {
  for (const max of [undefined, 100]) {
    await t.step(`maxLineBytes ${max ?? "default"}`, () => {
      const limit = max ?? 8190;
      const fits = "k=" + "x".repeat(limit - 2);
      const over = "j=" + "y".repeat(limit - 1);
      const config = resolveConfigSync(
        `[a]\n${fits}\n${over}\nafter=1\n`,
        max === undefined ? {} : { maxLineBytes: max },
      );
      assert.equal(config.get("a", "k")?.length, limit - 2);
      assert.equal(config.get("a", "j"), undefined);
      assert.equal(config.get("a", "after"), "1");
      assert.ok(config.warnings.some((w) => w.code === "line-too-long"));
    });
  }
});

Deno.test("config nested block comments: deeper than Asterisk's 128 is a typed error", () => {
  const ok = resolveConfigSync(
    "[a]\n" + ";-- ".repeat(128) + "\nk=1\n" + "--; ".repeat(128) + "\nj=2\n",
  );
  assert.equal(ok.get("a", "k"), undefined);
  assert.equal(ok.get("a", "j"), "2");
  assert.throws(
    () =>
      resolveConfigSync(
        "[a]\n" + ";-- ".repeat(129) + "\n" + "--; ".repeat(129) + "\n",
      ),
    ConfigSyntaxError,
  );
});

Deno.test("readConfigFile maxFileBytes: a larger file is refused with LimitExceededError", async () => {
  await assert.rejects(
    readConfigFile("oracle-sample.conf", {
      configDir: "tests/fixtures/config",
      maxFileBytes: 100,
    }),
    (error) =>
      error instanceof LimitExceededError && error.limit === "maxFileBytes" &&
      error.max === 100,
  );
  const config = await readConfigFile("oracle-sample.conf", {
    configDir: "tests/fixtures/config",
  });
  assert.equal(config.get("alice", "secret"), "alicepw");
});
