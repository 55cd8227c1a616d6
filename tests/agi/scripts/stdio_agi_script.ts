#!/usr/bin/env -S deno run
// Copyright the @pyst/asterisk authors. MIT license.
/**
 * A stdio AGI script for `tests/agi/stdio_agi_test.ts`, run with no
 * permission flag. What it does depends on its first dialplan argument:
 *
 * - `ok`: ANSWER, GET VARIABLE AGISCRIPT, SET VARIABLE, then returns (exit 0);
 * - `hangup`: the same, then HANGUP, waits for SIGHUP, records that it saw
 *   it on the dead channel and waits for a digit, which fails with an
 *   AgiHangupError (exit 1, nothing printed);
 * - `throw`: ANSWER, then throws (exit 1, the error on stderr).
 *
 * @module
 */
import { runAgi } from "../../../agi/mod.ts";

await runAgi(async (agi) => {
  const mode = agi.env.args[0];
  await agi.answer();
  if (mode === "throw") throw new Error("the script gave up");
  const script = await agi.getVariable("AGISCRIPT");
  await agi.setVariable("ORACLE_TEST", `hello from ${script}`);
  if (mode !== "hangup") return;
  await agi.hangup();
  if (!agi.signal.aborted) {
    await new Promise((resolve) =>
      agi.signal.addEventListener("abort", resolve, { once: true })
    );
  }
  await agi.setVariable("SAW_SIGHUP", String(agi.hungUp));
  await agi.waitForDigit(5000);
});
