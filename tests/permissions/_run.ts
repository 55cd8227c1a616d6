// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helper: runs an entry point in a `deno run` subprocess under exact
 * permission flags, with its stdio piped and a deadline.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A running entry point. */
export class Entry implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #stdout: ReadableStreamDefaultReader<string>;
  readonly #stderr: Promise<string>;
  /** Stdout not yet consumed by `waitFor`. */
  #out = "";
  /** All of stdout so far. */
  #all = "";
  #outDone = false;
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #status: Promise<Deno.CommandStatus>;

  /**
   * Starts `deno run <flags> <script> <args>` from the repository root.
   *
   * @param flags Exactly the permission flags to grant (nothing else is).
   * @param script The entry point, relative to the repository root.
   * @param args Its arguments.
   * @param deadlineMs Kill it after this long.
   */
  constructor(
    flags: readonly string[],
    script: string,
    args: readonly string[] = [],
    deadlineMs = 20_000,
  ) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-prompt", ...flags, script, ...args],
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#stdout = this.#child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    this.#stderr = new Response(this.#child.stderr).text();
    this.#status = this.#child.status;
    this.#timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // Gone already.
      }
    }, deadlineMs);
  }

  /** Writes to its stdin. */
  async write(text: string): Promise<void> {
    await this.#writer.write(encoder.encode(text));
  }

  /** Reads stdout until it holds `pattern`; returns the text up to there. */
  async waitFor(pattern: RegExp): Promise<string> {
    for (;;) {
      const match = pattern.exec(this.#out);
      if (match !== null) {
        const upTo = this.#out.slice(0, match.index + match[0].length);
        this.#out = this.#out.slice(match.index + match[0].length);
        return upTo;
      }
      if (this.#outDone) {
        throw new Error(
          `Entry point ended without printing ${pattern}: stdout ${
            JSON.stringify(this.#out)
          }, stderr ${JSON.stringify(await this.#stderr)}`,
        );
      }
      await this.#readMore();
    }
  }

  async #readMore(): Promise<void> {
    const { value, done } = await this.#stdout.read();
    if (done) this.#outDone = true;
    else {
      this.#out += value;
      this.#all += value;
    }
  }

  /** Sends a signal. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Gone already.
    }
  }

  /** Waits for the end: exit code, all of stdout, all of stderr. */
  async end(): Promise<{ code: number; stdout: string; stderr: string }> {
    await this.#writer.close().catch(() => {});
    while (!this.#outDone) await this.#readMore();
    const status = await this.#status;
    clearTimeout(this.#timer);
    return {
      code: status.code,
      stdout: this.#all,
      stderr: await this.#stderr,
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.end();
  }
}

/** Runs an entry point to its end with `stdin` written at once. */
export async function runEntry(
  flags: readonly string[],
  script: string,
  args: readonly string[] = [],
  stdin = "",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const entry = new Entry(flags, script, args);
  if (stdin !== "") await entry.write(stdin);
  return await entry.end();
}

/** A port that was free a moment ago (for an entry point that must listen on a fixed one). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Decodes bytes (for tests that read sockets). */
export function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
