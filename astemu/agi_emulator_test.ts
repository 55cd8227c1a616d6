// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { AgiEmulator, type AgiEmulatorOptions } from "./agi_emulator.ts";
import { AGI_COMMANDS } from "./agi_command_table.ts";
import {
  formatTranscript,
  parseTranscript,
  transcriptBytes,
} from "./parse_transcript.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A script side talking to `emulator.serve()` over in-memory pipes. */
class FakeScript {
  readonly served: Promise<void>;
  readonly sighups: number[] = [];
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #eof = false;

  constructor(readonly emulator: AgiEmulator) {
    const toEmulator = new TransformStream<Uint8Array, Uint8Array>();
    const fromEmulator = new TransformStream<Uint8Array, Uint8Array>();
    this.served = emulator.serve(toEmulator.readable, fromEmulator.writable, {
      onSighup: () => this.sighups.push(emulator.nowMs),
    });
    this.#writer = toEmulator.writable.getWriter();
    this.#reader = fromEmulator.readable
      .pipeThrough(new TextDecoderStream())
      .getReader();
  }

  async send(text: string | Uint8Array): Promise<void> {
    await this.#writer.write(
      typeof text === "string" ? encoder.encode(text) : text,
    );
  }

  async line(): Promise<string | undefined> {
    for (;;) {
      const lf = this.#buffer.indexOf("\n");
      if (lf !== -1) {
        const line = this.#buffer.slice(0, lf);
        this.#buffer = this.#buffer.slice(lf + 1);
        return line;
      }
      if (this.#eof) return undefined;
      const { value, done } = await this.#reader.read();
      if (done) this.#eof = true;
      else this.#buffer += value;
    }
  }

  async environment(): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.line();
      if (line === undefined || line === "") return lines;
      lines.push(line);
    }
  }

  /** Sends one command and reads `count` reply lines. */
  async command(text: string, count = 1): Promise<string> {
    await this.send(text + "\n");
    const lines: string[] = [];
    for (let i = 0; i < count; i++) lines.push((await this.line())!);
    return lines.join("\n");
  }

  /** Closes the script's output and reads everything left. */
  async finish(): Promise<string[]> {
    await this.#writer.close();
    const rest: string[] = [];
    for (;;) {
      const line = await this.line();
      if (line === undefined) break;
      rest.push(line);
    }
    await this.served;
    return rest;
  }

  /** Reads what is left without closing (the emulator ended the AGI). */
  async drain(): Promise<string[]> {
    const rest: string[] = [];
    for (;;) {
      const line = await this.line();
      if (line === undefined) break;
      rest.push(line);
    }
    await this.served;
    await this.#writer.close().catch(() => {});
    return rest;
  }
}

function start(options: AgiEmulatorOptions = {}): FakeScript {
  return new FakeScript(new AgiEmulator(options));
}

async function run(
  options: AgiEmulatorOptions,
  ...lines: string[]
): Promise<string[]> {
  const emulator = new AgiEmulator(options);
  const replies: string[] = [];
  for (const line of lines) replies.push(await emulator.execute(line));
  emulator.close();
  return replies;
}

