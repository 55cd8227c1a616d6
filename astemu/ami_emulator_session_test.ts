// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { MemoryAmiClient } from "../tests/astemu/_memory_client.ts";
import { AmiEmulator } from "./ami_emulator.ts";
import { AmiEmulatorSession } from "./ami_emulator_session.ts";

const none = { permissions: "none" } as const;

Deno.test(
  "AmiEmulatorSession serves any readable/writable pair",
  none,
  async () => {
    await using emulator = new AmiEmulator();
    const toServer = new TransformStream<Uint8Array, Uint8Array>();
    const toClient = new TransformStream<Uint8Array, Uint8Array>();
    const closes: string[] = [];
    const session = new AmiEmulatorSession(
      emulator,
      toServer.readable,
      toClient.writable,
      {
        onClose: () => closes.push("closed"),
      },
    );
    assert.equal(session.emulator, emulator);
    assert.equal(emulator.sessions[0], session);
    const writer = toServer.writable.getWriter();
    await writer.write(
      new TextEncoder().encode("Action: Logoff\r\nActionID: 9\r\n\r\n"),
    );
    const text = await new Response(toClient.readable).text();
    assert.equal(
      text,
      "Asterisk Call Manager/13.0.0\r\nResponse: Goodbye\r\nActionID: 9\r\nMessage: Thanks for all the fish.\r\n\r\n",
    );
    await session.closed;
    assert.equal(session.closeReason, "logoff");
    assert.deepEqual(closes, ["closed"]);
    await writer.close().catch(() => {});
  },
);

Deno.test(
  "AmiEmulatorSession drops an in-memory client that stops reading (writetimeout)",
  none,
  async () => {
    await using emulator = new AmiEmulator({ writeTimeoutMs: 50 });
    await using client = new MemoryAmiClient(emulator);
    await client.login();
    client.pause();
    const body = "z".repeat(16 * 1024);
    for (let i = 0; i < 16 && !client.session.isClosed; i++) {
      client.session.emit({ Event: "Flood", Data: body }, { ignoreMask: true });
    }
    await client.session.closed;
    assert.equal(client.session.closeReason, "write timeout");
    client.resume();
    await client.until(() => client.eof);
  },
);

Deno.test(
  "AmiEmulatorSession.close writes what is queued first; drop does not",
  none,
  async () => {
    await using emulator = new AmiEmulator();
    await using graceful = new MemoryAmiClient(emulator);
    await graceful.login("on");
    graceful.session.emit({ Event: "Last" });
    graceful.session.close();
    await graceful.until(() => graceful.eof);
    assert.equal(graceful.packets.at(-1)!.event, "Last");
    assert.equal(graceful.session.closeReason, "closed by emulator");

    await using dropped = new MemoryAmiClient(emulator);
    await dropped.login("on");
    dropped.session.setFaults({ stallWrites: true });
    dropped.session.emit({ Event: "Never" });
    dropped.session.drop();
    await dropped.until(() => dropped.eof);
    assert.ok(!dropped.packets.some((m) => m.event === "Never"));
  },
);

Deno.test(
  "AmiEmulatorSession emits to itself only, honouring its mask unless told not to",
  none,
  async () => {
    await using emulator = new AmiEmulator();
    await using a = new MemoryAmiClient(emulator);
    await using b = new MemoryAmiClient(emulator);
    await a.login("agent");
    await b.login("on");
    assert.equal(a.session.emit({ Event: "Call" }), false);
    assert.equal(
      a.session.emit({ Event: "Agent" }, { category: "agent" }),
      true,
    );
    assert.equal(
      a.session.emit({ Event: "Forced" }, { ignoreMask: true }),
      true,
    );
    await a.action("Action: Ping\n\n", "sync");
    await b.action("Action: Ping\n\n", "sync");
    assert.deepEqual(
      a.packets.filter((m) => m.event !== undefined).map((m) => m.event),
      ["Agent", "Forced"],
    );
    assert.ok(
      !b.packets.some((m) => m.event === "Agent" || m.event === "Forced"),
    );
    assert.equal(
      a.packets.find((m) => m.event === "Agent")!.get("Privilege"),
      "agent,all",
    );
    assert.throws(
      () => a.session.emit({ Event: "Bad", Value: "a\r\nb" }),
      TypeError,
    );
  },
);

Deno.test(
  "AmiEmulatorSession faults merge per session over the emulator's",
  none,
  async () => {
    await using emulator = new AmiEmulator();
    await using client = new MemoryAmiClient(emulator);
    emulator.setFaults({ actionId: "wrong", responseDelayMs: 0 });
    assert.deepEqual(emulator.faults, {
      actionId: "wrong",
      responseDelayMs: 0,
    });
    client.session.setFaults({ actionId: "echo" });
    await client.login();
    const ping = await client.action("Action: Ping\n\n", "p");
    assert.equal(ping.actionId, "p");
    client.session.setFaults({ actionId: undefined });
    await client.send("Action: Ping\nActionID: q\n\n");
    await client.until(() =>
      client.packets.some((m) => m.actionId === "astemu-wrong-q")
    );
    client.session.sendRaw("Event: Raw\r\n\r\n");
    await client.until(() => client.packets.some((m) => m.event === "Raw"));
  },
);

