// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: `pyst astemu`, the AMI emulator's own CLI.
 *
 * @module
 */
import type { CliIo } from "./_io.ts";

/**
 * Runs the subcommand.
 *
 * @param _args The arguments after `astemu`.
 * @param io The I/O.
 * @returns The exit status.
 */
export async function astemu(
  _args: readonly string[],
  io: CliIo,
): Promise<number> {
  // TODO(#8): delegate to astemu/main.ts once it lands.
  await io.error("astemu: not available yet\n");
  return 1;
}
