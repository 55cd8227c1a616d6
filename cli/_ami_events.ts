// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: `pyst ami events [--filter EXPR…] [--count N]`.
 *
 * @module
 */
import type { AmiMessage } from "../manager/mod.ts";
import {
  AMI_FLAGS,
  AMI_FLAGS_HELP,
  openAmi,
  resolveAmiTarget,
} from "./_ami_connect.ts";
import { integerFlag, parseArgs, UsageError } from "./_args.ts";
import { CliFailure, type CliIo } from "./_io.ts";

/** Help text. */
export const AMI_EVENTS_HELP: string = `\
Usage: pyst ami events [--filter EXPR...] [--count N] [options]

Prints the events Asterisk sends, one JSON object per line, as they arrive
(repeated headers become arrays), for piping into jq. Runs until Ctrl-C,
--count events, or the connection ends; reconnects when Asterisk restarts
unless --no-reconnect.

  pyst ami events --filter Hangup | jq -r '.Channel + " " + ."Cause-txt"'
  pyst ami events --filter Newchannel,Hangup --filter Context=from-pstn
  pyst ami events --mask call,agi --count 10

Options:
  --filter EXPR     keep only matching events (repeatable; all must match):
                    NAME[,NAME...]  the event is one of these (any case)
                    KEY=VALUE       a header has this value (* matches anything)
  --count N         stop after N events
  --mask LIST       ask Asterisk only for these event classes (call,agi,...)
  --no-reconnect    end when the connection ends instead of reconnecting
${AMI_FLAGS_HELP}
Permissions: --allow-net=HOST:PORT (e.g. --allow-net=127.0.0.1:5038)
Exit status: 0 stopped or done, 1 no connection or connection lost, 2 usage or permission.
`;

/**
 * Builds the event predicate of the `--filter` expressions.
 *
 * @param expressions The expressions.
 * @returns The predicate, or `undefined` for none.
 * @throws {UsageError} On an empty expression.
 */
export function eventPredicate(
  expressions: readonly string[],
): ((event: AmiMessage) => boolean) | undefined {
  if (expressions.length === 0) return undefined;
  const tests = expressions.map((expression) => {
    const equals = expression.indexOf("=");
    if (equals === -1) {
      const names = expression.split(",").map((name) => name.trim())
        .filter((name) => name !== "").map((name) => name.toLowerCase());
      if (names.length === 0) {
        throw new UsageError(`--filter needs an event name or KEY=VALUE`);
      }
      return (event: AmiMessage) =>
        names.includes((event.event ?? "").toLowerCase());
    }
    const key = expression.slice(0, equals).trim();
    if (key === "") {
      throw new UsageError(
        `--filter needs a header name before "=", got ${
          JSON.stringify(expression)
        }`,
      );
    }
    const pattern = globToRegExp(expression.slice(equals + 1));
    return (event: AmiMessage) =>
      event.getAll(key).some((value) => pattern.test(value));
  });
  return (event) => tests.every((test) => test(event));
}

function globToRegExp(glob: string): RegExp {
  const source = glob.split("*").map((part) =>
    part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  ).join(".*");
  return new RegExp(`^${source}$`, "is");
}

/**
 * Runs the subcommand.
 *
 * @param args The arguments after `ami events`.
 * @param io The I/O.
 * @returns The exit status.
 */
export async function amiEvents(
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  const parsed = parseArgs(args, {
    ...AMI_FLAGS,
    filter: "list",
    count: "string",
    mask: "string",
    "no-reconnect": "boolean",
  }, { h: "help" });
  if (parsed.booleans.has("help")) {
    await io.write(AMI_EVENTS_HELP);
    return 0;
  }
  if (parsed.positionals.length > 0) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(parsed.positionals[0])}`,
    );
  }
  const predicate = eventPredicate(parsed.lists.get("filter") ?? []);
  const count = integerFlag(parsed, "count", 1);
  const mask = parsed.strings.get("mask");
  const reconnect = !parsed.booleans.has("no-reconnect");
  const target = await resolveAmiTarget(parsed, io);
  await using client = await openAmi(target, io, {
    reconnect,
    ...(mask === undefined ? {} : { events: mask }),
  });
  client.addEventListener("reconnecting", (event) => {
    void io.error(
      `reconnecting to AMI (attempt ${event.detail.attempt}) in ${
        Math.round(event.detail.delayMs)
      } ms\n`,
    );
  });
  client.addEventListener("reconnected", () => {
    void io.error("reconnected to AMI\n");
  });
  let lost: unknown;
  client.addEventListener("disconnected", (event) => {
    if (event.detail.error !== undefined) lost = event.detail.error;
  });
  const subscription = client.events({
    ...(predicate === undefined ? {} : { filter: predicate }),
    signal: io.signal,
  });
  await io.error(
    `listening for AMI events on ${target.hostname}:${target.port} (Ctrl-C stops)\n`,
  );
  let printed = 0;
  try {
    for await (const event of subscription) {
      await io.write(JSON.stringify(event.toObject()) + "\n");
      if (++printed === count) break;
    }
  } catch (error) {
    if (io.signal.aborted) return 0;
    throw new CliFailure(
      `Cannot read AMI events: connection lost: ${
        error instanceof Error ? error.message : String(error)
      }`,
      1,
      { cause: error },
    );
  }
  if (subscription.dropped > 0) {
    await io.error(`${subscription.dropped} events were dropped\n`);
  }
  if (printed !== count && !io.signal.aborted && lost !== undefined) {
    await io.error(
      `Cannot read AMI events: connection lost: ${
        lost instanceof Error ? lost.message : String(lost)
      }\n`,
    );
    return 1;
  }
  return 0;
}
