// Copyright the @pyst/asterisk authors. MIT license.
/**
 * The server side of the FastAGI load benchmark, run as its own process so
 * that its CPU time and memory are its own. `--mode=library` serves with
 * `serveFastAgi` and a handler running ANSWER, GET VARIABLE, SET VARIABLE,
 * STREAM FILE, WAIT FOR DIGIT and HANGUP; `--mode=floor` serves the same
 * six commands with the bare `Deno.listen` floor of `fastagi_floor.ts`.
 *
 * It prints `READY <port>`, then answers lines on stdin: `stats` prints one
 * JSON line (calls served, CPU time, memory after a full GC when
 * `--v8-flags=--expose-gc` is given, round-trip percentiles since the last
 * `stats`); `quit` shuts down and exits. Started by `fastagi_run.ts`.
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { serveFastAgi } from "../agi/serve_fast_agi.ts";
import { serveFloor } from "./fastagi_floor.ts";

/** Round trips in 10 µs buckets up to 1 s; fixed memory. */
class Histogram {
  readonly #buckets = new Uint32Array(100_000);
  #count = 0;
  record(ms: number): void {
    const bucket = Math.min(Math.floor(ms * 100), this.#buckets.length - 1);
    this.#buckets[bucket]!++;
    this.#count++;
  }
  percentile(p: number): number {
    if (this.#count === 0) return Number.NaN;
    const rank = Math.ceil(this.#count * p);
    let seen = 0;
    for (let bucket = 0; bucket < this.#buckets.length; bucket++) {
      seen += this.#buckets[bucket]!;
      if (seen >= rank) return (bucket + 0.5) / 100;
    }
    return Number.NaN;
  }
  get count(): number {
    return this.#count;
  }
  reset(): void {
    this.#buckets.fill(0);
    this.#count = 0;
  }
}

const mode = Deno.args.find((arg) => arg.startsWith("--mode="))?.slice(7) ??
  "library";
const histogram = new Histogram();
const record = (ms: number) => histogram.record(ms);
let served = 0;
let failed = 0;
let firstError: unknown;

let port: number;
let shutdown: () => Promise<void>;
if (mode === "floor") {
  const floor = serveFloor({ onRoundTrip: record });
  port = floor.addr.port;
  shutdown = () => floor.shutdown();
  Object.defineProperty(globalThis, "servedCount", {
    get: () => floor.sessions,
  });
} else {
  const server = serveFastAgi({
    port: 0,
    maxConnections: 4096,
    onError(error) {
      failed++;
      firstError ??= error;
    },
  }, async (session) => {
    let t0 = performance.now();
    await session.answer();
    let t1 = performance.now();
    record(t1 - t0);
    t0 = t1;
    await session.getVariable("CALLERID(num)");
    t1 = performance.now();
    record(t1 - t0);
    t0 = t1;
    await session.setVariable("BENCH_RESULT", "ok");
    t1 = performance.now();
    record(t1 - t0);
    t0 = t1;
    await session.streamFile("beep", "");
    t1 = performance.now();
    record(t1 - t0);
    t0 = t1;
    await session.waitForDigit(1000);
    t1 = performance.now();
    record(t1 - t0);
    t0 = t1;
    await session.hangup();
    record(performance.now() - t0);
    served++;
  });
  port = server.addr.port;
  shutdown = () => server.shutdown();
  Object.defineProperty(globalThis, "servedCount", { get: () => served });
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect !== undefined) {
    collect();
    collect();
  }
}

const encoder = new TextEncoder();
const out = (line: string) => Deno.stdout.write(encoder.encode(line + "\n"));
await out(`READY ${port}`);

const decoder = new TextDecoder();
let pending = "";
for await (const chunk of Deno.stdin.readable) {
  pending += decoder.decode(chunk, { stream: true });
  let lf: number;
  while ((lf = pending.indexOf("\n")) !== -1) {
    const command = pending.slice(0, lf).trim();
    pending = pending.slice(lf + 1);
    if (command === "stats") {
      gc();
      const cpu = cpuUsage();
      const memory = Deno.memoryUsage();
      await out(JSON.stringify({
        served: (globalThis as unknown as { servedCount: number }).servedCount,
        failed,
        firstError: firstError === undefined ? undefined : String(firstError),
        cpuUserUs: cpu.user,
        cpuSystemUs: cpu.system,
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        roundTrips: histogram.count,
        p50: histogram.percentile(0.5),
        p99: histogram.percentile(0.99),
      }));
      histogram.reset();
    } else if (command === "quit") {
      await shutdown();
      Deno.exit(0);
    }
  }
}
