// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Limits of the AMI side, end to end through the public client against the
 * AMI emulator: each limit is an option, has a sane default, fails with a
 * typed error naming it, and loses nothing around the offending input.
 */
import assert from "node:assert/strict";
import { LimitExceededError, TimeoutError } from "../../errors.ts";
import { startAmiEmulator } from "../../astemu/start_ami_emulator.ts";
import { AmiClient } from "../../manager/ami_client.ts";
import { AmiMessageDecoder } from "../../manager/ami_message_decoder.ts";
import { encodeAmiAction } from "../../manager/encode_ami_action.ts";
import { connectClient, until } from "./_ami.ts";

function limitError(error: unknown, limit: string, max: number): boolean {
  return error instanceof LimitExceededError && error.limit === limit &&
    error.max === max;
}

for (
  const [option, max, bytes, expected] of [
    [
      "maxLineBytes",
      1024,
      "Event: Big\r\nData: " + "x".repeat(2000) + "\r\n\r\n",
      1024,
    ],
    [
      "maxFieldsPerMessage",
      10,
      "Event: Many\r\n" + "K: v\r\n".repeat(20) + "\r\n",
      10,
    ],
    [
      "maxMessageBytes",
      4096,
      "Event: Fat\r\n" + ("K: " + "y".repeat(500) + "\r\n").repeat(20) +
      "\r\n",
      4096,
    ],
  ] as const
) {
  Deno.test(`AmiClient ${option}: an over-limit packet is dropped with a LimitExceededError, the packets around it are kept`, async () => {
    await using emulator = await startAmiEmulator({ listen: false });
    const { client, session, errors } = await connectClient(emulator, {
      [option]: max,
      events: false, // only the raw packets below arrive
    });
    const events = client.events({ filter: ["Before", "After"] });
    session.sendRaw(
      "Event: Before\r\nPrivilege: user,all\r\n\r\n" + bytes +
        "Event: After\r\nPrivilege: user,all\r\n\r\n",
    );
    const names: string[] = [];
    for await (const event of events) {
      names.push(event.event ?? "");
      if (event.event === "After") break;
    }
    assert.deepEqual(names, ["Before", "After"]);
    assert.equal(errors.length, 1);
    assert.ok(limitError(errors[0], option, expected), String(errors[0]));
    // The connection is still usable.
    const pong = await client.send({ Action: "Ping" });
    assert.equal(pong.get("Ping"), "Pong");
    await client.logoff();
  });
}

Deno.test("AMI decoder defaults: 1 MiB lines, 20,000 fields, 8 MiB messages", async (t) => {
  const encoder = new TextEncoder();
  const decode = (text: string) => {
    const kept: string[] = [];
    const decoder = new AmiMessageDecoder((m) => kept.push(m.event ?? ""), {
      expectBanner: false,
    });
    let error: unknown;
    try {
      decoder.push(encoder.encode(text));
    } catch (e) {
      error = e;
    }
    return { kept, error };
  };
  await t.step("a line of exactly 1 MiB passes, one byte more fails", () => {
    const prefix = "Data: ";
    const ok = decode(
      `Event: A\r\n${prefix}${"x".repeat(1_048_576 - prefix.length)}\r\n\r\n`,
    );
    assert.deepEqual(ok, { kept: ["A"], error: undefined });
    const over = decode(
      `Event: A\r\n${prefix}${"x".repeat(1_048_577 - prefix.length)}\r\n\r\n`,
    );
    assert.deepEqual(over.kept, []);
    assert.ok(limitError(over.error, "maxLineBytes", 1_048_576));
  });
  await t.step("20,000 lines pass, 20,001 fail", () => {
    const ok = decode("Event: A\r\n" + "K: v\r\n".repeat(19_999) + "\r\n");
    assert.deepEqual(ok, { kept: ["A"], error: undefined });
    const over = decode("Event: A\r\n" + "K: v\r\n".repeat(20_000) + "\r\n");
    assert.ok(limitError(over.error, "maxFieldsPerMessage", 20_000));
  });
  await t.step("more than 8 MiB in one message fails", () => {
    const line = "K: " + "z".repeat(1021) + "\r\n"; // 1 KiB with its CRLF
    const over = decode("Event: A\r\n" + line.repeat(8192) + "\r\n");
    assert.deepEqual(over.kept, []);
    assert.ok(limitError(over.error, "maxMessageBytes", 8_388_608));
  });
});

