// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { LimitExceededError } from "../errors.ts";
import {
  ConfigAccessError,
  ConfigNotFoundError,
  ConfigSyntaxError,
  readConfigFile,
} from "./mod.ts";
import { FIXTURES, TRANSCRIPTS } from "../tests/config/_helpers.ts";

const opts: { permissions: Deno.PermissionOptions } = {
  permissions: { read: [FIXTURES, TRANSCRIPTS] },
};

Deno.test(
  "readConfigFile reads relative names from the config directory",
  opts,
  async () => {
    const config = await readConfigFile("oracle-sample.conf", {
      configDir: FIXTURES,
    });
    assert.deepEqual(config.names(), [
      "general",
      "alice",
      "bob",
      "multi",
      "last",
    ]);
    assert.deepEqual(config.files, [`${FIXTURES}/oracle-sample.conf`]);
    assert.deepEqual(config.warnings, []);
  },
);

Deno.test("readConfigFile reads an absolute path as given", opts, async () => {
  const config = await readConfigFile(`${FIXTURES}/oracle-sample.conf`, {
    configDir: "/nonexistent",
  });
  assert.equal(config.get("multi", "item"), "3");
});

Deno.test(
  "readConfigFile keeps the BOM for the resolver: only the first globbed file loses it",
  opts,
  async () => {
    const config = await readConfigFile("includes/main.conf", {
      configDir: FIXTURES,
    });
    assert.deepEqual(config.getAll("general", "order"), [
      "main",
      "first",
      "second",
      "third",
    ]);
    const third = config.warnings.find((w) => w.code === "missing-equals")!;
    assert.equal(third.file, `${FIXTURES}/includes/parts/30-third.conf`);
    assert.equal(third.line, 1);
  },
);

Deno.test(
  "readConfigFile throws ConfigNotFoundError for a missing file",
  opts,
  async () => {
    await assert.rejects(
      readConfigFile("nope.conf", { configDir: FIXTURES }),
      (error: unknown) =>
        error instanceof ConfigNotFoundError &&
        error.path === `${FIXTURES}/nope.conf`,
    );
    // A directory is not a config file either.
    await assert.rejects(
      readConfigFile("includes", { configDir: FIXTURES }),
      ConfigNotFoundError,
    );
  },
);

Deno.test(
  "readConfigFile refuses a symbolic link that leads out of the config directory",
  opts,
  async () => {
    await assert.rejects(
      readConfigFile("includes/link-top.conf", { configDir: FIXTURES }),
      (error: unknown) =>
        error instanceof ConfigAccessError &&
        error.path === `${FIXTURES}/includes/links/outside.conf` &&
        error.configDir === FIXTURES,
    );
    const allowed = await readConfigFile("includes/link-top.conf", {
      configDir: FIXTURES,
      allowOutsideConfigDir: true,
    });
    assert.ok(
      allowed.files.includes(`${FIXTURES}/includes/links/outside.conf`),
    );
  },
);

Deno.test(
  "readConfigFile refuses .. in an include unless allowed",
  opts,
  async () => {
    await assert.rejects(
      readConfigFile("includes/dotdot-top.conf", { configDir: FIXTURES }),
      (error: unknown) =>
        error instanceof ConfigAccessError &&
        error.path === "../transcripts/README.md" &&
        error.file === `${FIXTURES}/includes/dotdot-top.conf` &&
        error.line === 2,
    );
    const allowed = await readConfigFile("includes/dotdot-top.conf", {
      configDir: FIXTURES,
      allowOutsideConfigDir: true,
    });
    assert.equal(allowed.files.length, 2);
  },
);

Deno.test(
  "readConfigFile caps the file size with LimitExceededError",
  opts,
  async () => {
    await assert.rejects(
      readConfigFile("oracle-sample.conf", {
        configDir: FIXTURES,
        maxFileBytes: 100,
      }),
      (error: unknown) =>
        error instanceof LimitExceededError && error.limit === "maxFileBytes" &&
        error.max === 100,
    );
  },
);

Deno.test("readConfigFile leaves #exec off unless asked", opts, async () => {
  const config = await readConfigFile("includes/exec.conf", {
    configDir: FIXTURES,
  });
  assert.deepEqual(config.warnings.map((w) => w.code), ["exec-disabled"]);
  assert.equal(config.get("gen", "k"), undefined);
});

Deno.test("readConfigFile runs #exec through sh -c when exec is true", {
  permissions: { read: [FIXTURES], run: ["sh"] },
}, async () => {
  const config = await readConfigFile("includes/exec.conf", {
    configDir: FIXTURES,
    exec: true,
  });
  assert.equal(config.get("gen", "k"), "v");
  assert.equal(config.get("made", "by"), "exec");
  assert.deepEqual(config.warnings, []);
});

Deno.test(
  "readConfigFile passes #exec to a caller's runner",
  opts,
  async () => {
    const seen: string[] = [];
    const config = await readConfigFile("includes/exec.conf", {
      configDir: FIXTURES,
      exec: (command) => {
        seen.push(command);
        return Promise.resolve({ stdout: "k = runner\n" });
      },
    });
    assert.deepEqual(seen, ["printf 'k = v\\n[made]\\nby = exec\\n'"]);
    assert.equal(config.get("gen", "k"), "runner");
  },
);

Deno.test("readConfigFile caps #exec output with maxFileBytes", {
  permissions: { read: [FIXTURES], run: ["sh"] },
}, async () => {
  await assert.rejects(
    readConfigFile("includes/exec-big.conf", {
      configDir: FIXTURES,
      exec: true,
      maxFileBytes: 1000,
    }),
    (error: unknown) =>
      error instanceof ConfigSyntaxError && error.code === "exec-failed" &&
      error.cause instanceof LimitExceededError,
  );
});

Deno.test("readConfigFile needs read permission on the config directory", {
  permissions: { read: false },
}, async () => {
  await assert.rejects(
    readConfigFile("oracle-sample.conf", { configDir: FIXTURES }),
    Deno.errors.NotCapable,
  );
});