Deno.test({
  name: "AgiEmulator sends the environment in setup_env() order",
  permissions: "none",
  fn: () => {
    const stdio = new AgiEmulator({
      request: "ivr.ts",
      args: ["a b", ""],
      callerIdNum: "5551234",
      callerIdName: "Alice",
      accountCode: "acct",
    });
    assert.equal(
      stdio.environment,
      [
        "agi_request: ivr.ts",
        "agi_channel: PJSIP/astemu-00000001",
        "agi_language: en",
        "agi_type: PJSIP",
        "agi_uniqueid: 1700000000.1",
        "agi_version: 22.5.0",
        "agi_callerid: 5551234",
        "agi_calleridname: Alice",
        "agi_callingpres: 0",
        "agi_callingani2: 0",
        "agi_callington: 0",
        "agi_callingtns: 0",
        "agi_dnid: unknown",
        "agi_rdnis: unknown",
        "agi_context: default",
        "agi_extension: s",
        "agi_priority: 1",
        "agi_enhanced: 0.0",
        "agi_accountcode: acct",
        "agi_threadid: 140000000000001",
        "agi_arg_1: a b",
        "agi_arg_2: ",
        "",
        "",
      ].join("\n"),
    );
    const fast = new AgiEmulator({
      transport: "fastagi",
      request: "agi://127.0.0.1:4573/ivr/main?lang=de&x=1",
    });
    assert.ok(
      fast.environment.startsWith(
        "agi_network: yes\nagi_network_script: ivr/main?lang=de&x=1\n" +
          "agi_request: agi://127.0.0.1:4573/ivr/main?lang=de&x=1\n",
      ),
    );
    const bare = new AgiEmulator({
      transport: "fastagi",
      request: "agi://127.0.0.1",
    });
    assert.ok(bare.environment.startsWith("agi_network: yes\nagi_request: "));
    const async = new AgiEmulator({ transport: "async" });
    assert.ok(async.environment.startsWith("agi_request: async\n"));
    assert.equal(async.appData, "agi:async");
  },
});

Deno.test({
  name: "AgiEmulator answers 510, 520 usage blocks and per-command argc rules",
  permissions: "none",
  fn: async () => {
    const [bogus, empty, streamUsage, dbUsage, sayNumber, sayAlpha, verbose] =
      await run(
        {},
        "ORACLE BOGUS COMMAND",
        "",
        "STREAM FILE",
        "DATABASE PUT onlyfamily",
        'SAY NUMBER abc ""',
        'SAY ALPHA abc "" x',
        "VERBOSE",
      );
    assert.equal(bogus, "510 Invalid or unknown command\n");
    assert.equal(empty, "510 Invalid or unknown command\n");
    assert.ok(
      streamUsage!.startsWith(
        "520-Invalid command syntax.  Proper usage follows:\nSend the given file,",
      ),
    );
    assert.ok(
      streamUsage!.endsWith(
        "    <value>FAILED</value>\n520 End of proper usage.\n",
      ),
    );
    assert.equal(
      dbUsage,
      "520-Invalid command syntax.  Proper usage follows:\n" +
        "Adds or updates an entry in the Asterisk database for a given <replaceable>family</replaceable>, <replaceable>key</replaceable>, and <replaceable>value</replaceable>.\n" +
        "Returns <literal>1</literal> if successful, <literal>0</literal> otherwise.\n" +
        "520 End of proper usage.\n",
    );
    for (const reply of [sayNumber, sayAlpha, verbose]) {
      assert.match(
        reply!,
        /^520-Invalid command syntax.*\n520 End of proper usage\.\n$/s,
      );
    }
    // Command words match case-insensitively; extra words are arguments.
    assert.deepEqual(
      await run({}, "answer", "Get Variable CHANNEL", "noop a b c"),
      [
        "200 result=0\n",
        "200 result=1 (PJSIP/astemu-00000001)\n",
        "200 result=0\n",
      ],
    );
    // A command needs all of its words.
    assert.deepEqual(await run({}, "DATABASE", "SAY"), [
      "510 Invalid or unknown command\n",
      "510 Invalid or unknown command\n",
    ]);
    // CR is part of the last word, as in Asterisk.
    assert.deepEqual(await run({}, "ANSWER\r"), [
      "510 Invalid or unknown command\n",
    ]);
  },
});

