// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { parseTranscript } from "../../astemu/parse_transcript.ts";

const CLI = ["run", "--quiet", "-A", "astemu/agi_main.ts"];
const IVR = ["deno", "run", "--quiet", "tests/astemu_agi/scripts/ivr.ts"];

async function cli(
  args: string[],
  input?: (line: string) => string | undefined,
) {
  const child = new Deno.Command("deno", {
    args: [...CLI, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  let stdout = "";
  const lines = child.stdout.pipeThrough(new TextDecoderStream());
  const reading = (async () => {
    for await (const chunk of lines) {
      stdout += chunk;
      for (const line of chunk.split("\n")) {
        const keys = input?.(line);
        if (keys !== undefined) {
          await writer.write(new TextEncoder().encode(keys));
        }
      }
    }
  })();
  const stderr = new Response(child.stderr).text();
  if (input === undefined) await writer.close();
  const status = await child.status;
  await reading;
  await writer.close().catch(() => {});
  return { code: status.code, stdout, stderr: await stderr };
}

Deno.test("agi CLI prints the dialogue of a stdio script and writes its transcript", async () => {
  const { code, stdout, stderr } = await cli([
    "--no-color",
    "--callerid",
    '"Alice" <5551234>',
    "--arg",
    "billing",
    "--sound",
    "menu=3000",
    "--sound",
    "billing=1200",
    "--dtmf",
    "1",
    "--transcript",
    "/dev/stdout",
    "--",
    ...IVR,
  ]);
  assert.equal(code, 0, stderr);
  assert.ok(!stdout.includes("\x1b["), "no colour codes");
  assert.match(stdout, /^ {3}0\.000s << agi_callerid: 5551234$/m);
  assert.match(stdout, /^ {3}0\.000s >> GET DATA menu 3000 1$/m);
  assert.match(stdout, /^ {3}0\.000s ## caller pressed 1$/m);
  assert.match(stdout, /^ {3}1\.200s << 200 result=0 endpos=9600$/m);
  assert.match(stdout, /^AGISTATUS=HANGUP exit code 0$/m);
  assert.match(stdout, /^played: menu, billing$/m);
  // The transcript (written to stdout here) parses as a transcript.
  const transcript = stdout.slice(stdout.indexOf("## Transcript format"));
  const entries = parseTranscript(
    transcript.slice(0, transcript.indexOf("\ntranscript: ") + 1),
  );
  assert.ok(
    entries.some((e) =>
      e.direction === "toAsterisk" && e.text === 'STREAM FILE billing ""'
    ),
  );
});

Deno.test("agi CLI --interactive takes the caller's keys from stdin, h hangs up", async () => {
  let pressed = false;
  const { code, stdout, stderr } = await cli([
    "--interactive",
    "--no-color",
    "--sound",
    "menu=5000",
    "--sound",
    "sales=60000",
    "--",
    ...IVR,
  ], (line) => {
    if (line.includes(">> GET DATA") && !pressed) {
      pressed = true;
      return "1";
    }
    if (line.includes(">> STREAM FILE sales")) return "h";
    return undefined;
  });
  assert.equal(code, 0, stderr);
  assert.match(stdout, /## caller pressed 1/);
  assert.match(stdout, /## the caller hung up/);
  assert.match(stdout, /<< 200 result=-1 endpos=\d+/);
  assert.match(stdout, /^AGISTATUS=HANGUP/m);
  assert.equal(stderr, "caller hung up\n");
});

Deno.test("agi CLI explains its usage", async () => {
  const help = await cli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: deno task agi/);
  const bad = await cli(["--bogus"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^Cannot parse options: unknown option "--bogus"/);
  const none = await cli([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^Cannot run AGI script: no script given/);
});
