// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: runs an AGI script of any kind (in-process function, stdio
 * command, FastAGI URL) against one Asterisk side. Shared by
 * `emulateAgiCall` and `replayAgiCall`.
 *
 * @module
 */
import { TimeoutError } from "../errors.ts";
import type { AgiSession } from "../agi/agi_session.ts";
import {
  createAgiSession,
  type CreateAgiSessionOptions,
} from "../agi/create_agi_session.ts";
import type { AgiAsteriskSide } from "./agi_asterisk_side.ts";
import { connectFastAgiServer } from "./agi_connect_fast_agi_server.ts";
import { runStdioAgiScript } from "./agi_run_stdio_script.ts";

/**
 * The AGI script under test:
 *
 * * a function taking an `AgiSession`: runs in this process over an
 *   in-memory pipe (a hangup reaches it as SIGHUP would, through
 *   `session.notifyHangup()`, or as a `HANGUP` line with
 *   `transport: "fastagi"`);
 * * a command (`["deno", "run", "my_agi.ts"]`): started as a stdio AGI
 *   script (needs `--allow-run`);
 * * an `agi://host:port/path?query` URL: a FastAGI server that is called
 *   (needs `--allow-net`).
 */
export type AgiScript =
  | ((session: AgiSession) => unknown)
  | readonly string[]
  | string
  | URL;

/** How the script is run; shared by the call helpers. */
export interface AgiScriptRunOptions {
  /**
   * Longest the call may take in real time; then it is cut and a
   * `TimeoutError` thrown.
   *
   * @default {30000}
   */
  timeoutMs?: number;
  /**
   * Options of the in-process session (tracing, limits).
   *
   * @default {{}}
   */
  session?: CreateAgiSessionOptions;
  /**
   * Extra environment variables for a stdio script.
   *
   * @default {{}}
   */
  env?: Readonly<Record<string, string>>;
  /**
   * Working directory of a stdio script.
   *
   * @default {the current directory}
   */
  cwd?: string;
  /**
   * Where a stdio script's stderr goes.
   *
   * @default {"piped"}
   */
  stderr?: "piped" | "inherit";
}

/** What the driver learned besides the Asterisk side's own record. */
export interface DriveOutcome {
  exitCode?: number;
  stderr?: string;
  error?: unknown;
}

/** Which transport a script needs. */
export function scriptTransport(
  script: AgiScript,
): "in-process" | "stdio" | "fastagi" {
  if (typeof script === "function") return "in-process";
  if (typeof script === "string" || script instanceof URL) return "fastagi";
  return "stdio";
}

/** The `agi_request` Asterisk would send for a stdio command. */
export function stdioRequest(command: readonly string[]): string {
  const last = command.at(-1) ?? "";
  return last.slice(last.lastIndexOf("/") + 1);
}

/**
 * Runs `script` against `side`.
 *
 * @param script The script.
 * @param side Asterisk's side.
 * @param args Dialplan arguments (stdio argv).
 * @param options Limits and process options.
 * @returns Exit code, stderr, or what an in-process script threw.
 */
export async function driveAgiScript(
  script: AgiScript,
  side: AgiAsteriskSide,
  args: readonly string[],
  options: AgiScriptRunOptions,
): Promise<DriveOutcome> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (typeof script === "function") {
    return await inProcess(script, side, options.session ?? {}, timeoutMs);
  }
  if (typeof script === "string" || script instanceof URL) {
    await connectFastAgiServer(script, side, { timeoutMs });
    return {};
  }
  const { exitCode, stderr } = await runStdioAgiScript(script, side, {
    args,
    timeoutMs,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.stderr === undefined ? {} : { stderr: options.stderr }),
  });
  return { exitCode, stderr };
}

async function inProcess(
  script: (session: AgiSession) => unknown,
  side: AgiAsteriskSide,
  sessionOptions: CreateAgiSessionOptions,
  timeoutMs: number,
): Promise<DriveOutcome> {
  const toScript = new TransformStream<Uint8Array, Uint8Array>();
  const toAsterisk = new TransformStream<Uint8Array, Uint8Array>();
  let session: AgiSession | undefined;
  let sighup = false;
  const served = side.serve(toAsterisk.readable, toScript.writable, {
    onSighup: () => {
      sighup = true;
      session?.notifyHangup();
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), timeoutMs);
  });
  let error: unknown;
  let timedOut = false;
  try {
    session = await createAgiSession(
      toScript.readable,
      toAsterisk.writable,
      sessionOptions,
    );
    if (sighup) session.notifyHangup();
    const running = (async () => {
      try {
        await script(session);
      } catch (thrown) {
        error = thrown;
      }
    })();
    timedOut = await Promise.race([running, expired]) === "expired";
  } finally {
    clearTimeout(timer);
    if (session !== undefined) await session.close();
    else await toAsterisk.writable.close().catch(() => {});
    await served;
  }
  if (timedOut) {
    throw new TimeoutError(
      `Cannot finish emulated AGI call: script still running after ${timeoutMs} ms`,
      timeoutMs,
    );
  }
  return { error };
}