Deno.test({
  name:
    "AgiEmulator allows only dead-flagged commands once the channel is dead",
  permissions: "none",
  fn: async () => {
    const deadOk = new Set([
      "ASYNCAGI BREAK",
      "DATABASE DEL",
      "DATABASE DELTREE",
      "DATABASE GET",
      "DATABASE PUT",
      "EXEC",
      "GET FULL VARIABLE",
      "GET VARIABLE",
      "NOOP",
      "SET VARIABLE",
      "SPEECH DESTROY",
      "SPEECH UNLOAD GRAMMAR",
      "VERBOSE",
    ]);
    assert.equal(AGI_COMMANDS.length, 47);
    const emulator = new AgiEmulator({ variables: { X: "1" } });
    assert.equal(await emulator.execute("HANGUP"), "200 result=1\n");
    assert.equal(emulator.dead, true);
    assert.equal(emulator.hungUpBy, "script");
    for (const command of AGI_COMMANDS) {
      const name = command.words.join(" ");
      const reply = await emulator.execute(name);
      if (deadOk.has(name)) {
        assert.notEqual(
          reply,
          "511 Command Not Permitted on a dead channel or intercept routine\n",
          name,
        );
      } else {
        assert.equal(
          reply,
          "511 Command Not Permitted on a dead channel or intercept routine\n",
          name,
        );
      }
    }
    assert.equal(
      await emulator.execute("GET VARIABLE X"),
      "200 result=1 (1)\n",
    );
    assert.equal(emulator.status, "HANGUP");
    emulator.close();
  },
});

Deno.test({
  name:
    "AgiEmulator plays sounds and gives DTMF as ASCII codes with endpos in samples",
  permissions: "none",
  fn: async () => {
    // Untimed presses go to the next command that listens for them.
    assert.deepEqual(
      await run(
        { dtmf: ["1", "9"] },
        'STREAM FILE beep ""',
        'STREAM FILE tt-monkeys "12"',
        'STREAM FILE nope "" 1000',
        "WAIT FOR DIGIT 100",
        "WAIT FOR DIGIT 100",
      ),
      [
        "200 result=0 endpos=3520\n",
        "200 result=49 endpos=0\n",
        "200 result=-1 endpos=1000\n",
        "200 result=57\n",
        "200 result=0\n",
      ],
    );
    // Timed presses interrupt at their moment; unheard ones are lost.
    const emulator = new AgiEmulator({
      dtmf: [{ digits: "3", atMs: 100 }, { digits: "2", atMs: 1000 }],
    });
    assert.equal(
      await emulator.execute('STREAM FILE beep ""'),
      "200 result=0 endpos=3520\n",
    );
    assert.equal(emulator.nowMs, 440);
    assert.equal(
      await emulator.execute('STREAM FILE tt-monkeys "2"'),
      "200 result=50 endpos=4480\n",
    );
    assert.equal(emulator.nowMs, 1000);
    assert.equal(emulator.call.variables.get("PLAYBACKSTATUS"), "FAILED");
    assert.equal(
      await emulator.execute("WAIT FOR DIGIT 1000"),
      "200 result=0\n",
    );
    assert.deepEqual(emulator.call.played, ["beep", "tt-monkeys"]);
    emulator.close();
    // An offset starts playback later in the file.
    assert.deepEqual(await run({}, 'STREAM FILE beep "" 1000'), [
      "200 result=0 endpos=3520\n",
    ]);
  },
});

Deno.test({
  name: "AgiEmulator GET DATA collects digits until #, maxdigits or a timeout",
  permissions: "none",
  fn: async (t) => {
    const cases: [string[], string, string, number][] = [
      [[], "GET DATA beep 300 2", "200 result= (timeout)\n", 740],
      [["#"], "GET DATA beep 300 2", "200 result=\n", 0],
      [["12#"], "GET DATA beep", "200 result=12\n", 0],
      [["123"], "GET DATA beep 1000 2", "200 result=12\n", 0],
      [["4"], "GET DATA beep 1000 5", "200 result=4 (timeout)\n", 1000],
      [["4"], "GET DATA beep", "200 result=4 (timeout)\n", 2000],
      [[], "GET DATA beep", "200 result= (timeout)\n", 6440],
      [[], 'GET DATA ""', "200 result= (timeout)\n", 6000],
      [[], "GET DATA nope", "200 result=-1\n", 0],
      [["1"], "GET DATA beep 1000 0", "200 result=-1\n", 0],
      [
        [{ digits: "5", atMs: 200 }, { digits: "6", atMs: 900 }] as never,
        "GET DATA beep 1000 3",
        "200 result=56 (timeout)\n",
        1900,
      ],
    ];
    for (const [dtmf, line, reply, elapsed] of cases) {
      await t.step(`${JSON.stringify(dtmf)} ${line}`, async () => {
        const emulator = new AgiEmulator({ dtmf });
        assert.equal(await emulator.execute(line), reply);
        assert.equal(emulator.nowMs, elapsed);
        emulator.close();
      });
    }
  },
});

