// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Cost of the AsyncAGI layer: AGI commands run through `serveAsyncAgi`
 * sessions (AGI action, reply, AsyncAGIExec matched by CommandID, URL
 * decoding, reply decoding, session queue) next to the floor: the same AGI
 * actions sent with `AmiClient.send`, which only waits for the action's
 * reply. Both over the same in-memory AMI server, which answers each action
 * at once, in one write (for AsyncAGI the reply and the AsyncAGIExec event).
 *
 * Run: `deno bench -P bench/asyncagi_bench.ts`
 *
 * @module
 */

import { AmiClient } from "../manager/ami_client.ts";
import type { AgiSession } from "../agi/agi_session.ts";
import { serveAsyncAgi } from "../agi/async_agi_server.ts";
import {
  execEvent,
  FakePbx,
  startEvent,
  until,
} from "../tests/agi/_asyncagi_fake_pbx.ts";

const CHANNELS = 100;
function packet(fields: readonly (readonly [string, string])[]): string {
  return fields.map(([key, value]) => `${key}: ${value}\r\n`).join("") +
    "\r\n";
}
// One write per action either way: the reply, plus the event for AsyncAGI.
const pbx = new FakePbx((action, server) => {
  let text = packet([
    ["Response", "Success"],
    ["ActionID", action.get("ActionID")!],
    ["Message", "Added AGI command to queue"],
  ]);
  const id = action.get("CommandID")!;
  if (!id.startsWith("raw")) {
    text += packet(
      execEvent(action.get("Channel")!, id, "200 result=1 (some value)"),
    );
  }
  server.write(text);
});
const client = new AmiClient(pbx.connection);
const connected = client.connect();
await connected;
const sessions: AgiSession[] = [];
const end = Promise.withResolvers<void>();
const server = serveAsyncAgi(client, async (session) => {
  sessions.push(session);
  await end.promise;
});
const channels = Array.from({ length: CHANNELS }, (_, i) => `PJSIP/b${i}-1`);
for (const channel of channels) pbx.packet(startEvent(channel));
await until(() => sessions.length === CHANNELS, 5000);
let raw = 0;

function send(channel: string): Promise<unknown> {
  return client.send({
    Action: "AGI",
    Channel: channel,
    Command: "GET VARIABLE X",
    CommandID: `raw-${++raw}`,
  });
}

Deno.bench({
  name: "AmiClient.send, 200 AGI actions in a row (baseline)",
  group: "one channel, 200 commands",
  baseline: true,
  async fn() {
    for (let i = 0; i < 200; i++) await send(channels[0]!);
  },
});

Deno.bench({
  name: "AgiSession.getVariable over AsyncAGI, 200 in a row",
  group: "one channel, 200 commands",
  async fn() {
    const session = sessions[0]!;
    for (let i = 0; i < 200; i++) await session.getVariable("X");
  },
});

Deno.bench({
  name: "AmiClient.send, 10 per channel in a row (baseline)",
  group: "100 channels at once, 10 commands each",
  baseline: true,
  async fn() {
    await Promise.all(channels.map(async (channel) => {
      for (let i = 0; i < 10; i++) await send(channel);
    }));
  },
});

Deno.bench({
  name: "AgiSession.getVariable over AsyncAGI, 10 per channel",
  group: "100 channels at once, 10 commands each",
  async fn() {
    await Promise.all(sessions.map(async (session) => {
      for (let i = 0; i < 10; i++) await session.getVariable("X");
    }));
  },
});

// Tear down once every bench has run.
globalThis.addEventListener("unload", () => {
  end.resolve();
  void server.shutdown().then(() => client.close());
});
