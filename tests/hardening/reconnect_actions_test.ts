// Copyright the @pyst/asterisk authors. MIT license.
/**
 * The CI-sized run of `bench/load_ami_reconnect.ts`: actions over loopback
 * TCP while the AMI emulator drops the connection every few milliseconds.
 * Each action settles exactly once, none hangs, idempotent ones survive
 * drops, non-idempotent ones reach Asterisk at most once.
 */
import assert from "node:assert/strict";
import { runReconnectLoad } from "../../bench/load_ami_reconnect.ts";

Deno.test("AmiClient: 2,000 actions while the emulator keeps dropping the connection, each settled once, none twice on the server", async () => {
  const result = await runReconnectLoad({
    actions: 2000,
    inFlight: 50,
    dropEveryMs: 5,
    seed: 20261126,
    timeoutMs: 10_000,
    maxMs: 30_000,
  });
  assert.ok(result.drops >= 3, `only ${result.drops} drops`);
  assert.ok(result.reconnects >= 1);
  assert.equal(result.notOnce, 0);
  assert.equal(result.pending, 0);
  assert.deepEqual(
    Object.keys(result.outcomes).filter((k) =>
      k !== "ok" && k !== "ConnectionClosedError"
    ),
    [],
  );
  assert.equal(
    (result.outcomes.ok ?? 0) + (result.outcomes.ConnectionClosedError ?? 0),
    2000,
  );
  assert.equal(result.idempotentLost, 0);
  assert.equal(result.duplicated, 0);
  assert.equal(result.phantom, 0);
});