Deno.test({
  name:
    "AgiEmulator SAY, GET OPTION, CONTROL STREAM FILE and RECORD FILE honour escape digits",
  permissions: "none",
  fn: async () => {
    const emulator = new AgiEmulator({
      dtmf: ["5", "#", "9", "1", { digits: "#", atMs: 60_000 }],
    });
    const e = (line: string) => emulator.execute(line);
    assert.equal(await e('SAY NUMBER 42 ""'), "200 result=0\n");
    assert.equal(await e('SAY DIGITS 123 "5"'), "200 result=53\n");
    assert.equal(await e('SAY ALPHA abc "#" u'), "200 result=35\n");
    assert.deepEqual(emulator.call.said, [
      { kind: "number", value: "42" },
      { kind: "digits", value: "123" },
      { kind: "alpha", value: "abc" },
    ]);
    // GET OPTION: 9 is not an escape digit during playback nor after.
    assert.equal(
      await e('GET OPTION beep "1" 2000'),
      "200 result=0 endpos=3520\n",
    );
    // 9 is still queued; 1 is behind it, so CONTROL STREAM FILE on "9" stops.
    assert.equal(
      await e('CONTROL STREAM FILE hello-world "9"'),
      "200 result=57 endpos=0\n",
    );
    assert.equal(emulator.call.variables.get("CPLAYBACKSTATUS"), "USERSTOPPED");
    assert.equal(emulator.call.variables.get("CPLAYBACKSTOPKEY"), "9");
    assert.equal(await e('GET OPTION beep "1"'), "200 result=49 endpos=0\n");
    assert.equal(
      await e('CONTROL STREAM FILE hello-world ""'),
      "200 result=0 endpos=-1\n",
    );
    assert.equal(
      await e('CONTROL STREAM FILE nope ""'),
      "200 result=-1 endpos=0\n",
    );
    const before = emulator.nowMs;
    assert.equal(
      await e('RECORD FILE msg wav "#" 500'),
      "200 result=0 (timeout) endpos=0\n",
    );
    assert.equal(emulator.nowMs - before, 500);
    assert.equal(
      await e('RECORD FILE msg2 gsm "#" -1 BEEP s=3'),
      "200 result=0 (timeout) endpos=0\n",
    );
    const third = emulator.nowMs;
    assert.equal(
      await e('RECORD FILE msg3 wav "#" -1'),
      "200 result=35 (dtmf) endpos=0\n",
    );
    assert.equal(emulator.nowMs, 60_000);
    assert.deepEqual(
      emulator.call.recordings.map((
        r,
      ) => [r.file, r.format, r.durationMs, r.reason]),
      [
        ["msg", "wav", 500, "timeout"],
        ["msg2", "gsm", 3000, "timeout"],
        ["msg3", "wav", 60_000 - third, "dtmf"],
      ],
    );
    // A recording can be played afterwards.
    assert.equal(await e('STREAM FILE msg ""'), "200 result=0 endpos=4000\n");
    emulator.close();
  },
});

Deno.test({
  name:
    "AgiEmulator hangs up when a wait would pass maxCallMs or an autohangup",
  permissions: "none",
  fn: async () => {
    const emulator = new AgiEmulator({ maxCallMs: 10_000 });
    assert.equal(
      await emulator.execute("WAIT FOR DIGIT -1"),
      "200 result=-1\n",
    );
    assert.equal(emulator.nowMs, 10_000);
    assert.equal(emulator.hungUpBy, "caller");
    assert.equal(emulator.dead, true);
    emulator.close();
    const auto = new AgiEmulator();
    assert.equal(await auto.execute("SET AUTOHANGUP 2.5"), "200 result=0\n");
    assert.equal(await auto.execute("WAIT FOR DIGIT 5000"), "200 result=-1\n");
    assert.equal(auto.nowMs, 2500);
    assert.equal(
      await auto.execute("ANSWER"),
      "511 Command Not Permitted on a dead channel or intercept routine\n",
    );
    auto.close();
  },
});

