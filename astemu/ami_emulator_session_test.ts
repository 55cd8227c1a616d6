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
