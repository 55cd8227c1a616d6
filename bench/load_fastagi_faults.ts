// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Load with faults: the FastAGI server under 500 concurrent calls while
 * callers vanish mid-command, send garbage (as a header or as a reply),
 * stall in the header or in a command, or reset at once. Loopback only,
 * bounded in calls and time.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --v8-flags=--expose-gc bench/load_fastagi_faults.ts \
 *   --calls 5000 --concurrency 500 --faulty 0.4 --seed 1
 * ```
 *
 * Checks (exit 1 if one fails): every well-behaved call completes; every
 * misbehaving call is closed by the server within its header or command
 * timeout; the server reports each fault once, under the right phase, with
 * a documented error; no handler error for a good call; no connection is
 * left open; the heap after a full collection returns to where it was.
 *
 * @module
 */

import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
  TimeoutError,
} from "../errors.ts";
import { serveFastAgi } from "../agi/serve_fast_agi.ts";
import { AgiError } from "../agi/errors.ts";
import {
  type CallOutcome,
  type CallRole,
  loadHandler,
  runCall,
} from "./load_fastagi_peer.ts";
import {
  Counter,
  errorName,
  GC_AVAILABLE,
  heapMiB,
  numberFlags,
  percentile,
  Report,
  rssMiB,
  seeded,
  waitFor,
} from "./load_util.ts";

const FAULTS: readonly CallRole[] = [
  "vanish",
  "garbage-reply",
  "garbage-header",
  "stall-header",
  "stall-command",
  "reset",
];

/** Which server phase and errors each role must produce. */
const EXPECTED: Readonly<
  Record<CallRole, { phase: string; errors: string[] } | undefined>
> = {
  "normal": undefined,
  "vanish": { phase: "handler", errors: ["ConnectionClosedError"] },
  "garbage-reply": { phase: "handler", errors: ["ProtocolError"] },
  "stall-command": { phase: "handler", errors: ["TimeoutError"] },
  "garbage-header": { phase: "header", errors: ["ProtocolError"] },
  "stall-header": { phase: "header", errors: ["TimeoutError"] },
  "reset": { phase: "header", errors: ["ConnectionClosedError"] },
};

const DOCUMENTED = [
  AgiError,
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
  TimeoutError,
];

if (import.meta.main) {
  const flags = numberFlags(Deno.args, {
    calls: 5000,
    concurrency: 500,
    faulty: 0.4,
    seed: 1,
    // Generous: the callers share the server's two cores, so a loaded
    // machine delays even good calls by a second or more.
    headerTimeoutMs: 3000,
    commandTimeoutMs: 5000,
    maxSeconds: 120,
  });
  const report = new Report();
  const random = seeded(flags.seed);
  const serverErrors = new Counter();
  let undocumented = 0;
  let handled = 0;
  const heapBefore = heapMiB();
  const server = serveFastAgi({
    port: 0,
    headerTimeoutMs: flags.headerTimeoutMs,
    commandTimeoutMs: flags.commandTimeoutMs,
    onError: (error, context) => {
      serverErrors.add(`${context.phase}:${errorName(error)}`);
      if (!DOCUMENTED.some((type) => error instanceof type)) undocumented++;
    },
  }, async (session) => {
    await loadHandler(session);
    handled++;
  });
  const roles: CallRole[] = [];
  for (let i = 0; i < flags.calls; i++) {
    roles.push(
      random() < flags.faulty
        ? FAULTS[Math.floor(random() * FAULTS.length)]!
        : "normal",
    );
  }
  const faultAts = roles.map(() => Math.floor(random() * 4));
  const outcomes: CallOutcome[] = [];
  let peak = 0;
  const started = performance.now();
  const deadlineMs = flags.headerTimeoutMs + flags.commandTimeoutMs + 5000;
  let next = 0;
  const worker = async () => {
    while (next < roles.length) {
      if (performance.now() - started > flags.maxSeconds * 1000) return;
      const index = next++;
      outcomes.push(
        await runCall({
          port: server.addr.port,
          index,
          role: roles[index]!,
          faultAt: faultAts[index]!,
          deadlineMs,
          random,
        }),
      );
      peak = Math.max(peak, server.connections);
    }
  };
  const sampler = setInterval(() => {
    peak = Math.max(peak, server.connections);
  }, 5);
  await Promise.all(Array.from({ length: flags.concurrency }, worker));
  clearInterval(sampler);
  const elapsed = performance.now() - started;
  const drained = await waitFor(
    () => server.connections === 0,
    deadlineMs,
  );
  await server.shutdown();
  const heapAfter = heapMiB();

  const byRole = new Counter();
  const results = new Counter();
  const slowFaults: number[] = [];
  const normalMs: number[] = [];
  for (const outcome of outcomes) {
    byRole.add(outcome.role);
    results.add(`${outcome.role}:${outcome.result}`);
    if (outcome.role === "normal") normalMs.push(outcome.ms);
    else slowFaults.push(outcome.ms);
  }
  report.figure(
    "command",
    `deno run --allow-net=127.0.0.1 --v8-flags=--expose-gc bench/load_fastagi_faults.ts ${
      Deno.args.join(" ")
    }`.trim(),
  );
  report.figure("calls", outcomes.length);
  report.figure("concurrency (callers)", flags.concurrency);
  report.figure("peak open server connections", peak);
  report.figure("roles", byRole.counts);
  report.figure("results", results.counts);
  report.figure("server errors", serverErrors.counts);
  report.figure("elapsed s", elapsed / 1000);
  report.figure("calls/s", outcomes.length / (elapsed / 1000));
  report.figure("normal call ms p50/p99/max", [
    percentile(normalMs, 50).toFixed(1),
    percentile(normalMs, 99).toFixed(1),
    percentile(normalMs, 100).toFixed(1),
  ]);
  report.figure("faulty call ms p50/p99/max", [
    percentile(slowFaults, 50).toFixed(1),
    percentile(slowFaults, 99).toFixed(1),
    percentile(slowFaults, 100).toFixed(1),
  ]);
  report.figure(
    `heap MiB before/after${
      GC_AVAILABLE ? " (after full GC)" : " (no --expose-gc)"
    }`,
    [heapBefore.toFixed(1), heapAfter.toFixed(1)],
  );
  report.figure("rss MiB", rssMiB());
  const broken = outcomes.filter((o) =>
    o.result === "broken" || o.result === "hung"
  );
  if (broken.length > 0) {
    report.figure(
      "first broken or hung calls",
      broken.slice(0, 5).map((o) =>
        `${o.role} after ${o.commands} commands, ${o.ms.toFixed(0)} ms: ${
          o.detail ?? o.result
        }`
      ),
    );
  }

  report.check("every call ran", outcomes.length === flags.calls);
  report.check(
    "every well-behaved call completed",
    results.get("normal:completed") === byRole.get("normal"),
  );
  report.check(
    "every misbehaving call was closed by the server (none hung)",
    FAULTS.every((role) =>
      results.get(`${role}:closed`) + results.get(`${role}:left`) ===
        byRole.get(role)
    ),
  );
  report.check(
    "handlers completed exactly for the well-behaved calls",
    handled === byRole.get("normal"),
  );
  const expectedCounts = new Counter();
  for (const role of FAULTS) {
    const expected = EXPECTED[role]!;
    for (let i = 0; i < byRole.get(role); i++) {
      expectedCounts.add(`${expected.phase}:${expected.errors[0]}`);
    }
  }
  report.check(
    "the server reported each fault once, in its phase, with its error",
    JSON.stringify(Object.entries(serverErrors.counts).sort()) ===
      JSON.stringify(Object.entries(expectedCounts.counts).sort()),
  );
  report.check("only documented errors were reported", undocumented === 0);
  report.check("no connection left open", drained);
  report.check(
    "faulty calls closed within header/command timeout + 5 s",
    percentile(slowFaults, 100) <= deadlineMs,
  );
  report.check(
    "heap after is within 16 MiB of before",
    heapAfter - heapBefore < 16,
  );
  Deno.exit(report.ok ? 0 : 1);
}
