// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { AmiMessageDecoder } from "../../manager/ami_message_decoder.ts";
import type { AmiMessage } from "../../manager/ami_message.ts";
import { startAmiEmulator } from "../../astemu/start_ami_emulator.ts";
import { startAsyncAgiCall } from "../../astemu/agi_start_async_agi_call.ts";
import {
  parseTranscript,
  type TranscriptEntry,
} from "../../astemu/parse_transcript.ts";

const DIR = new URL("../fixtures/transcripts/", import.meta.url);
const encoder = new TextEncoder();

/** The AMI packets of one direction of a transcript, as field lists. */
function packets(
  entries: readonly TranscriptEntry[],
  direction: "toAsterisk" | "fromAsterisk",
): [string, string][][] {
  const out: [string, string][][] = [];
  let current: [string, string][] = [];
  for (const entry of entries) {
    if (entry.direction !== direction) continue;
    if (entry.text.startsWith("Asterisk Call Manager/")) continue;
    if (entry.text === "") {
      if (current.length > 0) out.push(current);
      current = [];
      continue;
    }
    const colon = entry.text.indexOf(": ");
    current.push([entry.text.slice(0, colon), entry.text.slice(colon + 2)]);
  }
  return out;
}

function field(packet: readonly [string, string][], key: string) {
  return packet.find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
}

