// Copyright the @pyst/asterisk authors. MIT license.
/**
 * An EAGI script (`scripts/eagi_audio_script.ts`) run as a child process
 * whose fd 3 is a pipe carrying audio, as Asterisk's EAGI() sets it up. A
 * shell wires the pipe: `seq` writes the "audio" into it, and the test's own
 * pipe stays the script's stdin.
 */
import assert from "node:assert/strict";
import {
  drainAgitbReport,
  spawn,
  stdioEnvironment,
} from "./stdio_agi_child.ts";

const SCRIPT =
  new URL("./scripts/eagi_audio_script.ts", import.meta.url).pathname;
const SAMPLES = 20_000;

/** `deno run <flags> script` with `seq 1 SAMPLES` piped into its fd 3. */
function spawnEagi(flags: string[]) {
  return spawn("sh", [
    "-c",
    'exec 4<&0; seq 1 "$1" | "$0" run $2 "$3" 3<&0 0<&4 4<&-',
    Deno.execPath(),
    String(SAMPLES),
    flags.join(" "),
    SCRIPT,
  ]);
}

function expectedAudio(): { bytes: number; sum: number } {
  const audio = new TextEncoder().encode(
    Array.from({ length: SAMPLES }, (_, index) => `${index + 1}\n`).join(""),
  );
  let sum = 0;
  for (const byte of audio) sum = (sum * 31 + byte) % 1_000_000_007;
  return { bytes: audio.length, sum };
}

Deno.test("openEagiAudio reads every byte Asterisk writes on fd 3 (EAGI with --allow-read=/dev/fd/3)", async () => {
  const agi = spawnEagi(["--allow-read=/dev/fd/3"]);
  await agi.send(await stdioEnvironment([], { agi_enhanced: "1.0" }));
  const { bytes, sum } = expectedAudio();
  assert.equal(await agi.readLine(), `VERBOSE "audio ${bytes} ${sum}"`);
  await agi.send("200 result=1\n");
  assert.equal(await agi.readLine(), null);
  const { status, stderr } = await agi.finish();
  assert.equal(status.code, 0, stderr);
});

Deno.test("openEagiAudio without --allow-read names the flag it needs, and the script exits 1", async () => {
  const agi = spawnEagi([]);
  await agi.send(await stdioEnvironment([], { agi_enhanced: "1.0" }));
  assert.match(await drainAgitbReport(agi), /--allow-read=\/dev\/fd\/3/);
  const { status, stderr } = await agi.finish();
  assert.equal(status.code, 1);
  assert.match(
    stderr,
    /NotCapable: Cannot open EAGI audio: .*--allow-read=\/dev\/fd\/3/,
  );
});

Deno.test("openEagiAudio refuses a script started by AGI() (agi_enhanced: 0.0)", async () => {
  const agi = spawnEagi(["--allow-read=/dev/fd/3"]);
  await agi.send(await stdioEnvironment([]));
  assert.match(await drainAgitbReport(agi), /not started by EAGI/);
  const { status, stderr } = await agi.finish();
  assert.equal(status.code, 1);
  assert.match(
    stderr,
    /TypeError: Cannot open EAGI audio: the script was not started by EAGI\(\)/,
  );
});
