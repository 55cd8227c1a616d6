// Copyright the @pyst/asterisk authors. MIT license.
/**
 * AMI client benchmarks. Run with:
 *
 *     deno bench -P --v8-flags=--expose-gc bench/ami_client_bench.ts
 *
 * - `event throughput`: a flood server (a Worker, `ami_flood_worker.ts`)
 *   sends the banner and EVENTS recorded event packets; the baseline only
 *   reads the socket and counts packet separators (the floor), the client
 *   bench consumes the same bytes as `AmiMessage`s from `client.events()`
 *   with `for await`.
 *
 * @module
 */

import { AmiClient } from "../manager/ami_client.ts";
import { connectAmi } from "../manager/connect_ami.ts";

const EVENTS = 100_000;
const MEMORY_EVENTS = 300_000;
const MEMORY_BUFFER = 10_000;

const worker = new Worker(new URL("./ami_flood_worker.ts", import.meta.url), {
  type: "module",
});
const messages: ((data: unknown) => void)[] = [];
worker.onmessage = (event) => messages.shift()?.(event.data);
function nextMessage<T>(): Promise<T> {
  return new Promise((resolve) =>
    messages.push(resolve as (data: unknown) => void)
  );
}
await nextMessage();
async function floodPort(count: number): Promise<number> {
  const reply = nextMessage<{ port: number; bytesPerPacket: number }>();
  worker.postMessage({ count });
  const { port, bytesPerPacket } = await reply;
  console.log(
    `flood on port ${port}: ${count} packets of ${
      bytesPerPacket.toFixed(0)
    } bytes on average`,
  );
  return port;
}
const port = await floodPort(EVENTS);
const memoryPort = await floodPort(MEMORY_EVENTS);

let finished = 0;
const BENCHES = 3;
/** Stops the worker after the last bench's last iteration. */
function done(iterations: { n: number }, of: number) {
  if (++iterations.n === of) {
    if (++finished === BENCHES) worker.terminate();
  }
}

const floorRuns = { n: 0 };
Deno.bench({
  name: "floor: socket read counting packet separators",
  group: "event throughput",
  baseline: true,
  n: 20,
  warmup: 5,
  async fn() {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const reader = conn.readable.getReader();
    let packets = 0;
    // The three bytes before the current chunk, for separators across chunks.
    let p1 = 0, p2 = 0, p3 = 0;
    while (packets < EVENTS) {
      const { value, done: end } = await reader.read();
      if (end) break;
      let at = value.indexOf(10);
      while (at !== -1) {
        const b1 = at >= 1 ? value[at - 1] : p1;
        const b2 = at >= 2 ? value[at - 2] : at === 1 ? p1 : p2;
        const b3 = at >= 3 ? value[at - 3] : at === 2 ? p1 : at === 1 ? p2 : p3;
        if (b1 === 13 && b2 === 10 && b3 === 13) packets++;
        at = value.indexOf(10, at + 1);
      }
      const n = value.length;
      p3 = n >= 3 ? value[n - 3]! : n === 2 ? p1 : p2;
      p2 = n >= 2 ? value[n - 2]! : p1;
      p1 = n >= 1 ? value[n - 1]! : p1;
    }
    if (packets !== EVENTS) throw new Error(`floor counted ${packets} packets`);
    await reader.cancel();
    try {
      conn.close();
    } catch {
      // Closed by cancel.
    }
    done(floorRuns, 25);
  },
});

const clientRuns = { n: 0 };
Deno.bench({
  name: "AmiClient: for await over client.events()",
  group: "event throughput",
  n: 20,
  warmup: 5,
  async fn() {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const client = new AmiClient({
      readable: conn.readable,
      writable: conn.writable,
      close: () => conn.close(),
    });
    const events = client.events({ bufferSize: EVENTS });
    await client.connect();
    let count = 0;
    let names = 0;
    for await (const event of events) {
      if (event.event !== undefined) names++;
      if (++count === EVENTS) break;
    }
    if (names !== EVENTS || events.dropped !== 0) {
      throw new Error(`client saw ${names} events, dropped ${events.dropped}`);
    }
    await client.close();
    done(clientRuns, 25);
  },
});

/** Heap in use after a full GC (run with `--v8-flags=--expose-gc`). */
function heapAfterGc(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return Deno.memoryUsage().heapUsed;
}

