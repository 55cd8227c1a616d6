// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helper: runs an AGI script as a child process and plays Asterisk on
 * its pipes (stdin: environment and replies; stdout: command lines), with
 * every wait bounded in time.
 *
 * @module
 */
import { parseTranscript } from "../../astemu/parse_transcript.ts";

const encoder = new TextEncoder();

/**
 * The `agi_*` block of `agi-stdio.txt` (LF line ends, as Asterisk writes
 * it), with its `agi_arg_N` lines replaced by `args` and values replaced by
 * `overrides`.
 */
export async function stdioEnvironment(
  args: readonly string[],
  overrides: Readonly<Record<string, string>> = {},
): Promise<Uint8Array> {
  const text = await Deno.readTextFile(
    new URL("../fixtures/transcripts/agi-stdio.txt", import.meta.url),
  );
  const entries = parseTranscript(text);
  const end = entries.findIndex((entry) => entry.direction === "toAsterisk");
  const lines = entries.slice(0, end)
    .filter((entry) => entry.direction === "fromAsterisk" && entry.text !== "")
    .map((entry) => entry.text)
    .filter((line) => !line.startsWith("agi_arg_"))
    .map((line) => {
      const key = line.slice(0, line.indexOf(":"));
      return key in overrides ? `${key}: ${overrides[key]}` : line;
    });
  args.forEach((arg, index) => lines.push(`agi_arg_${index + 1}: ${arg}`));
  return encoder.encode(lines.join("\n") + "\n\n");
}

/** A running AGI script seen from Asterisk's side. */
export class AgiChild {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: ReadableStreamDefaultReader<string>;
  readonly #stderr: Promise<string>;

  constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#lines = child.stdout
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(splitLines())
      .getReader();
    this.#stderr = new Response(child.stderr).text();
  }

  /** Writes to the script's stdin. */
  async send(data: string | Uint8Array): Promise<void> {
    await this.#writer.write(
      typeof data === "string" ? encoder.encode(data) : data,
    );
  }

  /** The next command line, or `null` once the script closed stdout. */
  async readLine(timeoutMs = 10_000): Promise<string | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const result = await Promise.race([
        this.#lines.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new Error("AgiChild: no line from the script in time")),
            timeoutMs,
          );
        }),
      ]);
      return result.done ? null : result.value;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal to the script. */
  kill(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Closes stdin, waits for the exit; returns the status and stderr. */
  async finish(
    timeoutMs = 10_000,
  ): Promise<{ status: Deno.CommandStatus; stderr: string }> {
    await this.#writer.close().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const status = await Promise.race([
        this.#child.status,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            this.#child.kill("SIGKILL");
            reject(new Error("AgiChild: the script did not exit in time"));
          }, timeoutMs);
        }),
      ]);
      for (;;) if ((await this.#lines.read()).done) break;
      return { status, stderr: await this.#stderr };
    } finally {
      clearTimeout(timer);
    }
  }
}

function splitLines(): TransformStream<string, string> {
  let pending = "";
  return new TransformStream({
    transform(chunk, controller) {
      pending += chunk;
      let lf: number;
      while ((lf = pending.indexOf("\n")) !== -1) {
        controller.enqueue(pending.slice(0, lf));
        pending = pending.slice(lf + 1);
      }
    },
    flush(controller) {
      if (pending !== "") controller.enqueue(pending);
    },
  });
}

/** `deno run <script>` with no flag at all, pipes on stdin/stdout/stderr. */
export function spawnScript(
  script: URL,
  args: readonly string[] = [],
): AgiChild {
  return spawn(Deno.execPath(), ["run", script.pathname, ...args]);
}

/** Any command with pipes on stdin/stdout/stderr. */
export function spawn(command: string, args: readonly string[]): AgiChild {
  return new AgiChild(
    new Deno.Command(command, {
      args: [...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    }).spawn(),
  );
}

/**
 * Answers the agitb report a failing script sends (VERBOSE lines, on by
 * default for stdio scripts) until the script closes stdout; returns the
 * report's lines joined.
 */
export async function drainAgitbReport(agi: AgiChild): Promise<string> {
  const lines: string[] = [];
  for (
    let line = await agi.readLine();
    line !== null;
    line = await agi.readLine()
  ) {
    if (!line.startsWith("VERBOSE ")) {
      throw new Error(
        `Expected an agitb VERBOSE line, got ${JSON.stringify(line)}`,
      );
    }
    lines.push(line);
    await agi.send("200 result=1\n");
  }
  return lines.join("\n");
}
