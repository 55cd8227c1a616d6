// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
  TimeoutError,
} from "../errors.ts";
import {
  aborted,
  environmentBlock,
  FakeAsterisk,
} from "../tests/agi/session_fake_asterisk.ts";
import type { AgiSession, AgiTraceEvent } from "./agi_session.ts";
import {
  createAgiSession,
  type CreateAgiSessionOptions,
} from "./create_agi_session.ts";
import {
  AgiCommandError,
  AgiDeadChannelError,
  AgiHangupError,
  AgiInvalidCommandError,
  AgiUsageError,
} from "./errors.ts";

async function open(
  options: CreateAgiSessionOptions = {},
  env: Record<string, string> = {},
): Promise<{ fake: FakeAsterisk; session: AgiSession }> {
  const fake = new FakeAsterisk();
  fake.send(environmentBlock(env));
  const session = await createAgiSession(fake.readable, fake.writable, options);
  return { fake, session };
}

/** Answers each line with the next scripted reply (several lines allowed). */
function answer(fake: FakeAsterisk, replies: string[]): string[] {
  const sent: string[] = [];
  fake.onLine = (line) => {
    sent.push(line);
    const reply = replies.shift();
    if (reply !== undefined) fake.send(reply + "\n");
  };
  return sent;
}

type Call = (session: AgiSession) => Promise<unknown>;

/** [call, line it must send, reply, value or error class]. */
type Row = [Call, string, string, unknown];

