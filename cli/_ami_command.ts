// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: `pyst ami command "core show channels"`.
 *
 * @module
 */
import { AmiActionError } from "../manager/mod.ts";
import {
  AMI_FLAGS,
  AMI_FLAGS_HELP,
  openAmi,
  resolveAmiTarget,
} from "./_ami_connect.ts";
import { parseArgs, UsageError } from "./_args.ts";
import type { CliIo } from "./_io.ts";

/** Help text. */
export const AMI_COMMAND_HELP: string = `\
Usage: pyst ami command "CLI COMMAND" [options]

Runs an Asterisk CLI command through the Manager's Command action and prints
its output (both the Output: form of Asterisk 14+ and the older
Response: Follows form). Several words without quotes are joined by spaces.

  pyst ami command "core show channels"
  pyst ami command pjsip show endpoints

${AMI_FLAGS_HELP}
Permissions: --allow-net=HOST:PORT (e.g. --allow-net=127.0.0.1:5038)
Exit status: 0 success, 1 the command failed or no connection, 2 usage or permission.
`;

/**
 * Runs the subcommand.
 *
 * @param args The arguments after `ami command`.
 * @param io The I/O.
 * @returns The exit status.
 */
export async function amiCommand(
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  const parsed = parseArgs(args, AMI_FLAGS, { h: "help" });
  if (parsed.booleans.has("help")) {
    await io.write(AMI_COMMAND_HELP);
    return 0;
  }
  const command = parsed.positionals.join(" ").trim();
  if (command === "") throw new UsageError("missing the CLI command");
  const target = await resolveAmiTarget(parsed, io);
  await using client = await openAmi(target, io);
  try {
    const output = await client.command(
      command,
      target.timeout === undefined ? {} : { timeout: target.timeout },
    );
    await io.write(output === "" ? "" : `${output}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof AmiActionError)) throw error;
    const output = error.reply.getAll("Output").join("\n");
    if (output !== "") await io.write(`${output}\n`);
    await io.error(`${error.message}\n`);
    return 1;
  }
}
