// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { parseTranscript } from "../astemu/parse_transcript.ts";
import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
} from "../errors.ts";
import { FastAgiTransport } from "./fast_agi_transport.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A stand-in for the `Deno.Conn` of a FastAGI call: each command written
 * releases the chunks of its reply, which `read()` then hands out one by one.
 */
class FakeConn {
  readonly written: string[] = [];
  closes = 0;
  closeWrites = 0;
  /** What the peer does on our half-close; by default, Asterisk's answer. */
  onCloseWrite: () => void = () => {
    this.push(encoder.encode("HANGUP\n"));
    this.end();
  };
  #replies: Uint8Array[][];
  #ready: Uint8Array[] = [];
  #waiting: {
    resolve: (n: number | null) => void;
    reject: (e: unknown) => void;
    buffer: Uint8Array;
  } | undefined;
  #eof = false;

  constructor(replies: Uint8Array[][]) {
    this.#replies = replies;
  }

  /** Makes bytes readable now, outside any command. */
  push(chunk: Uint8Array): void {
    this.#ready.push(chunk);
    this.#serve();
  }

  end(): void {
    this.#eof = true;
    this.#serve();
  }

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.closes > 0) {
      return Promise.reject(new Deno.errors.BadResource("closed"));
    }
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject, buffer };
      this.#serve();
    });
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.closes > 0) {
      return Promise.reject(new Deno.errors.BadResource("closed"));
    }
    this.written.push(decoder.decode(bytes));
    this.#ready.push(...(this.#replies.shift() ?? []));
    this.#serve();
    return Promise.resolve(bytes.length);
  }

  closeWrite(): Promise<void> {
    this.closeWrites++;
    if (this.closes > 0) {
      return Promise.reject(new Deno.errors.BadResource("closed"));
    }
    this.onCloseWrite();
    return Promise.resolve();
  }

  close(): void {
    this.closes++;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(new Deno.errors.Interrupted("operation canceled"));
  }

  #serve(): void {
    const waiting = this.#waiting;
    if (waiting === undefined) return;
    const chunk = this.#ready[0];
    if (chunk === undefined) {
      if (this.#eof) {
        this.#waiting = undefined;
        waiting.resolve(null);
      }
      return;
    }
    this.#waiting = undefined;
    const count = Math.min(chunk.length, waiting.buffer.length);
    waiting.buffer.set(chunk.subarray(0, count));
    if (count === chunk.length) this.#ready.shift();
    else this.#ready[0] = chunk.subarray(count);
    waiting.resolve(count);
  }
}

function transportOver(
  conn: FakeConn,
  maxLineBytes = 65536,
  rest: Uint8Array = new Uint8Array(0),
  lingerMs = 1000,
): FastAgiTransport {
  return new FastAgiTransport(conn as unknown as Deno.Conn, rest, {
    maxLineBytes,
    lingerMs,
    closeConnection: () => conn.close(),
  });
}

/** Scenario 1 of fastagi.txt: each command with the bytes Asterisk sent back. */
async function scenario(): Promise<
  Array<{ command: string; reply: Uint8Array; lines: string[] }>
> {
  const text = await Deno.readTextFile(
    new URL("../tests/fixtures/transcripts/fastagi.txt", import.meta.url),
  );
  const entries = parseTranscript(text);
  const end = entries.findIndex((entry) =>
    entry.text.includes("=== scenario 2")
  );
  const steps: Array<{ command: string; reply: Uint8Array; lines: string[] }> =
    [];
  for (const entry of entries.slice(0, end)) {
    if (entry.direction === "toAsterisk") {
      steps.push({ command: entry.text, reply: new Uint8Array(0), lines: [] });
    } else if (entry.direction === "fromAsterisk" && steps.length > 0) {
      const step = steps.at(-1)!;
      const joined = new Uint8Array(step.reply.length + entry.bytes.length);
      joined.set(step.reply);
      joined.set(entry.bytes, step.reply.length);
      step.reply = joined;
      step.lines.push(entry.text);
    }
  }
  return steps;
}

function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    out.push(bytes.subarray(at, at + size));
  }
  return out;
}

