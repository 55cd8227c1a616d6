// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { createAgiSession } from "../../agi/create_agi_session.ts";
import type { AgiSession } from "../../agi/agi_session.ts";
import { emulateAgiCall } from "../../astemu/agi_emulate_call.ts";
import { replayAgiCall } from "../../astemu/agi_replay_call.ts";
import { parseFastAgiUrl } from "../../astemu/agi_connect_fast_agi_server.ts";
import { isHangup, ivr } from "./scripts/ivr.ts";

/**
 * A minimal FastAGI server made of the library's session: one call per
 * connection, `handler` drives it, the connection closes when it returns.
 */
function serve(handler: (session: AgiSession) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const errors: unknown[] = [];
  const calls: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      calls.push((async () => {
        const session = await createAgiSession(conn.readable, conn.writable);
        try {
          await handler(session);
        } catch (error) {
          if (!isHangup(error)) errors.push(error);
        } finally {
          await session.close();
        }
      })());
    }
  })();
  return {
    url: (path: string) => `agi://127.0.0.1:${listener.addr.port}/${path}`,
    errors,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      await Promise.all(calls);
    },
  };
}

const SOUNDS = { menu: 3000, billing: 1200, tech: 900, "vm-goodbye": 760 };

Deno.test("emulateAgiCall calls a FastAGI server written with the library", async () => {
  let script = "";
  await using server = serve(async (session) => {
    script = session.env.networkScript ?? "";
    await ivr(session);
  });
  const call = await emulateAgiCall(server.url("ivr?lang=en"), {
    args: ["billing", "tech"],
    callerIdNum: "5551234",
    sounds: SOUNDS,
    dtmf: [{ digits: "1", atMs: 1500 }],
  });
  assert.equal(script, "ivr?lang=en");
  assert.deepEqual(call.played, ["menu", "billing"]);
  assert.equal(call.variables.get("CHOICE"), "1");
  assert.equal(call.commands[2]!.reply, "200 result=1\n");
  assert.equal(call.hungUpBy, "script");
  // HANGUP after the reply to HANGUP, and again when the AGI ended.
  const tail = call.transcript.filter((e) => e.direction === "fromAsterisk")
    .slice(-3).map((e) => e.text);
  assert.deepEqual(tail, ["200 result=1", "HANGUP", "HANGUP"]);
  assert.deepEqual(server.errors, []);
});

Deno.test("a FastAGI script learns of the caller's hangup from the HANGUP line", async () => {
  const seen: boolean[] = [];
  await using server = serve(async (session) => {
    try {
      await ivr(session);
    } finally {
      // GET DATA's -1 comes before the HANGUP line, as from Asterisk; the
      // line follows at once and aborts the session's signal.
      if (!session.signal.aborted) {
        await new Promise((resolve) =>
          session.signal.addEventListener("abort", resolve, { once: true })
        );
      }
      seen.push(session.hungUp);
    }
  });
  const call = await emulateAgiCall(server.url("ivr"), {
    sounds: SOUNDS,
    faults: { hangupAfterMs: 1000 },
  });
  assert.equal(call.hungUpBy, "caller");
  assert.equal(call.commands.at(-1)!.reply, "200 result=-1\n");
  assert.deepEqual(seen, [true]);
  assert.equal(call.status, "HANGUP");
});

Deno.test("a FastAGI transcript recorded from the emulator replays to the same result", async () => {
  await using server = serve((session) => ivr(session));
  const recorded = await emulateAgiCall(server.url("ivr"), {
    args: ["billing", "tech"],
    sounds: SOUNDS,
    dtmf: ["2"],
  });
  const replay = await replayAgiCall(server.url("ivr"), recorded.transcript);
  assert.equal(replay.mismatch, undefined);
  assert.equal(replay.complete, true);
  assert.equal(replay.matched, recorded.commands.length);
});

Deno.test("parseFastAgiUrl splits agi:// URLs as Asterisk does", () => {
  assert.deepEqual(parseFastAgiUrl("agi://127.0.0.1/x?y=1&z"), {
    hostname: "127.0.0.1",
    port: 4573,
    script: "x?y=1&z",
  });
  assert.deepEqual(parseFastAgiUrl("agi://[::1]:14573"), {
    hostname: "::1",
    port: 14573,
    script: "",
  });
  assert.deepEqual(parseFastAgiUrl("AGI://host:1/a/b"), {
    hostname: "host",
    port: 1,
    script: "a/b",
  });
  assert.throws(() => parseFastAgiUrl("hagi://host/x"), TypeError);
  assert.throws(() => parseFastAgiUrl("agi:///x"), TypeError);
  assert.throws(() => parseFastAgiUrl("agi://h:70000/"), TypeError);
});
