#!/usr/bin/env -S deno run --allow-read=/etc/asterisk
// Copyright the @pyst/asterisk authors. MIT license.
/**
 * The `config` command line: print an Asterisk config file's resolved
 * configuration as GetConfigJSON text, or lint it.
 *
 * Needs `--allow-read` on the config directory (`/etc/asterisk` unless
 * `--config-dir` says otherwise) and `--allow-run=sh` only with `--exec`;
 * the `config` permission set in `deno.json` grants the default
 * (`deno run -P=config config/main.ts dump pjsip.conf`). Without them it
 * stops at once and names the flag to add.
 *
 * ```sh
 * deno run --allow-read=/etc/asterisk config/main.ts dump extensions.conf
 * deno run --allow-read=/etc/asterisk config/main.ts lint pjsip.conf
 * ```
 *
 * @example Running the CLI logic in-process
 * ```ts
 * import { resolveConfigSync, runConfigCli } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * let out = "";
 * const status = await runConfigCli(["dump", "x.conf"], {
 *   write: (text) => { out += text; },
 *   error: () => {},
 *   queryPermission: () => Promise.resolve("granted"),
 *   readConfig: () => Promise.resolve(resolveConfigSync("[a]\nk=v\n")),
 * });
 * assert.equal(status, 0);
 * assert.equal(out, '{"a":{"k":"v"}}\n');
 * ```
 *
 * @module
 */

import { readConfigFile } from "./read_config_file.ts";
import { runConfigCli } from "./run_config_cli.ts";

const encoder = new TextEncoder();

async function writeAll(
  target: { write(p: Uint8Array): Promise<number> },
  text: string,
): Promise<void> {
  let bytes = encoder.encode(text);
  while (bytes.byteLength > 0) {
    const n = await target.write(bytes);
    bytes = bytes.subarray(n);
  }
}

if (import.meta.main) {
  Deno.exitCode = await runConfigCli(Deno.args, {
    write: (text) => writeAll(Deno.stdout, text),
    error: (text) => writeAll(Deno.stderr, text),
    queryPermission: async (permission) =>
      (await Deno.permissions.query(permission)).state,
    readConfig: readConfigFile,
  });
}
