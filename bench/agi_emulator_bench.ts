// Copyright the @pyst/asterisk authors. MIT license.
/**
 * How fast the AGI emulator answers: the command-line parser against a
 * plain `split`, and a whole recorded dialogue (agi-stdio.txt's 40 commands)
 * through `AgiEmulator.execute` against a bare in-memory round trip.
 *
 * Run: `deno bench -P bench/agi_emulator_bench.ts`
 *
 * @module
 */
import { AgiEmulator } from "../astemu/agi_emulator.ts";
import { parseAgiCommandLine } from "../astemu/agi_command_parser.ts";
import { parseTranscript } from "../astemu/parse_transcript.ts";

const entries = parseTranscript(
  await Deno.readTextFile(
    new URL("../tests/fixtures/transcripts/agi-stdio.txt", import.meta.url),
  ),
);
const commands = entries.filter((e) => e.direction === "toAsterisk")
  .map((e) => e.text);

Deno.bench({
  name: "split(' ') (baseline)",
  group: "parse 40 command lines",
  baseline: true,
  fn: () => {
    for (const line of commands) line.split(" ");
  },
});

Deno.bench({
  name: "parseAgiCommandLine (res_agi.c parse_args)",
  group: "parse 40 command lines",
  fn: () => {
    for (const line of commands) parseAgiCommandLine(line);
  },
});

Deno.bench({
  name: "await of a resolved reply per command (baseline)",
  group: "answer 40 commands",
  baseline: true,
  fn: async () => {
    for (const line of commands) await Promise.resolve(line);
  },
});

Deno.bench({
  name: "AgiEmulator.execute (fast-forward)",
  group: "answer 40 commands",
  fn: async () => {
    const emulator = new AgiEmulator({
      variables: { AGISCRIPT: "oracle-agi.py" },
      subroutines: { "subs,greet,1": () => {} },
    });
    for (const line of commands) await emulator.execute(line);
    emulator.close();
  },
});