const ROWS: Record<string, Row[]> = {
  answer: [
    [(s) => s.answer(), "ANSWER", "200 result=0", undefined],
    [(s) => s.answer(), "ANSWER", "200 result=-1", AgiCommandError],
  ],
  asyncAgiBreak: [[
    (s) => s.asyncAgiBreak(),
    "ASYNCAGI BREAK",
    "200 result=0",
    undefined,
  ]],
  channelStatus: [
    [(s) => s.channelStatus(), "CHANNEL STATUS", "200 result=6", 6],
    [
      (s) => s.channelStatus("PJSIP/x"),
      "CHANNEL STATUS PJSIP/x",
      "200 result=-1",
      undefined,
    ],
  ],
  controlStreamFile: [
    [
      (s) => s.controlStreamFile("menu", "12"),
      'CONTROL STREAM FILE menu "12"',
      "200 result=50 endpos=1500",
      { digit: "2", endposMs: 1500 },
    ],
    [
      (s) => s.controlStreamFile("menu", "", { rewindDigit: "4" }),
      'CONTROL STREAM FILE menu "" 3000 "#" "4"',
      "200 result=0 endpos=10",
      { digit: undefined, endposMs: 10 },
    ],
    [
      (s) => s.controlStreamFile("menu", "#", { offsetMs: 500, skipMs: 1000 }),
      'CONTROL STREAM FILE menu "#" 1000 "#" "*" "" 500',
      "200 result=-1 endpos=0",
      AgiCommandError,
    ],
  ],
  databaseDel: [
    [(s) => s.databaseDel("f", "k"), "DATABASE DEL f k", "200 result=1", true],
    [(s) => s.databaseDel("f", "k"), "DATABASE DEL f k", "200 result=0", false],
  ],
  databaseDelTree: [
    // Inverted on the wire: 0 means something was deleted.
    [(s) => s.databaseDelTree("f"), "DATABASE DELTREE f", "200 result=0", true],
    [
      (s) => s.databaseDelTree("f", "a/b"),
      "DATABASE DELTREE f a/b",
      "200 result=1",
      false,
    ],
  ],
  databaseGet: [
    [
      (s) => s.databaseGet("f", "k"),
      "DATABASE GET f k",
      "200 result=1 (v (1))",
      "v (1)",
    ],
    [
      (s) => s.databaseGet("f", "k"),
      "DATABASE GET f k",
      "200 result=0",
      undefined,
    ],
    [
      (s) => s.databaseGet("f", "k"),
      "DATABASE GET f k",
      "200 result=-1",
      AgiCommandError,
    ],
  ],
  databasePut: [
    [
      (s) => s.databasePut({ family: "f", key: "k", value: "a b" }),
      'DATABASE PUT f k "a b"',
      "200 result=1",
      true,
    ],
    [
      (s) => s.databasePut({ family: "f", key: "k", value: "" }),
      'DATABASE PUT f k ""',
      "200 result=0",
      false,
    ],
  ],
  exec: [
    [(s) => s.exec("Answer"), "EXEC Answer", "200 result=0", 0],
    [
      (s) => s.exec("Dial", ["PJSIP/100", 30, "tT"]),
      "EXEC Dial PJSIP/100,30,tT",
      "200 result=-1",
      -1,
    ],
    [
      (s) => s.exec("Playback", "hello world"),
      'EXEC Playback "hello world"',
      "200 result=0",
      0,
    ],
    [
      (s) => s.exec("Nope", "x"),
      "EXEC Nope x",
      "200 result=-2",
      AgiCommandError,
    ],
  ],
  getData: [
    [(s) => s.getData("beep"), "GET DATA beep", "200 result=123", {
      digits: "123",
      timedOut: false,
    }],
    [(s) => s.getData("", { maxDigits: 4 }), 'GET DATA "" 0 4', "200 result=", {
      digits: "",
      timedOut: false,
    }],
    [
      (s) => s.getData("p", { timeoutMs: 300 }),
      "GET DATA p 300",
      "200 result=1* (timeout)",
      {
        digits: "1*",
        timedOut: true,
      },
    ],
    [(s) => s.getData("p"), "GET DATA p", "200 result=-1", AgiCommandError],
  ],
  getFullVariable: [
    [
      (s) => s.getFullVariable("${CALLERID(num)}"),
      "GET FULL VARIABLE ${CALLERID(num)}",
      "200 result=1 (555)",
      "555",
    ],
    [
      (s) => s.getFullVariable("${X}", "PJSIP/y"),
      "GET FULL VARIABLE ${X} PJSIP/y",
      "200 result=0",
      undefined,
    ],
    [
      (s) => s.getFullVariable("${X}"),
      "GET FULL VARIABLE ${X}",
      "200 result=1 ()",
      "",
    ],
  ],
  getOption: [
    [
      (s) => s.getOption("menu", "123", { timeoutMs: 2000 }),
      'GET OPTION menu "123" 2000',
      "200 result=51 endpos=8000",
      { digit: "3", endposSamples: 8000 },
    ],
    [
      (s) => s.getOption("menu"),
      'GET OPTION menu ""',
      "200 result=0 endpos=16000",
      {
        digit: undefined,
        endposSamples: 16000,
      },
    ],
  ],
  getVariable: [
    [
      (s) => s.getVariable("X"),
      "GET VARIABLE X",
      "200 result=1 (a) b)",
      "a) b",
    ],
    [(s) => s.getVariable("X"), "GET VARIABLE X", "200 result=0", undefined],
  ],
  gosub: [
    [
      (s) => s.gosub("sub", "s"),
      "GOSUB sub s 1",
      "100 result=0 Trying...\n200 result=0 Gosub complete (abnormal exit)",
      { abnormalExit: true, text: "Gosub complete (abnormal exit)" },
    ],
    [
      (s) => s.gosub("sub", "s", { priority: "start", args: ["a b", 2] }),
      'GOSUB sub s start "a b,2"',
      "200 result=-1 Gosub label not found",
      AgiCommandError,
    ],
    [
      (s) => s.gosub("sub", "s"),
      "GOSUB sub s 1",
      "100 result=0 Trying...\n503 result=-2 Memory allocation failure",
      AgiCommandError,
    ],
  ],
  hangup: [
    [(s) => s.hangup(), "HANGUP", "200 result=1", true],
    [(s) => s.hangup("PJSIP/x"), "HANGUP PJSIP/x", "200 result=-1", false],
  ],
  noop: [
    [(s) => s.noop(), "NOOP", "200 result=0", undefined],
    [(s) => s.noop("hi there"), 'NOOP "hi there"', "200 result=0", undefined],
  ],
  receiveChar: [
    [(s) => s.receiveChar(1000), "RECEIVE CHAR 1000", "200 result=65", "A"],
    [
      (s) => s.receiveChar(1000),
      "RECEIVE CHAR 1000",
      "200 result=0 (timeout)",
      undefined,
    ],
    [
      (s) => s.receiveChar(0),
      "RECEIVE CHAR 0",
      "200 result=-1 (hangup)",
      AgiHangupError,
    ],
  ],
  receiveText: [
    [
      (s) => s.receiveText(1000),
      "RECEIVE TEXT 1000",
      "200 result=1 (hello (you))",
      "hello (you)",
    ],
    [
      (s) => s.receiveText(1000),
      "RECEIVE TEXT 1000",
      "200 result=-1",
      AgiCommandError,
    ],
  ],
  recordFile: [
    [
      (s) => s.recordFile("msg", "wav"),
      'RECORD FILE msg wav "" -1',
      "200 result=35 (dtmf) endpos=24000",
      { reason: "dtmf", digit: "#", endposSamples: 24000 },
    ],
    [
      (s) =>
        s.recordFile("msg", "wav", {
          escapeDigits: "#*",
          timeoutMs: 60000,
          offsetSamples: 0,
          beep: true,
          silenceSeconds: 3,
        }),
      'RECORD FILE msg wav "#*" 60000 0 BEEP s=3',
      "200 result=0 (timeout) endpos=8000",
      { reason: "timeout", digit: undefined, endposSamples: 8000 },
    ],
    [
      (s) => s.recordFile("msg", "wav", { beep: true, silenceSeconds: 2 }),
      'RECORD FILE msg wav "" -1 BEEP s=2',
      "200 result=-1 (hangup) endpos=4000",
      AgiHangupError,
    ],
    [
      (s) => s.recordFile("msg", "wav"),
      'RECORD FILE msg wav "" -1',
      "200 result=-1 (writefile)",
      AgiCommandError,
    ],
    [
      (s) => s.recordFile("msg", "wav"),
      'RECORD FILE msg wav "" -1',
      "200 result=-1",
      AgiCommandError,
    ],
  ],
  sayAlpha: [
    [(s) => s.sayAlpha("abc"), 'SAY ALPHA abc ""', "200 result=0", undefined],
    [
      (s) => s.sayAlpha("Hi", "1", { caseSensitivity: "upper" }),
      'SAY ALPHA Hi "1" u',
      "200 result=49",
      "1",
    ],
  ],
  sayDate: [
    [
      (s) => s.sayDate(new Date(1_700_000_000_500)),
      'SAY DATE 1700000000 ""',
      "200 result=0",
      undefined,
    ],
  ],
  sayDateTime: [
    [
      (s) => s.sayDateTime(1_700_000_000, "#"),
      'SAY DATETIME 1700000000 "#"',
      "200 result=35",
      "#",
    ],
    [
      (s) => s.sayDateTime(0, "", { timezone: "UTC" }),
      `SAY DATETIME 0 "" "ABdY 'digits/at' IMp" UTC`,
      "200 result=0",
      undefined,
    ],
    [
      (s) => s.sayDateTime(0, "", { format: "IMp" }),
      'SAY DATETIME 0 "" IMp',
      "200 result=-1",
      AgiCommandError,
    ],
  ],
  sayDigits: [[
    (s) => s.sayDigits("0042", "#"),
    'SAY DIGITS 0042 "#"',
    "200 result=0",
    undefined,
  ]],
  sayNumber: [
    [
      (s) => s.sayNumber(-5, "", { gender: "f" }),
      'SAY NUMBER -5 "" f',
      "200 result=0",
      undefined,
    ],
  ],
  sayPhonetic: [[
    (s) => s.sayPhonetic("abc"),
    'SAY PHONETIC abc ""',
    "200 result=0",
    undefined,
  ]],
  sayTime: [[
    (s) => s.sayTime(60, "*"),
    'SAY TIME 60 "*"',
    "200 result=42",
    "*",
  ]],
  sendImage: [
    [(s) => s.sendImage("logo"), "SEND IMAGE logo", "200 result=0", undefined],
    [
      (s) => s.sendImage("logo"),
      "SEND IMAGE logo",
      "200 result=-1",
      AgiCommandError,
    ],
  ],
  sendText: [[
    (s) => s.sendText("hi"),
    'SEND TEXT "hi"',
    "200 result=0",
    undefined,
  ]],
  setAutoHangup: [[
    (s) => s.setAutoHangup(2.5),
    "SET AUTOHANGUP 2.5",
    "200 result=0",
    undefined,
  ]],
  setCallerId: [
    [
      (s) => s.setCallerId("5551234"),
      "SET CALLERID 5551234",
      "200 result=1",
      undefined,
    ],
  ],
  setContext: [[
    (s) => s.setContext("ivr"),
    "SET CONTEXT ivr",
    "200 result=0",
    undefined,
  ]],
  setExtension: [[
    (s) => s.setExtension("s"),
    "SET EXTENSION s",
    "200 result=0",
    undefined,
  ]],
  setMusic: [
    [
      (s) => s.setMusic(true, "jazz"),
      "SET MUSIC on jazz",
      "200 result=0",
      undefined,
    ],
    [(s) => s.setMusic(false), "SET MUSIC off", "200 result=0", undefined],
  ],
  setPriority: [
    [(s) => s.setPriority(3), "SET PRIORITY 3", "200 result=0", undefined],
    [
      (s) => s.setPriority("nolabel"),
      "SET PRIORITY nolabel",
      "520 Invalid command syntax.  Proper usage not available.",
      AgiUsageError,
    ],
  ],
  setVariable: [
    [
      (s) => s.setVariable("X", ""),
      'SET VARIABLE X ""',
      "200 result=1",
      undefined,
    ],
    [
      (s) => s.setVariable("X", "a,b"),
      "SET VARIABLE X a,b",
      "200 result=1",
      undefined,
    ],
  ],
  speechActivateGrammar: [
    [
      (s) => s.speechActivateGrammar("g"),
      "SPEECH ACTIVATE GRAMMAR g",
      "200 result=1",
      true,
    ],
  ],
  speechCreate: [
    [
      (s) => s.speechCreate("lumenvox"),
      "SPEECH CREATE lumenvox",
      "200 result=0",
      false,
    ],
  ],
  speechDeactivateGrammar: [
    [
      (s) => s.speechDeactivateGrammar("g"),
      "SPEECH DEACTIVATE GRAMMAR g",
      "200 result=1",
      true,
    ],
  ],
  speechDestroy: [[
    (s) => s.speechDestroy(),
    "SPEECH DESTROY",
    "200 result=1",
    true,
  ]],
  speechLoadGrammar: [
    [
      (s) => s.speechLoadGrammar("g", "/tmp/g.gram"),
      "SPEECH LOAD GRAMMAR g /tmp/g.gram",
      "200 result=1",
      true,
    ],
  ],
  speechRecognize: [
    [
      (s) => s.speechRecognize("prompt", 5),
      "SPEECH RECOGNIZE prompt 5",
      '200 result=1 (speech) endpos=8000 results=2 score0=950 text0="yes (please)" grammar0=yesno score1=400 text1="yeah" grammar1=yesno',
      {
        reason: "speech",
        digit: undefined,
        endposSamples: 8000,
        results: [
          { score: 950, text: "yes (please)", grammar: "yesno" },
          { score: 400, text: "yeah", grammar: "yesno" },
        ],
      },
    ],
    [
      (s) => s.speechRecognize("prompt", 5, { offsetSamples: 100 }),
      "SPEECH RECOGNIZE prompt 5 100",
      "200 result=1 (digit) digit=7 endpos=1200",
      { reason: "digit", digit: "7", endposSamples: 1200, results: [] },
    ],
    [
      (s) => s.speechRecognize("prompt", 5),
      "SPEECH RECOGNIZE prompt 5",
      "200 result=1 (timeout) endpos=0",
      { reason: "timeout", digit: undefined, endposSamples: 0, results: [] },
    ],
    [
      (s) => s.speechRecognize("prompt", 5),
      "SPEECH RECOGNIZE prompt 5",
      "200 result=1 (hangup) endpos=10",
      AgiHangupError,
    ],
    [
      (s) => s.speechRecognize("prompt", 5),
      "SPEECH RECOGNIZE prompt 5",
      "200 result=0",
      AgiCommandError,
    ],
  ],
  speechSet: [[
    (s) => s.speechSet("k", "v w"),
    'SPEECH SET k "v w"',
    "200 result=1",
    true,
  ]],
  speechUnloadGrammar: [
    [
      (s) => s.speechUnloadGrammar("g"),
      "SPEECH UNLOAD GRAMMAR g",
      "200 result=0",
      false,
    ],
  ],
  streamFile: [
    [
      (s) => s.streamFile("welcome", "0123456789*#", { offsetSamples: 800 }),
      'STREAM FILE welcome "0123456789*#" 800',
      "200 result=48 endpos=9600",
      { digit: "0", endposSamples: 9600 },
    ],
  ],
  tddMode: [[(s) => s.tddMode("on"), "TDD MODE on", "200 result=1", true]],
  verbose: [[
    (s) => s.verbose("hi"),
    'VERBOSE "hi"',
    "200 result=1",
    undefined,
  ]],
  waitForDigit: [
    [(s) => s.waitForDigit(-1), "WAIT FOR DIGIT -1", "200 result=57", "9"],
    [
      (s) => s.waitForDigit(100),
      "WAIT FOR DIGIT 100",
      "200 result=-1",
      AgiCommandError,
    ],
  ],
};

