// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Hundreds of concurrent FastAGI calls against one `serveFastAgi`, with
 * failing handlers and misbehaving peers mixed in: every good call must run
 * its own commands to the end, unaffected by the others.
 */
import assert from "node:assert/strict";
import { ProtocolError, TimeoutError } from "../../errors.ts";
import {
  type FastAgiErrorContext,
  serveFastAgi,
} from "../../agi/serve_fast_agi.ts";
import { fastAgiHeader, FastAgiPeer, playFastAgiCall } from "./fastagi_peer.ts";

const CALLS = 300;

/** Answers like Asterisk, echoing nothing the server did not ask for. */
function asterisk(line: string): string {
  if (line === "ANSWER") return "200 result=0\n";
  if (line.startsWith("GET VARIABLE ")) return "200 result=1 (5550001)\n";
  if (line.startsWith("SET VARIABLE ")) return "200 result=1\n";
  if (line.startsWith("STREAM FILE ")) return "200 result=0 endpos=3520\n";
  if (line.startsWith("WAIT FOR DIGIT ")) return "200 result=49\n";
  if (line === "HANGUP") return "200 result=1\nHANGUP\n";
  return "510 Invalid or unknown command\n";
}

Deno.test("serveFastAgi serves 300 concurrent calls; failing handlers and bad peers affect no other call", async () => {
  const errors: Array<{ error: unknown; context: FastAgiErrorContext }> = [];
  await using server = serveFastAgi({
    port: 0,
    headerTimeoutMs: 2000,
    onError: (error, context) => void errors.push({ error, context }),
  }, {
    call: async (session, request) => {
      await session.answer();
      const callerId = await session.getVariable("CALLERID(num)");
      // Interleave on purpose: every call yields between its commands.
      await new Promise((resolve) =>
        setTimeout(resolve, Number(request.params.get("n")) % 7)
      );
      await session.setVariable(
        "CALL",
        `${request.params.get("n")} ${session.env.uniqueId} ${callerId}`,
      );
      const { digit } = await session.streamFile("beep");
      assert.equal(digit, undefined);
      assert.equal(await session.waitForDigit(1000), "1");
      await session.hangup();
    },
    fail: async (session, request) => {
      await session.answer();
      throw new Error(`handler ${request.params.get("n")} failed`);
    },
  });
  const port = server.addr.port;
  const started = performance.now();

  const good = Array.from({ length: CALLS }, (_, n) =>
    playFastAgiCall(
      port,
      fastAgiHeader(`call?n=${n}`, { agi_uniqueid: `1795693536.${n}` }),
      asterisk,
      20_000,
    ));
  const failing = Array.from(
    { length: 30 },
    (_, n) =>
      playFastAgiCall(port, fastAgiHeader(`fail?n=${n}`), asterisk, 20_000),
  );
  const garbage = Array.from({ length: 10 }, async () => {
    using peer = await FastAgiPeer.connect(port);
    await peer.send("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n");
    await peer.expectClose(5000);
  });
  const stalled = Array.from({ length: 10 }, async () => {
    using peer = await FastAgiPeer.connect(port);
    await peer.send("agi_network: yes\n");
    await peer.expectClose(5000);
  });

  const results = await Promise.all(good);
  const failed = await Promise.all(failing);
  await Promise.all([...garbage, ...stalled]);
  const took = performance.now() - started;

  const unexpected = errors.filter((entry) =>
    entry.context.request?.path !== "fail" &&
    !(entry.error instanceof ProtocolError ||
      entry.error instanceof TimeoutError)
  );
  assert.deepEqual(unexpected, []);
  const byPhase = (phase: string) =>
    errors.filter((entry) => entry.context.phase === phase);
  assert.equal(byPhase("handler").length, 30);
  assert.deepEqual(
    byPhase("handler").map((entry) => (entry.error as Error).message).sort(),
    Array.from({ length: 30 }, (_, n) => `handler ${n} failed`).sort(),
  );
  const header = byPhase("header");
  assert.equal(header.length, 20);
  assert.equal(
    header.filter((entry) => entry.error instanceof ProtocolError).length,
    10,
  );
  assert.equal(
    header.filter((entry) => entry.error instanceof TimeoutError).length,
    10,
  );
  assert.equal(errors.length, 50);
  for (const [n, lines] of results.entries()) {
    assert.deepEqual(lines, [
      "ANSWER",
      "GET VARIABLE CALLERID(num)",
      `SET VARIABLE CALL "${n} 1795693536.${n} 5550001"`,
      'STREAM FILE beep ""',
      "WAIT FOR DIGIT 1000",
      "HANGUP",
    ], `call ${n}`);
  }
  for (const lines of failed) assert.deepEqual(lines, ["ANSWER"]);

  assert.ok(took < 15_000, `took ${Math.round(took)} ms`);
  // Every socket is closed once its peer has closed (the server half-closes).
  for (let wait = 0; server.connections > 0 && wait < 200; wait++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(server.connections, 0);
});
