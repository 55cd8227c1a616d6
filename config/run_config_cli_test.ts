// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import {
  CONFIG_CLI_USAGE,
  type ConfigCliIo,
  type ConfigCliPermission,
  loadConfig,
  type ReadConfigFileOptions,
} from "./mod.ts";
import { runConfigCli } from "./run_config_cli.ts";
import { memoryHost } from "../tests/config/_helpers.ts";

const opts = { permissions: "none" } as const;

const FILES = {
  "/etc/asterisk/pbx.conf": "[t](!)\nk = 1\n[a](t)\nk = 2\n#bogus\n[a]\n",
  "/etc/asterisk/bad.conf": "[a\n",
  "/srv/pbx/x.conf": "[x]\ny = 1\n",
};

function fakeIo(granted: (p: ConfigCliPermission) => boolean = () => true) {
  const out: string[] = [];
  const err: string[] = [];
  const reads: [string, ReadConfigFileOptions][] = [];
  const io: ConfigCliIo = {
    write: (text) => {
      out.push(text);
    },
    error: (text) => {
      err.push(text);
    },
    queryPermission: (p) => Promise.resolve(granted(p) ? "granted" : "prompt"),
    readConfig: (path, options) => {
      reads.push([path, options]);
      return loadConfig(path, {
        configDir: options.configDir ?? "/etc/asterisk",
        host: memoryHost(FILES),
      });
    },
  };
  return { io, out, err, reads };
}

Deno.test(
  "runConfigCli dump prints GetConfigJSON text and warnings",
  opts,
  async () => {
    const { io, out, err, reads } = fakeIo();
    assert.equal(await runConfigCli(["dump", "pbx.conf"], io), 0);
    assert.deepEqual(out, ['{"a":{"templates":"t","k":"1","k":"2"},"a":{}}\n']);
    assert.deepEqual(err, [
      '/etc/asterisk/pbx.conf:5:1: warning: Unknown directive "#bogus", line ignored [unknown-directive]\n',
    ]);
    assert.deepEqual(reads, [[
      "pbx.conf",
      {
        configDir: "/etc/asterisk",
        exec: false,
        allowOutsideConfigDir: false,
        strict: false,
      },
    ]]);
  },
);

Deno.test(
  "runConfigCli dump --object, --category and --filter shape the output",
  opts,
  async () => {
    const { io, out } = fakeIo();
    assert.equal(
      await runConfigCli([
        "dump",
        "--object",
        "--filter=TEMPLATES=restrict",
        "pbx.conf",
      ], io),
      0,
    );
    assert.deepEqual(JSON.parse(out.join("")), {
      t: { istemplate: 1, k: "1" },
    });
    const second = fakeIo();
    assert.equal(
      await runConfigCli(["dump", "--category", "t", "pbx.conf"], second.io),
      0,
    );
    assert.deepEqual(second.out, ["{}\n"]);
  },
);

Deno.test(
  "runConfigCli lint lists findings and sets the exit status",
  opts,
  async () => {
    const { io, out } = fakeIo();
    assert.equal(await runConfigCli(["lint", "pbx.conf"], io), 1);
    assert.deepEqual(out, [
      '/etc/asterisk/pbx.conf:5:1: warning: Unknown directive "#bogus", line ignored [unknown-directive]\n',
      '/etc/asterisk/pbx.conf:6:1: lint: Section "a" is defined again (first at /etc/asterisk/pbx.conf:3) [duplicate-section]\n',
    ]);
    const clean = fakeIo();
    assert.equal(await runConfigCli(["lint", "/srv/pbx/x.conf"], clean.io), 0);
    assert.deepEqual(clean.out, []);
  },
);

Deno.test(
  "runConfigCli reports an invalid file with its position",
  opts,
  async () => {
    const { io, err } = fakeIo();
    assert.equal(await runConfigCli(["dump", "bad.conf"], io), 1);
    assert.deepEqual(err, [
      '/etc/asterisk/bad.conf:1:1: error: Cannot load config "/etc/asterisk/bad.conf": no closing "]" at line 1, column 1 [missing-bracket]\n',
    ]);
    const missing = fakeIo();
    assert.equal(await runConfigCli(["lint", "nope.conf"], missing.io), 1);
    assert.deepEqual(missing.err, [
      'Cannot load config "nope.conf": file not found\n',
    ]);
  },
);

Deno.test(
  "runConfigCli names the exact permission flags that are missing",
  opts,
  async () => {
    const noRead = fakeIo(() => false);
    assert.equal(
      await runConfigCli(["dump", "--exec", "/srv/pbx/x.conf"], noRead.io),
      2,
    );
    assert.deepEqual(noRead.err, [
      'Cannot read config "/srv/pbx/x.conf": permission missing, run with --allow-read=/etc/asterisk,/srv/pbx/x.conf --allow-run=sh\n',
    ]);
    const noRun = fakeIo((p) => p.name === "read");
    assert.equal(
      await runConfigCli(
        ["dump", "--exec", "--config-dir", "/c", "x.conf"],
        noRun.io,
      ),
      2,
    );
    assert.deepEqual(noRun.err, [
      'Cannot read config "x.conf": permission missing, run with --allow-run=sh\n',
    ]);
    assert.equal(noRun.out.length, 0);
  },
);

Deno.test("runConfigCli explains usage mistakes", opts, async () => {
  for (
    const args of [[], ["dump"], ["frob", "x"], ["dump", "--nope", "x"], [
      "dump",
      "a",
      "b",
    ], ["dump", "--config-dir"]]
  ) {
    const { io, err } = fakeIo();
    assert.equal(await runConfigCli(args, io), 2, args.join(" "));
    assert.match(err[0]!, /^Cannot run config CLI: /);
    assert.ok(err[0]!.endsWith(CONFIG_CLI_USAGE));
  }
  const help = fakeIo();
  assert.equal(await runConfigCli(["--help"], help.io), 0);
  assert.deepEqual(help.out, [CONFIG_CLI_USAGE]);
});