Deno.test("AgiSession has a typed method for each of the 47 AGI commands", {
  permissions: "none",
}, async (t) => {
  assert.equal(Object.keys(ROWS).length, 47);
  for (const [method, rows] of Object.entries(ROWS)) {
    await t.step(method, async () => {
      const { fake, session } = await open();
      const replies = rows.map((row) => row[2]);
      const sent = answer(fake, replies);
      for (const [call, line, reply, expected] of rows) {
        if (typeof expected === "function") {
          await assert.rejects(call(session), (error: unknown) => {
            assert.ok(
              error instanceof (expected as new () => Error),
              `${line} -> ${reply}: got ${error}`,
            );
            assert.equal((error as AgiCommandError).command, line);
            assert.equal(
              (error as AgiCommandError).reply?.lines.at(-1),
              reply.split("\n").at(-1),
            );
            return true;
          });
        } else {
          assert.deepEqual(
            await call(session),
            expected,
            `${line} -> ${reply}`,
          );
        }
        assert.equal(sent.at(-1), line);
      }
      assert.equal(sent.length, rows.length);
      await session.close();
    });
  }
});

Deno.test("AgiSession maps status codes to typed errors", {
  permissions: "none",
}, async () => {
  const { fake, session } = await open();
  answer(fake, [
    "510 Invalid or unknown command",
    "511 Command Not Permitted on a dead channel or intercept routine",
    "520-Invalid command syntax.  Proper usage follows:\nUsage: FOO\n520 End of proper usage.",
    "503 result=-2 Memory allocation failure",
    "200 result=1 (raw)",
    "200 result=abc",
  ]);
  await assert.rejects(session.command("FOO"), (error: unknown) => {
    assert.ok(error instanceof AgiInvalidCommandError);
    assert.equal(
      error.message,
      'Cannot run AGI command "FOO": invalid or unknown command',
    );
    return true;
  });
  await assert.rejects(session.command("ANSWER"), AgiDeadChannelError);
  await assert.rejects(session.command("FOO BAR"), (error: unknown) => {
    assert.ok(error instanceof AgiUsageError);
    assert.equal(error.usage, "Usage: FOO");
    return true;
  });
  await assert.rejects(session.command("GOSUB a b c"), AgiCommandError);
  assert.equal((await session.command("GET VARIABLE X")).data, "raw");
  await assert.rejects(session.answer(), ProtocolError);
  assert.equal(session.hungUp, false);
  await session.close();
});

