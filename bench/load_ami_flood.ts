// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Load with faults: the AMI client under an event flood from the AMI
 * emulator over loopback TCP, with three consumers at once: a synchronous
 * handler, an iterator that keeps up, and a slow iterator (one event per
 * timer tick) with a small buffer; plus a handler that throws on every
 * 1000th event. Bounded in events and time.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --v8-flags=--expose-gc bench/load_ami_flood.ts \
 *   --events 200000 --slowBuffer 1000 --batch 500 --lead 20000
 * ```
 *
 * Checks (exit 1 if one fails): the client stays connected (Asterisk drops
 * a client that stops reading for 100 ms, so the socket must be read
 * whatever the consumers do); the handler sees every event in order; the
 * slow consumer's received + dropped equals the events sent, and drops are
 * counted; every throw is reported as an `error` event and dispatch goes
 * on; the heap stays bounded while the flood runs.
 *
 * The same flood is first read by a bare socket that only counts packets
 * (the floor), for a same-run ratio.
 *
 * @module
 */

import { startAmiEmulator } from "../astemu/start_ami_emulator.ts";
import type { AmiEmulator } from "../astemu/ami_emulator.ts";
import { connectAmi } from "../manager/connect_ami.ts";
import {
  GC_AVAILABLE,
  heapMiB,
  numberFlags,
  Report,
  rssMiB,
  sleep,
  waitFor,
} from "./load_util.ts";

const encoder = new TextEncoder();

/** Emits `count` events in batches, yielding between batches. */
async function flood(
  emulator: AmiEmulator,
  count: number,
  batch: number,
  onBatch?: (sent: number) => void | Promise<void>,
): Promise<void> {
  for (let sent = 0; sent < count;) {
    const end = Math.min(count, sent + batch);
    for (; sent < end; sent++) {
      emulator.emit({
        Event: "Flood",
        Channel: `PJSIP/load-${(sent % 1000).toString().padStart(8, "0")}`,
        Seq: String(sent),
        Uniqueid: `1795693536.${sent}`,
      }, { category: "call" });
    }
    await onBatch?.(sent);
    await sleep(0);
  }
}

/** The floor: a bare socket logged in with events on, counting packets. */
async function floorRun(
  emulator: AmiEmulator,
  count: number,
  batch: number,
): Promise<number> {
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: emulator.port,
  });
  await conn.write(encoder.encode(
    "Action: Login\r\nUsername: admin\r\nSecret: admin\r\nEvents: call\r\n\r\n",
  ));
  let seen = 0;
  let tail = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    const buffer = new Uint8Array(65_536);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) return;
      const text = tail + decoder.decode(buffer.subarray(0, n));
      let at = text.indexOf("Event: Flood\r\n");
      let last = 0;
      while (at !== -1) {
        seen++;
        last = at + 1;
        at = text.indexOf("Event: Flood\r\n", last);
      }
      tail = text.slice(Math.max(last, text.length - 16));
      if (seen >= count) return;
    }
  })();
  await waitFor(() => emulator.sessions.at(-1)?.authenticated === true, 5000);
  const started = performance.now();
  await flood(emulator, count, batch);
  await reading;
  const elapsed = performance.now() - started;
  conn.close();
  return elapsed;
}

if (import.meta.main) {
  const flags = numberFlags(Deno.args, {
    events: 200_000,
    slowBuffer: 1000,
    batch: 500,
    throwEvery: 1000,
    lead: 20_000,
    maxSeconds: 120,
  });
  const report = new Report();
  report.figure(
    "command",
    `deno run --allow-net=127.0.0.1 --v8-flags=--expose-gc bench/load_ami_flood.ts ${
      Deno.args.join(" ")
    }`.trim(),
  );
  await using emulator = await startAmiEmulator({ port: 0 });
  const floorMs = await floorRun(emulator, flags.events, flags.batch);

  const client = await connectAmi({
    port: emulator.port,
    username: "admin",
    secret: "admin",
    events: ["call"],
    reconnect: false,
  });
  let disconnected = 0;
  let errors = 0;
  client.addEventListener("disconnected", (event) => {
    disconnected++;
    console.log(`disconnected: ${event.detail.error}`);
  });
  client.addEventListener("error", () => errors++);
  // 1. A synchronous handler: must see every event, in order.
  let handled = 0;
  let outOfOrder = 0;
  client.on("Flood", (event) => {
    if (Number(event.get("Seq")) !== handled) outOfOrder++;
    handled++;
  });
  // 2. A handler that throws now and then: reported, dispatch goes on.
  let thrown = 0;
  client.on("Flood", (event) => {
    if (Number(event.get("Seq")) % flags.throwEvery === 0) {
      thrown++;
      throw new Error("Cannot handle event: a consumer bug");
    }
  });
  // 3. An iterator that keeps up.
  const keeping = client.events({ filter: "Flood", bufferSize: 10_000 });
  let kept = 0;
  const keepingDone = (async () => {
    for await (const _ of keeping) if (++kept >= flags.events) break;
  })().catch((error) => console.log(`keeping-up iterator: ${error}`));
  // 4. A slow iterator with a small buffer.
  const slow = client.events({
    filter: "Flood",
    bufferSize: flags.slowBuffer,
    overflow: "drop-oldest",
  });
  let slowRead = 0;
  let slowDone = false;
  const slowConsumer = (async () => {
    for await (const _ of slow) {
      slowRead++;
      await sleep(1);
      if (slowDone) break;
    }
  })().catch((error) => console.log(`slow iterator: ${error}`));

  const heapBefore = heapMiB();
  const samples: string[] = [];
  const every = Math.max(flags.batch, Math.floor(flags.events / 10));
  let nextSample = every;
  const started = performance.now();
  // Asterisk produces at a finite rate: the flood keeps at most `lead`
  // events ahead of the handler. If the slow consumer held up the socket
  // reader, the handler would stop and the flood with it (a timeout).
  let stalled = false;
  await flood(emulator, flags.events, flags.batch, async (sent) => {
    if (sent >= nextSample) {
      samples.push(heapMiB().toFixed(1));
      nextSample += every;
    }
    if (!await waitFor(() => handled >= sent - flags.lead, 10_000)) {
      stalled = true;
    }
  });
  const allHandled = await waitFor(
    () => handled >= flags.events,
    flags.maxSeconds * 1000,
  );
  const elapsed = performance.now() - started;
  await keepingDone;
  // Drain what the slow consumer still holds, then stop it.
  await waitFor(() => slow.size === 0, 60_000);
  slowDone = true;
  slow.close();
  await slowConsumer;
  const heapAfter = heapMiB();
  const keptDropped = keeping.dropped;
  const slowDropped = slow.dropped;
  const droppedByServer = disconnected; // close() below dispatches one
  await client.close();

  report.figure("events", flags.events);
  report.figure("floor (bare socket counting packets) ms", floorMs);
  report.figure("AmiClient with 4 consumers ms", elapsed);
  report.figure("AmiClient vs floor (time ratio)", elapsed / floorMs);
  report.figure("events/s through the client", flags.events / (elapsed / 1000));
  report.figure("handler saw", handled);
  report.figure("keeping-up iterator: read / dropped", [kept, keptDropped]);
  report.figure(
    `slow iterator (bufferSize ${flags.slowBuffer}): read / dropped`,
    [slowRead, slowDropped],
  );
  report.figure("throwing handler: thrown / error events", [thrown, errors]);
  report.figure(
    `heap MiB before / during / after${GC_AVAILABLE ? " (after full GC)" : ""}`,
    `${heapBefore.toFixed(1)} / ${samples.join(" ")} / ${heapAfter.toFixed(1)}`,
  );
  report.figure("rss MiB", rssMiB());
  report.check("the client stayed connected", droppedByServer === 0);
  report.check("the socket reader never stalled", !stalled);
  report.check(
    "the handler saw every event, in order",
    allHandled && handled === flags.events && outOfOrder === 0,
  );
  report.check(
    "slow consumer: read + dropped = sent, drops counted",
    slowRead + slowDropped === flags.events && slowDropped > 0,
  );
  report.check(
    "keeping-up consumer: read + dropped = sent",
    kept + keptDropped === flags.events,
  );
  report.check(
    "every throw reported as an error event, dispatch went on",
    thrown === Math.ceil(flags.events / flags.throwEvery) && errors === thrown,
  );
  const maxDuring = Math.max(...samples.map(Number), heapAfter);
  report.check(
    "heap stayed within 64 MiB of the start while flooded",
    maxDuring - heapBefore < 64,
  );
  Deno.exit(report.ok ? 0 : 1);
}