const memoryRuns = { n: 0 };
const memoryReport: string[] = [];
Deno.bench({
  name:
    `AmiClient: consumer slower than the flood (${MEMORY_EVENTS} events, bufferSize ${MEMORY_BUFFER})`,
  group: "memory",
  n: 3,
  warmup: 0,
  async fn() {
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: memoryPort,
    });
    const client = new AmiClient({
      readable: conn.readable,
      writable: conn.writable,
      close: () => conn.close(),
    });
    const events = client.events({ bufferSize: MEMORY_BUFFER });
    const samples: number[] = [];
    let received = 0;
    client.on("*", () => {
      if (++received % 30_000 === 0) samples.push(heapAfterGc());
    });
    const before = heapAfterGc();
    await client.connect();
    let consumed = 0;
    // A slow consumer: one event per macrotask while the flood lasts.
    for await (const _event of events) {
      consumed++;
      if (received < MEMORY_EVENTS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
      } else if (events.size === 0) break;
    }
    if (events.dropped + consumed !== MEMORY_EVENTS) {
      throw new Error(
        `lost track: ${events.dropped} dropped, ${consumed} consumed`,
      );
    }
    const mb = (n: number) => (n / 1_048_576).toFixed(1);
    memoryReport.push(
      `heapUsed MB before ${mb(before)}, every 30k events: ${
        samples.map(mb).join(" ")
      }; ` +
        `consumed ${consumed}, dropped ${events.dropped}`,
    );
    await client.close();
    done(memoryRuns, 3);
    if (memoryRuns.n === 3) {
      for (const line of memoryReport) console.log(line);
    }
  },
});

// ---------------------------------------------------------------------------
// Round trips against astemu (in its own Worker): ROUND_TRIPS Pings per
// iteration, IN_FLIGHT at a time. The baseline writes the same Ping packets
// on a bare socket and counts reply separators.

const ROUND_TRIPS = 2_000;
const emulatorWorker = new Worker(
  new URL("./ami_emulator_worker.ts", import.meta.url),
  { type: "module" },
);
const emulatorPort = await new Promise<number>((resolve) => {
  emulatorWorker.onmessage = (event) => resolve(event.data.port);
});
emulatorWorker.onmessage = null;

const pingClient = await connectAmi({
  port: emulatorPort,
  username: "admin",
  secret: "admin",
  events: false,
  reconnect: false,
});

/** A bare-socket AMI peer: login, then raw Ping packets. */
async function rawSession(): Promise<{
  conn: Deno.TcpConn;
  roundTrips(count: number, inFlight: number): Promise<void>;
}> {
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: emulatorPort,
  });
  conn.setNoDelay(true);
  const buffer = new Uint8Array(65_536);
  const encoder = new TextEncoder();
  let p1 = 0, p2 = 0, p3 = 0;
  /** Reads until `packets` more CRLFCRLF separators were seen. */
  async function readPackets(packets: number): Promise<void> {
    while (packets > 0) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("emulator closed the connection");
      for (
        let at = buffer.indexOf(10);
        at !== -1 && at < n;
        at = buffer.indexOf(10, at + 1)
      ) {
        const b1 = at >= 1 ? buffer[at - 1] : p1;
        const b2 = at >= 2 ? buffer[at - 2] : at === 1 ? p1 : p2;
        const b3 = at >= 3
          ? buffer[at - 3]
          : at === 2
          ? p1
          : at === 1
          ? p2
          : p3;
        if (b1 === 13 && b2 === 10 && b3 === 13) packets--;
      }
      p3 = n >= 3 ? buffer[n - 3]! : n === 2 ? p1 : p2;
      p2 = n >= 2 ? buffer[n - 2]! : p1;
      p1 = buffer[n - 1]!;
    }
  }
  // The banner has no blank line; the login reply has one.
  await conn.write(encoder.encode(
    "Action: Login\r\nActionID: raw-0\r\nUsername: admin\r\nSecret: admin\r\nEvents: off\r\n\r\n",
  ));
  await readPackets(1);
  let id = 0;
  return {
    conn,
    async roundTrips(count: number, inFlight: number): Promise<void> {
      for (let done = 0; done < count; done += inFlight) {
        let text = "";
        for (let i = 0; i < inFlight; i++) {
          text += `Action: Ping\r\nActionID: raw-${++id}\r\n\r\n`;
        }
        await conn.write(encoder.encode(text));
        await readPackets(inFlight);
      }
    },
  };
}
const raw = await rawSession();

let roundTripBenches = 0;
async function finishRoundTrips(): Promise<void> {
  if (++roundTripBenches < 6 * 13) return;
  raw.conn.close();
  await pingClient.close();
  const closed = new Promise((resolve) => (emulatorWorker.onmessage = resolve));
  emulatorWorker.postMessage("close");
  await closed;
  emulatorWorker.terminate();
}

for (const inFlight of [1, 10, 100]) {
  Deno.bench({
    name: `floor: bare socket, ${inFlight} Ping(s) in flight`,
    group: `round trips, ${inFlight} in flight`,
    baseline: true,
    n: 10,
    warmup: 3,
    async fn() {
      await raw.roundTrips(ROUND_TRIPS, inFlight);
      await finishRoundTrips();
    },
  });
  Deno.bench({
    name: `AmiClient.send(Ping), ${inFlight} in flight`,
    group: `round trips, ${inFlight} in flight`,
    n: 10,
    warmup: 3,
    async fn() {
      for (let done = 0; done < ROUND_TRIPS; done += inFlight) {
        const batch: Promise<unknown>[] = [];
        for (let i = 0; i < inFlight; i++) {
          batch.push(pingClient.send({ Action: "Ping" }));
        }
        await Promise.all(batch);
      }
      await finishRoundTrips();
    },
  });
}
