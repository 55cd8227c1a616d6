// Copyright the @pyst/asterisk authors. MIT license.
import { TimeoutError } from "../errors.ts";
import type { AgiAsteriskSide } from "./agi_asterisk_side.ts";

/** The directory variables Asterisk gives every stdio AGI script. */
const AST_DIRECTORY_NAMES = [
  "AST_CONFIG_DIR",
  "AST_CONFIG_FILE",
  "AST_MODULE_DIR",
  "AST_SPOOL_DIR",
  "AST_MONITOR_DIR",
  "AST_VAR_DIR",
  "AST_DATA_DIR",
  "AST_LOG_DIR",
  "AST_AGI_DIR",
  "AST_KEY_DIR",
  "AST_RUN_DIR",
] as const;

/** Options of {@linkcode runStdioAgiScript}. */
export interface RunStdioAgiScriptOptions {
  /**
   * The dialplan arguments, appended to the command's arguments (Asterisk
   * passes them as `argv[1…]`).
   *
   * @default {[]}
   */
  args?: readonly string[];
  /**
   * Values of Asterisk's `AST_*_DIR` variables (and `AST_CONFIG_FILE`) given
   * to the script; each missing one is set to a placeholder below
   * `astemu-root/`, so scripts see every variable Asterisk sets.
   *
   * @default {{}}
   */
  astDirectories?: Readonly<Record<string, string>>;
  /**
   * Extra environment variables for the script (it inherits the current
   * environment, as under Asterisk it inherits Asterisk's).
   *
   * @default {{}}
   */
  env?: Readonly<Record<string, string>>;
  /**
   * Working directory of the script.
   *
   * @default {the current directory}
   */
  cwd?: string;
  /**
   * Longest the whole call may take in real time; then the script is killed
   * and a `TimeoutError` thrown.
   *
   * @default {30000}
   */
  timeoutMs?: number;
  /**
   * Most bytes of the script's stderr kept; the rest is dropped.
   *
   * @default {1048576}
   */
  maxStderrBytes?: number;
  /**
   * Where the script's stderr goes: captured into the result, or passed
   * through to this process's stderr.
   *
   * @default {"piped"}
   */
  stderr?: "piped" | "inherit";
  /**
   * Aborting kills the script and rejects with the signal's reason.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** How a stdio AGI script ended. */
export interface RunStdioAgiScriptResult {
  /** Its exit code. */
  readonly exitCode: number;
  /** The signal that ended it, if one did. */
  readonly signal: string | null;
  /** What it wrote to stderr (when captured). */
  readonly stderr: string;
}

/**
 * Starts an AGI script as a subprocess, as Asterisk does for `AGI(script)`:
 * any executable (for example `["deno", "run", "my_agi.ts"]`), its stdin and
 * stdout as pipes, the dialplan arguments after its own, Asterisk's `AST_*`
 * variables in its environment, and SIGHUP when the channel hangs up. `side`
 * (an {@linkcode AgiEmulator} or an {@linkcode AgiTranscriptReplayer}) plays
 * Asterisk over those pipes. Resolves when the script has exited.
 *
 * Needs `--allow-run` for the command.
 *
 * @param command The executable and its own arguments.
 * @param side Asterisk's side of the dialogue.
 * @param options Arguments, environment, limits.
 * @returns The exit code, the terminating signal and stderr.
 * @throws {TypeError} If `command` is empty.
 * @throws {TimeoutError} If the call takes longer than `timeoutMs`.
 * @throws {Deno.errors.NotFound} If the executable does not exist.
 * @throws {Deno.errors.NotCapable} Without the run permission.
 *
 * @example Running a shell one-liner against an emulated call
 * ```ts
 * import { AgiEmulator, runStdioAgiScript } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * const emulator = new AgiEmulator({ request: "hello.sh" });
 * const script = 'while read line && [ -n "$line" ]; do :; done; ' +
 *   'echo "SET VARIABLE GREETING hello"; read reply; echo "$reply" >&2';
 * const { exitCode, stderr } = await runStdioAgiScript(
 *   ["sh", "-c", script],
 *   emulator,
 * );
 * assert.equal(exitCode, 0);
 * assert.equal(stderr, "200 result=1\n");
 * assert.equal(emulator.call.variables.get("GREETING"), "hello");
 * ```
 */
export async function runStdioAgiScript(
  command: readonly string[],
  side: AgiAsteriskSide,
  options: RunStdioAgiScriptOptions = {},
): Promise<RunStdioAgiScriptResult> {
  const [executable, ...ownArgs] = command;
  if (executable === undefined || executable === "") {
    throw new TypeError("Cannot run AGI script: the command is empty");
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxStderr = options.maxStderrBytes ?? 1_048_576;
  options.signal?.throwIfAborted();
  const env: Record<string, string> = {};
  for (const name of AST_DIRECTORY_NAMES) {
    env[name] = options.astDirectories?.[name] ??
      `astemu-root/${name.slice(4).toLowerCase()}`;
  }
  Object.assign(env, options.env ?? {});
  const child = new Deno.Command(executable, {
    args: [...ownArgs, ...(options.args ?? [])],
    stdin: "piped",
    stdout: "piped",
    stderr: options.stderr ?? "piped",
    env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const kill = (signal: Deno.Signal) => {
    if (exited) return;
    try {
      child.kill(signal);
    } catch {
      // It exited in the meantime.
    }
  };
  const stderr = options.stderr === "inherit"
    ? Promise.resolve("")
    : collect(child.stderr, maxStderr);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new TimeoutError(
          `Cannot finish AGI call: script ${
            JSON.stringify(executable)
          } still running after ${timeoutMs} ms`,
          timeoutMs,
        ),
      );
    }, timeoutMs);
  });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(options.signal!.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
  const dialogue = (async () => {
    await side.serve(child.stdout, child.stdin, {
      onSighup: () => kill("SIGHUP"),
    });
    return await status;
  })();
  try {
    const result = await Promise.race([dialogue, expired, aborted]);
    return {
      exitCode: result.code,
      signal: result.signal,
      stderr: await stderr,
    };
  } catch (error) {
    kill("SIGKILL");
    await status;
    await dialogue.catch(() => {});
    await stderr.catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) {
      options.signal?.removeEventListener("abort", onAbort);
    }
  }
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  max: number,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    if (size >= max) continue;
    const room = max - size;
    const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
    chunks.push(piece);
    size += piece.length;
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(out);
}
