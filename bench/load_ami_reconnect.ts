// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Load with faults: 10,000 actions through one AmiClient while the AMI
 * emulator drops the connection at random moments and lets the client back
 * in (it keeps listening, so the client reconnects with backoff). Loopback
 * only, bounded in actions and time.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --v8-flags=--expose-gc bench/load_ami_reconnect.ts \
 *   --actions 10000 --inFlight 100 --dropEveryMs 20 --seed 1
 * ```
 *
 * Every action is a `UserEvent` with its own `Seq`; one in three is sent as
 * idempotent. Checks (exit 1 if one fails): every action settles exactly
 * once, none hangs (no timeout), none is left pending; an idempotent action
 * never fails because of a drop (it is re-sent); a non-idempotent action
 * reaches Asterisk at most once; a resolved action did reach it.
 *
 * @module
 */

import { ConnectionClosedError, TimeoutError } from "../errors.ts";
import { startAmiEmulator } from "../astemu/start_ami_emulator.ts";
import { connectAmi } from "../manager/connect_ami.ts";
import { exponentialBackoff } from "../manager/exponential_backoff.ts";
import {
  Counter,
  errorName,
  GC_AVAILABLE,
  heapMiB,
  numberFlags,
  Report,
  seeded,
  sleep,
} from "./load_util.ts";

/** Options of {@linkcode runReconnectLoad}. */
export interface ReconnectLoadOptions {
  /** Actions to send. */
  readonly actions: number;
  /** Actions in flight at once. */
  readonly inFlight: number;
  /** Mean pause between two drops, in milliseconds. */
  readonly dropEveryMs: number;
  /** Seed of the drop schedule. */
  readonly seed: number;
  /** Per-action timeout (a hang would show as a timeout). */
  readonly timeoutMs: number;
  /** Give up after this long. */
  readonly maxMs: number;
}

/** What {@linkcode runReconnectLoad} saw. */
export interface ReconnectLoadResult {
  readonly actions: number;
  /** Outcomes by label: `ok`, or the error's class name. */
  readonly outcomes: Record<string, number>;
  /** Actions that settled other than exactly once. */
  readonly notOnce: number;
  /** Idempotent actions that failed with ConnectionClosedError. */
  readonly idempotentLost: number;
  /** Non-idempotent actions Asterisk received more than once. */
  readonly duplicated: number;
  /** Resolved actions Asterisk never received. */
  readonly phantom: number;
  /** Idempotent actions Asterisk received more than once (allowed). */
  readonly resent: number;
  /** Connections dropped by the emulator. */
  readonly drops: number;
  /** Reconnects the client made. */
  readonly reconnects: number;
  /** Actions still pending at the end. */
  readonly pending: number;
  readonly elapsedMs: number;
  readonly heapBeforeMiB: number;
  readonly heapAfterMiB: number;
}

/** Runs the load; never throws for an action's failure. */
export async function runReconnectLoad(
  options: ReconnectLoadOptions,
): Promise<ReconnectLoadResult> {
  const random = seeded(options.seed);
  const heapBefore = heapMiB();
  await using emulator = await startAmiEmulator({ port: 0 });
  const client = await connectAmi({
    port: emulator.port,
    username: "admin",
    secret: "admin",
    events: false,
    timeout: options.timeoutMs,
    reconnect: exponentialBackoff({
      initialDelayMs: 2,
      maxDelayMs: 50,
      random,
    }),
  });
  let reconnects = 0;
  client.addEventListener("reconnected", () => reconnects++);
  const total = options.actions;
  const settled = new Uint8Array(total);
  const outcome = new Array<string>(total);
  const started = performance.now();
  let running = true;
  let drops = 0;
  const dropper = (async () => {
    while (running) {
      await sleep(1 + random() * 2 * options.dropEveryMs);
      if (!running) break;
      for (const session of emulator.sessions) {
        if (!session.isClosed && session.authenticated) {
          session.drop();
          drops++;
        }
      }
    }
  })();
  let next = 0;
  const worker = async () => {
    while (next < total && performance.now() - started < options.maxMs) {
      const i = next++;
      try {
        await client.send(
          { Action: "UserEvent", UserEvent: "Load", Seq: String(i) },
          { idempotent: i % 3 === 0 },
        );
        outcome[i] = "ok";
      } catch (error) {
        outcome[i] = errorName(error);
        if (
          !(error instanceof ConnectionClosedError ||
            error instanceof TimeoutError)
        ) {
          outcome[i] = `unexpected ${errorName(error)}`;
        }
      } finally {
        settled[i]!++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
  running = false;
  await dropper;
  const elapsedMs = performance.now() - started;
  const pending = client.pendingActions;
  await client.close();
  // What Asterisk received, by Seq.
  const received = new Uint16Array(total);
  for (const record of emulator.actions) {
    const seq = record.action.get("Seq");
    if (seq !== undefined) received[Number(seq)]!++;
  }
  const outcomes = new Counter();
  let notOnce = 0;
  let idempotentLost = 0;
  let duplicated = 0;
  let phantom = 0;
  let resent = 0;
  for (let i = 0; i < total; i++) {
    if (settled[i] !== 1) notOnce++;
    outcomes.add(outcome[i] ?? "never sent");
    const idempotent = i % 3 === 0;
    if (idempotent && outcome[i] === "ConnectionClosedError") idempotentLost++;
    if (!idempotent && received[i]! > 1) duplicated++;
    if (idempotent && received[i]! > 1) resent++;
    if (outcome[i] === "ok" && received[i] === 0) phantom++;
  }
  return {
    actions: total,
    outcomes: outcomes.counts,
    notOnce,
    idempotentLost,
    duplicated,
    phantom,
    resent,
    drops,
    reconnects,
    pending,
    elapsedMs,
    heapBeforeMiB: heapBefore,
    heapAfterMiB: heapMiB(),
  };
}

if (import.meta.main) {
  const flags = numberFlags(Deno.args, {
    actions: 10_000,
    inFlight: 100,
    dropEveryMs: 20,
    seed: 1,
    timeoutMs: 10_000,
    maxSeconds: 120,
  });
  const result = await runReconnectLoad({
    actions: flags.actions,
    inFlight: flags.inFlight,
    dropEveryMs: flags.dropEveryMs,
    seed: flags.seed,
    timeoutMs: flags.timeoutMs,
    maxMs: flags.maxSeconds * 1000,
  });
  const report = new Report();
  report.figure(
    "command",
    `deno run --allow-net=127.0.0.1 --v8-flags=--expose-gc bench/load_ami_reconnect.ts ${
      Deno.args.join(" ")
    }`.trim(),
  );
  report.figure("actions", result.actions);
  report.figure("outcomes", result.outcomes);
  report.figure("connections dropped by the emulator", result.drops);
  report.figure("reconnects", result.reconnects);
  report.figure("idempotent actions re-sent after a drop", result.resent);
  report.figure("elapsed s", result.elapsedMs / 1000);
  report.figure("actions/s", result.actions / (result.elapsedMs / 1000));
  report.figure(
    `heap MiB before/after${GC_AVAILABLE ? " (after full GC)" : ""}`,
    [result.heapBeforeMiB.toFixed(1), result.heapAfterMiB.toFixed(1)],
  );
  report.check("every action settled exactly once", result.notOnce === 0);
  report.check(
    "none hung (no timeout) and none failed otherwise",
    Object.keys(result.outcomes).every((k) =>
      k === "ok" || k === "ConnectionClosedError"
    ),
  );
  report.check("none left pending", result.pending === 0);
  report.check(
    "no idempotent action lost to a drop",
    result.idempotentLost === 0,
  );
  report.check(
    "no non-idempotent action reached Asterisk twice",
    result.duplicated === 0,
  );
  report.check(
    "every resolved action reached Asterisk",
    result.phantom === 0,
  );
  report.check("the connection was really dropped", result.drops > 0);
  Deno.exit(report.ok ? 0 : 1);
}