/** A logged-in in-memory AMI connection that collects every packet. */
async function connect(ami: Awaited<ReturnType<typeof startAmiEmulator>>) {
  const { readable, writable } = ami.connectInMemory();
  const writer = writable.getWriter();
  const received: AmiMessage[] = [];
  let wake: (() => void) | undefined;
  const decoder = new AmiMessageDecoder((message) => {
    received.push(message);
    wake?.();
  });
  const pump = (async () => {
    try {
      for await (const chunk of readable) decoder.push(chunk);
    } catch {
      // The emulator ends an in-memory session by erroring its stream.
    }
  })();
  const waitFor = async (predicate: (m: AmiMessage) => boolean) => {
    for (;;) {
      const found = received.find(predicate);
      if (found) return found;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  const send = (fields: readonly [string, string][]) =>
    writer.write(
      encoder.encode(
        fields.map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n",
      ),
    );
  await send([
    ["Action", "Login"],
    ["ActionID", "login"],
    ["Username", "admin"],
    [
      "Secret",
      "admin",
    ],
    ["Events", "agi"],
  ]);
  await waitFor((m) => m.actionId === "login");
  const close = async () => {
    await writer.close();
    await pump;
  };
  return { received, waitFor, send, close };
}

Deno.test("startAsyncAgiCall answers the AGI actions of asyncagi.txt as Asterisk did", async () => {
  const entries = parseTranscript(
    await Deno.readTextFile(new URL("asyncagi.txt", DIR)),
  );
  const sent = packets(entries, "toAsterisk");
  const heard = packets(entries, "fromAsterisk");
  const agiActions = sent.filter((p) => field(p, "Action") === "AGI");
  const events = (name: string) =>
    heard.filter((p) => field(p, "Event") === name);

  await using ami = await startAmiEmulator({ listen: false });
  const client = await connect(ami);
  const common = {
    version: "GIT-master-f0c1c1a7b7",
    context: "agi-async",
    extension: "s",
    priority: 2,
    subroutines: {
      "subs,greet,1": (
        call: { variables: Map<string, string> },
        args: readonly string[],
      ) => {
        call.variables.set("GREETED", args[0] ?? "");
      },
    },
  };
  const first = startAsyncAgiCall(ami, {
    ...common,
    channel: "Local/s@agi-async-00000007;2",
    uniqueId: "1795693551.15",
    linkedId: "1795693551.14",
    callerIdNum: "5550002",
    callerIdName: "Async Caller",
    threadId: "139972819371712",
  });
  const second = startAsyncAgiCall(ami, {
    ...common,
    channel: "Local/s@agi-async-00000008;2",
    uniqueId: "1795693557.17",
    linkedId: "1795693557.16",
    callingPres: 67,
    threadId: "139972818859712",
  });
  // Send every AGI action as recorded, each after the previous one's events.
  const responses: [string, string][][] = [];
  for (const action of agiActions) {
    const id = field(action, "ActionID")!;
    await client.send(action);
    const response = await client.waitFor((m) =>
      m.actionId === id && m.kind === "response"
    );
    responses.push([...response.fields] as [string, string][]);
    if (response.response === "Success") {
      // Wait for the command to run: its AsyncAGIExec carries its CommandID.
      const commandId = field(action, "CommandID");
      await client.waitFor((m) =>
        m.event === "AsyncAGIExec" &&
        (commandId === undefined
          ? !m.has("CommandId")
          : m.get("CommandId") === commandId)
      );
    }
  }
  await first.ended;
  await second.ended;
  await client.close();

  // The responses to the AGI actions, ActionID and Message included.
  const recordedResponses = heard.filter((p) =>
    agiActions.some((a) => field(a, "ActionID") === field(p, "ActionID")) &&
    field(p, "Response") !== undefined
  );
  assert.deepEqual(responses, recordedResponses);
  const got = (name: string) => client.received.filter((m) => m.event === name);
  // AsyncAGIStart: the whole event, Env included, for both channels.
  assert.deepEqual(
    got("AsyncAGIStart").map((m) => [...m.fields]),
    events("AsyncAGIStart"),
  );
  // Every command's result, URL-encoded, with its CommandId.
  assert.deepEqual(
    got("AsyncAGIExec").map((m) => [m.get("Result"), m.get("CommandId")]),
    events("AsyncAGIExec").map((
      p,
    ) => [field(p, "Result"), field(p, "CommandId")]),
  );
  assert.deepEqual(
    got("AGIExecEnd").map((
      m,
    ) => [m.get("Command"), m.get("ResultCode"), m.get("Result")]),
    events("AGIExecEnd").map((
      p,
    ) => [field(p, "Command"), field(p, "ResultCode"), field(p, "Result")]),
  );
  assert.equal(got("AsyncAGIEnd").length, events("AsyncAGIEnd").length);
  assert.equal(first.emulator.hungUpBy, "script");
  assert.equal(second.emulator.asyncBreak, true);
  assert.equal(first.emulator.call.variables.get("ORACLE_ASYNC"), "a b c");
});

Deno.test("startAsyncAgiCall refuses AGI actions without Channel or Command, and after ASYNCAGI BREAK", async () => {
  await using ami = await startAmiEmulator({ listen: false });
  const client = await connect(ami);
  const call = startAsyncAgiCall(ami, { channel: "PJSIP/a-1" });
  assert.throws(
    () => startAsyncAgiCall(ami, { channel: "PJSIP/a-1" }),
    TypeError,
  );
  const ask = async (id: string, fields: [string, string][]) => {
    await client.send([["Action", "AGI"], ["ActionID", id], ...fields]);
    return (await client.waitFor((m) =>
      m.actionId === id && m.kind === "response"
    )).get("Message");
  };
  assert.equal(
    await ask("1", [["Channel", "PJSIP/a-1"]]),
    "Both, Channel and Command are *required*",
  );
  assert.equal(
    await ask("2", [["Channel", "PJSIP/a-1"], ["Command", "ASYNCAGI BREAK"]]),
    "Added AGI command to queue",
  );
  await call.ended;
  assert.equal(
    await ask("3", [["Channel", "PJSIP/a-1"], ["Command", "NOOP"]]),
    "Failed to add AGI command to channel PJSIP/a-1 queue",
  );
  assert.equal(
    await ask("4", [["Channel", "PJSIP/b-2"], ["Command", "NOOP"]]),
    "Channel PJSIP/b-2 does not exist.",
  );
  await client.close();
});

Deno.test("startAsyncAgiCall publishes AsyncAGIEnd when the caller hangs up while idle", async () => {
  await using ami = await startAmiEmulator({ listen: false });
  const client = await connect(ami);
  const call = startAsyncAgiCall(ami, {
    channel: "PJSIP/c-3",
    faults: { hangupAfterMs: 30 },
  });
  await client.waitFor((m) => m.event === "AsyncAGIStart");
  await call.ended;
  const end = await client.waitFor((m) => m.event === "AsyncAGIEnd");
  assert.equal(end.get("Channel"), "PJSIP/c-3");
  assert.equal(call.active, false);
  assert.equal(call.emulator.hungUpBy, "caller");
  await client.close();
});
