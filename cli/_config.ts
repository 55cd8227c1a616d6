// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: `pyst config dump|lint FILE`, the config module's own CLI.
 *
 * @module
 */
import {
  CONFIG_CLI_USAGE,
  readConfigFile,
  runConfigCli,
} from "../config/mod.ts";
import type { CliIo } from "./_io.ts";

/** Help text: the config CLI's, under its `pyst` name. */
export const CONFIG_HELP: string = CONFIG_CLI_USAGE.replaceAll(
  "config/main.ts",
  "pyst config",
);

/**
 * Runs the subcommand through `runConfigCli`.
 *
 * @param args The arguments after `config`.
 * @param io The I/O.
 * @returns The exit status.
 */
export async function config(
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  if (args.includes("-h") || args.includes("--help")) {
    await io.write(CONFIG_HELP);
    return 0;
  }
  let usageShown = false;
  return await runConfigCli(args, {
    write: (text) => io.write(text),
    error: (text) => {
      // The config CLI appends its usage to usage errors; show ours.
      const at = text.indexOf(CONFIG_CLI_USAGE);
      if (at === -1 || usageShown) return io.error(text);
      usageShown = true;
      return io.error(text.slice(0, at) + CONFIG_HELP);
    },
    queryPermission: (permission) => io.queryPermission(permission),
    readConfig: readConfigFile,
  });
}
