// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Run by `memory_test.ts` with `--v8-flags=--expose-gc`: drives one
 * long-lived object (an emulator session, an AmiClient, an AgiSession, a
 * FastAGI server) through three equal rounds of work and prints the heap
 * after a full collection at the start and after each round, as JSON. A
 * per-message leak shows as steady growth from round to round.
 *
 * Usage: `heap_probe.ts <emulator|client|agi|fastagi> <rounds-size>`.
 *
 * @module
 */

import { startAmiEmulator } from "../../../astemu/start_ami_emulator.ts";
import { createAgiSession } from "../../../agi/create_agi_session.ts";
import { serveFastAgi } from "../../../agi/serve_fast_agi.ts";
import { AmiClient } from "../../../manager/ami_client.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("Run with --v8-flags=--expose-gc");
const encoder = new TextEncoder();

function heap(): number {
  gc!();
  gc!();
  return Deno.memoryUsage().heapUsed;
}

function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Runs `round` three times; returns the heap before and after each. */
async function measure(round: () => Promise<void>): Promise<number[]> {
  await round(); // warm-up: caches, JIT, first allocations
  const samples = [heap()];
  for (let i = 0; i < 3; i++) {
    await round();
    samples.push(heap());
  }
  return samples;
}

const [what, sizeText] = Deno.args;
const size = Number(sizeText);
let samples: number[];

if (what === "emulator") {
  // One emulator session receiving events, its client reading them all.
  await using emulator = await startAmiEmulator({ listen: false });
  const { readable, writable } = emulator.connectInMemory();
  const writer = writable.getWriter();
  await writer.write(encoder.encode(
    "Action: Login\r\nUsername: admin\r\nSecret: admin\r\nEvents: call\r\n\r\n",
  ));
  // Count the probe events the client receives (a marker split across
  // chunks is carried over).
  let received = 0;
  let tail = "";
  const decoder = new TextDecoder();
  const reader = readable.getReader();
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const text = tail + decoder.decode(value, { stream: true });
      let at = text.indexOf("Event: Probe\r\n");
      let next = 0;
      while (at !== -1) {
        received++;
        next = at + 1;
        at = text.indexOf("Event: Probe\r\n", next);
      }
      tail = text.slice(Math.max(next, text.length - 16));
    }
  })();
  while (emulator.sessions[0]?.authenticated !== true) await tick();
  samples = await measure(async () => {
    const goal = received + size;
    for (let i = 0; i < size; i++) {
      emulator.emit({ Event: "Probe", Seq: String(i) }, { category: "call" });
      if (i % 500 === 499) await tick();
    }
    while (received < goal) await tick();
  });
  await writer.close();
  await reading;
} else if (what === "client") {
  // One AmiClient decoding and dispatching events from a scripted server.
  const toClient = new TransformStream<Uint8Array, Uint8Array>();
  const server = toClient.writable.getWriter();
  const client = new AmiClient({
    readable: toClient.readable,
    writable: new WritableStream(),
  });
  const connected = client.connect();
  await server.write(encoder.encode("Asterisk Call Manager/13.0.0\r\n"));
  await connected;
  let seen = 0;
  client.on("Probe", () => void seen++);
  const events = client.events({ filter: "Probe", bufferSize: 100 });
  const packet = encoder.encode(
    "Event: Probe\r\nPrivilege: call,all\r\nChannel: PJSIP/1-1\r\n\r\n",
  );
  samples = await measure(async () => {
    const goal = seen + size;
    for (let i = 0; i < size; i++) {
      await server.write(packet);
      if (i % 500 === 499) await tick();
    }
    while (seen < goal) await tick();
  });
  events.close();
  await client.close();
} else if (what === "agi") {
  // One AgiSession running many commands.
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      c.enqueue(encoder.encode("agi_request: probe\n\n"));
    },
  });
  const reply = encoder.encode("200 result=1 (value)\n");
  const writable = new WritableStream<Uint8Array>({
    write() {
      controller.enqueue(reply);
    },
  });
  const session = await createAgiSession(readable, writable);
  samples = await measure(async () => {
    for (let i = 0; i < size; i++) await session.getVariable("X");
  });
  await session.close();
} else if (what === "fastagi") {
  // One FastAGI server, many short calls over loopback.
  await using server = serveFastAgi({ port: 0 }, async (session) => {
    await session.answer();
  });
  const header = encoder.encode(
    "agi_network: yes\nagi_network_script: x\nagi_channel: PJSIP/1-1\n\n",
  );
  const buffer = new Uint8Array(256);
  samples = await measure(async () => {
    for (let i = 0; i < size; i++) {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: server.addr.port,
      });
      await conn.write(header);
      await conn.read(buffer); // ANSWER
      await conn.write(encoder.encode("200 result=0\n"));
      while (await conn.read(buffer) !== null) {
        // Until the server closes.
      }
      conn.close();
    }
    while (server.connections > 0) await tick();
  });
} else {
  throw new Error(`Unknown probe ${what}`);
}
console.log(JSON.stringify({ what, size, samples }));