Deno.test({
  name:
    "AgiEmulator answers variables, AstDB, EXEC, GOSUB and channel commands",
  permissions: "none",
  fn: async () => {
    const emulator = new AgiEmulator({
      channel: "Local/args@agi-stdio-00000004;2",
      otherChannels: { "PJSIP/bob-0002": 5 },
      database: { "cf/100": "x", "cf/100/a": "y", "other/1": "z" },
      subroutines: {
        "subs,greet,1": (call, args) => {
          call.variables.set("GREETED", call.variables.get("ARG1") ?? "");
          assert.deepEqual(args, ["fromagi", "two"]);
        },
        "subs,bad,1": () => "abnormal",
      },
      applications: {
        MyApp: (call, data) => (call.variables.set("MYAPP", data), 7),
      },
    });
    const e = (line: string) => emulator.execute(line);
    assert.equal(await e("CHANNEL STATUS"), "200 result=4\n");
    assert.equal(await e("CHANNEL STATUS PJSIP/bob-0002"), "200 result=5\n");
    assert.equal(
      await e("CHANNEL STATUS Local/nosuch-00000000;1"),
      "200 result=-1\n",
    );
    assert.equal(await e("DATABASE DELTREE cf 100"), "200 result=0\n");
    assert.deepEqual([...emulator.call.database.keys()], ["other/1"]);
    assert.equal(await e("DATABASE DELTREE cf"), "200 result=1\n");
    assert.equal(await e("DATABASE GET other 1"), "200 result=1 (z)\n");
    assert.equal(await e("GET VARIABLE CALLERID(all)"), "200 result=1 ()\n");
    assert.equal(
      await e('SET VARIABLE LONG "' + "x".repeat(2000) + '"'),
      "200 result=1\n",
    );
    assert.equal(
      await e("GET VARIABLE LONG"),
      `200 result=1 (${"x".repeat(1023)})\n`,
    );
    assert.equal(await e('SET VARIABLE P "a) b (c)"'), "200 result=1\n");
    assert.equal(await e("GET VARIABLE P"), "200 result=1 (a) b (c))\n");
    assert.equal(
      await e("GET FULL VARIABLE ${CHANNEL}"),
      "200 result=1 (Local/args@agi-stdio-00000004;2)\n",
    );
    assert.equal(
      await e("GET FULL VARIABLE ${CHANNEL} PJSIP/nobody"),
      "200 result=0\n",
    );
    assert.equal(
      await e("GOSUB subs greet 1 fromagi,two"),
      "100 result=0 Trying...\n200 result=0 Gosub complete\n",
    );
    assert.equal(emulator.call.variables.get("GREETED"), "fromagi");
    assert.equal(emulator.call.variables.has("ARG1"), false);
    assert.equal(
      await e("GOSUB subs bad 1"),
      "100 result=0 Trying...\n200 result=0 Gosub complete (abnormal exit)\n",
    );
    assert.equal(
      await e("GOSUB subs nowhere 1"),
      "200 result=-1 Gosub label not found\n",
    );
    assert.equal(await e("EXEC MyApp with,commas"), "200 result=7\n");
    assert.equal(emulator.call.variables.get("MYAPP"), "with,commas");
    assert.equal(await e("EXEC Set X=${CHANNEL}"), "200 result=0\n");
    assert.equal(emulator.call.variables.get("X"), "${CHANNEL}");
    assert.equal(await e("SET VARIABLE AGIEXECFULL yes"), "200 result=1\n");
    assert.equal(await e("EXEC Set X=${CONTEXT}"), "200 result=0\n");
    assert.equal(emulator.call.variables.get("X"), "default");
    assert.equal(await e("EXEC NoSuchApp foo"), "200 result=-2\n");
    assert.equal(await e("SET CONTEXT other"), "200 result=0\n");
    assert.equal(await e("SET EXTENSION 200"), "200 result=0\n");
    assert.equal(await e("SET PRIORITY 5"), "200 result=0\n");
    assert.match(await e("SET PRIORITY somelabel"), /^520-/);
    assert.deepEqual(
      [emulator.call.context, emulator.call.extension, emulator.call.priority],
      ["other", "200", 5],
    );
    assert.equal(await e("SET MUSIC on jazz"), "200 result=0\n");
    assert.equal(emulator.call.musicOnHold, "jazz");
    assert.equal(await e('VERBOSE "hello there" 3'), "200 result=1\n");
    assert.deepEqual(emulator.call.verbose.at(-1), {
      message: "hello there",
      level: 3,
      line: "agi-script: hello there",
    });
    assert.equal(await e("SPEECH CREATE lumenvox"), "200 result=0\n");
    assert.equal(await e("HANGUP PJSIP/bob-0002"), "200 result=1\n");
    assert.equal(await e("HANGUP PJSIP/bob-0002"), "200 result=-1\n");
    assert.equal(emulator.dead, false);
    assert.equal(await e("EXEC Hangup"), "200 result=-1\n");
    assert.equal(emulator.dead, true);
    assert.equal(emulator.status, "FAILURE"); // the missing GOSUB label
    emulator.close();
  },
});

