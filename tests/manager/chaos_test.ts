// Copyright the @pyst/asterisk authors. MIT license.
/**
 * 10,000 actions while the server drops the connection at random points
 * (before a reply, after a reply, in the middle of an event list): every
 * action must settle exactly once, with its own reply or a defined error,
 * and none may hang.
 */

import assert from "node:assert/strict";
import { ConnectionClosedError, TimeoutError } from "../../errors.ts";
import { startAmiEmulator } from "../../astemu/mod.ts";
import { AmiClient } from "../../manager/ami_client.ts";
import { connectAmi } from "../../manager/connect_ami.ts";
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

interface ChaosOutcome {
  ok: number;
  closed: number;
  timeout: number;
  idempotentClosed: number;
}

/**
 * Sends 10,000 actions, 100 at a time: every third idempotent, every tenth
 * an event list. Each reply must carry the action's own token. Checks that
 * every action settled exactly once, with no timeout and no idempotent
 * action failed by a disconnect.
 */
async function runChaos(
  client: AmiClient,
  unmatched: string[],
): Promise<ChaosOutcome> {
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
  // Idempotent actions are re-sent after a reconnect, never failed by it.
  assert.equal(outcome.idempotentClosed, 0);
  assert.equal(outcome.timeout, 0);
  assert.equal(client.pendingActions, 0);
  assert.ok(Date.now() - started < 60_000);
  // No reply was left over: none went astray or arrived twice.
  assert.deepEqual(unmatched, []);
  return outcome;
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

  const outcome = await runChaos(client, unmatched);
  assert.ok(dropped.size > 20, `only ${dropped.size} drops`);
  assert.ok(outcome.closed > 0);
  await client.close();
  // One connection per drop, plus the first (the last reconnect may have
  // been cut short by close()).
  assert.ok(connector.attempts >= dropped.size);
  assert.ok(connector.attempts <= dropped.size + 1);
});

Deno.test("AmiClient settles 10,000 actions exactly once while astemu drops the connection at random", async () => {
  const random = prng(424242);
  await using emulator = await startAmiEmulator({ authFailureDelayMs: 0 });
  emulator.handle("Echo", (action, { session }) => {
    const token = action.get("Token")!;
    const roll = random();
    if (roll < 0.004) {
      session.drop();
      return { response: null };
    }
    return {
      response: { Response: "Success", Token: token },
      // Answer, then close: the reply arrives, the connection does not last.
      close: roll < 0.008,
    };
  });
  emulator.handle("ListThings", (action, { session }) => {
    const roll = random();
    const items = [0, 1, 2].map((n) => ({ Event: "Thing", N: n }));
    if (roll < 0.004) {
      // Part of the list, then the connection breaks.
      const id = action.actionId!;
      session.sendRaw(
        `Response: Success\r\nActionID: ${id}\r\nEventList: start\r\n\r\n` +
          `Event: Thing\r\nActionID: ${id}\r\nN: 0\r\n\r\n`,
      );
      session.drop();
      return { response: null };
    }
    return {
      response: {
        Response: "Success",
        EventList: "start",
        Token: action.get("Token")!,
      },
      list: { items, complete: "ThingsComplete" },
    };
  });
  const client = await connectAmi({
    port: emulator.port,
    username: "admin",
    secret: "admin",
    reconnect: () => 0,
    timeout: 10_000,
  });
  const unmatched: string[] = [];
  client.addEventListener(
    "unmatched",
    (e) => unmatched.push(e.detail.actionId ?? ""),
  );
  // Besides the per-action faults, drop the live session at random moments.
  let sessionDrops = 0;
  const dropper = setInterval(() => {
    if (random() < 0.3) {
      const live = emulator.sessions.filter((session) => !session.isClosed);
      if (live.length > 0) {
        live.at(-1)!.drop();
        sessionDrops++;
      }
    }
  }, 5);
  try {
    const outcome = await runChaos(client, unmatched);
    assert.ok(outcome.closed > 0);
  } finally {
    clearInterval(dropper);
  }
  assert.ok(
    emulator.sessions.length > 20,
    `only ${emulator.sessions.length} sessions`,
  );
  assert.ok(sessionDrops > 0);
  await client.close();
});
