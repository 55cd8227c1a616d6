// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Replays the recordings of a real Asterisk (`agi-stdio.txt`, `fastagi.txt`)
 * against AgiSession: every line the typed methods send must equal the
 * recorded `>>` line byte for byte, and every recorded `<<` reply must come
 * back as the right typed value or error.
 */
import assert from "node:assert/strict";
import {
  parseTranscript,
  type TranscriptEntry,
} from "../../astemu/parse_transcript.ts";
import { createAgiSession } from "../../agi/create_agi_session.ts";
import type { AgiSession } from "../../agi/agi_session.ts";
import {
  AgiCommandError,
  AgiDeadChannelError,
  type AgiError,
  AgiHangupError,
  AgiInvalidCommandError,
  AgiUsageError,
} from "../../agi/errors.ts";
import { ConnectionClosedError } from "../../errors.ts";
import { aborted, FakeAsterisk } from "./session_fake_asterisk.ts";

const FIXTURES = new URL("../fixtures/transcripts/", import.meta.url);

interface Step {
  /** The recorded `>>` line. */
  readonly command: TranscriptEntry;
  /** The `<<` lines right after it: its reply. */
  readonly reply: TranscriptEntry[];
  /** `<<` lines after a note, before the next command (e.g. `HANGUP`). */
  readonly after: TranscriptEntry[];
  /** Notes after the reply. */
  readonly notes: string[];
}

interface Scenario {
  readonly environment: TranscriptEntry[];
  readonly steps: Step[];
}

/** Splits a transcript into scenarios (`=== scenario` notes) of env + steps. */
function scenarios(entries: readonly TranscriptEntry[]): Scenario[] {
  const result: Scenario[] = [];
  let current: Scenario | undefined;
  let step: Step | undefined;
  let inReply = false;
  for (const entry of entries) {
    if (entry.direction === "note") {
      if (entry.text.startsWith("=== scenario")) {
        current = undefined;
        step = undefined;
      }
      inReply = false;
      step?.notes.push(entry.text);
      continue;
    }
    current ??= (result.push({ environment: [], steps: [] }), result.at(-1)!);
    if (entry.direction === "toAsterisk") {
      step = { command: entry, reply: [], after: [], notes: [] };
      current.steps.push(step);
      inReply = true;
    } else if (step === undefined) {
      current.environment.push(entry);
    } else if (inReply) {
      step.reply.push(entry);
    } else {
      step.after.push(entry);
    }
  }
  return result;
}

function join(entries: readonly TranscriptEntry[]): Uint8Array {
  const out = new Uint8Array(
    entries.reduce((sum, entry) => sum + entry.bytes.length, 0),
  );
  let offset = 0;
  for (const entry of entries) {
    out.set(entry.bytes, offset);
    offset += entry.bytes.length;
  }
  return out;
}

/** Sends bytes in chunks of `size` (whole when 0). */
function sendChunked(
  fake: FakeAsterisk,
  bytes: Uint8Array,
  size: number,
): void {
  if (size === 0) return fake.send(bytes);
  for (let at = 0; at < bytes.length; at += size) {
    fake.send(bytes.slice(at, at + size));
  }
}

/** What one step's typed call must produce. */
interface Expectation {
  /** The recorded line this call must send. */
  readonly line: string;
  readonly run: (session: AgiSession) => Promise<unknown>;
  /** The value it must resolve to… */
  readonly value?: unknown;
  /** …or the error class it must reject with. */
  readonly error?: new (...args: never[]) => Error;
  /** Extra checks on the value or error. */
  readonly check?: (outcome: unknown) => void;
}

/**
 * Runs a scenario: a fake Asterisk that checks each line the session writes
 * against the next `>>` line and answers with the recorded reply.
 */