Deno.test("FastAgiTransport decodes every reply of the transcript whole, split at every offset and in small chunks", async (t) => {
  const steps = await scenario();
  assert.ok(steps.length > 40);
  const run = async (split: (reply: Uint8Array) => Uint8Array[]) => {
    const conn = new FakeConn(steps.map((step) => split(step.reply)));
    const transport = transportOver(conn);
    let hangupSeen = false;
    transport.hangup.then(() => hangupSeen = true);
    for (const step of steps) {
      const reply = await transport.execute(step.command);
      // A HANGUP notice is not part of the reply; the notice line comes last.
      assert.deepEqual(
        reply.lines,
        step.lines.filter((line) => line !== "HANGUP"),
        step.command,
      );
    }
    assert.deepEqual(conn.written, steps.map((step) => step.command + "\n"));
    assert.equal(hangupSeen, true);
    await transport.close();
    assert.equal(conn.closes, 1);
  };
  await t.step("whole", () => run((reply) => [reply]));
  await t.step("split at every offset", async () => {
    const longest = Math.max(...steps.map((step) => step.reply.length));
    for (let at = 1; at < longest; at++) {
      await run((reply) =>
        at < reply.length
          ? [reply.subarray(0, at), reply.subarray(at)]
          : [reply]
      );
    }
  });
  for (const size of [1, 2, 3, 7, 13, 64]) {
    await t.step(
      `chunk size ${size}`,
      () => run((reply) => chunked(reply, size)),
    );
  }
});

Deno.test("FastAgiTransport applies a HANGUP notice before the reply that came with it", async () => {
  const conn = new FakeConn([[encoder.encode("HANGUP\n200 result=-1\n")]]);
  const transport = transportOver(conn);
  let hungUp = false;
  transport.hangup.then(() => hungUp = true);
  const reply = await transport.execute("WAIT FOR DIGIT 5000");
  await Promise.resolve();
  assert.equal(hungUp, true);
  assert.equal(reply.result, "-1");
  await transport.close();
});

Deno.test("FastAgiTransport decodes bytes that followed the header before reading", async () => {
  const conn = new FakeConn([[encoder.encode("200 result=0\n")]]);
  const transport = transportOver(conn, 65536, encoder.encode("HANGUP\n"));
  await transport.hangup;
  assert.equal((await transport.execute("NOOP")).result, "0");
  await transport.close();
});

