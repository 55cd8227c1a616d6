// Copyright the @pyst/asterisk authors. MIT license.
// The stdio path itself (Deno.stdin, SIGHUP, exit status) is tested with a
// real child process in tests/agi/stdio_agi_test.ts; these tests feed runAgi
// from memory with `exit: false`.
import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import type { AgiTraceEvent } from "./agi_session.ts";
import { AgiHangupError } from "./errors.ts";
import { runAgi, type RunAgiOptions } from "./run_agi.ts";

const encoder = new TextEncoder();
const ENV =
  "agi_request: hello.ts\nagi_channel: PJSIP/alice-00000001\nagi_arg_1: first\n\n";

/** An in-memory Asterisk: the environment, then one reply per command. */
function fakeAsterisk(env: string, replies: string[]): {
  sent: string[];
  options: Pick<RunAgiOptions, "readable" | "writable">;
  cancelled: () => boolean;
} {
  const sent: string[] = [];
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cancelled = false;
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      c.enqueue(encoder.encode(env));
    },
    cancel() {
      cancelled = true;
    },
  });
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      sent.push(new TextDecoder().decode(chunk));
      const reply = replies.shift();
      if (reply === undefined) controller.close();
      else controller.enqueue(encoder.encode(reply));
    },
  });
  return { sent, options: { readable, writable }, cancelled: () => cancelled };
}

Deno.test("runAgi resolves 0 once the handler is done and closes the session", async () => {
  const asterisk = fakeAsterisk(ENV, ["200 result=0\n", "200 result=1 (en)\n"]);
  const seen: unknown[] = [];
  const status = await runAgi(async (session) => {
    seen.push(session.env.channel, session.env.args);
    await session.answer();
    seen.push(await session.getVariable("CHANNEL(language)"));
  }, { exit: false, ...asterisk.options });
  assert.equal(status, 0);
  assert.deepEqual(seen, ["PJSIP/alice-00000001", ["first"], "en"]);
  assert.deepEqual(asterisk.sent, [
    "ANSWER\n",
    "GET VARIABLE CHANNEL(language)\n",
  ]);
  assert.equal(asterisk.cancelled(), true);
});

Deno.test("runAgi resolves 1 and reports the error when the handler throws", async () => {
  const asterisk = fakeAsterisk(ENV, ["200 result=0\n"]);
  const reported: unknown[] = [];
  const boom = new Error("boom");
  const status = await runAgi(async (session) => {
    await session.answer();
    throw boom;
  }, {
    exit: false,
    agitb: false,
    onError: (error) => reported.push(error),
    ...asterisk.options,
  });
  assert.equal(status, 1);
  assert.deepEqual(reported, [boom]);
  assert.deepEqual(asterisk.sent, ["ANSWER\n"]);
});

Deno.test("runAgi resolves 1 without calling the handler when the environment block is cut off", async () => {
  const readable = ReadableStream.from([
    encoder.encode("agi_request: hello.ts\n"),
  ]);
  const reported: unknown[] = [];
  let called = false;
  const status = await runAgi(() => void (called = true), {
    exit: false,
    onError: (error) => reported.push(error),
    readable,
    writable: new WritableStream(),
  });
  assert.equal(status, 1);
  assert.equal(called, false);
  assert.equal(reported.length, 1);
  assert.ok(reported[0] instanceof ProtocolError);
});

Deno.test("runAgi keeps its exit status when onError throws", async () => {
  const asterisk = fakeAsterisk(ENV, []);
  const status = await runAgi(() => {
    throw new Error("handler failed");
  }, {
    exit: false,
    onError() {
      throw new Error("reporter failed");
    },
    ...asterisk.options,
  });
  assert.equal(status, 1);
});

Deno.test("runAgi's default reporter prints errors but not the AgiHangupError of a hung-up call", async () => {
  const printed: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void printed.push(args);
  try {
    const hangup = fakeAsterisk(ENV, ["HANGUP\n200 result=-1\n"]);
    assert.equal(
      await runAgi(async (session) => {
        await session.waitForDigit(1000);
      }, { exit: false, ...hangup.options }),
      1,
    );
    assert.deepEqual(printed, []);

    const failure = fakeAsterisk(ENV, []);
    const boom = new Error("boom");
    assert.equal(
      await runAgi(() => {
        throw boom;
      }, { exit: false, agitb: false, ...failure.options }),
      1,
    );
    assert.deepEqual(printed, [[boom]]);

    // With agitb (the default) the error is printed once, as its report.
    printed.length = 0;
    const reported = fakeAsterisk(ENV, Array(64).fill("200 result=1\n"));
    assert.equal(
      await runAgi(() => {
        throw boom;
      }, { exit: false, ...reported.options }),
      1,
    );
    assert.equal(printed.length, 1);
    assert.match(
      String(printed[0]![0]),
      /^Uncaught error in AGI script[^]*Error: boom/,
    );
  } finally {
    console.error = original;
  }
});

Deno.test("runAgi passes session options through (onTrace)", async () => {
  const asterisk = fakeAsterisk(ENV, ["200 result=-1\n"]);
  const trace: AgiTraceEvent[] = [];
  const reported: unknown[] = [];
  const status = await runAgi(async (session) => {
    await session.waitForDigit(1000);
  }, {
    exit: false,
    agitb: false,
    onTrace: (event) => void trace.push(event),
    onError: (error) => reported.push(error),
    ...asterisk.options,
  });
  assert.equal(status, 1);
  assert.equal(reported.length, 1);
  assert.ok(!(reported[0] instanceof AgiHangupError), String(reported[0]));
  assert.deepEqual(trace, [
    { direction: "send", line: "WAIT FOR DIGIT 1000" },
    { direction: "receive", line: "200 result=-1" },
  ]);
});
