// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Load: 100,000 FastAGI sessions through one server, with the heap measured
 * (after a full collection) before, during and after, to show that a
 * finished call leaves nothing behind. Loopback only, bounded in sessions
 * and time (`--maxSeconds`: whatever fits is run and reported).
 *
 * First a same-run baseline: a bare TCP server that reads the header and
 * writes the same four commands with no library at all (the floor), then
 * `serveFastAgi` over the same number of calls, for a ratio.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --v8-flags=--expose-gc bench/load_fastagi_sessions.ts \
 *   --sessions 100000 --concurrency 50 --ratioSessions 10000 --maxSeconds 150
 * ```
 *
 * @module
 */

import { serveFastAgi } from "../agi/serve_fast_agi.ts";
import {
  type CallOutcome,
  HANDLER_COMMANDS,
  loadHandler,
  runCall,
} from "./load_fastagi_peer.ts";
import {
  Counter,
  GC_AVAILABLE,
  heapMiB,
  numberFlags,
  Report,
  rssMiB,
  seeded,
  waitFor,
} from "./load_util.ts";

const encoder = new TextEncoder();

/** The floor: a bare server that sends the four commands and closes. */
function floorServer(): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Promise<void>>();
  const serve = async (conn: Deno.Conn) => {
    const buffer = new Uint8Array(4096);
    let seen = "";
    try {
      // The header, up to its blank line.
      while (!seen.includes("\n\n")) {
        const n = await conn.read(buffer);
        if (n === null) return;
        seen += new TextDecoder().decode(buffer.subarray(0, n));
      }
      for (const command of HANDLER_COMMANDS) {
        await conn.write(encoder.encode(command + "\n"));
        let reply = "";
        while (!reply.includes("\n")) {
          const n = await conn.read(buffer);
          if (n === null) return;
          reply += new TextDecoder().decode(buffer.subarray(0, n));
        }
      }
    } catch {
      // The caller went away.
    } finally {
      conn.close();
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      const task = serve(conn);
      open.add(task);
      void task.finally(() => open.delete(task));
    }
  })();
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      await accepting.catch(() => {});
      await Promise.all(open);
    },
  };
}

/** Runs `count` well-behaved calls, `concurrency` at a time. */
async function drive(
  port: number,
  count: number,
  concurrency: number,
  maxMs: number,
  onProgress?: (done: number) => void,
): Promise<{ outcomes: Counter; elapsedMs: number; ran: number }> {
  const outcomes = new Counter();
  const random = seeded(1);
  let next = 0;
  let done = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count && performance.now() - started < maxMs) {
      const index = next++;
      const outcome: CallOutcome = await runCall({
        port,
        index,
        role: "normal",
        faultAt: 0,
        deadlineMs: 10_000,
        random,
      });
      outcomes.add(outcome.result);
      done++;
      onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { outcomes, elapsedMs: performance.now() - started, ran: done };
}

if (import.meta.main) {
  const flags = numberFlags(Deno.args, {
    sessions: 100_000,
    concurrency: 50,
    ratioSessions: 10_000,
    maxSeconds: 150,
  });
  const report = new Report();
  report.figure(
    "command",
    `deno run --allow-net=127.0.0.1 --v8-flags=--expose-gc bench/load_fastagi_sessions.ts ${
      Deno.args.join(" ")
    }`.trim(),
  );
  const deadline = performance.now() + flags.maxSeconds * 1000;

  // Same-run baseline: the floor, then the library, over the same calls.
  const floor = floorServer();
  const floorRun = await drive(
    floor.port,
    flags.ratioSessions,
    flags.concurrency,
    60_000,
  );
  await floor.close();
  let handled = 0;
  let handlerErrors = 0;
  const server = serveFastAgi({
    port: 0,
    onError: () => void handlerErrors++,
  }, async (session) => {
    await loadHandler(session);
    handled++;
  });
  const libraryRun = await drive(
    server.addr.port,
    flags.ratioSessions,
    flags.concurrency,
    60_000,
  );
  const floorRate = floorRun.ran / (floorRun.elapsedMs / 1000);
  const libraryRate = libraryRun.ran / (libraryRun.elapsedMs / 1000);
  report.figure(
    `baseline: ${flags.ratioSessions} calls, floor (bare socket server) calls/s`,
    floorRate,
  );
  report.figure(
    `baseline: ${flags.ratioSessions} calls, serveFastAgi calls/s`,
    libraryRate,
  );
  report.figure("serveFastAgi vs floor (time ratio)", floorRate / libraryRate);

  // The long run, with the heap sampled along the way.
  const heapBefore = heapMiB();
  const rssBefore = rssMiB();
  const samples: string[] = [];
  const every = Math.max(1, Math.floor(flags.sessions / 10));
  handled = 0;
  const longRun = await drive(
    server.addr.port,
    flags.sessions,
    flags.concurrency,
    Math.max(1000, deadline - performance.now()),
    (done) => {
      if (done % every === 0) samples.push(heapMiB().toFixed(1));
    },
  );
  const drained = await waitFor(() => server.connections === 0, 10_000);
  const heapAfter = heapMiB();
  const rssAfter = rssMiB();
  await server.shutdown();
  report.figure("sessions run", longRun.ran);
  report.figure("results", longRun.outcomes.counts);
  report.figure("elapsed s", longRun.elapsedMs / 1000);
  report.figure("sessions/s", longRun.ran / (longRun.elapsedMs / 1000));
  report.figure(
    `heap MiB before / every ${every} sessions / after${
      GC_AVAILABLE ? " (after full GC)" : " (no --expose-gc)"
    }`,
    `${heapBefore.toFixed(1)} / ${samples.join(" ")} / ${heapAfter.toFixed(1)}`,
  );
  report.figure("rss MiB before/after", [
    rssBefore.toFixed(1),
    rssAfter.toFixed(1),
  ]);
  report.check(
    "the requested sessions ran (else: as many as fit in --maxSeconds)",
    longRun.ran === flags.sessions,
  );
  report.check(
    "every session completed",
    longRun.outcomes.get("completed") === longRun.ran &&
      floorRun.outcomes.get("completed") === floorRun.ran &&
      libraryRun.outcomes.get("completed") === libraryRun.ran,
  );
  report.check("every handler returned", handled === longRun.ran);
  report.check("the server reported no error", handlerErrors === 0);
  report.check("no connection left open", drained);
  report.check(
    "heap after is within 8 MiB of before (no per-session leak)",
    heapAfter - heapBefore < 8,
  );
  Deno.exit(report.ok ? 0 : 1);
}
