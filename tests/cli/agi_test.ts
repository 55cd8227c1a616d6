// Copyright the @pyst/asterisk authors. MIT license.
/**
 * `pyst agi run` as a subprocess: a stdio script and a FastAGI server,
 * each against the AGI emulator, under exactly the permissions documented.
 */
import assert from "node:assert/strict";
import { type AgiSession, serveFastAgi } from "@pyst/asterisk/agi";
import { runDeno } from "./_run.ts";

const CLI = "cli/main.ts";

Deno.test("pyst agi run drives a stdio script with keypresses", async () => {
  const { code, stdout } = await runDeno(
    CLI,
    ["agi", "run", "--dtmf", "42#", "examples/stdio_ivr.ts"],
    { permissions: ["--allow-run=deno"] },
  );
  assert.equal(code, 0);
  const lines = stdout.split("\n");
  const commands = lines.filter((line) => / >> /.test(line)).map((line) =>
    line.slice(line.indexOf(">> ") + 3)
  );
  assert.deepEqual(commands, [
    "ANSWER",
    'STREAM FILE hello-world ""',
    "GET DATA beep 5000 4",
    'SAY DIGITS 42 ""',
    "SET VARIABLE ACCOUNT 42",
    'STREAM FILE vm-goodbye ""',
    "HANGUP",
  ]);
  assert.match(stdout, /^AGISTATUS=HANGUP/m);
  assert.match(stdout, /variables: .*ACCOUNT=42/);
});

Deno.test("pyst agi run calls a FastAGI server", async () => {
  const seen: string[] = [];
  await using server = serveFastAgi({ port: 0 }, {
    menu: async (agi: AgiSession, request) => {
      seen.push(`${request.path} ${request.params.get("lang")}`);
      await agi.answer();
      const digit = await agi.waitForDigit(2000);
      await agi.setVariable("PICKED", digit ?? "none");
    },
  });
  const url = `agi://127.0.0.1:${server.addr.port}/menu?lang=de`;
  const { code, stdout } = await runDeno(
    CLI,
    ["agi", "run", "--dtmf", "7", url],
    { permissions: [`--allow-net=127.0.0.1:${server.addr.port}`] },
  );
  assert.equal(code, 0);
  assert.deepEqual(seen, ["menu de"]);
  assert.match(stdout, /<< agi_network_script: menu\?lang=de\n/);
  assert.match(stdout, />> WAIT FOR DIGIT 2000\n.*<< 200 result=55\n/s);
  assert.match(stdout, /variables: .*PICKED=7/);
});

Deno.test("pyst agi run without permissions names the exact flag", async (t) => {
  const cases: [string[], string][] = [
    [["examples/stdio_ivr.ts"], "--allow-run=deno"],
    [["--", "/bin/true", "x"], "--allow-run=/bin/true"],
    [["agi://127.0.0.1:4573/menu"], "--allow-net=127.0.0.1:4573"],
    [["agi://pbx.example.net/menu"], "--allow-net=pbx.example.net:4573"],
  ];
  for (const [args, flag] of cases) {
    await t.step(flag, async () => {
      const { code, stdout, stderr } = await runDeno(CLI, [
        "agi",
        "run",
        ...args,
      ]);
      assert.equal(code, 2);
      assert.equal(stdout, "");
      assert.equal(
        stderr,
        `Cannot run AGI script ${
          JSON.stringify(args.at(args[0] === "--" ? 1 : 0))
        }: permission missing, run with ${flag}\n`,
      );
    });
  }
  await t.step("--allow-write for --transcript", async () => {
    const { code, stderr } = await runDeno(
      CLI,
      ["agi", "run", "--transcript", "out.txt", "examples/stdio_ivr.ts"],
      { permissions: ["--allow-run=deno"] },
    );
    assert.equal(code, 2);
    assert.match(
      stderr,
      /permission missing, run with --allow-write=out\.txt\n$/,
    );
  });
});
