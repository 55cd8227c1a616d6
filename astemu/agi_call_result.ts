// Copyright the @pyst/asterisk authors. MIT license.
import type {
  AgiChannelModel,
  AgiExecutedApplication,
  AgiRecording,
  AgiSaid,
  AgiVerboseMessage,
} from "./agi_channel_model.ts";
import type { AgiCommandRecord, AgiEmulator } from "./agi_emulator.ts";
import type { TranscriptEntry } from "./parse_transcript.ts";

/** What happened during one emulated AGI call. */
export interface AgiCallResult {
  /** The channel model at the end of the call. */
  readonly call: AgiChannelModel;
  /** Sound files played (that existed), in order. */
  readonly played: readonly string[];
  /** `SAY …` prompts, in order. */
  readonly said: readonly AgiSaid[];
  /** Channel variables at the end of the call. */
  readonly variables: ReadonlyMap<string, string>;
  /** The AstDB at the end of the call, keyed `family/key`. */
  readonly database: ReadonlyMap<string, string>;
  /** Verbose messages: what Asterisk's console showed. */
  readonly verbose: readonly AgiVerboseMessage[];
  /** Applications run through `EXEC`. */
  readonly executed: readonly AgiExecutedApplication[];
  /** Recordings made with `RECORD FILE`. */
  readonly recordings: readonly AgiRecording[];
  /** Every command and its reply. */
  readonly commands: readonly AgiCommandRecord[];
  /** Whether the channel was answered when the call ended. */
  readonly answered: boolean;
  /** Who hung up, if anyone did. */
  readonly hungUpBy: "caller" | "script" | undefined;
  /** `AGISTATUS` as Asterisk would set it. */
  readonly status: "SUCCESS" | "FAILURE" | "HANGUP";
  /** The script's exit code (stdio scripts only). */
  readonly exitCode: number | undefined;
  /** What the script wrote to stderr (stdio scripts only, else `""`). */
  readonly stderr: string;
  /** What an in-process script threw (`undefined` if it returned). */
  readonly error: unknown;
  /** The recorded dialogue; `formatTranscript` turns it into text. */
  readonly transcript: readonly TranscriptEntry[];
}

/** Extra facts a transport adds to the emulator's own. */
export interface AgiCallResultExtra {
  exitCode?: number | undefined;
  stderr?: string;
  error?: unknown;
}

/**
 * Builds the result of a call from its emulator.
 *
 * @param emulator The emulator that played the call.
 * @param extra What the transport learned (exit code, stderr, error).
 * @returns The result.
 */
export function buildAgiCallResult(
  emulator: AgiEmulator,
  extra: AgiCallResultExtra = {},
): AgiCallResult {
  const call = emulator.call;
  let status = emulator.status;
  if (
    status === "SUCCESS" && extra.exitCode !== undefined && extra.exitCode !== 0
  ) {
    status = "FAILURE";
  }
  return {
    call,
    played: call.played,
    said: call.said,
    variables: call.variables,
    database: call.database,
    verbose: call.verbose,
    executed: call.executed,
    recordings: call.recordings,
    commands: emulator.commands,
    answered: call.answered,
    hungUpBy: emulator.hungUpBy,
    status,
    exitCode: extra.exitCode,
    stderr: extra.stderr ?? "",
    error: extra.error,
    transcript: emulator.transcript,
  };
}