async function replay(
  scenario: Scenario,
  expectations: readonly Expectation[],
  chunkSize: number,
  hooks: {
    afterStep?: (
      index: number,
      step: Step,
      session: AgiSession,
    ) => Promise<void>;
  } = {},
): Promise<{ session: AgiSession; fake: FakeAsterisk }> {
  assert.equal(
    expectations.length,
    scenario.steps.length,
    "one expectation per recorded command",
  );
  const fake = new FakeAsterisk();
  let index = 0;
  fake.onLine = () => {
    const step = scenario.steps[index++];
    const written = fake.writes.at(-1)!;
    if (step === undefined || !sameBytes(written, step.command.bytes)) {
      fake.end();
      return;
    }
    sendChunked(fake, join(step.reply), chunkSize);
  };
  sendChunked(fake, join(scenario.environment), chunkSize);
  const session = await createAgiSession(fake.readable, fake.writable);
  for (const [i, step] of scenario.steps.entries()) {
    const expected = expectations[i]!;
    assert.equal(
      step.command.text,
      expected.line,
      `step ${i} of the recording`,
    );
    let outcome: unknown;
    try {
      outcome = await expected.run(session);
      assert.equal(
        expected.error,
        undefined,
        `${expected.line}: expected a rejection`,
      );
      assert.deepEqual(outcome, expected.value, expected.line);
    } catch (error) {
      if (expected.error === undefined || !(error instanceof expected.error)) {
        throw new Error(`Step ${i} ${JSON.stringify(expected.line)} failed`, {
          cause: error,
        });
      }
      outcome = error;
    }
    assert.deepEqual(
      fake.writes[i],
      step.command.bytes,
      `${expected.line}: bytes sent`,
    );
    expected.check?.(outcome);
    if (step.after.length > 0) {
      sendChunked(fake, join(step.after), chunkSize);
      if (step.after.some((entry) => entry.text === "HANGUP")) {
        await aborted(session.signal);
      }
    }
    await hooks.afterStep?.(i, step, session);
  }
  assert.equal(
    fake.writes.length,
    scenario.steps.length,
    "nothing beyond the recording was sent",
  );
  return { session, fake };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** The ~40 commands both recordings run, with what each must return. */
function mainSequence(script: string, channel: string): Expectation[] {
  const deadChannel = (line: string, run: Expectation["run"]): Expectation => ({
    line,
    run,
    error: AgiDeadChannelError,
    check: (error) => {
      assert.equal((error as AgiError).reply?.code, 511);
      assert.ok(error instanceof AgiHangupError);
    },
  });
  return [
    { line: "ANSWER", run: (s) => s.answer(), value: undefined },
    {
      line: "GET VARIABLE AGISCRIPT",
      run: (s) => s.getVariable("AGISCRIPT"),
      value: script,
    },
    {
      line: 'SET VARIABLE ORACLE_TEST "hello world"',
      run: (s) => s.setVariable("ORACLE_TEST", "hello world"),
      value: undefined,
    },
    {
      line: "GET VARIABLE ORACLE_TEST",
      run: (s) => s.getVariable("ORACLE_TEST"),
      value: "hello world",
    },
    {
      line: 'SET VARIABLE ORACLE_QUOTED "a \\"quoted\\" word"',
      run: (s) => s.setVariable("ORACLE_QUOTED", 'a "quoted" word'),
      value: undefined,
    },
    {
      line: "GET VARIABLE ORACLE_QUOTED",
      run: (s) => s.getVariable("ORACLE_QUOTED"),
      value: 'a "quoted" word',
    },
    {
      line: "GET VARIABLE ORACLE_DOES_NOT_EXIST",
      run: (s) => s.getVariable("ORACLE_DOES_NOT_EXIST"),
      value: undefined,
    },
    {
      line: "GET FULL VARIABLE ${CHANNEL}-${ORACLE_TEST}",
      run: (s) => s.getFullVariable("${CHANNEL}-${ORACLE_TEST}"),
      value: `${channel}-hello world`,
    },
    {
      line: 'DATABASE PUT oracle key1 "value with spaces"',
      run: (s) =>
        s.databasePut({
          family: "oracle",
          key: "key1",
          value: "value with spaces",
        }),
      value: true,
    },
    {
      line: "DATABASE GET oracle key1",
      run: (s) => s.databaseGet("oracle", "key1"),
      value: "value with spaces",
    },
    {
      line: "DATABASE DEL oracle key1",
      run: (s) => s.databaseDel("oracle", "key1"),
      value: true,
    },
    {
      line: "DATABASE GET oracle key1",
      run: (s) => s.databaseGet("oracle", "key1"),
      value: undefined,
    },
    {
      line: "DATABASE DEL oracle key1",
      run: (s) => s.databaseDel("oracle", "key1"),
      value: true,
    },
    {
      line: 'STREAM FILE beep ""',
      run: (s) => s.streamFile("beep"),
      value: { digit: undefined, endposSamples: 3520 },
    },
    {
      line: 'STREAM FILE oracle-no-such-sound ""',
      run: (s) => s.streamFile("oracle-no-such-sound", ""),
      error: AgiCommandError,
      check: (error) => {
        assert.ok(!(error instanceof AgiHangupError));
        assert.equal((error as AgiCommandError).result, "-1");
        assert.equal((error as AgiCommandError).reply?.endpos, 0);
        assert.equal(
          (error as AgiCommandError).command,
          'STREAM FILE oracle-no-such-sound ""',
        );
      },
    },
    { line: 'SAY NUMBER 42 ""', run: (s) => s.sayNumber(42), value: undefined },
    {
      line: 'SAY DIGITS 123 "#"',
      run: (s) => s.sayDigits(123, "#"),
      value: undefined,
    },
    {
      line: 'SAY ALPHA abc ""',
      run: (s) => s.sayAlpha("abc"),
      value: undefined,
    },
    {
      line: "WAIT FOR DIGIT 100",
      run: (s) => s.waitForDigit(100),
      value: undefined,
    },
    {
      line: "GET DATA beep 300 2",
      run: (s) => s.getData("beep", { timeoutMs: 300, maxDigits: 2 }),
      value: { digits: "", timedOut: true },
    },
    { line: "EXEC Verbose x", run: (s) => s.exec("Verbose", "x"), value: 0 },
    {
      line: "EXEC OracleNoSuchApp foo",
      run: (s) => s.exec("OracleNoSuchApp", ["foo"]),
      error: AgiCommandError,
      check: (error) => {
        assert.equal((error as AgiCommandError).result, "-2");
        assert.match(
          (error as Error).message,
          /application "OracleNoSuchApp" not found/,
        );
      },
    },
    {
      line: 'VERBOSE "oracle verbose message" 1',
      run: (s) => s.verbose("oracle verbose message", 1),
      value: undefined,
    },
    { line: "NOOP hello", run: (s) => s.noop("hello"), value: undefined },
    {
      line: "GOSUB subs greet 1 fromagi",
      run: (s) => s.gosub("subs", "greet", { args: ["fromagi"] }),
      value: { abnormalExit: false, text: "Gosub complete" },
    },
    {
      line: "GET VARIABLE GREETED",
      run: (s) => s.getVariable("GREETED"),
      value: "fromagi",
    },
    {
      // The naive form can only be sent raw: the typed method quotes the whole value.
      line: 'SET CALLERID "Oracle Test" <5551234>',
      run: async (s) =>
        (await s.command('SET CALLERID "Oracle Test" <5551234>')).result,
      value: "1",
    },
    {
      line: "GET FULL VARIABLE ${CALLERID(all)}",
      run: (s) => s.getFullVariable("${CALLERID(all)}"),
      value: '"Oracle Test" <>',
    },
    {
      line: 'SET CALLERID "\\"Oracle Test\\" <5551234>"',
      run: (s) => s.setCallerId('"Oracle Test" <5551234>'),
      value: undefined,
    },
    {
      line: "GET FULL VARIABLE ${CALLERID(all)}",
      run: (s) => s.getFullVariable("${CALLERID(all)}"),
      value: '"Oracle Test" <5551234>',
    },
    { line: "CHANNEL STATUS", run: (s) => s.channelStatus(), value: 6 },
    {
      line: "CHANNEL STATUS Local/nosuch-00000000;1",
      run: (s) => s.channelStatus("Local/nosuch-00000000;1"),
      value: undefined,
    },
    {
      line: 'RECORD FILE oracle-rec wav "#" 500',
      run: (s) =>
        s.recordFile("oracle-rec", "wav", {
          escapeDigits: "#",
          timeoutMs: 500,
        }),
      value: { reason: "timeout", digit: undefined, endposSamples: 0 },
    },
    {
      line: "ORACLE BOGUS COMMAND",
      run: (s) => s.command("ORACLE BOGUS COMMAND"),
      error: AgiInvalidCommandError,
      check: (error) => assert.equal((error as AgiError).reply?.code, 510),
    },
    {
      line: "STREAM FILE",
      run: (s) => s.command("STREAM FILE"),
      error: AgiUsageError,
      check: (error) => {
        const usage = (error as AgiUsageError).usage.split("\n");
        assert.equal(usage.length, 5);
        assert.match(usage[0]!, /^Send the given file/);
        assert.equal(usage[4], "    <value>FAILED</value>");
        assert.equal((error as AgiError).reply?.lines.length, 7);
      },
    },
    {
      line: "DATABASE PUT onlyfamily",
      run: (s) => s.command("DATABASE PUT onlyfamily"),
      error: AgiUsageError,
      check: (error) =>
        assert.match((error as AgiUsageError).usage, /^Adds or updates/),
    },
    { line: "HANGUP", run: (s) => s.hangup(), value: true },
    deadChannel("ANSWER", (s) => s.answer()),
    deadChannel("CHANNEL STATUS", (s) => s.channelStatus()),
    {
      line: "GET VARIABLE ORACLE_TEST",
      run: (s) => s.getVariable("ORACLE_TEST"),
      value: "hello world",
    },
    deadChannel('STREAM FILE beep ""', (s) => s.streamFile("beep")),
    { line: "NOOP", run: (s) => s.noop(), value: undefined },
    {
      line: 'VERBOSE "still here" 1',
      run: (s) => s.verbose("still here", 1),
      value: undefined,
    },
  ];
}

const CHUNK_SIZES = [0, 1, 2, 3, 7, 13, 64];

Deno.test("AgiSession replays agi-stdio.txt byte for byte", async (t) => {
  const entries = parseTranscript(
    await Deno.readTextFile(new URL("agi-stdio.txt", FIXTURES)),
  );
  const [scenario] = scenarios(entries);
  assert.ok(scenario);
  for (const size of CHUNK_SIZES) {
    await t.step(
      size === 0 ? "replies whole" : `replies in ${size}-byte chunks`,
      async () => {
        const expectations = mainSequence(
          "oracle-agi.py",
          "Local/args@agi-stdio-00000004;2",
        );
        const { session, fake } = await replay(scenario, expectations, size, {
          afterStep: (_index, step, session) => {
            // stdio AGI learns of the hangup by SIGHUP; the runner calls notifyHangup().
            if (step.notes.some((note) => note.startsWith("SIGHUP received"))) {
              assert.equal(session.hungUp, false);
              session.notifyHangup();
              assert.equal(session.hungUp, true);
              assert.ok(session.signal.reason instanceof AgiHangupError);
            }
            return Promise.resolve();
          },
        });
        assert.equal(session.env.request, "oracle-agi.py");
        assert.deepEqual(session.env.args, ["hello world", "x=y"]);
        assert.equal(session.env.network, false);
        // "script exits now (closing stdout)"
        await session.close();
        assert.equal(fake.writableClosed, true);
        await assert.rejects(session.noop(), ConnectionClosedError);
      },
    );
  }
});

Deno.test("AgiSession replays fastagi.txt scenario 1: HANGUP notices and dead mode", async (t) => {
  const entries = parseTranscript(
    await Deno.readTextFile(new URL("fastagi.txt", FIXTURES)),
  );
  const [scenario] = scenarios(entries);
  assert.ok(scenario);
  for (const size of CHUNK_SIZES) {
    await t.step(
      size === 0 ? "replies whole" : `replies in ${size}-byte chunks`,
      async () => {
        const expectations = mainSequence(
          "oracle-fast",
          "Local/args@agi-fast-00000005;2",
        );
        const hungUpAt: number[] = [];
        const { session, fake } = await replay(scenario, expectations, size, {
          afterStep: (index, _step, session) => {
            if (session.hungUp && hungUpAt.length === 0) hungUpAt.push(index);
            return Promise.resolve();
          },
        });
        // The HANGUP notice came after the reply to the HANGUP command (step 36).
        assert.deepEqual(hungUpAt, [36]);
        assert.equal(session.env.network, true);
        assert.equal(session.env.networkScript, "oracle-fast?mode=test&n=1");
        assert.equal(
          session.env.request,
          "agi://127.0.0.1:14573/oracle-fast?mode=test&n=1",
        );
        // "we half-close … read until Asterisk closes": the second HANGUP, then EOF.
        fake.send("HANGUP\n");
        fake.end();
        await assert.rejects(session.noop(), ConnectionClosedError);
        assert.equal(session.closed, true);
        await session.close();
      },
    );
  }
});

Deno.test("AgiSession replays fastagi.txt scenario 2: hangup during WAIT FOR DIGIT", async (t) => {
  const entries = parseTranscript(
    await Deno.readTextFile(new URL("fastagi.txt", FIXTURES)),
  );
  const scenario = scenarios(entries)[1];
  assert.ok(scenario);
  for (const size of CHUNK_SIZES) {
    await t.step(
      size === 0 ? "replies whole" : `replies in ${size}-byte chunks`,
      async () => {
        const { session } = await replay(scenario, [
          { line: "ANSWER", run: (s) => s.answer(), value: undefined },
          {
            line: "GET VARIABLE CHANNEL",
            run: (s) => s.getVariable("CHANNEL"),
            value: "Local/args@agi-fast-00000006;2",
          },
          {
            // result=-1 arrives before the HANGUP notice: a failure, not yet known as a hangup.
            line: "WAIT FOR DIGIT 5000",
            run: (s) => s.waitForDigit(5000),
            error: AgiCommandError,
            check: (error) => {
              assert.ok(!(error instanceof AgiHangupError));
              assert.equal((error as AgiCommandError).result, "-1");
            },
          },
          {
            line: "NOOP",
            run: async (s) => {
              assert.equal(s.hungUp, true);
              await s.noop();
              return s.signal.aborted;
            },
            value: true,
          },
        ], size);
        assert.deepEqual(session.env.args, ["two", ""]);
        await session.close();
      },
    );
  }
});
