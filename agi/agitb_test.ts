// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { emulateAgiCall } from "../astemu/agi_emulate_call.ts";
import { withAgitb } from "./agitb.ts";
import type { AgiSession } from "./agi_session.ts";
import { AgiHangupError } from "./errors.ts";

const NO_SOURCE = () => undefined;

async function lookUp(account: string): Promise<never> {
  await Promise.resolve();
  throw new Error(`Cannot look up account "${account}": database down`, {
    cause: new TypeError("fetch failed for https://db/?token=abc123"),
  });
}

Deno.test({
  name:
    "withAgitb writes the report to Asterisk through VERBOSE, to stderr and elsewhere, then rethrows",
  permissions: "none",
  fn: async () => {
    const stderr: string[] = [];
    const files: string[] = [];
    const script = withAgitb(async (agi) => {
      await agi.answer();
      await agi.setVariable("DB_PASSWORD", "hunter2");
      await agi.databasePut({ family: "auth", key: "api_key", value: "sk-1" });
      await agi.getVariable("CALLERID(num)");
      await lookUp("42");
    }, {
      verboseLevel: 3,
      stderr: (report) => stderr.push(report),
      writeReport: (report) => {
        files.push(report);
      },
      readSource: NO_SOURCE,
    });
    const call = await emulateAgiCall(script, {
      callerIdNum: "5551234",
      args: ["mode=test", "password=letmein"],
    });
    assert.ok(call.error instanceof Error);
    assert.match(call.error.message, /database down/);
    const lines = call.verbose.map((v) => v.message);
    assert.ok(call.verbose.every((v) => v.level === 3));
    assert.ok(lines.every((line) => line.startsWith("agitb: ")));
    const report = lines.map((line) => line.slice(7)).join("\n");
    assert.equal(stderr.length, 1);
    assert.equal(stderr[0], report);
    assert.deepEqual(files, stderr);
    const expectedLines = [
      'Uncaught error in AGI script "agi-script" on channel "PJSIP/astemu-00000001"',
      'Error: Cannot look up account "42": database down',
      "Caused by: TypeError: fetch failed for https://db/?token=***",
      "Traceback (most recent call first):",
      "AGI environment:",
      "  agi_callerid: 5551234",
      "  agi_arg_1: mode=test",
      "  agi_arg_2: password=***",
      "Last 4 commands (oldest first):",
      "  answer()",
      '  setVariable("DB_PASSWORD", ***)',
      '  databasePut({"family":"auth","key":"api_key","value":***})',
      '  getVariable("CALLERID(num)")',
      '    => "5551234"',
    ];
    const reportLines = report.split("\n");
    for (const line of expectedLines) {
      assert.ok(reportLines.includes(line), `missing: ${line}\n${report}`);
    }
    assert.match(
      report,
      /^ {2}at (async )?lookUp \(.*agitb_test\.ts:\d+:\d+\)$/m,
    );
    for (const secret of ["hunter2", "sk-1", "abc123", "letmein"]) {
      assert.doesNotMatch(report, new RegExp(secret));
    }
    // Every report line went out as one VERBOSE command, quoted as needed.
    assert.equal(
      call.commands.filter((c) => c.line.startsWith("VERBOSE ")).length,
      reportLines.length,
    );
  },
});