Deno.test("AgiSession refuses lines it must not send, sending nothing", {
  permissions: "none",
}, async () => {
  const { fake, session } = await open();
  for (const line of ["failure", "FAILURE: x", "A\nB", "", "x".repeat(9000)]) {
    await assert.rejects(session.command(line), TypeError);
  }
  await assert.rejects(session.setVariable("X", "two\nlines"), TypeError);
  await assert.rejects(session.sayDate(1.5), TypeError);
  await assert.rejects(
    session.command("NOOP", { commandTimeoutMs: -1 }),
    TypeError,
  );
  assert.equal(fake.writes.length, 0);
  assert.equal(session.closed, false);
  await session.close();
});

Deno.test("AgiSession queues concurrent commands and never pipelines them", {
  permissions: "none",
}, async () => {
  const { fake, session } = await open();
  const calls = [
    session.streamFile("one"),
    session.getVariable("TWO"),
    session.noop("three"),
    session.waitForDigit(4),
  ];
  const replies = [
    "200 result=0 endpos=1",
    "200 result=1 (2)",
    "200 result=0",
    "200 result=52",
  ];
  const expectedLines = [
    'STREAM FILE one ""',
    "GET VARIABLE TWO",
    "NOOP three",
    "WAIT FOR DIGIT 4",
  ];
  for (let i = 0; i < calls.length; i++) {
    assert.equal(await fake.nextLine(), expectedLines[i]);
    // Give the session every chance to write the next one too early.
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(fake.writes.length, i + 1, "one command in flight at a time");
    assert.deepEqual(fake.queuedLines, []);
    fake.send(replies[i] + "\n");
  }
  assert.deepEqual(await Promise.all(calls), [
    { digit: undefined, endposSamples: 1 },
    "2",
    undefined,
    "4",
  ]);
  await session.close();
});