Deno.test("AMI decoder memory stays bounded under 128 MiB without a line feed", () => {
  // If the decoder kept what it skips, the heap would grow by >= 128 MiB.
  const decoder = new AmiMessageDecoder(() => {}, {
    expectBanner: false,
    maxLineBytes: 65_536,
  });
  const chunk = new Uint8Array(1_048_576).fill(0x41);
  const before = Deno.memoryUsage().heapUsed;
  let errors = 0;
  let peak = before;
  for (let i = 0; i < 128; i++) {
    try {
      decoder.push(chunk);
    } catch (error) {
      assert.ok(limitError(error, "maxLineBytes", 65_536));
      errors++;
    }
    peak = Math.max(peak, Deno.memoryUsage().heapUsed);
  }
  assert.equal(errors, 1); // reported once, then the line is skipped
  assert.ok(
    peak - before < 96 * 1_048_576,
    `heap grew by ${((peak - before) / 1_048_576).toFixed(1)} MiB`,
  );
  // After the skipped line, decoding resumes.
  const kept: string[] = [];
  const resumed = new AmiMessageDecoder((m) => kept.push(m.event ?? ""), {
    expectBanner: false,
    maxLineBytes: 16,
  });
  try {
    resumed.push(new TextEncoder().encode("x".repeat(100)));
  } catch (error) {
    assert.ok(error instanceof LimitExceededError);
  }
  // The packet holding the long line is dropped up to its blank line.
  resumed.push(
    new TextEncoder().encode("\r\nEvent: Lost\r\n\r\nEvent: Ok\r\n\r\n"),
  );
  assert.deepEqual(kept, ["Ok"]);
});

Deno.test("AmiClient maxPendingActions: one more rejects with LimitExceededError, default 10,000", async (t) => {
  await using emulator = await startAmiEmulator({ listen: false });
  await t.step("a small limit", async () => {
    const { client, session } = await connectClient(emulator, {
      maxPendingActions: 3,
      timeout: Infinity,
    });
    session.setFaults({ stopReading: true });
    const waiting = [1, 2, 3].map(() => client.send({ Action: "Ping" }));
    await assert.rejects(
      client.send({ Action: "Ping" }),
      (error) => limitError(error, "maxPendingActions", 3),
    );
    assert.equal(client.pendingActions, 3);
    session.setFaults({ stopReading: false });
    const replies = await Promise.all(waiting);
    assert.deepEqual(replies.map((r) => r.get("Ping")), [
      "Pong",
      "Pong",
      "Pong",
    ]);
    await client.logoff();
  });
  await t.step("the default", async () => {
    const { client, session } = await connectClient(emulator, {
      timeout: Infinity,
    });
    session.setFaults({ stopReading: true });
    const waiting = Array.from(
      { length: 10_000 },
      () => client.send({ Action: "Ping" }).then(() => "ok", () => "closed"),
    );
    await assert.rejects(
      client.send({ Action: "Ping" }),
      (error) => limitError(error, "maxPendingActions", 10_000),
    );
    await client.close();
    const outcomes = new Set(await Promise.all(waiting));
    assert.deepEqual([...outcomes], ["closed"]);
  });
});

Deno.test("AmiClient events(): bufferSize and each overflow policy, drops counted; default 10,000 drop-oldest", async (t) => {
  await using emulator = await startAmiEmulator({ listen: false });
  const { client } = await connectClient(emulator, { events: true });
  const flood = async (count: number) => {
    for (let i = 0; i < count; i++) {
      emulator.emit({ Event: "Tick", N: String(i) }, { category: "user" });
    }
    // The last event is through once a Ping sent after it is answered.
    await client.send({ Action: "Ping" });
  };
  await t.step("drop-oldest keeps the newest", async () => {
    const sub = client.events({
      filter: "Tick",
      bufferSize: 5,
      overflow: "drop-oldest",
    });
    await flood(12);
    assert.equal(sub.dropped, 7);
    assert.equal(sub.size, 5);
    const kept: string[] = [];
    for (let i = 0; i < 5; i++) kept.push((await sub.next()).value.get("N"));
    assert.deepEqual(kept, ["7", "8", "9", "10", "11"]);
    sub.close();
  });
  await t.step("drop-newest keeps the oldest", async () => {
    const sub = client.events({
      filter: "Tick",
      bufferSize: 5,
      overflow: "drop-newest",
    });
    await flood(12);
    assert.equal(sub.dropped, 7);
    const kept: string[] = [];
    for (let i = 0; i < 5; i++) kept.push((await sub.next()).value.get("N"));
    assert.deepEqual(kept, ["0", "1", "2", "3", "4"]);
    sub.close();
  });
  await t.step(
    "error ends the iteration after the buffered events",
    async () => {
      const sub = client.events({
        filter: "Tick",
        bufferSize: 3,
        overflow: "error",
      });
      await flood(5);
      const kept: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const event of sub) kept.push(event.get("N")!);
        })(),
        (error) => limitError(error, "bufferSize", 3),
      );
      assert.deepEqual(kept, ["0", "1", "2"]);
    },
  );
  await t.step("the default holds 10,000 and drops the oldest", async () => {
    const sub = client.events({ filter: "Tick" });
    await flood(10_005);
    assert.equal(sub.size, 10_000);
    assert.equal(sub.dropped, 5);
    assert.equal((await sub.next()).value.get("N"), "5");
    sub.close();
  });
  await client.logoff();
});

