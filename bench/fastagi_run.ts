// Copyright the @pyst/asterisk authors. MIT license.
/**
 * FastAGI load benchmark: the library's `serveFastAgi` against the bare
 * `Deno.listen` floor, each in its own process, driven by the load generator
 * (this process) that plays Asterisk. For concurrency 1, 50 and 500 it
 * measures sessions per second, the server's CPU time per session and the
 * command round trip p50/p99 (measured in the server around each command),
 * then the server's memory across a long run. Runs alternate floor and
 * library and repeat, and the median of the rounds is reported.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-run --allow-read=. bench/fastagi_run.ts [--rounds=3] [--sessions=10000] [--memory-sessions=100000]
 * ```
 *
 * @module
 */

import { runFastAgiLoad } from "./fastagi_loadgen.ts";

type Mode = "floor" | "library";

interface Stats {
  served: number;
  failed: number;
  firstError?: string;
  cpuUserUs: number;
  cpuSystemUs: number;
  rss: number;
  heapUsed: number;
  roundTrips: number;
  p50: number;
  p99: number;
}

function option(name: string, fallback: number): number {
  const arg = Deno.args.find((value) => value.startsWith(`--${name}=`));
  return arg === undefined ? fallback : Number(arg.slice(name.length + 3));
}

const ROUNDS = option("rounds", 3);
const SESSIONS = option("sessions", 10_000);
const MEMORY_SESSIONS = option("memory-sessions", 100_000);
const WARMUP = 2_000;
const CONCURRENCIES = [1, 50, 500];
const SERVER = new URL("./fastagi_server.ts", import.meta.url).pathname;

class ServerProcess {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;
  port = 0;

  constructor(mode: Mode) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        "--v8-flags=--expose-gc",
        SERVER,
        `--mode=${mode}`,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#lines = this.#child.stdout
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(splitLines())
      [Symbol.asyncIterator]();
  }

  async ready(): Promise<void> {
    const line = await this.#next();
    if (!line.startsWith("READY ")) {
      throw new Error(`Unexpected server output: ${line}`);
    }
    this.port = Number(line.slice(6));
  }

  async stats(): Promise<Stats> {
    await this.#writer.write(new TextEncoder().encode("stats\n"));
    return JSON.parse(await this.#next()) as Stats;
  }

  async quit(): Promise<void> {
    await this.#writer.write(new TextEncoder().encode("quit\n"));
    await this.#writer.close().catch(() => {});
    await this.#child.status;
    // Drain what is left so the pipe closes.
    for (;;) if ((await this.#lines.next()).done) break;
  }

  async #next(): Promise<string> {
    const result = await this.#lines.next();
    if (result.done) throw new Error("Server exited");
    return result.value;
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
  });
}

interface Measurement {
  sessionsPerSecond: number;
  cpuUsPerSession: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  p50: number;
  p99: number;
  failures: number;
}

async function measure(
  mode: Mode,
  concurrency: number,
  sessions: number,
): Promise<Measurement> {
  const server = new ServerProcess(mode);
  try {
    await server.ready();
    await runFastAgiLoad({ port: server.port, sessions: WARMUP, concurrency });
    const before = await server.stats();
    const load = await runFastAgiLoad({
      port: server.port,
      sessions,
      concurrency,
    });
    const after = await server.stats();
    const cpuUs = after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs -
      before.cpuSystemUs;
    return {
      sessionsPerSecond: load.sessions / (load.elapsedMs / 1000),
      cpuUsPerSession: cpuUs / load.sessions,
      cpuUserUs: (after.cpuUserUs - before.cpuUserUs) / load.sessions,
      cpuSystemUs: (after.cpuSystemUs - before.cpuSystemUs) / load.sessions,
      p50: after.p50,
      p99: after.p99,
      failures: load.failures + after.failed - before.failed,
    };
  } finally {
    await server.quit();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const fmt = (value: number, digits = 0) => value.toFixed(digits);

console.log(
  `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ${ROUNDS} rounds, ` +
    `${SESSIONS} sessions per measurement (concurrency 1: ${SESSIONS / 5})`,
);
console.log(
  "\nMedians over the rounds; each ratio is the median of the per-round " +
    "ratios (floor and library measured back to back, order alternating).\n",
);
console.log(
  "| concurrency | server | sessions/s | ratio | CPU µs/session (user+sys) | ratio | RTT p50 ms | RTT p99 ms | failures |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const concurrency of CONCURRENCIES) {
  const sessions = concurrency === 1 ? SESSIONS / 5 : SESSIONS;
  const results: Record<Mode, Measurement[]> = { floor: [], library: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order: Mode[] = round % 2 === 0
      ? ["floor", "library"]
      : ["library", "floor"];
    for (const mode of order) {
      results[mode].push(await measure(mode, concurrency, sessions));
    }
  }
  const ratio = (key: "sessionsPerSecond" | "cpuUsPerSession") =>
    median(
      results.library.map((m, round) => m[key] / results.floor[round]![key]),
    );
  for (const mode of ["floor", "library"] as const) {
    const all = results[mode];
    const pick = (key: keyof Measurement) => median(all.map((m) => m[key]));
    const speed = mode === "floor" ? 1 : ratio("sessionsPerSecond");
    const cpu = mode === "floor" ? 1 : ratio("cpuUsPerSession");
    console.log(
      `| ${concurrency} | ${mode} | ${fmt(pick("sessionsPerSecond"))} | ${
        fmt(speed, 2)
      } | ${fmt(pick("cpuUsPerSession"))} (${fmt(pick("cpuUserUs"))}+${
        fmt(pick("cpuSystemUs"))
      }) | ${fmt(cpu, 2)} | ${fmt(pick("p50"), 3)} | ${fmt(pick("p99"), 3)} | ${
        all.reduce((sum, m) => sum + m.failures, 0)
      } |`,
    );
  }
}

if (MEMORY_SESSIONS > 0) {
  const step = MEMORY_SESSIONS / 4;
  console.log(
    `\nMemory across ${MEMORY_SESSIONS} sessions at concurrency 50, read every ${step} ` +
      "sessions after 5000 warm-up sessions, full GC before each reading " +
      "(heapUsed / RSS in MiB):\n",
  );
  console.log(
    `| server | 0 | ${step} | ${2 * step} | ${
      3 * step
    } | ${MEMORY_SESSIONS} | seconds | failures |`,
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const mode of ["floor", "library"] as const) {
    const server = new ServerProcess(mode);
    try {
      await server.ready();
      await runFastAgiLoad({
        port: server.port,
        sessions: 5_000,
        concurrency: 50,
      });
      const readings = [await server.stats()];
      let seconds = 0;
      let failures = 0;
      for (let part = 0; part < 4; part++) {
        const load = await runFastAgiLoad({
          port: server.port,
          sessions: step,
          concurrency: 50,
          timeoutMs: 600_000,
        });
        seconds += load.elapsedMs / 1000;
        failures += load.failures;
        readings.push(await server.stats());
      }
      failures += readings.at(-1)!.failed;
      const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
      console.log(
        `| ${mode} | ${
          readings.map((r) => `${mib(r.heapUsed)} / ${mib(r.rss)}`).join(" | ")
        } | ${fmt(seconds, 1)} | ${failures} |`,
      );
    } finally {
      await server.quit();
    }
  }
}
