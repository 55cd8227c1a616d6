// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { startAmiEmulator } from "./start_ami_emulator.ts";

Deno.test({
  name:
    "startAmiEmulator listens on 127.0.0.1 and a free port, and frees it on close",
  permissions: { net: ["127.0.0.1"] },
  async fn() {
    const emulator = await startAmiEmulator();
    assert.equal(emulator.hostname, "127.0.0.1");
    assert.ok(emulator.port > 0);
    const conn = await Deno.connect({
      hostname: emulator.hostname,
      port: emulator.port,
    });
    const buffer = new Uint8Array(64);
    const n = await conn.read(buffer);
    assert.equal(
      new TextDecoder().decode(buffer.subarray(0, n!)),
      "Asterisk Call Manager/13.0.0\r\n",
    );
    conn.close();
    const port = emulator.port;
    await emulator.close();
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }));
  },
});

Deno.test("startAmiEmulator without listening needs no permission", {
  permissions: "none",
}, async () => {
  await using emulator = await startAmiEmulator({ listen: false });
  assert.throws(() => emulator.hostname, TypeError);
  assert.equal(emulator.sessions.length, 0);
});

Deno.test(
  "startAmiEmulator fails without network permission and leaves nothing open",
  {
    permissions: "none",
  },
  async () => {
    await assert.rejects(startAmiEmulator(), Deno.errors.NotCapable);
  },
);

Deno.test({
  name: "startAmiEmulator rejects a port in use",
  permissions: { net: ["127.0.0.1"] },
  async fn() {
    await using first = await startAmiEmulator();
    await assert.rejects(
      startAmiEmulator({ port: first.port }),
      Deno.errors.AddrInUse,
    );
  },
});
