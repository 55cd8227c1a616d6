// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helper: every fuzz target, by name, with the input sizes used by
 * the long run (`deno task fuzz`) and by the short CI run.
 *
 * @module
 */

import type { FuzzTarget } from "./_harness.ts";
import {
  agiEnvironmentTarget,
  agiReplyTarget,
  agiSessionTarget,
} from "./_target_agi.ts";
import { amiClientTarget, amiEmulatorTarget } from "./_target_ami.ts";
import { amiDecoderTarget } from "./_target_ami_decoder.ts";
import { configTarget } from "./_target_config.ts";
import { fastAgiTarget } from "./_target_fastagi.ts";

/** How big the generated inputs get. */
export type FuzzScale = "ci" | "long";

/** Builds every target for a scale. */
export function allTargets(scale: FuzzScale): FuzzTarget[] {
  const big = scale === "long";
  return [
    amiDecoderTarget({ maxBytes: big ? 1_048_576 : 65_536 }),
    agiReplyTarget({ maxBytes: big ? 262_144 : 16_384 }),
    agiEnvironmentTarget({ maxBytes: big ? 262_144 : 16_384 }),
    agiSessionTarget({ maxBytes: big ? 65_536 : 4096 }),
    configTarget({ maxBytes: big ? 262_144 : 16_384 }),
    fastAgiTarget({ maxBytes: big ? 65_536 : 4096 }),
    amiEmulatorTarget({ maxBytes: big ? 65_536 : 8192 }),
    amiClientTarget({ maxBytes: big ? 65_536 : 16_384 }),
  ];
}
