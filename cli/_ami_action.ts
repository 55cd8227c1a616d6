// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: `pyst ami action NAME [KEY=VALUE…]`.
 *
 * @module
 */
import { AmiActionError, type AmiMessage } from "../manager/mod.ts";
import type { AmiAction } from "../manager/mod.ts";
import {
  AMI_FLAGS,
  AMI_FLAGS_HELP,
  openAmi,
  resolveAmiTarget,
} from "./_ami_connect.ts";
import { parseArgs, UsageError } from "./_args.ts";
import type { CliIo } from "./_io.ts";

/** Help text. */
export const AMI_ACTION_HELP: string = `\
Usage: pyst ami action NAME [KEY=VALUE...] [options]

Sends one Manager action and prints the reply as AMI text (or JSON with
--json). An action that answers with an event list (CoreShowChannels,
Status, QueueStatus...) prints the list's events too. A key given twice
sends the header twice (Variable=A=1 Variable=B=2).

  pyst ami action Ping
  pyst ami action Getvar Channel=PJSIP/100-00000001 Variable=CALLERID(num)
  pyst ami action CoreShowChannels --json | jq .Channel

Options:
  --json            one JSON object per packet instead of AMI text
${AMI_FLAGS_HELP}
Permissions: --allow-net=HOST:PORT (e.g. --allow-net=127.0.0.1:5038)
Exit status: 0 success, 1 Response: Error or no connection, 2 usage or permission.
`;

/**
 * Builds the action from its name and `KEY=VALUE` arguments.
 *
 * @param name The action name.
 * @param pairs The headers.
 * @returns The action.
 * @throws {UsageError} On an argument without `=` or an `Action` header.
 */
export function buildAction(name: string, pairs: readonly string[]): AmiAction {
  const headers = new Map<string, string[]>();
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    if (equals <= 0) {
      throw new UsageError(
        `expected KEY=VALUE, got ${JSON.stringify(pair)}`,
      );
    }
    const key = pair.slice(0, equals);
    if (key.toLowerCase() === "action") {
      throw new UsageError("give the action as NAME, not as Action=NAME");
    }
    headers.set(key, [...(headers.get(key) ?? []), pair.slice(equals + 1)]);
  }
  const action: Record<string, string | string[]> = { Action: name };
  for (const [key, values] of headers) {
    action[key] = values.length === 1 ? values[0]! : values;
  }
  return action as AmiAction;
}

/**
 * Formats a packet as AMI text (`Key: Value` lines and a blank line) or as
 * one JSON line.
 *
 * @param message The packet.
 * @param json Whether to use JSON.
 * @returns The text.
 */
export function formatPacket(message: AmiMessage, json: boolean): string {
  if (json) return JSON.stringify(message.toObject()) + "\n";
  return message.fields.map(([key, value]) =>
    key === "" ? `${value}\n` : `${key}: ${value}\n`
  ).join("") + "\n";
}

/**
 * Runs the subcommand.
 *
 * @param args The arguments after `ami action`.
 * @param io The I/O.
 * @returns The exit status.
 */
export async function amiAction(
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  const parsed = parseArgs(args, { ...AMI_FLAGS, json: "boolean" }, {
    h: "help",
  });
  if (parsed.booleans.has("help")) {
    await io.write(AMI_ACTION_HELP);
    return 0;
  }
  const [name, ...pairs] = parsed.positionals;
  if (name === undefined || name === "") {
    throw new UsageError("missing action NAME");
  }
  const action = buildAction(name, pairs);
  const json = parsed.booleans.has("json");
  const target = await resolveAmiTarget(parsed, io);
  await using client = await openAmi(target, io);
  const options = target.timeout === undefined
    ? {}
    : { timeout: target.timeout };
  try {
    const { response, events, complete } = await client.sendList(
      action,
      options,
    );
    await io.write(formatPacket(response, json));
    for (const event of events) await io.write(formatPacket(event, json));
    if (complete !== undefined) await io.write(formatPacket(complete, json));
    return 0;
  } catch (error) {
    if (!(error instanceof AmiActionError)) throw error;
    await io.write(formatPacket(error.reply, json));
    await io.error(`${error.message}\n`);
    return 1;
  }
}
