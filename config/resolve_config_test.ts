// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { LimitExceededError } from "../errors.ts";
import {
  ConfigAccessError,
  ConfigSyntaxError,
  parseConfig,
  resolveConfig,
} from "./mod.ts";
import { asyncHost, memoryHost } from "../tests/config/_helpers.ts";

const opts = { permissions: "none" } as const;

Deno.test(
  "resolveConfig follows includes through an async host",
  opts,
  async () => {
    const log: string[] = [];
    const config = await resolveConfig("[a]\n#include d/*.conf\n", {
      host: asyncHost(memoryHost({
        "/etc/asterisk/d/1.conf": "k = 1\n",
        "/etc/asterisk/d/2.conf": "k = 2\n",
      }, log)),
    });
    assert.deepEqual(config.getAll("a", "k"), ["1", "2"]);
    assert.deepEqual(log, [
      "list /etc/asterisk/d",
      "read /etc/asterisk/d/1.conf",
      "read /etc/asterisk/d/2.conf",
    ]);
  },
);

Deno.test(
  "resolveConfig resolves a parsed, edited document",
  opts,
  async () => {
    const doc = parseConfig("[a]\nk = 1\n", { file: "a.conf" });
    doc.set("a", { k: "2" });
    const config = await resolveConfig(doc);
    assert.equal(config.get("a", "k"), "2");
    assert.equal(config.category("a")!.file, "a.conf");
    assert.deepEqual(config.files, ["a.conf"]);
  },
);

Deno.test(
  "resolveConfig reports the position of a syntax error",
  opts,
  async () => {
    await assert.rejects(
      resolveConfig("[a]\n  k = 1\n  \\ bad\n", { file: "x.conf" }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigSyntaxError);
        assert.equal(error.name, "ConfigSyntaxError");
        assert.equal(error.code, "invalid-escape");
        assert.equal(error.line, 3);
        assert.equal(error.column, 3);
        assert.equal(error.text, "  \\ bad");
        assert.equal(
          error.message,
          'Cannot load config "x.conf": invalid escape at line 3, column 3',
        );
        return true;
      },
    );
  },
);

Deno.test(
  "resolveConfig refuses includes outside the config directory by default",
  opts,
  async () => {
    for (
      const include of [
        "/etc/passwd",
        "../secret.conf",
        "sub/../../x.conf",
        "/etc/asterisk-other/x.conf",
      ]
    ) {
      await assert.rejects(
        resolveConfig(`[a]\n#tryinclude ${include}\n`, {
          host: memoryHost({}),
        }),
        (error: unknown) =>
          error instanceof ConfigAccessError && error.path === include &&
          error.line === 2 &&
          error.configDir === "/etc/asterisk",
        include,
      );
    }
    const allowed = await resolveConfig("[a]\n#include /elsewhere/x.conf\n", {
      host: memoryHost({ "/elsewhere/x.conf": "k = 1\n" }),
      allowOutsideConfigDir: true,
    });
    assert.equal(allowed.get("a", "k"), "1");
    const inside = await resolveConfig("[a]\n#include /etc/asterisk/x.conf\n", {
      host: memoryHost({ "/etc/asterisk/x.conf": "k = 1\n" }),
    });
    assert.equal(inside.get("a", "k"), "1");
  },
);

Deno.test(
  "resolveConfig stops an include explosion at maxFiles",
  opts,
  async () => {
    // #tryinclude at the depth limit only warns, so each level fans out 3×.
    // (With #include, the first failure leaks an include level, as in
    // Asterisk, and the fan-out dies out by itself.)
    const files: Record<string, string> = {
      "/etc/asterisk/fan.conf": "#tryinclude fan.conf\n".repeat(3),
    };
    await assert.rejects(
      resolveConfig("[a]\n#include fan.conf\n", {
        host: memoryHost(files),
        maxFiles: 100,
      }),
      (error: unknown) =>
        error instanceof LimitExceededError && error.limit === "maxFiles" &&
        error.max === 100,
    );
  },
);

Deno.test("resolveConfig checks its numeric options", opts, async () => {
  await assert.rejects(resolveConfig("", { maxFiles: 0 }), TypeError);
  await assert.rejects(resolveConfig("", { maxIncludeDepth: 1.5 }), TypeError);
  await assert.rejects(resolveConfig("", { maxLineBytes: -1 }), TypeError);
});

Deno.test(
  "resolveConfig passes host failures through unchanged",
  opts,
  async () => {
    const failure = new Error("disk on fire");
    await assert.rejects(
      resolveConfig("[a]\n#include x.conf\n", {
        host: { readFile: () => Promise.reject(failure) },
      }),
      (error: unknown) => error === failure,
    );
    await assert.rejects(
      resolveConfig("[a]\n#include x.conf\n", {
        host: { readFile: () => 42 as unknown as string },
      }),
      TypeError,
    );
  },
);

Deno.test(
  "resolveConfig checks what an exec runner returns",
  opts,
  async () => {
    await assert.rejects(
      resolveConfig("[a]\n#exec x\n", { exec: () => ({}) as never }),
      (error: unknown) =>
        error instanceof ConfigSyntaxError && error.cause instanceof TypeError,
    );
  },
);