Deno.test("AgiSession bounds its queue and drops aborted queued commands", {
  permissions: "none",
}, async () => {
  const { fake, session } = await open({ maxQueuedCommands: 2 });
  const first = session.noop("1");
  const second = session.noop("2");
  const controller = new AbortController();
  const third = session.noop("3", { signal: controller.signal });
  await assert.rejects(session.noop("4"), (error: unknown) => {
    assert.ok(error instanceof LimitExceededError);
    assert.equal(error.limit, "maxQueuedCommands");
    return true;
  });
  controller.abort(new Error("not needed"));
  await assert.rejects(third, /not needed/);
  await assert.rejects(
    session.noop("5", { signal: controller.signal }),
    /not needed/,
  );
  answer(fake, ["200 result=0", "200 result=0"]);
  fake.send("200 result=0\n");
  await Promise.all([first, second]);
  assert.deepEqual(
    fake.writes.map((bytes) => new TextDecoder().decode(bytes)),
    ["NOOP 1\n", "NOOP 2\n"],
  );
  assert.equal(session.closed, false);
  await session.close();
});

Deno.test("AgiSession closes itself when a command times out", {
  permissions: "none",
}, async (t) => {
  await t.step("session default", async () => {
    const { fake, session } = await open({ commandTimeoutMs: 20 });
    const slow = session.waitForDigit(-1);
    const queued = session.noop();
    await assert.rejects(slow, (error: unknown) => {
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.timeoutMs, 20);
      assert.equal(
        error.message,
        'Cannot run AGI command "WAIT FOR DIGIT -1": no reply within 20 ms',
      );
      return true;
    });
    await assert.rejects(queued, (error: unknown) => {
      assert.ok(error instanceof ConnectionClosedError);
      assert.ok(error.cause instanceof TimeoutError);
      return true;
    });
    assert.equal(session.closed, true);
    assert.ok(session.signal.reason instanceof TimeoutError);
    // Never resynchronised: nothing else was sent, and a late reply changes nothing.
    fake.send("200 result=49\n");
    await assert.rejects(session.noop(), ConnectionClosedError);
    assert.equal(fake.writes.length, 1);
    await session.close();
    assert.equal(fake.writableClosed, true);
  });
  await t.step("per command, with a fast reply in time", async () => {
    const { fake, session } = await open();
    answer(fake, ["200 result=0"]);
    await session.noop(undefined, { commandTimeoutMs: 1000 });
    fake.onLine = undefined;
    await assert.rejects(
      session.noop(undefined, { commandTimeoutMs: 10 }),
      TimeoutError,
    );
    assert.equal(session.closed, true);
    await session.close();
  });
  await t.step("an abort in flight closes it too", async () => {
    const { session } = await open();
    const controller = new AbortController();
    const pending = session.waitForDigit(-1, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 0));
    controller.abort(new Error("caller gave up"));
    await assert.rejects(pending, /caller gave up/);
    assert.equal(session.closed, true);
    await session.close();
  });
});

