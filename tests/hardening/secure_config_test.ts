// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Secure defaults of the config reader: `#exec` runs nothing unless
 * enabled, and includes (paths, `..`, symbolic links, absolute paths) stay
 * inside the config directory unless told otherwise.
 */
import assert from "node:assert/strict";
import { ConfigAccessError } from "../../config/errors.ts";
import { readConfigFile } from "../../config/read_config_file.ts";
import { resolveConfig } from "../../config/resolve_config.ts";

const CONFIG_DIR = "tests/fixtures/config";

Deno.test("#exec runs nothing unless enabled, and says so", async (t) => {
  await t.step("readConfigFile: off by default", async () => {
    const config = await readConfigFile("includes/exec.conf", {
      configDir: CONFIG_DIR,
    });
    assert.equal(config.category("made"), undefined);
    assert.ok(
      config.warnings.some((w) => /exec/i.test(w.code + w.message)),
      JSON.stringify(config.warnings),
    );
  });
  await t.step("readConfigFile: exec: true runs it through sh", async () => {
    const config = await readConfigFile("includes/exec.conf", {
      configDir: CONFIG_DIR,
      exec: true,
    });
    assert.equal(config.get("made", "by"), "exec");
  });
  await t.step(
    "resolveConfig: a runner is called only when given",
    async () => {
      const text = "[gen]\n#exec echo hi\n#EXEC echo hi\n";
      let runs = 0;
      const off = await resolveConfig(text);
      assert.equal(off.warnings.filter((w) => /exec/i.test(w.code)).length, 2);
      const on = await resolveConfig(text, {
        exec: () => {
          runs++;
          return { stdout: "k = v\n" };
        },
      });
      assert.equal(runs, 2);
      assert.deepEqual(on.getAll("gen", "k"), ["v", "v"]);
    },
  );
});

Deno.test("Includes stay inside the config directory unless allowOutsideConfigDir", async (t) => {
  for (
    const [name, file] of [
      ["a .. path", "includes/dotdot-top.conf"],
      ["a symbolic link out of the directory", "includes/link-top.conf"],
    ] as const
  ) {
    await t.step(`${name}: refused by default`, async () => {
      await assert.rejects(
        readConfigFile(file, { configDir: CONFIG_DIR }),
        (error) =>
          error instanceof ConfigAccessError &&
          /\.\.|outside|link/i.test(error.message),
      );
    });
    await t.step(`${name}: followed when allowed`, async () => {
      const config = await readConfigFile(file, {
        configDir: CONFIG_DIR,
        allowOutsideConfigDir: true,
      });
      assert.ok(config.files.length >= 2);
    });
  }
  await t.step(
    "an absolute path elsewhere: the host is never asked",
    async () => {
      const asked: string[] = [];
      const host = {
        readFile(path: string) {
          asked.push(path);
          return path === "/etc/passwd" ? "[root]\nx = y\n" : undefined;
        },
      };
      await assert.rejects(
        resolveConfig("[a]\n#include /etc/passwd\n", {
          configDir: "/etc/asterisk",
          host,
        }),
        ConfigAccessError,
      );
      await assert.rejects(
        resolveConfig("[a]\n#tryinclude ../../etc/passwd\n", {
          configDir: "/etc/asterisk",
          host,
        }),
        ConfigAccessError,
      );
      assert.deepEqual(asked, []);
      const allowed = await resolveConfig("[a]\n#include /etc/passwd\n", {
        configDir: "/etc/asterisk",
        host,
        allowOutsideConfigDir: true,
      });
      assert.equal(allowed.get("root", "x"), "y");
    },
  );
  await t.step("a glob cannot climb out either", async () => {
    const asked: string[] = [];
    await assert.rejects(
      resolveConfig("[a]\n#include ../*/passwd\n", {
        configDir: "/etc/asterisk",
        host: {
          readFile(path) {
            asked.push(path);
            return undefined;
          },
          readDir(path) {
            asked.push(path);
            return [{ name: "etc", isDirectory: true, isFile: false }];
          },
        },
      }),
      ConfigAccessError,
    );
    assert.deepEqual(asked, []);
  });
});
