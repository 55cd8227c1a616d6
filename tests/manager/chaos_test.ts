// Copyright the @pyst/asterisk authors. MIT license.
/**
 * 10,000 actions while the server drops the connection at random points
 * (before a reply, after a reply, in the middle of an event list): every
 * action must settle exactly once, with its own reply or a defined error,
 * and none may hang.
 */

import assert from "node:assert/strict";
import { ConnectionClosedError, TimeoutError } from "../../errors.ts";
import { AmiClient } from "../../manager/ami_client.ts";
import { FakeConnector, standardHandler } from "./_fake_ami.ts";

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("AmiClient settles 10,000 actions exactly once while the connection drops at random", async () => {
  const random = prng(20260805);
  const dropped = new Set<unknown>();
  const connector = new FakeConnector({
    handler: standardHandler((action, server) => {
      const token = action.get("Token")!;
      const roll = random();
      if (roll < 0.004) {
        dropped.add(server);
        server.hangup();
        return;
      }
      if (action.action === "ListThings") {
        const id = action.actionId!;
        server.reply(action, [["EventList", "start"], ["Token", token]]);
        for (let i = 0; i < 3; i++) {
          server.send([["Event", "Thing"], ["ActionID", id], ["N", String(i)]]);
          if (roll < 0.008 && i === 1) {
            dropped.add(server);
            server.hangup();
            return;
          }
        }
        server.send([["Event", "ThingsComplete"], ["ActionID", id], [
          "EventList",
          "Complete",
        ]]);
        return;
      }
      server.reply(action, [["Token", token]]);
      if (roll < 0.008) {
        dropped.add(server);
        server.hangup();
      }
    }),
  });
  const client = new AmiClient(connector.connect, {
    username: "chaos",
    secret: "monkey",
    reconnect: () => 0,
    timeout: 5_000,
  });
  await client.connect();
  const unmatched: string[] = [];
  client.addEventListener(
    "unmatched",
    (e) => unmatched.push(e.detail.actionId ?? ""),
  );

  const TOTAL = 10_000;
  const IN_FLIGHT = 100;
  const settled = new Uint8Array(TOTAL);
  const outcome = { ok: 0, closed: 0, timeout: 0, idempotentClosed: 0 };
  const started = Date.now();
  for (let base = 0; base < TOTAL; base += IN_FLIGHT) {
    const batch: Promise<void>[] = [];
    for (let i = base; i < base + IN_FLIGHT; i++) {
      const token = `t${i}`;
      const idempotent = i % 3 === 0;
      const list = i % 10 === 5;
      const sent = list
        ? client.sendList({ Action: "ListThings", Token: token }, {
          idempotent,
        })
          .then((result) => {
            assert.equal(result.response.get("Token"), token);
            assert.deepEqual(result.events.map((e) => e.get("N")), [
              "0",
              "1",
              "2",
            ]);
          })
        : client.send({ Action: "Echo", Token: token }, { idempotent }).then(
          (reply) => assert.equal(reply.get("Token"), token),
        );
      batch.push(sent.then(
        () => {
          settled[i]!++;
          outcome.ok++;
        },
        (error: unknown) => {
          settled[i]!++;
          if (error instanceof ConnectionClosedError) {
            outcome.closed++;
            if (idempotent) outcome.idempotentClosed++;
          } else if (error instanceof TimeoutError) {
            outcome.timeout++;
          } else {
            throw error;
          }
        },
      ));
    }
    await Promise.all(batch);
  }
  assert.ok(settled.every((count) => count === 1));
  assert.equal(outcome.ok + outcome.closed + outcome.timeout, TOTAL);
  assert.ok(dropped.size > 20, `only ${dropped.size} drops`);
  assert.ok(outcome.closed > 0);
  // Idempotent actions are re-sent after a reconnect, never failed by it.
  assert.equal(outcome.idempotentClosed, 0);
  assert.equal(outcome.timeout, 0);
  assert.equal(client.pendingActions, 0);
  assert.ok(Date.now() - started < 60_000);
  // Replies to dropped actions never reached another action.
  for (const id of unmatched) assert.ok(id === "" || id.includes("-"));
  await client.close();
  // One connection per drop, plus the first (the last reconnect may have
  // been cut short by close()).
  assert.ok(connector.attempts >= dropped.size);
  assert.ok(connector.attempts <= dropped.size + 1);
});
