// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: `pyst astemu`, an AMI emulator to point AMI tools at, printing
 * every action it receives.
 *
 * @module
 */
import {
  type AmiEmulatorOptions,
  type AmiEmulatorUser,
  startAmiEmulator,
} from "../astemu/mod.ts";
import { integerFlag, parseArgs, UsageError } from "./_args.ts";
import type { CliIo } from "./_io.ts";
import { requirePermissions } from "./_permissions.ts";

/** Help text. */
export const ASTEMU_HELP: string = `\
Usage: pyst astemu [--port N] [--user NAME:SECRET[:READ[:WRITE]]]... [options]

Starts an emulated Asterisk Manager Interface (AMI) that any AMI client
takes for a real Asterisk: banner, plain and MD5 login, permissions, Ping,
Command, Originate with its channel events, event lists, Getvar/Setvar,
DBGet/DBPut, UserEvent. Prints every action it receives (secrets masked);
Ctrl-C stops it.

  pyst astemu --port 5038
  pyst astemu --port 0 --user ops:pw:call,system:originate --command "core show calls=2 active calls"

Options:
  --port N            port to listen on (default 5038; 0 picks a free one)
  --hostname HOST     address to listen on (default 127.0.0.1)
  --user NAME:SECRET[:READ[:WRITE]]
                      a manager user with read/write classes (repeatable;
                      default admin:admin with all rights)
  --command "LINE=OUTPUT"
                      output of a CLI command for the Command action
                      (repeatable; \\n for new lines)
  --version V         AMI version in the banner (default 13.0.0)
  --legacy-command    answer Command in the pre-Asterisk-14 Response: Follows form
  --verbose           print what is sent too
  -h, --help          this text

Permissions: --allow-net=127.0.0.1 (--allow-net=HOST for another --hostname)
`;

/**
 * Runs the subcommand until `io.signal` aborts.
 *
 * @param args The arguments after `astemu`.
 * @param io The I/O.
 * @returns The exit status.
 */
export async function astemu(
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  const parsed = parseArgs(args, {
    port: "string",
    hostname: "string",
    user: "list",
    command: "list",
    version: "string",
    "legacy-command": "boolean",
    verbose: "boolean",
    help: "boolean",
  }, { h: "help" });
  if (parsed.booleans.has("help")) {
    await io.write(ASTEMU_HELP);
    return 0;
  }
  if (parsed.positionals.length > 0) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(parsed.positionals[0])}`,
    );
  }
  const port = integerFlag(parsed, "port") ?? 5038;
  if (port > 65535) throw new UsageError(`--port must be at most 65535`);
  const hostname = parsed.strings.get("hostname") ?? "127.0.0.1";
  const users: Record<string, AmiEmulatorUser> = {};
  for (const text of parsed.lists.get("user") ?? []) {
    const [name, secret, read, write] = text.split(":");
    if (!name || secret === undefined) {
      throw new UsageError(
        `--user needs NAME:SECRET[:READ[:WRITE]], got ${JSON.stringify(text)}`,
      );
    }
    users[name] = {
      secret,
      ...(read ? { read } : {}),
      ...(write ? { write } : {}),
    };
  }
  const commands: Record<string, string> = {};
  for (const text of parsed.lists.get("command") ?? []) {
    const equals = text.indexOf("=");
    if (equals < 1) {
      throw new UsageError(
        `--command needs "LINE=OUTPUT", got ${JSON.stringify(text)}`,
      );
    }
    commands[text.slice(0, equals)] = text.slice(equals + 1).replaceAll(
      "\\n",
      "\n",
    );
  }
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const where = port === 0 ? host : `${host}:${port}`;
  await requirePermissions(
    io,
    `Cannot start AMI emulator on ${JSON.stringify(where)}`,
    [{ name: "net", host: where }],
  );
  const verbose = parsed.booleans.has("verbose");
  const decoder = new TextDecoder();
  let output = Promise.resolve();
  const show = (session: number, arrow: string, data: Uint8Array) => {
    const lines = decoder.decode(data).split("\n")
      .map((line) => line.replace(/\r$/, ""))
      .filter((line) => line !== "")
      // Secrets are never printed (a Key is an MD5 of one).
      .map((line) => line.replace(/^(secret|key)(\s*:).*$/i, "$1$2 ***"))
      .map((line) => `[${session}] ${arrow} ${line}\n`);
    output = output.then(() => io.write(lines.join("")));
  };
  const options: AmiEmulatorOptions = {
    hostname,
    port,
    onTrace: (trace) => {
      if (trace.direction === "in") show(trace.session, ">>", trace.data);
      else if (verbose) show(trace.session, "<<", trace.data);
    },
  };
  if (Object.keys(users).length > 0) options.users = users;
  if (Object.keys(commands).length > 0) options.commands = commands;
  const version = parsed.strings.get("version");
  if (version !== undefined) options.version = version;
  if (parsed.booleans.has("legacy-command")) options.commandStyle = "follows";
  await using emulator = await startAmiEmulator(options);
  await io.write(
    `AMI emulator listening on ${emulator.hostname}:${emulator.port} (users: ${
      Object.keys(options.users ?? { admin: true }).join(", ")
    })\n`,
  );
  if (!io.signal.aborted) {
    await new Promise<void>((resolve) =>
      io.signal.addEventListener("abort", () => resolve(), { once: true })
    );
  }
  await output;
  await io.write("AMI emulator stopped\n");
  return 0;
}
