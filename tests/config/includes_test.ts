// Copyright the @pyst/asterisk authors. MIT license.
// Includes on the real file system: globs, loops, missing and broken files.

import assert from "node:assert/strict";
import { LimitExceededError } from "../../errors.ts";
import { ConfigSyntaxError, readConfigFile } from "../../config/mod.ts";
import { FIXTURES, TRANSCRIPTS } from "./_helpers.ts";

const opts: { permissions: Deno.PermissionOptions } = {
  permissions: { read: [FIXTURES, TRANSCRIPTS] },
};

Deno.test(
  "a glob include reads every match in order, carrying comment depth and section",
  opts,
  async () => {
    const config = await readConfigFile("includes/main.conf", {
      configDir: FIXTURES,
    });
    assert.deepEqual(config.names(), ["general"]);
    assert.deepEqual(config.getAll("general", "order"), [
      "main",
      "first",
      "second",
      "third",
    ]);
    assert.equal(config.get("general", "after"), "main");
    assert.deepEqual(config.files, [
      `${FIXTURES}/includes/main.conf`,
      `${FIXTURES}/includes/parts/10-first.conf`,
      `${FIXTURES}/includes/parts/20-second.conf`,
      `${FIXTURES}/includes/parts/30-third.conf`,
    ]);
    assert.deepEqual(
      config.warnings.map((
        w,
      ) => [w.code, w.file.slice(FIXTURES.length + 1), w.line]),
      [
        ["unterminated-comment", "includes/parts/10-first.conf", 2],
        ["missing-equals", "includes/parts/30-third.conf", 1],
        ["not-regular-file", "includes/main.conf", 3],
      ],
    );
  },
);

Deno.test(
  "an include loop ends at the depth limit with Asterisk's errors",
  opts,
  async () => {
    const config = await readConfigFile("includes/loop-top.conf", {
      configDir: FIXTURES,
    });
    assert.equal(config.getAll("loop", "n").length, 10);
    assert.equal(config.files.length, 11);
    const last = config.warnings.at(-1)!;
    assert.equal(last.code, "include-depth");
    assert.equal(last.severity, "error");
    assert.equal(
      config.warnings.filter((w) => w.code === "duplicate-include").length,
      10,
    );
  },
);

Deno.test(
  "an include loop is cut by maxFiles before it multiplies",
  opts,
  async () => {
    await assert.rejects(
      readConfigFile("includes/loop-top.conf", {
        configDir: FIXTURES,
        maxFiles: 5,
      }),
      (error: unknown) =>
        error instanceof LimitExceededError && error.limit === "maxFiles",
    );
  },
);

Deno.test(
  "a missing #include in the top file rejects it with its position",
  opts,
  async () => {
    await assert.rejects(
      readConfigFile("includes/missing.conf", { configDir: FIXTURES }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigSyntaxError);
        assert.equal(error.code, "missing-include");
        assert.equal(error.file, `${FIXTURES}/includes/missing.conf`);
        assert.equal(error.line, 3);
        assert.equal(error.column, 1);
        assert.equal(error.text, "#include includes/does-not-exist.conf");
        return true;
      },
    );
  },
);

Deno.test(
  "a broken included file is cut short and the rest is kept",
  opts,
  async () => {
    const config = await readConfigFile("includes/bad-top.conf", {
      configDir: FIXTURES,
    });
    assert.equal(config.get("a", "before"), "1");
    assert.equal(config.get("a", "not-read"), undefined);
    assert.equal(config.get("a", "after"), "1");
    assert.deepEqual(config.warnings.map((w) => [w.code, w.severity, w.line]), [
      ["missing-bracket", "error", 2],
    ]);
    await assert.rejects(
      readConfigFile("includes/bad-top.conf", {
        configDir: FIXTURES,
        strict: true,
      }),
      ConfigSyntaxError,
    );
  },
);