Deno.test({
  name: "AgiEmulator rejects keypresses that are not DTMF digits",
  permissions: "none",
  fn: () => {
    assert.throws(() => new AgiEmulator({ dtmf: ["1x"] }), TypeError);
    const emulator = new AgiEmulator();
    assert.throws(() => emulator.press("h"), TypeError);
    emulator.close();
  },
});

Deno.test({
  name: "AgiEmulator.execute runs concurrent calls one at a time in order",
  permissions: "none",
  fn: async () => {
    const emulator = new AgiEmulator({ dtmf: [{ digits: "1", atMs: 300 }] });
    const replies = await Promise.all([
      emulator.execute("WAIT FOR DIGIT 200"),
      emulator.execute("WAIT FOR DIGIT 200"),
      emulator.execute("NOOP"),
    ]);
    assert.deepEqual(replies, [
      "200 result=0\n",
      "200 result=49\n",
      "200 result=0\n",
    ]);
    assert.deepEqual(emulator.commands.map((c) => c.atMs), [0, 200, 300]);
    emulator.close();
  },
});

Deno.test({
  name:
    "AgiEmulator.serve speaks FastAGI: HANGUP after the hangup and again at the end",
  permissions: "none",
  fn: async () => {
    const script = start({ transport: "fastagi", request: "agi://h/x" });
    const env = await script.environment();
    assert.deepEqual(env.slice(0, 3), [
      "agi_network: yes",
      "agi_network_script: x",
      "agi_request: agi://h/x",
    ]);
    assert.equal(await script.command("ANSWER"), "200 result=0");
    assert.equal(await script.command("HANGUP", 2), "200 result=1\nHANGUP");
    assert.equal(
      await script.command("ANSWER"),
      "511 Command Not Permitted on a dead channel or intercept routine",
    );
    assert.equal(await script.command("NOOP"), "200 result=0");
    assert.deepEqual(await script.finish(), ["HANGUP"]);
    assert.deepEqual(script.sighups, []);
  },
});

Deno.test({
  name:
    "AgiEmulator.serve interrupts a wait when the caller hangs up at command N",
  permissions: "none",
  fn: async () => {
    const script = start({
      transport: "fastagi",
      faults: { hangupAtCommand: 2 },
    });
    await script.environment();
    assert.equal(await script.command("ANSWER"), "200 result=0");
    assert.equal(
      await script.command("WAIT FOR DIGIT 5000", 2),
      "200 result=-1\nHANGUP",
    );
    assert.equal(await script.command("NOOP"), "200 result=0");
    assert.deepEqual(await script.finish(), ["HANGUP"]);
    assert.equal(script.emulator.status, "HANGUP");
    assert.equal(script.emulator.hungUpBy, "caller");
  },
});

