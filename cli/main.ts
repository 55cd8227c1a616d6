#!/usr/bin/env -S deno run --allow-net=127.0.0.1:5038
// Copyright the @pyst/asterisk authors. MIT license.
/**
 * `pyst`: everyday Asterisk jobs from the command line, each with the
 * narrowest Deno permissions it needs.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1:5038 jsr:@pyst/asterisk/cli ami action Ping --username admin --secret s3cret
 * deno run --allow-net=pbx:5038 --allow-env=ASTERISK_AMI_HOST,ASTERISK_AMI_PORT,ASTERISK_AMI_USERNAME,ASTERISK_AMI_SECRET \
 *   jsr:@pyst/asterisk/cli ami events --filter Hangup | jq .
 * deno run --allow-run=deno jsr:@pyst/asterisk/cli agi run --dtmf 1 my_ivr.ts
 * deno run --allow-read=/etc/asterisk jsr:@pyst/asterisk/cli config lint pjsip.conf
 * deno run --allow-net=127.0.0.1 jsr:@pyst/asterisk/cli astemu --port 5038
 * ```
 *
 * | command | what | permissions |
 * | --- | --- | --- |
 * | `ami action NAME KEY=VALUE…` | send an action, print the reply | `--allow-net=HOST:PORT` |
 * | `ami command "core show channels"` | run a CLI command, print its output | `--allow-net=HOST:PORT` |
 * | `ami events [--filter …]` | events as JSON lines, for `jq` | `--allow-net=HOST:PORT` |
 * | `agi run SCRIPT` | run an AGI script against an emulated call | `--allow-run=deno` (or `--allow-net` for `agi://`) |
 * | `config dump FILE` / `config lint FILE` | a `.conf` file as Asterisk reads it | `--allow-read=/etc/asterisk` |
 * | `astemu` | an emulated Asterisk to point AMI tools at | `--allow-net=127.0.0.1` |
 *
 * AMI credentials come from `--host`, `--port`, `--username`, `--secret`,
 * or the environment variables `ASTERISK_AMI_HOST`, `ASTERISK_AMI_PORT`,
 * `ASTERISK_AMI_USERNAME` and `ASTERISK_AMI_SECRET` when `--allow-env`
 * grants them. A missing permission stops the command at once with a
 * message that names the exact flag to add. `pyst <command> --help`
 * describes each command.
 *
 * The same command line runs in-process through {@linkcode runPystCli}.
 *
 * @example Running a command in-process
 * ```ts
 * import { runPystCli } from "@pyst/asterisk/cli";
 * import assert from "node:assert/strict";
 *
 * let out = "";
 * const status = await runPystCli(["ami", "events", "--help"], {
 *   write: (text) => void (out += text),
 * });
 * assert.equal(status, 0);
 * assert.match(out, /one JSON object per line/);
 * ```
 *
 * @module
 */
import { runPystCli } from "./run_pyst_cli.ts";

export { runPystCli, type RunPystCliOptions } from "./run_pyst_cli.ts";

if (import.meta.main) {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  try {
    Deno.exitCode = await runPystCli(Deno.args, { signal: stop.signal });
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  }
}
