// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Replays `asyncagi.txt`, a recording of a real Asterisk driving two
 * `AGI(agi:async)` channels over AMI, through an AmiClient and
 * serveAsyncAgi: every `AGI` action the sessions send must equal the recorded
 * one byte for byte (ActionID and CommandID values excepted: the client makes
 * its own), and every recorded `AsyncAGIExec` must come back as the right
 * typed value or error.
 */
import assert from "node:assert/strict";
import { parseTranscript } from "../../astemu/parse_transcript.ts";
import { AmiClient } from "../../manager/ami_client.ts";
import { AmiActionError } from "../../manager/errors.ts";
import type { AgiSession } from "../../agi/agi_session.ts";
import { AsyncAgiActionError } from "../../agi/async_agi_action_error.ts";
import {
  type AsyncAgiErrorContext,
  serveAsyncAgi,
} from "../../agi/async_agi_server.ts";
import {
  AgiHangupError,
  AgiInvalidCommandError,
  AgiUsageError,
} from "../../agi/errors.ts";
import { ConnectionClosedError } from "../../errors.ts";
import { TranscriptPbx } from "./_asyncagi_transcript_pbx.ts";
import { aborted } from "./_asyncagi_fake_pbx.ts";

const FIXTURE = new URL(
  "../fixtures/transcripts/asyncagi.txt",
  import.meta.url,
);
const FIRST = "Local/s@agi-async-00000007;2";
const SECOND = "Local/s@agi-async-00000008;2";
const NOSUCH = "Local/nosuch-00000000;2";

/** Records what a step returned, or the error it threw. */
async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return { value: await run() };
  } catch (error) {
    return { error };
  }
}

function rejected(result: unknown): unknown {
  assert.ok(
    typeof result === "object" && result !== null && "error" in result,
    `expected a rejection, got ${JSON.stringify(result)}`,
  );
  return result.error;
}

