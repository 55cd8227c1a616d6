#!/usr/bin/env -S deno run
// Copyright the @pyst/asterisk authors. MIT license.
/**
 * A stdio AGI script: Asterisk starts it for `AGI(stdio_ivr.ts)` and talks
 * to it over stdin/stdout. It greets the caller, reads an account number
 * (up to 4 digits, ended by `#` or a 5 s pause), reads it back, stores it
 * in the channel variable `ACCOUNT` and says goodbye. It needs no Deno
 * permission at all:
 *
 * ```sh
 * deno run examples/stdio_ivr.ts
 * ```
 *
 * In the dialplan (the script must be executable, with this shebang):
 *
 * ```
 * exten => 100,1,AGI(/usr/share/asterisk/agi-bin/stdio_ivr.ts)
 * ```
 *
 * Try it on an emulated call, pressing 4, 2 and `#`:
 *
 * ```sh
 * deno run --allow-run=deno cli/main.ts agi run --dtmf 42# examples/stdio_ivr.ts
 * ```
 *
 * @module
 */
import { type AgiSession, runAgi } from "@pyst/asterisk/agi";

/** The IVR, for any transport. */
export async function accountIvr(agi: AgiSession): Promise<void> {
  await agi.answer();
  await agi.streamFile("hello-world");
  const { digits } = await agi.getData("beep", {
    timeoutMs: 5000,
    maxDigits: 4,
  });
  if (digits === "") {
    await agi.verbose("no account number entered", 2);
  } else {
    await agi.sayDigits(digits);
    await agi.setVariable("ACCOUNT", digits);
  }
  await agi.streamFile("vm-goodbye");
  await agi.hangup();
}

if (import.meta.main) {
  // Reads the environment from stdin, turns SIGHUP into a hangup, and exits
  // 0 when the IVR returns, 1 when it throws (AGISTATUS=FAILURE); a caller
  // hanging up ends it quietly.
  await runAgi(accountIvr);
}
