// Copyright the @pyst/asterisk authors. MIT license.
/**
 * FastAGI calls per iteration through `serveFastAgi`, against the bare
 * `Deno.listen` floor as the same-run baseline, at 1, 50 and 500 concurrent
 * calls. Each call runs ANSWER, GET VARIABLE, SET VARIABLE, STREAM FILE,
 * WAIT FOR DIGIT and HANGUP against the in-process load generator that plays
 * Asterisk (so server and generator share one thread here; see
 * `fastagi_run.ts` for separate processes, CPU time and memory).
 *
 * ```sh
 * deno bench -P bench/fastagi_bench.ts
 * ```
 *
 * @module
 */

import type { AgiSession } from "../agi/agi_session.ts";
import { serveFastAgi } from "../agi/serve_fast_agi.ts";
import { serveFloor } from "./fastagi_floor.ts";
import { runFastAgiLoad } from "./fastagi_loadgen.ts";

const CALLS = 500;

async function handler(session: AgiSession): Promise<void> {
  await session.answer();
  await session.getVariable("CALLERID(num)");
  await session.setVariable("BENCH_RESULT", "ok");
  await session.streamFile("beep", "");
  await session.waitForDigit(1000);
  await session.hangup();
}

async function load(port: number, concurrency: number): Promise<void> {
  const result = await runFastAgiLoad({ port, sessions: CALLS, concurrency });
  if (result.failures > 0 || result.sessions !== CALLS) {
    throw new Error(`Load failed: ${String(result.firstFailure)}`);
  }
}

for (const concurrency of [1, 50, 500]) {
  const group = `fastagi-${concurrency}`;
  Deno.bench({
    name: `floor: ${CALLS} calls, ${concurrency} at a time`,
    group,
    baseline: true,
    n: 20,
    warmup: 3,
    async fn(b) {
      const server = serveFloor();
      await load(server.addr.port, concurrency);
      b.start();
      await load(server.addr.port, concurrency);
      b.end();
      await server.shutdown();
    },
  });
  Deno.bench({
    name: `serveFastAgi: ${CALLS} calls, ${concurrency} at a time`,
    group,
    n: 20,
    warmup: 3,
    async fn(b) {
      let failures = 0;
      const server = serveFastAgi(
        { port: 0, onError: () => void failures++ },
        handler,
      );
      await load(server.addr.port, concurrency);
      b.start();
      await load(server.addr.port, concurrency);
      b.end();
      await server.shutdown();
      if (failures > 0) throw new Error(`${failures} calls failed`);
    },
  });
}
