// Copyright the @pyst/asterisk authors. MIT license.
/**
 * An AMI event flood server, run in a Worker so that it has a core of its
 * own. Post `{ count }`: it opens a listener on 127.0.0.1 (port 0) and
 * answers `{ port, bytesPerPacket }`. Each connection to that port gets the
 * banner, then `count` event packets (the events of the recorded Originate
 * in `ami-events-on-login-originate.txt`, cycled), then the server closes
 * its side.
 *
 * @module
 */

/// <reference lib="deno.worker" />

const FIXTURE = new URL(
  "../tests/fixtures/transcripts/ami-events-on-login-originate.txt",
  import.meta.url,
);
const encoder = new TextEncoder();

/** The recorded event packets, as wire text. */
function recordedEvents(text: string): string[] {
  const packets: string[] = [];
  let current: string[] | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith("<< ")) continue;
    const wire = line.slice(3).replaceAll("\\r", "\r").replaceAll("\\\\", "\\");
    if (current === undefined) {
      if (wire.startsWith("Event: ")) current = [wire];
      continue;
    }
    current.push(wire);
    if (wire === "\r") {
      packets.push(current.join("\n") + "\n");
      current = undefined;
    }
  }
  return packets;
}

const packets = recordedEvents(await Deno.readTextFile(FIXTURE));
/** One block of 1024 packets, written repeatedly. */
const BLOCK_PACKETS = 1024;
let blockText = "";
for (let i = 0; i < BLOCK_PACKETS; i++) {
  blockText += packets[i % packets.length];
}
const block = encoder.encode(blockText);
const banner = encoder.encode("Asterisk Call Manager/13.0.0\r\n");

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

async function flood(conn: Deno.TcpConn, packetsToSend: number): Promise<void> {
  try {
    conn.setNoDelay(true);
    await writeAll(conn, banner);
    let left = packetsToSend;
    while (left >= BLOCK_PACKETS) {
      await writeAll(conn, block);
      left -= BLOCK_PACKETS;
    }
    if (left > 0) {
      // Whole packets only: cut the block at the end of packet `left`.
      let end = 0;
      for (let i = 0; i < left; i++) {
        end = blockText.indexOf("\r\n\r\n", end) + 4;
      }
      await writeAll(conn, encoder.encode(blockText.slice(0, end)));
    }
    await conn.closeWrite();
    // Wait for the client to close.
    const sink = new Uint8Array(4096);
    while ((await conn.read(sink)) !== null) { /* discard */ }
  } catch {
    // The client went away.
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

async function serve(listener: Deno.TcpListener, count: number): Promise<void> {
  for await (const conn of listener) void flood(conn, count);
}

self.onmessage = (event: MessageEvent<{ count: number }>) => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  void serve(listener, event.data.count);
  self.postMessage({
    port: listener.addr.port,
    bytesPerPacket: block.length / BLOCK_PACKETS,
  });
};
self.postMessage({ ready: true });