Deno.test("FastAgiTransport closes on a reply with no command in flight", async () => {
  const conn = new FakeConn([]);
  const transport = transportOver(conn);
  conn.push(encoder.encode("200 result=0\n"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(conn.closes, 1);
  await assert.rejects(transport.execute("NOOP"), (error: unknown) => {
    assert.ok(error instanceof ConnectionClosedError);
    assert.ok(error.cause instanceof ProtocolError);
    assert.equal(error.cause.line, "200 result=0");
    return true;
  });
  await transport.close();
  assert.equal(conn.closes, 1);
});

Deno.test("FastAgiTransport fails the command in flight with the LimitExceededError of an over-long line", async () => {
  const conn = new FakeConn([[
    encoder.encode("200 result=1 (" + "x".repeat(100) + ")\n"),
  ]]);
  const transport = transportOver(conn, 64);
  await assert.rejects(
    transport.execute("GET VARIABLE X"),
    (error: unknown) => {
      assert.ok(error instanceof LimitExceededError);
      assert.equal(error.limit, "maxLineBytes");
      return true;
    },
  );
  assert.equal(conn.closes, 1);
});

Deno.test("FastAgiTransport treats Asterisk closing as a hangup and fails the command in flight", async () => {
  const conn = new FakeConn([]);
  const transport = transportOver(conn);
  const pending = transport.execute("WAIT FOR DIGIT -1");
  conn.end();
  await transport.hangup;
  await assert.rejects(pending, (error: unknown) => {
    assert.ok(error instanceof ConnectionClosedError);
    assert.match(error.message, /"WAIT FOR DIGIT -1": connection closed$/);
    return true;
  });
  await transport.close();
});

Deno.test("FastAgiTransport close rejects the command in flight and every later one", async () => {
  const conn = new FakeConn([]);
  const transport = transportOver(conn);
  const pending = transport.execute("WAIT FOR DIGIT -1");
  await transport.close();
  await transport.close();
  assert.equal(conn.closes, 1);
  await assert.rejects(
    pending,
    /"WAIT FOR DIGIT -1": transport closed by the client$/,
  );
  await assert.rejects(transport.execute("NOOP"), ConnectionClosedError);
});

Deno.test("FastAgiTransport refuses a second command in flight and lines it cannot send", async () => {
  const conn = new FakeConn([[], [encoder.encode("200 result=0\n")]]);
  const transport = transportOver(conn);
  const first = transport.execute("WAIT FOR DIGIT 100");
  await assert.rejects(
    transport.execute("NOOP"),
    /"WAIT FOR DIGIT 100" is still in flight/,
  );
  await assert.rejects(transport.execute("NOOP\nANSWER"), TypeError);
  assert.deepEqual(conn.written, ["WAIT FOR DIGIT 100\n"]);
  conn.push(encoder.encode("200 result=0\n"));
  assert.equal((await first).result, "0");
  await transport.close();
});

Deno.test("FastAgiTransport abandons a command whose signal aborts, and closes", async () => {
  const conn = new FakeConn([]);
  const transport = transportOver(conn);
  const controller = new AbortController();
  const pending = transport.execute("WAIT FOR DIGIT -1", controller.signal);
  const reason = new Error("caller gave up");
  controller.abort(reason);
  await assert.rejects(pending, (error: unknown) => error === reason);
  assert.equal(conn.closes, 1);
  await assert.rejects(
    transport.execute("NOOP", AbortSignal.abort()),
    ConnectionClosedError,
  );
  await transport.close();
});

Deno.test("FastAgiTransport close shuts the write side and closes once Asterisk has closed", async () => {
  const conn = new FakeConn([[encoder.encode("200 result=0\n")]]);
  let peerClosed = false;
  conn.onCloseWrite = () => {
    // Asterisk ends the AGI a little later: its last HANGUP, then EOF.
    setTimeout(() => {
      conn.push(encoder.encode("HANGUP\n"));
      peerClosed = true;
      conn.end();
    }, 20);
  };
  const transport = transportOver(conn);
  await transport.execute("NOOP");
  await transport.close();
  assert.equal(conn.closeWrites, 1);
  assert.equal(peerClosed, true);
  assert.equal(conn.closes, 1);
});

Deno.test("FastAgiTransport close cuts off a peer that does not close within lingerMs", async () => {
  const conn = new FakeConn([]);
  conn.onCloseWrite = () =>
    conn.push(encoder.encode("200 result=0\nchatter\n"));
  const transport = transportOver(conn, 65536, new Uint8Array(0), 50);
  const started = performance.now();
  await transport.close();
  const took = performance.now() - started;
  assert.ok(took >= 45 && took < 1000, `closed after ${took} ms`);
  assert.equal(conn.closeWrites, 1);
  assert.equal(conn.closes, 1);
});

Deno.test("FastAgiTransport closes at once, without a half-close, after a failure", async () => {
  const conn = new FakeConn([]);
  const transport = transportOver(conn);
  conn.push(encoder.encode("garbage without a status\n"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(conn.closes, 1);
  await transport.close();
  assert.equal(conn.closeWrites, 0);
});

Deno.test(
  "FastAgiTransport writes short, long and non-ASCII lines exactly through a shared read buffer",
  {
    permissions: "none",
  },
  async () => {
    const long = `VERBOSE "${"x".repeat(400)}" 1`;
    const accented = 'SET VARIABLE NAME "Zoë Ünal — 日本"';
    const conn = new FakeConn([
      [encoder.encode("ult=1\n")],
      [encoder.encode("200 result=1\n")],
      [encoder.encode("200 result=1\n")],
    ]);
    // The header's buffer: `rest` (the start of a reply) is a view of it,
    // and the reads after it overwrite it.
    const buffer = new Uint8Array(2048);
    const pending = encoder.encode("200 res");
    buffer.set(pending, 0);
    const transport = new FastAgiTransport(
      conn as unknown as Deno.Conn,
      buffer.subarray(0, pending.length),
      {
        maxLineBytes: 65536,
        lingerMs: 1000,
        closeConnection: () => conn.close(),
        readBuffer: buffer,
      },
    );
    const first = await transport.execute("ANSWER");
    assert.equal(first.result, "1");
    assert.equal((await transport.execute(long)).result, "1");
    assert.equal((await transport.execute(accented)).result, "1");
    assert.deepEqual(conn.written, ["ANSWER\n", `${long}\n`, `${accented}\n`]);
    assert.deepEqual(first.lines, ["200 result=1"]);
    conn.push(encoder.encode("HANGUP\n"));
    await transport.hangup;
    await transport.close();
  },
);
