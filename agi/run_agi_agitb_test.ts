// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { runAgi } from "./run_agi.ts";

/** An in-memory Asterisk that answers every command with `200 result=1`. */
function fakeAsterisk(): {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  sent: string[];
} {
  const encoder = new TextEncoder();
  const sent: string[] = [];
  let asterisk!: ReadableStreamDefaultController<Uint8Array>;
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      asterisk = controller;
      controller.enqueue(
        encoder.encode("agi_request: boom.ts\nagi_callerid: 5551234\n\n"),
      );
    },
  });
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      for (const line of new TextDecoder().decode(chunk).split("\n")) {
        if (line !== "") sent.push(line);
      }
      asterisk.enqueue(encoder.encode("200 result=1\n"));
    },
  });
  return { readable, writable, sent };
}

Deno.test({
  name:
    "runAgi writes an agitb report through VERBOSE by default when the handler throws",
  permissions: "none",
  fn: async () => {
    const asterisk = fakeAsterisk();
    const stderr: string[] = [];
    const status = await runAgi(async (session) => {
      await session.setVariable("API_TOKEN", "hunter2");
      throw new Error("Cannot look up account: database down");
    }, {
      exit: false,
      readable: asterisk.readable,
      writable: asterisk.writable,
      agitb: {
        stderr: (report) => stderr.push(report),
        readSource: () => undefined,
      },
    });
    assert.equal(status, 1);
    const verbose = asterisk.sent.filter((line) => line.startsWith("VERBOSE"));
    assert.ok(
      verbose.some((line) => line.includes("database down")),
      verbose.join("\n"),
    );
    assert.ok(verbose.some((line) => line.includes("agi_callerid: 5551234")));
    assert.ok(!asterisk.sent.slice(1).some((line) => line.includes("hunter2")));
    assert.match(stderr.join("\n"), /database down/);
  },
});

Deno.test({
  name: "runAgi with agitb false sends no report",
  permissions: "none",
  fn: async () => {
    const asterisk = fakeAsterisk();
    const errors: unknown[] = [];
    const status = await runAgi(() => {
      throw new Error("plain failure");
    }, {
      exit: false,
      readable: asterisk.readable,
      writable: asterisk.writable,
      agitb: false,
      onError: (error) => errors.push(error),
    });
    assert.equal(status, 1);
    assert.deepEqual(asterisk.sent, []);
    assert.equal((errors[0] as Error).message, "plain failure");
  },
});
