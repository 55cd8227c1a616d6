// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helper: runs a Deno entry point of this repository as a subprocess
 * with exactly the permissions given, bounded in time.
 *
 * @module
 */

/** What a finished run printed and returned. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@linkcode runDeno}. */
export interface RunDenoOptions {
  /** Permission flags, e.g. `["--allow-net=127.0.0.1:5038"]`. */
  permissions?: readonly string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Kill it after this long. @default {20000} */
  timeoutMs?: number;
}

/**
 * Runs `deno run [permissions] script args…` from the repository root.
 *
 * @param script The entry point, relative to the repository root.
 * @param args Its arguments.
 * @param options Permissions, environment and time limit.
 * @returns Exit code and output.
 */
export async function runDeno(
  script: string,
  args: readonly string[],
  options: RunDenoOptions = {},
): Promise<RunResult> {
  const child = spawnDeno(script, args, options);
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: withoutDenoNotices(decoder.decode(output.stderr)),
  };
}

/**
 * Drops what Deno itself prints about `-P` (permissions from deno.json are
 * still marked experimental), so tests see only the program's own output.
 *
 * @param stderr Standard error as printed.
 * @returns It without Deno's notices.
 */
export function withoutDenoNotices(stderr: string): string {
  return stderr.replace(
    /^Warning Permissions in the config file is an experimental feature.*\n/gm,
    "",
  );
}

/**
 * Starts `deno run [permissions] script args…` with piped output.
 *
 * @param script The entry point, relative to the repository root.
 * @param args Its arguments.
 * @param options Permissions, environment and time limit.
 * @returns The child process.
 */
export function spawnDeno(
  script: string,
  args: readonly string[],
  options: RunDenoOptions = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      ...(options.permissions ?? []),
      script,
      ...args,
    ],
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
  }).spawn();
}

/**
 * Reads a stream's text line by line, so a test can wait for a line while
 * the process keeps running.
 */
export class LineReader {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  /** Every line read so far. */
  readonly lines: string[] = [];

  /**
   * Wraps a byte stream.
   *
   * @param stream The stream.
   */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /**
   * Reads until a line matches.
   *
   * @param pattern What to wait for.
   * @returns The matching line.
   * @throws {Error} If the stream ends first.
   */
  async waitFor(pattern: RegExp): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen !== undefined) return seen;
    while (true) {
      const newline = this.#buffer.indexOf("\n");
      if (newline !== -1) {
        const line = this.#buffer.slice(0, newline);
        this.#buffer = this.#buffer.slice(newline + 1);
        this.lines.push(line);
        if (pattern.test(line)) return line;
        continue;
      }
      const { value, done } = await this.#reader.read();
      if (done) {
        throw new Error(
          `Cannot find ${pattern} in output:\n${
            this.lines.join("\n")
          }${this.#buffer}`,
        );
      }
      this.#buffer += value;
    }
  }

  /**
   * Reads everything that is left.
   *
   * @returns All lines, those read before included.
   */
  async rest(): Promise<string[]> {
    while (true) {
      const { value, done } = await this.#reader.read();
      if (done) break;
      this.#buffer += value;
    }
    const parts = this.#buffer.split("\n");
    if (parts.at(-1) === "") parts.pop();
    this.lines.push(...parts);
    this.#buffer = "";
    return this.lines;
  }
}