Deno.test("AmiClient maxListItems / maxItems: a longer event list rejects with LimitExceededError, the next action works", async () => {
  await using emulator = await startAmiEmulator({ listen: false });
  const { client } = await connectClient(emulator, { maxListItems: 2 });
  for (let i = 0; i < 3; i++) {
    await client.originate({
      Channel: `Local/s@park-${i}`,
      Application: "Wait",
      Data: "60",
    });
  }
  await assert.rejects(
    client.sendList({ Action: "CoreShowChannels" }),
    (error) => limitError(error, "maxItems", 2),
  );
  const list = await client.sendList({ Action: "CoreShowChannels" }, {
    maxItems: 100,
  });
  assert.ok(list.events.length >= 3);
  await client.logoff();
});

Deno.test("AmiClient timeout and connectTimeout end waits with TimeoutError carrying the limit", async () => {
  await using emulator = await startAmiEmulator({ listen: false });
  const { client, session } = await connectClient(emulator, { timeout: 50 });
  session.setFaults({ stopReading: true });
  await assert.rejects(
    client.send({ Action: "Ping" }),
    (error) => error instanceof TimeoutError && error.timeoutMs === 50,
  );
  await client.close();
  // A server that never sends its banner.
  const silent = new AmiClient({
    readable: new ReadableStream<Uint8Array>(),
    writable: new WritableStream<Uint8Array>(),
  }, { connectTimeout: 50 });
  await assert.rejects(
    silent.connect(),
    (error) => error instanceof TimeoutError && error.timeoutMs === 50,
  );
  assert.equal(silent.state, "closed");
});

Deno.test("encodeAmiAction refuses what Asterisk would refuse: lines over 1024 bytes, more than 128 lines", () => {
  assert.throws(
    () => encodeAmiAction({ Action: "UserEvent", Data: "x".repeat(1020) }),
    TypeError,
  );
  const many: Record<string, string> = {};
  for (let i = 0; i < 128; i++) many[`H${i}`] = "v";
  assert.throws(
    () => encodeAmiAction({ Action: "UserEvent", ...many }),
    TypeError,
  );
  const fine = encodeAmiAction({ Action: "UserEvent", Data: "x".repeat(1000) });
  assert.equal(
    fine.length,
    "Action: UserEvent\r\nData: \r\n\r\n".length + 1000,
  );
});

Deno.test("AMI emulator limits: authLimit, maxQueuedBytes and writeTimeoutMs drop the session", async (t) => {
  await t.step(
    "authLimit: one unauthenticated session too many is dropped before the banner",
    async () => {
      await using emulator = await startAmiEmulator({
        listen: false,
        authLimit: 2,
      });
      const sessions = [1, 2, 3].map(() => emulator.connectInMemory());
      await until(() => sessions[2]!.session.isClosed, 2000, "the third drop");
      assert.equal(sessions[0]!.session.isClosed, false);
      assert.match(sessions[2]!.session.closeReason ?? "", /unauthenticated/);
      for (const { writable } of sessions) {
        await writable.close().catch(() => {});
      }
    },
  );
  await t.step(
    "a client that stops reading is dropped after writeTimeoutMs",
    async () => {
      await using emulator = await startAmiEmulator({
        listen: false,
        writeTimeoutMs: 50,
      });
      const { session, writable } = emulator.connectInMemory();
      // Nobody reads: the in-memory pipe fills, then the write times out.
      for (let i = 0; i < 64 && !session.isClosed; i++) {
        session.sendLongLine(
          65_536,
        );
      }
      await until(() => session.isClosed, 3000, "the drop");
      assert.equal(session.closeReason, "write timeout");
      await writable.close().catch(() => {});
    },
  );
});