Deno.test(
  "AmiEmulatorSession cannot be attached to a closed emulator",
  none,
  async () => {
    const emulator = new AmiEmulator();
    await emulator.close();
    assert.throws(
      () =>
        new AmiEmulatorSession(
          emulator,
          new ReadableStream(),
          new WritableStream(),
        ),
      /Cannot attach AMI session: the emulator is closed/,
    );
  },
);

const encoder = new TextEncoder();

/** Reads from `reader` until the text so far matches `pattern` (bounded). */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pattern: RegExp,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for (let i = 0; i < 100 && !pattern.test(text); i++) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  assert.match(text, pattern);
  return text;
}

Deno.test(
  "AmiEmulatorSession stopReading leaves the client's next bytes in the transport until cleared",
  none,
  async () => {
    await using emulator = new AmiEmulator();
    let source!: ReadableStreamDefaultController<Uint8Array>;
    const fromClient = new ReadableStream<Uint8Array>({
      start: (controller) => void (source = controller),
    }, new ByteLengthQueuingStrategy({ highWaterMark: 0 }));
    const toClient = new TransformStream<Uint8Array, Uint8Array>();
    const reader = toClient.readable.getReader();
    const session = new AmiEmulatorSession(
      emulator,
      fromClient,
      toClient.writable,
    );
    await readUntil(reader, /^Asterisk Call Manager\/13\.0\.0\r\n$/);
    // Let the session start its next read, then stop it.
    await new Promise((resolve) => setTimeout(resolve, 10));
    session.setFaults({ stopReading: true });
    const login = encoder.encode(
      "Action: Login\r\nActionID: L\r\nUsername: admin\r\nSecret: admin\r\nEvents: off\r\n\r\n",
    );
    source.enqueue(login);
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Still queued in the stream: nobody took it.
    assert.equal(source.desiredSize, -login.length);
    assert.equal(session.actions.length, 0);
    session.setFaults({ stopReading: undefined });
    await readUntil(reader, /ActionID: L\r\nMessage: Authentication accepted/);
    assert.equal(source.desiredSize, 0);
    assert.equal(session.actions[0]!.get("Action"), "Login");
    session.close();
    await session.closed;
    assert.deepEqual(await reader.read(), { value: undefined, done: true });
  },
);

Deno.test(
  "AmiEmulator.close ends a session whose client left while stopReading was set",
  none,
  async (t) => {
    for (const clearFault of [false, true]) {
      await t.step(
        clearFault ? "fault cleared" : "fault still set",
        async () => {
          const emulator = new AmiEmulator();
          const { readable, writable, session } = emulator.connectInMemory();
          const reader = readable.getReader();
          const writer = writable.getWriter();
          await readUntil(reader, /^Asterisk Call Manager/);
          await writer.write(encoder.encode(
            "Action: Login\r\nActionID: L\r\nUsername: admin\r\nSecret: admin\r\nEvents: off\r\n\r\n",
          ));
          await readUntil(reader, /Authentication accepted/);
          session.setFaults({ stopReading: true });
          await writer.write(
            encoder.encode("Action: Ping\r\nActionID: p\r\n\r\n"),
          );
          await writer.close();
          await reader.cancel();
          await new Promise((resolve) => setTimeout(resolve, 20));
          assert.ok(!session.isClosed, "the session noticed nothing");
          if (clearFault) session.setFaults({ stopReading: undefined });
          let timer: ReturnType<typeof setTimeout> | undefined;
          const within = (promise: Promise<void>) =>
            Promise.race([
              promise.then(() => "settled"),
              new Promise((resolve) =>
                timer = setTimeout(resolve, 2000, "hung")
              ),
            ]).finally(() => clearTimeout(timer));
          if (clearFault) {
            // Reading again, it takes the Ping, then sees the client left.
            assert.equal(await within(session.closed), "settled");
          }
          assert.equal(await within(emulator.close()), "settled");
          assert.ok(session.isClosed);
          assert.deepEqual(
            session.actions.map((a) => a.get("Action")),
            clearFault ? ["Login", "Ping"] : ["Login"],
          );
        },
      );
    }
  },
);

Deno.test(
  "AmiEmulator.close ends a session whose write the client never takes",
  none,
  async (t) => {
    for (const writeTimeoutMs of [100, 0]) {
      await t.step(`writeTimeoutMs ${writeTimeoutMs}`, async () => {
        const emulator = new AmiEmulator({ writeTimeoutMs });
        await using client = new MemoryAmiClient(emulator);
        await client.login();
        client.pause();
        // More than the in-memory pair buffers: a write stays in flight.
        for (let i = 0; i < 8; i++) {
          client.session.emit({ Event: "Flood", Data: "x".repeat(30_000) }, {
            ignoreMask: true,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
        assert.ok(!client.session.isClosed, client.session.closeReason);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const outcome = await Promise.race([
          emulator.close().then(() => "closed"),
          new Promise((resolve) => timer = setTimeout(resolve, 2000, "hung")),
        ]).finally(() => clearTimeout(timer));
        assert.equal(outcome, "closed");
        assert.equal(client.session.closeReason, "dropped");
      });
    }
  },
);
