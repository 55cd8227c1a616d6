// Copyright the @pyst/asterisk authors. MIT license.
import { type AgiCallResult, buildAgiCallResult } from "./agi_call_result.ts";
import {
  type AgiScript,
  type AgiScriptRunOptions,
  driveAgiScript,
  scriptTransport,
  stdioRequest,
} from "./agi_drive_script.ts";
import { AgiEmulator, type AgiEmulatorOptions } from "./agi_emulator.ts";

/** Options of {@linkcode emulateAgiCall}. */
export interface EmulateAgiCallOptions
  extends AgiEmulatorOptions, AgiScriptRunOptions {}

/**
 * Runs an AGI script against an emulated call and tells what it did: the
 * files it played, the variables and AstDB entries it left, what it logged,
 * every command and reply, and the transcript. So a test reads "given this
 * call and these keypresses, my script plays these files and sets these
 * variables".
 *
 * The transport follows the script: a function runs in-process (stdio
 * semantics unless `transport` says otherwise), a command runs as a stdio
 * subprocess, an `agi://` URL is called over FastAGI.
 *
 * @param script The script: a session function, a command, or an `agi://` URL.
 * @param options The call (channel, caller id, variables, sounds…), the
 * caller's keypresses, faults, and limits.
 * @returns What happened.
 * @throws {TimeoutError} If the call takes longer than `timeoutMs`.
 * @throws {TypeError} On a bad keypress or URL.
 *
 * @example Given a keypress, the script plays the right prompt
 * ```ts
 * import { emulateAgiCall } from "@pyst/asterisk/astemu";
 * import type { AgiSession } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * async function menu(agi: AgiSession) {
 *   await agi.answer();
 *   const { digits } = await agi.getData("menu", { timeoutMs: 3000, maxDigits: 1 });
 *   await agi.setVariable("CHOICE", digits);
 *   await agi.streamFile(digits === "1" ? "sales" : "support");
 * }
 *
 * const call = await emulateAgiCall(menu, {
 *   sounds: { menu: 4000, sales: 1500, support: 1500 },
 *   dtmf: ["1"],
 * });
 * assert.deepEqual(call.played, ["menu", "sales"]);
 * assert.equal(call.variables.get("CHOICE"), "1");
 * assert.equal(call.status, "SUCCESS");
 * ```
 */
export async function emulateAgiCall(
  script: AgiScript,
  options: EmulateAgiCallOptions = {},
): Promise<AgiCallResult> {
  const kind = scriptTransport(script);
  const emulator = new AgiEmulator({
    ...options,
    transport: kind === "in-process"
      ? options.transport ?? "stdio"
      : kind === "fastagi"
      ? "fastagi"
      : "stdio",
    ...(options.request !== undefined || kind === "in-process" ? {} : {
      request: kind === "fastagi"
        ? String(script)
        : stdioRequest(script as readonly string[]),
    }),
  });
  try {
    const outcome = await driveAgiScript(
      script,
      emulator,
      options.args ?? [],
      options,
    );
    return buildAgiCallResult(emulator, outcome);
  } finally {
    emulator.close();
  }
}
