// Copyright the @pyst/asterisk authors. MIT license.
import { agiRun } from "./_agi_run.ts";
import { amiAction } from "./_ami_action.ts";
import { amiCommand } from "./_ami_command.ts";
import { amiEvents } from "./_ami_events.ts";
import { UsageError, wantsHelp } from "./_args.ts";
import { astemu } from "./_astemu.ts";
import { config } from "./_config.ts";
import { CliFailure, type CliIo } from "./_io.ts";

/** The `pyst` help text. */
const PYST_USAGE = `\
Usage: pyst <command> [options]

Everyday Asterisk jobs from the command line, with the narrowest Deno
permissions each.

Commands:
  ami action NAME [KEY=VALUE...]  send a Manager action, print the reply
  ami command "CLI COMMAND"       run a CLI command over AMI, print its output
  ami events [--filter EXPR...]   print events as JSON lines (for jq)
  agi run SCRIPT                  run an AGI script against an emulated call
  config dump FILE                print a .conf file as Asterisk resolves it
  config lint FILE                print what Asterisk would warn about
  astemu [options]                start an emulated Asterisk (AMI)

"pyst <command> --help" shows a command's options and the permissions it
needs. Without a permission a command stops at once and names the flag to
add, e.g. --allow-net=127.0.0.1:5038.

Run it as: deno run [permissions] jsr:@pyst/asterisk/cli <command> ...
`;

/** Options of {@linkcode runPystCli}: where its I/O goes. */
export interface RunPystCliOptions {
  /**
   * Writes to standard output.
   *
   * @default {writing to `Deno.stdout`}
   */
  write?: (text: string) => void | Promise<void>;
  /**
   * Writes to standard error.
   *
   * @default {writing to `Deno.stderr`}
   */
  error?: (text: string) => void | Promise<void>;
  /**
   * Tells whether a permission is granted, without prompting.
   *
   * @default {`Deno.permissions.query`}
   */
  queryPermission?: (
    descriptor: Deno.PermissionDescriptor,
  ) => Promise<Deno.PermissionState>;
  /**
   * Reads an environment variable; called only for a variable whose
   * permission `queryPermission` says is granted.
   *
   * @default {`Deno.env.get`}
   */
  getEnv?: (name: string) => string | undefined;
  /**
   * Stops long-running commands (`ami events`, `astemu`) when aborted.
   *
   * @default {a signal that never aborts}
   */
  signal?: AbortSignal;
}

type Subcommand = (args: readonly string[], io: CliIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, Readonly<Record<string, Subcommand>>>> =
  {
    ami: { action: amiAction, command: amiCommand, events: amiEvents },
    agi: { run: agiRun },
  };

const encoder = new TextEncoder();

async function writeAll(
  target: { write(p: Uint8Array): Promise<number> },
  text: string,
): Promise<void> {
  let bytes = encoder.encode(text);
  while (bytes.byteLength > 0) {
    bytes = bytes.subarray(await target.write(bytes));
  }
}

/**
 * Runs the `pyst` command line: `ami action|command|events`, `agi run`,
 * `config dump|lint` and `astemu`. Each subcommand checks the permissions
 * it needs with `Deno.permissions.query` before using them and, if one is
 * missing, stops with a message naming the exact `--allow-…` flag. Reads
 * credentials from flags or, where `--allow-env` grants it, from
 * `ASTERISK_AMI_HOST`, `ASTERISK_AMI_PORT`, `ASTERISK_AMI_USERNAME` and
 * `ASTERISK_AMI_SECRET`.
 *
 * @param args The arguments, without the program name.
 * @param options Where output goes, how permissions and the environment are
 * read, and a signal that stops long-running commands.
 * @returns The exit status: 0 success, 1 failure, 2 usage or permission.
 *
 * @example Asking for help
 * ```ts
 * import { runPystCli } from "@pyst/asterisk/cli";
 * import assert from "node:assert/strict";
 *
 * let out = "";
 * const status = await runPystCli(["--help"], { write: (text) => void (out += text) });
 * assert.equal(status, 0);
 * assert.match(out, /ami events/);
 * ```
 *
 * @example A missing permission names the flag
 * ```ts
 * import { runPystCli } from "@pyst/asterisk/cli";
 * import assert from "node:assert/strict";
 *
 * let err = "";
 * const status = await runPystCli(
 *   ["ami", "action", "Ping", "--username", "admin", "--secret", "x", "--host", "pbx.example.net"],
 *   {
 *     error: (text) => void (err += text),
 *     queryPermission: () => Promise.resolve("prompt"),
 *   },
 * );
 * assert.equal(status, 2);
 * assert.match(err, /run with --allow-net=pbx\.example\.net:5038$/m);
 * ```
 */
export async function runPystCli(
  args: readonly string[],
  options: RunPystCliOptions = {},
): Promise<number> {
  const write = options.write ?? ((text) => writeAll(Deno.stdout, text));
  const error = options.error ?? ((text) => writeAll(Deno.stderr, text));
  const io: CliIo = {
    write: async (text) => void await write(text),
    error: async (text) => void await error(text),
    queryPermission: options.queryPermission ??
      (async (descriptor) => (await Deno.permissions.query(descriptor)).state),
    getEnv: options.getEnv ?? ((name) => Deno.env.get(name)),
    signal: options.signal ?? new AbortController().signal,
  };
  const [name, ...rest] = args;
  if (name === undefined) {
    await io.error(PYST_USAGE);
    return 2;
  }
  if (name === "help" || name === "-h" || name === "--help") {
    await io.write(PYST_USAGE);
    return 0;
  }
  let run: Subcommand | undefined;
  let subArgs = rest;
  let usage = PYST_USAGE;
  if (name === "config") run = config;
  else if (name === "astemu") run = astemu;
  else if (Object.hasOwn(COMMANDS, name)) {
    const group = COMMANDS[name]!;
    const [verb, ...more] = rest;
    const names = Object.keys(group).join(", ");
    if (verb === undefined || wantsHelp([verb])) {
      await (verb === undefined ? io.error : io.write)(
        `Usage: pyst ${name} <${Object.keys(group).join("|")}> ...\n\n` +
          `Run "pyst ${name} <${
            names.replaceAll(", ", "|")
          }> --help" for details.\n`,
      );
      return verb === undefined ? 2 : 0;
    }
    if (!Object.hasOwn(group, verb)) {
      await io.error(
        `Cannot run pyst ${name}: unknown command ${
          JSON.stringify(verb)
        } (expected ${names})\n`,
      );
      return 2;
    }
    run = group[verb]!;
    subArgs = more;
    usage = `Run "pyst ${name} ${verb} --help" for its options.\n`;
  } else {
    await io.error(
      `Cannot run pyst: unknown command ${
        JSON.stringify(name)
      }\n\n${PYST_USAGE}`,
    );
    return 2;
  }
  try {
    return await run(subArgs, io);
  } catch (thrown) {
    if (thrown instanceof UsageError) {
      await io.error(`Cannot run pyst ${name}: ${thrown.message}\n${usage}`);
      return 2;
    }
    if (thrown instanceof CliFailure) {
      await io.error(`${thrown.message}\n`);
      return thrown.status;
    }
    if (thrown instanceof Deno.errors.BrokenPipe) return 0;
    await io.error(
      `${thrown instanceof Error ? thrown.message : String(thrown)}\n`,
    );
    return 1;
  }
}