Deno.test("AgiSession reads the reply after a HANGUP and enters dead mode", {
  permissions: "none",
}, async () => {
  const { fake, session } = await open();
  const replies = [
    "HANGUP\n200 result=-1", // WAIT FOR DIGIT interrupted by the hangup
    "200 result=1 (still here)", // GET VARIABLE is allowed on a dead channel
    "511 Command Not Permitted on a dead channel or intercept routine",
    "200 result=0",
  ];
  answer(fake, replies);
  await assert.rejects(session.waitForDigit(5000), (error: unknown) => {
    assert.ok(error instanceof AgiHangupError);
    assert.equal(error.reply?.result, "-1");
    return true;
  });
  assert.equal(session.hungUp, true);
  assert.ok(session.signal.aborted);
  assert.ok(session.signal.reason instanceof AgiHangupError);
  assert.equal(await session.getVariable("X"), "still here");
  await assert.rejects(session.streamFile("beep"), AgiDeadChannelError);
  await session.noop();
  assert.equal(session.closed, false);
  await session.close();
});

Deno.test("AgiSession still returns a good reply that follows a HANGUP", {
  permissions: "none",
}, async () => {
  const { fake, session } = await open();
  answer(fake, ["HANGUP\n200 result=0 endpos=800"]);
  assert.deepEqual(await session.streamFile("x"), {
    digit: undefined,
    endposSamples: 800,
  });
  assert.equal(session.hungUp, true);
  await session.close();
});

