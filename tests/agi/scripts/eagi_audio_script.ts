#!/usr/bin/env -S deno run --allow-read=/dev/fd/3
// Copyright the @pyst/asterisk authors. MIT license.
/**
 * An EAGI script for `tests/agi/eagi_audio_test.ts`: reads the audio on
 * fd 3 to its end and reports its length and a checksum with VERBOSE.
 *
 * @module
 */
import { openEagiAudio, runAgi } from "../../../agi/mod.ts";

await runAgi(async (agi) => {
  let bytes = 0;
  let sum = 0;
  for await (const chunk of openEagiAudio(agi.env, { chunkSize: 320 })) {
    bytes += chunk.length;
    for (const byte of chunk) sum = (sum * 31 + byte) % 1_000_000_007;
  }
  await agi.verbose(`audio ${bytes} ${sum}`);
});
