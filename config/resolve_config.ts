// Copyright the @pyst/asterisk authors. MIT license.

import type { ConfigDocument } from "./config_document.ts";
import type { ResolvedConfig } from "./resolved_config.ts";
import { inputOf, runAsync, settingsOf } from "./_driver.ts";

/** A directory entry, as {@linkcode ConfigHost.readDir} returns it. */
export interface ConfigDirEntry {
  /** The entry's name, without any slash. */
  readonly name: string;
  /** Whether it is (or links to) a directory. */
  readonly isDirectory: boolean;
  /** Whether it is (or links to) a regular file. */
  readonly isFile: boolean;
}

/**
 * Where included files come from. The resolver does all path and glob
 * logic itself and only asks the host to read a file or list a directory,
 * so any file system (or a `Map` in a test) can serve.
 */
export interface ConfigHost {
  /**
   * Reads a file.
   *
   * @param path The path: the config directory joined with the include
   * argument (or the argument itself when absolute), globs expanded.
   * @returns The text, or `undefined` when there is no such regular file.
   */
  readFile(path: string): string | undefined | Promise<string | undefined>;
  /**
   * Lists a directory, for `#include` arguments with `*`, `?` or `[…]`.
   * Without it, such patterns match nothing.
   *
   * @param path The directory (`"."` for the current one).
   * @returns The entries in any order, or `undefined` when it is not a
   * directory.
   */
  readDir?(
    path: string,
  ):
    | readonly ConfigDirEntry[]
    | undefined
    | Promise<readonly ConfigDirEntry[] | undefined>;
}

/** What an `#exec` command produced. */
export interface ConfigExecResult {
  /** Its standard output: included as if it were a file. */
  readonly stdout: string;
  /** Its standard error: reported as warnings, as Asterisk logs it. */
  readonly stderr?: string | undefined;
  /** Its exit status: non-zero is reported as a warning. */
  readonly code?: number | undefined;
}

/**
 * Runs an `#exec` command (through a shell, as Asterisk's `popen` does).
 * Throwing makes the `#exec` line fail like a missing include.
 */
export type ConfigExecRunner = (
  command: string,
) => ConfigExecResult | Promise<ConfigExecResult>;

/** Options of {@linkcode resolveConfig} and its relatives. */
export interface ResolveConfigOptions {
  /** The name of the top-level text, for positions and warnings. @default {"<string>"} */
  file?: string;
  /**
   * Asterisk's config directory (`astetcdir`): relative includes are
   * resolved against it, never against the including file.
   *
   * @default {"/etc/asterisk"}
   */
  configDir?: string;
  /** Where included files come from; without one no file exists. @default {undefined} */
  host?: ConfigHost;
  /**
   * Runs `#exec` commands. `#exec` is ignored with a warning unless this is
   * given (Asterisk needs `execincludes = yes` for it).
   *
   * @default {undefined}
   */
  exec?: ConfigExecRunner;
  /**
   * Follow includes that leave the config directory (an absolute path
   * elsewhere or a `..` segment). Asterisk does; this library refuses with
   * a `ConfigAccessError` unless allowed.
   *
   * @default {false}
   */
  allowOutsideConfigDir?: boolean;
  /**
   * Throw for a bad line in an included file too. Asterisk only logs it,
   * stops reading that file and keeps the rest.
   *
   * @default {false}
   */
  strict?: boolean;
  /** Asterisk's include depth limit, the top file included. @default {10} */
  maxIncludeDepth?: number;
  /**
   * Most files one resolution may read (include loops multiply), then a
   * `LimitExceededError`.
   *
   * @default {10000}
   */
  maxFiles?: number;
  /** Longest line read, in UTF-8 bytes without the line feed. @default {8190} */
  maxLineBytes?: number;
}

/**
 * Resolves config text (or a parsed document) into the configuration
 * Asterisk would load: templates and inheritance applied, `(+)` appends,
 * `+=`, `#include`/`#tryinclude` through `options.host`, and `#exec` only
 * through `options.exec`.
 *
 * @param source The top-level text or document.
 * @param options The config directory, the host, limits.
 * @returns The resolved configuration, with Asterisk's warnings.
 * @throws {ConfigSyntaxError} If Asterisk would reject the file.
 * @throws {ConfigAccessError} If an include leaves the config directory.
 * @throws {LimitExceededError} If more than `maxFiles` files are read.
 *
 * @example Following an include from an in-memory file system
 * ```ts
 * import { resolveConfig } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const files = new Map([["/etc/asterisk/users.conf", "secret = s3cret\n"]]);
 * const config = await resolveConfig("[alice]\n#include users.conf\ncontext = internal\n", {
 *   host: { readFile: (path) => files.get(path) },
 * });
 * assert.equal(config.get("alice", "secret"), "s3cret");
 * assert.equal(config.get("alice", "context"), "internal");
 * ```
 */
export function resolveConfig(
  source: string | ConfigDocument,
  options: ResolveConfigOptions = {},
): Promise<ResolvedConfig> {
  try {
    return runAsync(
      inputOf(source, options),
      settingsOf(options),
      options.host,
      options,
    );
  } catch (error) {
    return Promise.reject(error);
  }
}