async function replay(chunkSize: number): Promise<void> {
  const entries = parseTranscript(await Deno.readTextFile(FIXTURE));
  const pbx = new TranscriptPbx(entries, chunkSize);
  const client = new AmiClient(pbx.connection, {
    username: "oracle",
    secret: "oraclepw",
    authType: "plain",
    events: ["agi"],
    actionIdPrefix: "oracle",
  });
  const errors: [unknown, AsyncAgiErrorContext][] = [];
  const results = new Map<string, unknown[]>();
  const sessions = new Map<string, AgiSession>();
  const finished = new Map<string, PromiseWithResolvers<void>>();
  for (const channel of [FIRST, SECOND, NOSUCH]) {
    results.set(channel, []);
    finished.set(channel, Promise.withResolvers());
  }

  async function first(session: AgiSession): Promise<void> {
    const out = results.get(FIRST)!;
    const step = async (run: () => Promise<unknown>) =>
      out.push(await outcome(run));
    await step(() => session.answer());
    await step(() => session.getVariable("CHANNEL"));
    await step(() => session.setVariable("ORACLE_ASYNC", "a b c"));
    await step(() => session.getVariable("ORACLE_ASYNC"));
    await step(() =>
      session.databasePut({ family: "oracle", key: "async", value: "v 1" })
    );
    await step(() => session.databaseGet("oracle", "async"));
    await step(() => session.streamFile("beep"));
    await step(() => session.sayNumber(42));
    await step(() => session.waitForDigit(100));
    await step(() => session.exec("Verbose", "x"));
    await step(() => session.gosub("subs", "greet", { args: ["async"] }));
    await step(() => session.channelStatus());
    await step(() => session.command("ORACLE BOGUS"));
    await step(() => session.command("STREAM FILE"));
    // Recorded by hand: an AGI action without CommandID. Its AsyncAGIExec
    // has no CommandId and must complete nothing.
    await step(async () =>
      (await client.send({ Action: "AGI", Channel: FIRST, Command: "NOOP" }))
        .get("Message")
    );
    // Recorded as two actions queued at once; the session sends the second
    // only after the first's AsyncAGIExec.
    await step(() =>
      Promise.all([
        session.command("VERBOSE one 1"),
        session.command("VERBOSE two 1"),
      ]).then((replies) => replies.map((reply) => reply.lines))
    );
    // A second channel whose AGI action Asterisk refuses (not in the
    // recording: an AsyncAGIStart for the channel the recording addressed).
    pbx.write(
      "Event: AsyncAGIStart\r\nPrivilege: agi,all\r\nChannel: " + NOSUCH +
        "\r\nEnv: agi_request%3A%20async%0Aagi_channel%3A%20Local%2Fnosuch-00000000%3B2%0A%0A\r\n\r\n",
    );
    await finished.get(NOSUCH)!.promise;
    await step(() => session.hangup());
    await aborted(session.signal);
    await step(() => session.noop());
    // Recorded by hand: Asterisk refuses commands for the hung-up channel,
    // which is why the session no longer sends any.
    await step(() =>
      client.send({
        Action: "AGI",
        Channel: FIRST,
        Command: "NOOP",
        CommandID: "late",
      })
    );
  }

  async function nosuch(session: AgiSession): Promise<void> {
    const out = results.get(NOSUCH)!;
    out.push(await outcome(() => session.answer()));
    out.push(session.hungUp);
  }

  async function second(session: AgiSession): Promise<void> {
    const out = results.get(SECOND)!;
    out.push(await outcome(() => session.answer()));
    out.push(await outcome(() => session.asyncAgiBreak()));
    out.push(await outcome(() => session.noop()));
    out.push(session.hungUp);
  }

  const server = serveAsyncAgi(client, async (session, request) => {
    sessions.set(request.channel, session);
    try {
      assert.equal(session.env.request, "async");
      assert.equal(session.env.channel, request.channel);
      if (request.channel === FIRST) await first(session);
      else if (request.channel === SECOND) await second(session);
      else await nosuch(session);
    } finally {
      finished.get(request.channel)!.resolve();
    }
  }, {
    commandIdPrefix: "test",
    onError: (error, context) => errors.push([error, context]),
  });

  await client.connect();
  await client.send({
    Action: "Originate",
    Channel: "Local/s@agi-async",
    Application: "Wait",
    Data: "30",
    Async: "true",
    CallerID: '"Async Caller" <5550002>',
  });
  await finished.get(FIRST)!.promise;
  await client.send({
    Action: "Originate",
    Channel: "Local/s@agi-async",
    Application: "Wait",
    Data: "2",
    Async: "true",
  });
  await finished.get(SECOND)!.promise;
  await server.shutdown();
  await client.logoff();
  await pbx.done;

  assert.deepEqual(pbx.mismatches, []);
  assert.equal(pbx.remaining, 0, "every recorded action was sent");
  // The client's ActionIDs equal the recording's (prefix "oracle").
  for (const [recorded, sent] of pbx.actionIds) assert.equal(sent, recorded);
  // Each command got its own CommandID.
  const commandIds = [...pbx.commandIds.values()].filter((id) => id !== "late");
  assert.equal(commandIds.length, 20);
  assert.equal(new Set(commandIds).size, commandIds.length);
  for (const id of commandIds) assert.match(id, /^test-\d+$/);

  // Scenario 1: every recorded reply as a typed value or error.
  const out = results.get(FIRST)!;
  assert.equal(out.length, 19);
  assert.deepEqual(out.slice(0, 12), [
    { value: undefined },
    { value: FIRST },
    { value: undefined },
    { value: "a b c" },
    { value: true },
    { value: "v 1" },
    { value: { digit: undefined, endposSamples: 3520 } },
    { value: undefined },
    { value: undefined },
    { value: 0 },
    { value: { abnormalExit: false, text: "Gosub complete" } },
    { value: 6 },
  ]);
  assert.ok(rejected(out[12]) instanceof AgiInvalidCommandError);
  const usage = rejected(out[13]);
  assert.ok(usage instanceof AgiUsageError);
  assert.match(usage.usage, /^Send the given file, allowing playback/);
  assert.ok(usage.usage.endsWith("\n    <value>FAILED</value>"));
  assert.equal(usage.reply?.lines.at(-1), "520 End of proper usage.");
  assert.deepEqual(out[14], { value: "Added AGI command to queue" });
  assert.deepEqual(out[15], {
    value: [["200 result=1"], ["200 result=1"]],
  });
  assert.deepEqual(out[16], { value: true });
  const late = rejected(out[17]);
  assert.ok(late instanceof AgiHangupError);
  assert.equal(late.command, "NOOP");
  const refused = rejected(out[18]);
  assert.ok(refused instanceof AmiActionError);
  assert.equal(refused.responseMessage, `Channel ${FIRST} does not exist.`);
  assert.equal(sessions.get(FIRST)!.hungUp, true);

  // The channel that does not exist.
  const [gone, goneHungUp] = results.get(NOSUCH)!;
  const error = rejected(gone);
  assert.ok(error instanceof AsyncAgiActionError);
  assert.equal(error.channel, NOSUCH);
  assert.equal(error.channelGone, true);
  assert.equal(goneHungUp, true);

  // Scenario 2: ASYNCAGI BREAK ends the session without a hangup.
  const [answered, broke, after, hungUp] = results.get(SECOND)!;
  assert.deepEqual(answered, { value: undefined });
  assert.deepEqual(broke, { value: undefined });
  assert.ok(rejected(after) instanceof ConnectionClosedError);
  assert.equal(hungUp, false);

  // The only errors reported: none (handlers caught their own).
  assert.deepEqual(errors, []);
}

Deno.test("serveAsyncAgi replays asyncagi.txt byte for byte", async (t) => {
  for (const chunkSize of [0, 1, 7, 64]) {
    await t.step(
      chunkSize === 0 ? "whole" : `in ${chunkSize}-byte chunks`,
      () => replay(chunkSize),
    );
  }
});

Deno.test("the asyncagi.txt replay notices a command that differs from the recording", async () => {
  const entries = parseTranscript(await Deno.readTextFile(FIXTURE));
  const pbx = new TranscriptPbx(entries);
  const client = new AmiClient(pbx.connection, {
    username: "oracle",
    secret: "oraclepw",
    authType: "plain",
    events: ["agi"],
    actionIdPrefix: "oracle",
  });
  const errors: unknown[] = [];
  const handled = Promise.withResolvers<void>();
  const server = serveAsyncAgi(client, async (session) => {
    try {
      await session.command("ANSWER "); // one space more than recorded
    } finally {
      handled.resolve();
    }
  }, { onError: (error) => errors.push(error) });
  await client.connect();
  await client.send({
    Action: "Originate",
    Channel: "Local/s@agi-async",
    Application: "Wait",
    Data: "30",
    Async: "true",
    CallerID: '"Async Caller" <5550002>',
  });
  await handled.promise;
  await server.shutdown();
  await client.close();
  await pbx.done;
  assert.equal(pbx.mismatches.length, 1);
  assert.match(pbx.mismatches[0]!, /Command: ANSWER \\r\\n/);
  // The server closed the connection: the command failed, so did the BREAK.
  assert.ok(errors.length >= 1);
  assert.ok(errors.every((error) => error instanceof ConnectionClosedError));
});