Deno.test({
  name:
    "AgiEmulator.serve sends HANGUP while idle and ends at once with exitOnHangup",
  permissions: "none",
  fn: async () => {
    const script = start({ transport: "fastagi", exitOnHangup: true });
    await script.environment();
    assert.equal(await script.command("ANSWER"), "200 result=0");
    script.emulator.hangup();
    // Twice (AGIEXITONHANGUP), then Asterisk closes without us closing.
    assert.deepEqual(await script.drain(), ["HANGUP", "HANGUP"]);
  },
});

Deno.test({
  name:
    "AgiEmulator.serve signals a stdio script with SIGHUP, and again only if it is still there",
  permissions: "none",
  fn: async () => {
    const script = start({
      transport: "stdio",
      faults: { hangupAfterMs: 1000 },
    });
    await script.environment();
    assert.equal(
      await script.command('STREAM FILE tt-monkeys ""'),
      "200 result=-1 endpos=8000",
    );
    assert.equal(await script.command("NOOP"), "200 result=0");
    assert.deepEqual(script.sighups, [1000]);
    assert.deepEqual(await script.finish(), []);
    assert.deepEqual(script.sighups, [1000]);

    const exiting = start({ transport: "stdio", exitOnHangup: true });
    await exiting.environment();
    assert.equal(await exiting.command("HANGUP"), "200 result=1");
    assert.deepEqual(await exiting.drain(), []);
    assert.equal(exiting.sighups.length, 2);

    const quiet = start({ transport: "fastagi", sighup: false });
    await quiet.environment();
    assert.equal(await quiet.command("HANGUP"), "200 result=1");
    assert.equal(
      await quiet.command("ANSWER"),
      "511 Command Not Permitted on a dead channel or intercept routine",
    );
    assert.deepEqual(await quiet.finish(), []);
  },
});

Deno.test({
  name:
    "AgiEmulator.serve gives no reply to a playing command cancelled by the next one",
  permissions: "none",
  fn: async () => {
    const script = start();
    await script.environment();
    // Pipelined: STREAM FILE sees a command waiting and ends without a reply.
    await script.send('STREAM FILE tt-monkeys ""\nNOOP\n');
    assert.equal(await script.line(), "200 result=0");
    // WAIT FOR DIGIT is not cancelled: both answer.
    await script.send("WAIT FOR DIGIT 100\nNOOP\n");
    assert.equal(await script.line(), "200 result=0");
    assert.equal(await script.line(), "200 result=0");
    assert.deepEqual(await script.finish(), []);
    assert.deepEqual(script.emulator.commands.map((c) => c.reply), [
      "",
      "200 result=0\n",
      "200 result=0\n",
      "200 result=0\n",
    ]);
  },
});

Deno.test({
  name: "AgiEmulator.serve cuts command lines at Asterisk's 8191-byte buffer",
  permissions: "none",
  fn: async () => {
    const script = start();
    await script.environment();
    const long = "NOOP " + "A".repeat(9000 - 5);
    // Sent in odd chunks, the line still splits at 8191 bytes.
    const bytes = encoder.encode(long + "\nNOOP\n");
    for (let i = 0; i < bytes.length; i += 777) {
      await script.send(bytes.subarray(i, i + 777));
    }
    assert.equal(await script.line(), "200 result=0");
    assert.equal(await script.line(), "510 Invalid or unknown command");
    assert.equal(await script.line(), "200 result=0");
    await script.finish();
    const commands = script.emulator.commands;
    assert.equal(commands[0]!.line.length, 8191);
    assert.equal(commands[1]!.line.length, 9000 - 8191);
    const cut = script.emulator.transcript.filter((e) =>
      e.direction === "toAsterisk"
    )[0]!;
    assert.equal(cut.bytes.length, 8191);
    assert.ok(formatTranscript([cut]).endsWith("[no LF]\n"));
  },
});