Deno.test("AgiSession.notifyHangup (SIGHUP) turns -1 into a hangup", {
  permissions: "none",
}, async () => {
  const { fake, session } = await open();
  answer(fake, ["200 result=-1", "200 result=-1"]);
  await assert.rejects(session.streamFile("x"), (error: unknown) => {
    assert.ok(
      error instanceof AgiCommandError && !(error instanceof AgiHangupError),
    );
    return true;
  });
  const seen = aborted(session.signal);
  session.notifyHangup();
  await seen;
  assert.equal(session.hungUp, true);
  await assert.rejects(session.streamFile("x"), AgiHangupError);
  session.notifyHangup();
  await session.close();
});

Deno.test("AgiSession treats the peer closing as a hangup", {
  permissions: "none",
}, async () => {
  const { fake, session } = await open();
  const pending = session.waitForDigit(-1);
  await fake.nextLine();
  fake.end();
  await assert.rejects(pending, ConnectionClosedError);
  await aborted(session.signal);
  assert.equal(session.closed, true);
  await session.close();
});

Deno.test("AgiSession.close ends the session without hanging up", {
  permissions: "none",
}, async () => {
  const { fake, session } = await open();
  const inFlight = session.waitForDigit(-1);
  const queued = session.noop();
  await fake.nextLine();
  await session.close();
  await assert.rejects(inFlight, ConnectionClosedError);
  await assert.rejects(queued, ConnectionClosedError);
  await assert.rejects(session.noop(), /session closed/);
  assert.equal(session.hungUp, false);
  assert.ok(session.signal.reason instanceof ConnectionClosedError);
  assert.equal(fake.writableClosed, true);
  assert.deepEqual(
    fake.writes.map((bytes) => new TextDecoder().decode(bytes)),
    ["WAIT FOR DIGIT -1\n"],
    "no HANGUP was sent",
  );
  await session.close();
  {
    const { fake: other, session: disposed } = await open();
    await using _ = disposed;
    assert.equal(other.writableClosed, false);
  }
});

