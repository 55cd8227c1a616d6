// Copyright the @pyst/asterisk authors. MIT license.
import {
  type AgiScript,
  type AgiScriptRunOptions,
  driveAgiScript,
} from "./agi_drive_script.ts";
import {
  type AgiTranscriptMismatch,
  AgiTranscriptReplayer,
  type AgiTranscriptReplayerOptions,
} from "./agi_transcript_replayer.ts";
import type { TranscriptEntry } from "./parse_transcript.ts";

/** Options of {@linkcode replayAgiCall}. */
export interface ReplayAgiCallOptions
  extends AgiScriptRunOptions, AgiTranscriptReplayerOptions {
  /**
   * The dialplan arguments passed to a stdio script (`argv[1…]`); the
   * transcript's environment block carries them for the others.
   *
   * @default {[]}
   */
  args?: readonly string[];
}

/** How a script fared against a recorded dialogue. */
export interface AgiReplayResult {
  /** Whether the whole transcript replayed without a difference. */
  readonly complete: boolean;
  /** How many of the script's lines matched the recording. */
  readonly matched: number;
  /** The first difference, if any. */
  readonly mismatch: AgiTranscriptMismatch | undefined;
  /** Lines the script sent after the recording ran out. */
  readonly extra: readonly string[];
  /** The script's exit code (stdio scripts only). */
  readonly exitCode: number | undefined;
  /** What the script wrote to stderr (stdio scripts only, else `""`). */
  readonly stderr: string;
  /** What an in-process script threw (`undefined` if it returned). */
  readonly error: unknown;
}

/**
 * Replays a recorded AGI dialogue (from a real Asterisk, or recorded by
 * {@linkcode emulateAgiCall}) as the Asterisk side against a script, and
 * checks that the script sends exactly the recorded commands.
 *
 * @param script The script: a session function, a command, or an `agi://` URL.
 * @param transcript Transcript text or entries.
 * @param options Limits and process options.
 * @returns Whether it matched, and where it did not.
 * @throws {SyntaxError} If the transcript text cannot be parsed.
 * @throws {TimeoutError} If the call takes longer than `timeoutMs`.
 *
 * @example A recorded call replays to the same result
 * ```ts
 * import { emulateAgiCall, replayAgiCall } from "@pyst/asterisk/astemu";
 * import type { AgiSession } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * async function script(agi: AgiSession) {
 *   await agi.answer();
 *   const digit = await agi.waitForDigit(5000);
 *   await agi.setVariable("PRESSED", digit ?? "none");
 * }
 * const recorded = await emulateAgiCall(script, { dtmf: ["7"] });
 * const replay = await replayAgiCall(script, recorded.transcript);
 * assert.equal(replay.complete, true);
 * assert.equal(replay.matched, 3);
 * ```
 */
export async function replayAgiCall(
  script: AgiScript,
  transcript: string | readonly TranscriptEntry[],
  options: ReplayAgiCallOptions = {},
): Promise<AgiReplayResult> {
  const replayer = new AgiTranscriptReplayer(transcript, options);
  const outcome = await driveAgiScript(
    script,
    replayer,
    options.args ?? [],
    options,
  );
  return {
    complete: replayer.complete,
    matched: replayer.matched,
    mismatch: replayer.mismatch,
    extra: replayer.extra,
    exitCode: outcome.exitCode,
    stderr: outcome.stderr ?? "",
    error: outcome.error,
  };
}
