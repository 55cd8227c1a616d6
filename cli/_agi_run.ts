// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: `pyst agi run SCRIPT`, the AGI emulator's own CLI
 * (`astemu/agi_main.ts`) after a permission check that names exact flags.
 *
 * @module
 */
import { main as runAgiEmulatorCli } from "../astemu/agi_main.ts";
import { parseFastAgiUrl } from "../astemu/agi_connect_fast_agi_server.ts";
import { wantsHelp } from "./_args.ts";
import type { CliIo } from "./_io.ts";
import { requirePermissions } from "./_permissions.ts";

/** Help text shown before the emulator CLI's own. */
export const AGI_RUN_HELP: string = `\
Usage: pyst agi run [options] SCRIPT.ts [ARG...]
       pyst agi run [options] -- COMMAND [ARG...]
       pyst agi run [options] agi://HOST[:PORT]/SCRIPT

Runs an AGI script against an emulated Asterisk call and prints the
dialogue as it happens: a TypeScript/JavaScript file runs as
"deno run SCRIPT" (a stdio AGI script needs no permissions of its own), any
other program after "--", and an agi:// URL is called over FastAGI.

  pyst agi run --dtmf 1 examples/stdio_ivr.ts
  pyst agi run --hangup-after 2000 agi://127.0.0.1:4573/ivr

Permissions: --allow-run=deno for SCRIPT.ts (--allow-run=COMMAND after --),
--allow-net=HOST:PORT for agi://, --allow-write=FILE with --transcript.

The emulator's options:
`;

const VALUE_FLAGS = new Set([
  "--callerid",
  "--channel",
  "--context",
  "--extension",
  "--priority",
  "--arg",
  "--var",
  "--db",
  "--sound",
  "--dtmf",
  "--hangup-after",
  "--hangup-at",
  "--transcript",
  "--timeout",
]);

/** The options and the target (script, command or URL) of the arguments. */
function split(args: readonly string[]): {
  options: string[];
  target: string[];
  transcript: string | undefined;
} {
  let transcript: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      return {
        options: args.slice(0, i),
        target: args.slice(i + 1),
        transcript,
      };
    }
    if (VALUE_FLAGS.has(arg)) {
      if (arg === "--transcript") transcript = args[i + 1];
      i++;
      continue;
    }
    if (arg.startsWith("-")) continue;
    return { options: args.slice(0, i), target: args.slice(i), transcript };
  }
  return { options: [...args], target: [], transcript };
}

/**
 * Runs the subcommand.
 *
 * @param args The arguments after `agi run`.
 * @param io The I/O.
 * @returns The exit status.
 */
export async function agiRun(
  args: readonly string[],
  io: CliIo,
): Promise<number> {
  if (wantsHelp(args)) {
    await io.write(AGI_RUN_HELP);
    return await runAgiEmulatorCli(["--help"]);
  }
  const { options, target, transcript } = split(args);
  const first = target[0];
  const needs: Deno.PermissionDescriptor[] = [];
  let command = target;
  let what = "Cannot run AGI script";
  if (first !== undefined) {
    what = `Cannot run AGI script ${JSON.stringify(first)}`;
    if (/^agi:\/\//i.test(first)) {
      const { hostname, port } = parseFastAgiUrl(first);
      const host = hostname.includes(":") ? `[${hostname}]` : hostname;
      needs.push({ name: "net", host: `${host}:${port}` });
    } else if (
      /\.(ts|tsx|mts|js|mjs|jsx)$/i.test(first) &&
      !args.includes("--")
    ) {
      command = ["deno", "run", ...target];
      needs.push({ name: "run", command: "deno" });
    } else {
      needs.push({ name: "run", command: first });
    }
  }
  if (transcript !== undefined) {
    needs.push({ name: "write", path: transcript });
  }
  await requirePermissions(io, what, needs);
  return await runAgiEmulatorCli(
    command === target ? args : [...options, "--", ...command],
  );
}
