// Copyright the @pyst/asterisk authors. MIT license.

import type { ConfigExecRunner } from "./resolve_config.ts";
import type { ResolvedConfig } from "./resolved_config.ts";
import { loadConfig } from "./load_config.ts";
import { denoConfigHost, runShell } from "./_deno_host.ts";
import { CONFIG_DIR, MAX_FILE_BYTES } from "./_defaults.ts";

/** Options of {@linkcode readConfigFile}. */
export interface ReadConfigFileOptions {
  /**
   * Asterisk's config directory: a relative `path` and every relative
   * include are read from here. Reading needs `--allow-read` on it.
   *
   * @default {"/etc/asterisk"}
   */
  configDir?: string;
  /**
   * Run `#exec` commands: `true` runs them with `sh -c` (needs
   * `--allow-run=sh`), a function runs them itself. Off, `#exec` lines are
   * ignored with a warning.
   *
   * @default {false}
   */
  exec?: boolean | ConfigExecRunner;
  /** Aborts a running `#exec` command. @default {undefined} */
  signal?: AbortSignal;
  /**
   * Follow includes (and symbolic links) that lead outside the config
   * directory.
   *
   * @default {false}
   */
  allowOutsideConfigDir?: boolean;
  /** Throw for a bad line in an included file too. @default {false} */
  strict?: boolean;
  /** Largest file (and `#exec` output) read, in bytes. @default {67108864} */
  maxFileBytes?: number;
  /** Asterisk's include depth limit, the top file included. @default {10} */
  maxIncludeDepth?: number;
  /** Most files one read may load (include loops multiply). @default {10000} */
  maxFiles?: number;
  /** Longest line read, in UTF-8 bytes without the line feed. @default {8190} */
  maxLineBytes?: number;
}

/**
 * Reads a config file from disk and resolves it as Asterisk would, includes
 * and globs included. The Deno adapter of {@linkcode loadConfig}.
 *
 * @param path The file, relative to the config directory, or absolute.
 * @param options The config directory, `#exec`, limits.
 * @returns The resolved configuration, with Asterisk's warnings.
 * @throws {ConfigNotFoundError} If no file matches `path`.
 * @throws {ConfigSyntaxError} If Asterisk would reject the file.
 * @throws {ConfigAccessError} If an include or symbolic link leaves the
 * config directory.
 * @throws {LimitExceededError} If a file is too big or too many are read.
 * @throws {Deno.errors.NotCapable} Without read permission.
 *
 * @example Reading a file and looking up a value
 * ```ts ignore
 * import { readConfigFile } from "@pyst/asterisk/config";
 *
 * // deno run --allow-read=/etc/asterisk
 * const config = await readConfigFile("pjsip.conf");
 * console.log(config.category("6001", "type=endpoint")?.get("context"));
 * ```
 *
 * @example Reading from a directory of your own
 * ```ts
 * import { readConfigFile } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const config = await readConfigFile("extensions.conf", {
 *   configDir: "tests/fixtures/config",
 * });
 * assert.equal(config.get("globals", "FASTAGI_PORT"), "14573");
 * assert.equal(config.getAll("internal", "include")[0], "subs");
 * ```
 */
export function readConfigFile(
  path: string,
  options: ReadConfigFileOptions = {},
): Promise<ResolvedConfig> {
  const configDir = options.configDir ?? CONFIG_DIR;
  const maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  const allowOutsideConfigDir = options.allowOutsideConfigDir ?? false;
  const exec: ConfigExecRunner | undefined = options.exec === true
    ? (command) => runShell(command, maxFileBytes, options.signal)
    : options.exec === false
    ? undefined
    : options.exec;
  return loadConfig(path, {
    configDir,
    host: denoConfigHost({ configDir, allowOutsideConfigDir, maxFileBytes }),
    allowOutsideConfigDir,
    ...(exec === undefined ? {} : { exec }),
    ...(options.strict === undefined ? {} : { strict: options.strict }),
    ...(options.maxIncludeDepth === undefined
      ? {}
      : { maxIncludeDepth: options.maxIncludeDepth }),
    ...(options.maxFiles === undefined ? {} : { maxFiles: options.maxFiles }),
    ...(options.maxLineBytes === undefined
      ? {}
      : { maxLineBytes: options.maxLineBytes }),
  });
}
