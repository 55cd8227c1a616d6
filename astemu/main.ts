#!/usr/bin/env -S deno run --allow-net=127.0.0.1
// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Command-line AMI emulator: starts {@linkcode startAmiEmulator} on a port
 * and prints every action it receives, so any AMI tool can be pointed at it.
 *
 * Permissions: `--allow-net=127.0.0.1` (the `astemu` set in `deno.json`:
 * `deno run -P=astemu astemu/main.ts`); another `--hostname` needs
 * `--allow-net=<hostname>`, and `--replay <file>` needs `--allow-read=<file>`.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 astemu/main.ts --port 5038 --user admin:secret
 * deno run --allow-net=127.0.0.1 astemu/main.ts --user ops:pw:call,system:originate --command "core show calls=2 active calls"
 * ```
 *
 * Options:
 * - `--port N` (default 5038; 0 picks a free port)
 * - `--hostname H` (default 127.0.0.1)
 * - `--user name:secret[:read[:write]]` (repeatable; default admin:admin)
 * - `--version V` AMI version in the banner (default 13.0.0)
 * - `--command "cli line=output"` CLI output for the `Command` action (repeatable; `\n` for new lines)
 * - `--legacy-command` answer `Command` in the pre-Asterisk-14 `Response: Follows` form
 * - `--replay FILE` serve a recorded transcript instead
 * - `--verbose` print what is sent too
 *
 * @module
 */

import { startAmiEmulator } from "./start_ami_emulator.ts";
import type { AmiEmulatorOptions, AmiEmulatorUser } from "./ami_emulator.ts";

const USAGE =
  `Usage: astemu [--port N] [--hostname H] [--user name:secret[:read[:write]]]...
              [--version V] [--command "cli line=output"]... [--legacy-command]
              [--replay FILE] [--verbose]`;

interface Flags {
  port: number;
  hostname: string;
  users: Record<string, AmiEmulatorUser>;
  version: string | undefined;
  commands: Record<string, string>;
  legacy: boolean;
  replay: string | undefined;
  verbose: boolean;
}

function parseFlags(args: readonly string[]): Flags {
  const flags: Flags = {
    port: 5038,
    hostname: "127.0.0.1",
    users: {},
    version: undefined,
    commands: {},
    legacy: false,
    replay: undefined,
    verbose: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq !== -1 ? arg.slice(0, eq) : arg;
    const value = () => {
      if (eq !== -1 && arg.startsWith("--")) return arg.slice(eq + 1);
      const next = args[++i];
      if (next === undefined) {
        throw new TypeError(`Cannot parse arguments: ${name} needs a value`);
      }
      return next;
    };
    switch (name) {
      case "--port": {
        const text = value();
        const port = Number(text);
        if (!Number.isInteger(port) || port < 0 || port > 65_535) {
          throw new TypeError(`Cannot parse arguments: invalid port "${text}"`);
        }
        flags.port = port;
        break;
      }
      case "--hostname":
        flags.hostname = value();
        break;
      case "--user": {
        const text = value();
        const [user, secret, read, write] = text.split(":");
        if (!user || secret === undefined) {
          throw new TypeError(
            `Cannot parse arguments: --user "${text}" is not name:secret[:read[:write]]`,
          );
        }
        flags.users[user] = {
          secret,
          ...(read ? { read } : {}),
          ...(write ? { write } : {}),
        };
        break;
      }
      case "--version":
        flags.version = value();
        break;
      case "--command": {
        const text = value();
        const at = text.indexOf("=");
        if (at < 1) {
          throw new TypeError(
            `Cannot parse arguments: --command "${text}" is not "cli line=output"`,
          );
        }
        flags.commands[text.slice(0, at)] = text.slice(at + 1).replaceAll(
          "\\n",
          "\n",
        );
        break;
      }
      case "--legacy-command":
        flags.legacy = true;
        break;
      case "--replay":
        flags.replay = value();
        break;
      case "--verbose":
        flags.verbose = true;
        break;
      case "--help":
      case "-h":
        console.log(USAGE);
        Deno.exit(0);
        break;
      default:
        throw new TypeError(`Cannot parse arguments: unknown option "${arg}"`);
    }
  }
  return flags;
}

/** Fails with the exact flag when a permission is missing. */
async function requirePermission(
  descriptor: Deno.PermissionDescriptor,
  flag: string,
): Promise<void> {
  const status = await Deno.permissions.query(descriptor);
  if (status.state !== "granted") {
    console.error(`astemu: missing permission: run with ${flag}`);
    Deno.exit(2);
  }
}

/** Header lines that carry a secret; their value is never printed. */
const SECRET_LINE = /^(Secret|Key)[ \t]*:/i;

function show(session: number, arrow: string, data: Uint8Array): void {
  const text = new TextDecoder().decode(data);
  for (const raw of text.split("\n")) {
    if (raw === "") continue;
    const line = raw.replace(/\r$/, "");
    const shown = SECRET_LINE.test(line)
      ? line.slice(0, line.indexOf(":") + 1) + " ***"
      : line;
    console.log(`[${session}] ${arrow} ${shown}`);
  }
}

async function main(args: readonly string[]): Promise<void> {
  let flags: Flags;
  try {
    flags = parseFlags(args);
  } catch (error) {
    console.error(`astemu: ${(error as Error).message}\n${USAGE}`);
    Deno.exit(2);
  }
  const where = flags.port === 0
    ? flags.hostname
    : `${flags.hostname}:${flags.port}`;
  await requirePermission({ name: "net", host: where }, `--allow-net=${where}`);
  const options: AmiEmulatorOptions = {
    hostname: flags.hostname,
    port: flags.port,
    onTrace: (trace) => {
      if (trace.direction === "in") show(trace.session, ">>", trace.data);
      else if (flags.verbose) show(trace.session, "<<", trace.data);
    },
  };
  if (Object.keys(flags.users).length > 0) options.users = flags.users;
  if (flags.version !== undefined) options.version = flags.version;
  if (Object.keys(flags.commands).length > 0) options.commands = flags.commands;
  if (flags.legacy) options.commandStyle = "follows";
  if (flags.replay !== undefined) {
    await requirePermission(
      { name: "read", path: flags.replay },
      `--allow-read=${flags.replay}`,
    );
    options.replay = await Deno.readTextFile(flags.replay);
  }
  const emulator = await startAmiEmulator(options);
  const users = Object.keys(options.users ?? { admin: 0 }).join(", ");
  console.log(
    `astemu: AMI emulator listening on ${emulator.hostname}:${emulator.port} (users: ${users})`,
  );
  const stop = () => {
    void emulator.close().then(() => Deno.exit(0));
  };
  Deno.addSignalListener("SIGINT", stop);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop);
}

if (import.meta.main) await main(Deno.args);