Deno.test({
  name:
    "AgiEmulator.serve ends the AGI on a line starting with failure, and runs a last line without LF",
  permissions: "none",
  fn: async () => {
    const failing = start();
    await failing.environment();
    await failing.send("FAILURE to execute\n");
    assert.deepEqual(await failing.drain(), []);
    assert.equal(failing.emulator.status, "FAILURE");

    const cut = start();
    await cut.environment();
    await cut.send("SET VARIABLE X 1");
    assert.deepEqual(await cut.finish(), ["200 result=1"]);
    assert.equal(cut.emulator.call.variables.get("X"), "1");
  },
});

Deno.test({
  name: "AgiEmulator.serve produces faults: garbage and silence",
  permissions: "none",
  fn: async () => {
    const script = start({
      transport: "fastagi",
      faults: {
        garbageAtCommand: 2,
        garbage: "200 resul",
        silentFromCommand: 3,
      },
    });
    await script.environment();
    assert.equal(await script.command("NOOP"), "200 result=0");
    assert.equal(await script.command("NOOP"), "200 resul");
    await script.send("NOOP\nANSWER\n");
    assert.deepEqual(await script.finish(), ["HANGUP"]);
    assert.equal(script.emulator.call.answered, false);
  },
});

Deno.test({
  name:
    "AgiEmulator waits in real time when fast-forward is off, and hears live keypresses",
  permissions: "none",
  fn: async () => {
    const emulator = new AgiEmulator({ fastForward: false });
    const reply = emulator.execute("WAIT FOR DIGIT 5000");
    setTimeout(() => emulator.press("5"), 30);
    assert.equal(await reply, "200 result=53\n");
    assert.ok(emulator.nowMs >= 25 && emulator.nowMs < 4000);
    // A digit pressed while nothing listens is lost.
    emulator.press("6");
    assert.equal(await emulator.execute("WAIT FOR DIGIT 20"), "200 result=0\n");
    const hung = emulator.execute("WAIT FOR DIGIT -1");
    setTimeout(() => emulator.hangup(), 10);
    assert.equal(await hung, "200 result=-1\n");
    emulator.close();
  },
});

Deno.test({
  name: "AgiEmulator records a transcript that parses back to the wire bytes",
  permissions: "none",
  fn: async () => {
    const script = start({ transport: "fastagi", dtmf: ["1"] });
    const heard: string[] = [...await script.environment(), ""];
    heard.push(await script.command('SET VARIABLE Q "a \\"b\\"\\tc"'));
    heard.push(await script.command('STREAM FILE beep "1"'));
    heard.push(await script.command("HANGUP", 2));
    heard.push(...await script.finish());
    const text = formatTranscript(script.emulator.transcript);
    assert.ok(text.startsWith("## Transcript format:"));
    assert.ok(text.includes('>> SET VARIABLE Q "a \\\\"b\\\\"\\\\tc"\n'));
    assert.ok(text.includes("## caller pressed 1\n"));
    const entries = parseTranscript(text);
    assert.equal(
      decoder.decode(transcriptBytes(entries, "fromAsterisk")),
      heard.join("\n") + "\n",
    );
    assert.equal(
      decoder.decode(transcriptBytes(entries, "toAsterisk")),
      'SET VARIABLE Q "a \\"b\\"\\tc"\nSTREAM FILE beep "1"\nHANGUP\n',
    );
    assert.equal(script.emulator.call.variables.get("Q"), 'a "b"tc');
  },
});

Deno.test({
  name: "AgiEmulator reports every dialogue line to onTrace",
  permissions: "none",
  fn: async () => {
    const seen: string[] = [];
    const emulator = new AgiEmulator({
      onTrace: (event) => {
        if (
          event.direction !== "note" || !event.text.startsWith("Transcript")
        ) {
          seen.push(`${event.direction} ${event.text}`);
        }
      },
    });
    await emulator.execute("NOOP");
    emulator.hangup();
    emulator.close();
    assert.deepEqual(
      seen.filter((line) =>
        !line.startsWith("note One") && !line.startsWith("note TAB")
      ),
      [
        "toAsterisk NOOP",
        "fromAsterisk 200 result=0",
        "note the caller hung up",
      ],
    );
  },
});
