// Copyright the @pyst/asterisk authors. MIT license.

import {
  ConfigAccessError,
  ConfigNotFoundError,
  ConfigSyntaxError,
} from "./errors.ts";
import type { ReadConfigFileOptions } from "./read_config_file.ts";
import type { ConfigWarning, ResolvedConfig } from "./resolved_config.ts";
import { formatGetConfigJson } from "./format_get_config_json.ts";
import { lintConfig } from "./lint_config.ts";
import { toGetConfigObject } from "./to_get_config_object.ts";
import { CONFIG_DIR } from "./_defaults.ts";

/** A permission the CLI needs, in the shape of `Deno.permissions.query`. */
export type ConfigCliPermission =
  | { readonly name: "read"; readonly path: string }
  | { readonly name: "run"; readonly command: string };

/** What {@linkcode runConfigCli} does its I/O through. */
export interface ConfigCliIo {
  /** Writes to standard output. */
  write(text: string): void | Promise<void>;
  /** Writes to standard error. */
  error(text: string): void | Promise<void>;
  /** Tells whether a permission is granted (`Deno.permissions.query`). */
  queryPermission(
    permission: ConfigCliPermission,
  ): Promise<"granted" | "denied" | "prompt">;
  /** Reads and resolves a config file (`readConfigFile`). */
  readConfig(
    path: string,
    options: ReadConfigFileOptions,
  ): Promise<ResolvedConfig>;
}

/** The CLI's help text. */
export const CONFIG_CLI_USAGE: string = `\
Usage: config/main.ts <dump|lint> [options] <file>

Reads an Asterisk config file exactly as Asterisk does (includes, templates,
"+=" and the rest) and prints what Asterisk would load or warn about.

Commands:
  dump    Print the resolved configuration as Asterisk's GetConfigJSON text
  lint    Print Asterisk's warnings for the file, plus sections defined twice

Options:
  --config-dir DIR   Asterisk's config directory; <file> and includes are
                     read from it unless absolute (default ${CONFIG_DIR})
  --category NAME    dump: only categories with this name
  --filter FILTER    dump: an AMI filter, e.g. TEMPLATES=include or type=aor
  --object           dump: a JSON object with repeated keys as arrays
  --exec             run #exec commands (needs --allow-run=sh)
  --allow-outside    follow includes that leave the config directory
  --strict           a bad line in an included file fails the whole file
  -h, --help         show this help

Permissions: --allow-read on the config directory (and on <file> when it
lies outside it); --allow-run=sh with --exec.
Exit status: 0 fine, 1 invalid file or lint findings, 2 usage or permission.
`;

interface Parsed {
  command: "dump" | "lint";
  file: string;
  configDir: string;
  category?: string;
  filter?: string;
  object: boolean;
  exec: boolean;
  allowOutside: boolean;
  strict: boolean;
}

function parseArgs(args: readonly string[]): Parsed | string {
  let command: "dump" | "lint" | undefined;
  let file: string | undefined;
  const out: Omit<Parsed, "command" | "file"> = {
    configDir: CONFIG_DIR,
    object: false,
    exec: false,
    allowOutside: false,
    strict: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    switch (flag) {
      case "--config-dir": {
        const v = value();
        if (v === undefined || v === "") {
          return "--config-dir needs a directory";
        }
        out.configDir = v;
        break;
      }
      case "--category": {
        const v = value();
        if (v === undefined) return "--category needs a name";
        out.category = v;
        break;
      }
      case "--filter": {
        const v = value();
        if (v === undefined) return "--filter needs a filter";
        out.filter = v;
        break;
      }
      case "--object":
        out.object = true;
        break;
      case "--exec":
        out.exec = true;
        break;
      case "--allow-outside":
        out.allowOutside = true;
        break;
      case "--strict":
        out.strict = true;
        break;
      default:
        if (arg.startsWith("-") && arg !== "-") {
          return `unknown option ${JSON.stringify(arg)}`;
        }
        if (command === undefined) {
          if (arg !== "dump" && arg !== "lint") {
            return `unknown command ${JSON.stringify(arg)}`;
          }
          command = arg;
        } else if (file === undefined) {
          file = arg;
        } else {
          return `unexpected argument ${JSON.stringify(arg)}`;
        }
    }
  }
  if (command === undefined) return "missing command";
  if (file === undefined) return "missing file";
  return { command, file, ...out };
}