Deno.test({
  name: "withAgitb shows source lines around each frame through the reader",
  permissions: "none",
  fn: async () => {
    const asked: string[] = [];
    const source = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`)
      .join("\n");
    const script = withAgitb(() => lookUp("7"), {
      stderr: false,
      contextLines: 1,
      readSource: (url) => {
        asked.push(url);
        return url.endsWith("agitb_test.ts") ? source : undefined;
      },
    });
    const call = await emulateAgiCall(script);
    const report = call.verbose.map((v) => v.message.slice(7)).join("\n");
    const frame = /agitb_test\.ts:(\d+):\d+\)\n((?: {4}.*\n){3})/.exec(report);
    assert.ok(frame, report);
    const at = Number(frame[1]);
    assert.equal(
      frame[2],
      `     ${String(at - 1).padStart(5)} | line ${at - 1}\n` +
        `    >${String(at).padStart(5)} | line ${at}\n` +
        `     ${String(at + 1).padStart(5)} | line ${at + 1}\n`,
    );
    // Each file is read once; frames of the library itself are not read.
    assert.equal(new Set(asked).size, asked.length);
    assert.ok(
      asked.every((url) => !/\/(agi|astemu)\/[a-z_]+(?<!_test)\.ts$/.test(url)),
    );
  },
});

Deno.test({
  name:
    "withAgitb survives a reader that throws and errors that are not Errors",
  permissions: "none",
  fn: async () => {
    const script = withAgitb(async (agi) => {
      await agi.noop();
      throw "plain string";
    }, {
      stderr: false,
      readSource: () => {
        throw new Error("no");
      },
    });
    const call = await emulateAgiCall(script);
    assert.equal(call.error, "plain string");
    const report = call.verbose.map((v) => v.message).join("\n");
    assert.match(report, /agitb: thrown: "plain string"/);
    assert.match(report, /agitb: {3}\(no stack\)/);

    const broken = withAgitb(() => {
      throw new RangeError("bad index");
    }, {
      stderr: false,
      readSource: () => {
        throw new Error("no");
      },
    });
    const second = await emulateAgiCall(broken);
    const text = second.verbose.map((v) => v.message).join("\n");
    assert.match(text, /RangeError: bad index/);
    assert.match(text, /\(source not available\)/);
  },
});

Deno.test({
  name: "withAgitb passes hangups on without a report unless asked",
  permissions: "none",
  fn: async () => {
    const reports: string[] = [];
    // The caller hangs up during NOOP; STREAM FILE then gets 511.
    const handler = async (agi: AgiSession) => {
      await agi.answer();
      await agi.noop();
      await agi.streamFile("tt-monkeys");
    };
    const quiet = await emulateAgiCall(
      withAgitb(handler, { stderr: (r) => reports.push(r) }),
      { faults: { hangupAtCommand: 2 }, transport: "fastagi" },
    );
    assert.ok(quiet.error instanceof AgiHangupError);
    assert.equal(reports.length, 0);
    assert.equal(quiet.verbose.length, 0);
    // Asked to, it reports, and VERBOSE still works on the dead channel.
    const loud = await emulateAgiCall(
      withAgitb(handler, {
        stderr: (r) => reports.push(r),
        reportHangups: true,
        readSource: NO_SOURCE,
      }),
      { faults: { hangupAtCommand: 2 }, transport: "fastagi" },
    );
    assert.ok(loud.error instanceof AgiHangupError);
    assert.equal(reports.length, 1);
    assert.match(reports[0]!, /^AgiDeadChannelError: /m);
    assert.ok(loud.verbose.length > 5);
    assert.ok(
      loud.commands.slice(3).every((c) => c.reply === "200 result=1\n"),
    );
  },
});

Deno.test({
  name: "withAgitb with verboseLevel false sends nothing to Asterisk",
  permissions: "none",
  fn: async () => {
    const reports: string[] = [];
    const call = await emulateAgiCall(
      withAgitb(() => Promise.reject(new Error("boom")), {
        verboseLevel: false,
        stderr: (r) => reports.push(r),
      }),
    );
    assert.equal(call.commands.length, 0);
    assert.equal(reports.length, 1);
    assert.match(reports[0]!, /^Error: boom$/m);
  },
});

Deno.test({
  name:
    "withAgitb keeps only the last maxHistory commands and passes extra handler arguments",
  permissions: "none",
  fn: async () => {
    const seen: unknown[] = [];
    const wrapped = withAgitb(async (agi, extra: string) => {
      seen.push(extra);
      for (let i = 0; i < 5; i++) await agi.noop(`n${i}`);
      throw new Error("late");
    }, { maxHistory: 2, stderr: false, readSource: NO_SOURCE });
    const call = await emulateAgiCall((session) => wrapped(session, "extra"));
    assert.deepEqual(seen, ["extra"]);
    const report = call.verbose.map((v) => v.message.slice(7)).join("\n");
    assert.match(
      report,
      /Last 2 commands \(oldest first\):\n {2}noop\("n3"\)\n {4}=> undefined\n {2}noop\("n4"\)/,
    );
  },
});