Deno.test("AgiSession traces lines and survives a throwing observer", {
  permissions: "none",
}, async () => {
  const events: AgiTraceEvent[] = [];
  const { fake, session } = await open({
    onTrace: (event) => {
      events.push(event);
      throw new Error("observer bug");
    },
  });
  answer(fake, ["100 result=0 Trying...\n200 result=0 Gosub complete"]);
  await session.gosub("s", "x");
  assert.deepEqual(events, [
    { direction: "send", line: "GOSUB s x 1" },
    { direction: "receive", line: "100 result=0 Trying..." },
    { direction: "receive", line: "200 result=0 Gosub complete" },
  ]);
  await session.close();
});

Deno.test("AgiSession uses the German say format for a German channel", {
  permissions: "none",
}, async () => {
  const { fake, session } = await open({}, { agi_language: "de" });
  const sent = answer(fake, ["200 result=0"]);
  await session.sayDateTime(0, "", { timezone: "Europe/Berlin" });
  assert.deepEqual(sent, ['SAY DATETIME 0 "" "A dBY HMS" Europe/Berlin']);
  await session.close();
});

Deno.test("AgiSession reports result=-1 followed by a HANGUP notice as a hangup", async () => {
  const { fake, session } = await open();
  fake.onLine = () => {
    // Asterisk's order: the reply first, then the notice a moment later.
    fake.send("200 result=-1\n");
    setTimeout(() => fake.send("HANGUP\n"), 10);
  };
  await assert.rejects(session.waitForDigit(5000), AgiHangupError);
  assert.equal(session.hungUp, true);
  await session.close();
});

Deno.test("AgiSession reports result=-1 without a hangup notice as a command failure after the grace", async () => {
  const { fake, session } = await open({ hangupGraceMs: 20 });
  answer(fake, ["200 result=-1 endpos=0"]);
  const started = performance.now();
  await assert.rejects(session.streamFile("no-such-sound"), AgiCommandError);
  assert.ok(performance.now() - started >= 15);
  assert.equal(session.hungUp, false);
  await session.close();
});

Deno.test("AgiSession rejects a negative hangupGraceMs", async () => {
  await assert.rejects(open({ hangupGraceMs: -1 }), TypeError);
});

Deno.test("AgiSession does not wait for a hangup notice when a named channel is not found", async () => {
  const { fake, session } = await open({ hangupGraceMs: 60_000 });
  answer(fake, ["200 result=-1", "200 result=-1"]);
  const started = performance.now();
  assert.equal(await session.channelStatus("PJSIP/gone"), undefined);
  assert.equal(await session.hangup("PJSIP/gone"), false);
  assert.ok(performance.now() - started < 1000);
  await session.close();
});