function position(w: { file: string; line: number; column: number }): string {
  return w.line > 0 ? `${w.file}:${w.line}:${w.column}` : w.file;
}

function formatFinding(w: ConfigWarning): string {
  return `${position(w)}: ${w.severity}: ${w.message} [${w.code}]\n`;
}

/**
 * The `config` CLI: `dump` prints a file's resolved configuration as
 * Asterisk's GetConfigJSON text (or, with `--object`, as a JSON object
 * with repeated keys as arrays), `lint` prints Asterisk's warnings plus
 * sections defined twice. It checks its permissions first and names the
 * exact flag that is missing. All I/O goes through `io`, so it runs in
 * tests and can be embedded in another CLI.
 *
 * @param args The command-line arguments, without the program name.
 * @param io Output, permission queries and the file reader.
 * @returns The exit status: 0 fine, 1 invalid file or lint findings, 2
 * usage or permission problems.
 *
 * @example Linting a file given by the io object
 * ```ts
 * import { resolveConfigSync, runConfigCli } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * let out = "";
 * const status = await runConfigCli(["lint", "x.conf"], {
 *   write: (text) => { out += text; },
 *   error: (text) => { out += text; },
 *   queryPermission: () => Promise.resolve("granted"),
 *   readConfig: (path) => Promise.resolve(resolveConfigSync("[a]\n#bogus\n", { file: path })),
 * });
 * assert.equal(status, 1);
 * assert.equal(out, 'x.conf:2:1: warning: Unknown directive "#bogus", line ignored [unknown-directive]\n');
 * ```
 */
export async function runConfigCli(
  args: readonly string[],
  io: ConfigCliIo,
): Promise<number> {
  if (args.includes("-h") || args.includes("--help")) {
    await io.write(CONFIG_CLI_USAGE);
    return 0;
  }
  const parsed = parseArgs(args);
  if (typeof parsed === "string") {
    await io.error(`Cannot run config CLI: ${parsed}\n\n${CONFIG_CLI_USAGE}`);
    return 2;
  }
  const missing: string[] = [];
  const readPaths = [parsed.configDir];
  if (parsed.file.startsWith("/")) readPaths.push(parsed.file);
  const deniedReads: string[] = [];
  for (const path of readPaths) {
    if ((await io.queryPermission({ name: "read", path })) !== "granted") {
      deniedReads.push(path);
    }
  }
  if (deniedReads.length > 0) {
    missing.push(`--allow-read=${deniedReads.join(",")}`);
  }
  if (
    parsed.exec &&
    (await io.queryPermission({ name: "run", command: "sh" })) !== "granted"
  ) {
    missing.push("--allow-run=sh");
  }
  if (missing.length > 0) {
    await io.error(
      `Cannot read config ${
        JSON.stringify(parsed.file)
      }: permission missing, run with ${missing.join(" ")}\n`,
    );
    return 2;
  }
  let config: ResolvedConfig;
  try {
    config = await io.readConfig(parsed.file, {
      configDir: parsed.configDir,
      exec: parsed.exec,
      allowOutsideConfigDir: parsed.allowOutside,
      strict: parsed.strict,
    });
  } catch (error) {
    if (error instanceof ConfigSyntaxError) {
      await io.error(
        `${position(error)}: error: ${error.message} [${error.code}]\n`,
      );
      return 1;
    }
    if (
      error instanceof ConfigNotFoundError || error instanceof ConfigAccessError
    ) {
      await io.error(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (parsed.command === "lint") {
    const findings = lintConfig(config);
    for (const finding of findings) await io.write(formatFinding(finding));
    return findings.length === 0 ? 0 : 1;
  }
  const options = {
    ...(parsed.category === undefined ? {} : { category: parsed.category }),
    ...(parsed.filter === undefined ? {} : { filter: parsed.filter }),
  };
  for (const warning of config.warnings) await io.error(formatFinding(warning));
  await io.write(
    parsed.object
      ? JSON.stringify(toGetConfigObject(config, options), null, 2) + "\n"
      : formatGetConfigJson(config, options) + "\n",
  );
  return 0;
}
