// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Error classes of the config module. Each sets a stable `name`, accepts
 * `{ cause }`, and keeps the evidence (file, line, column, the offending
 * text) as readonly fields.
 *
 * @module
 */

/**
 * Why Asterisk rejects a config file (`CONFIG_STATUS_FILEINVALID`):
 *
 * - `missing-bracket`: a section header without `]`.
 * - `missing-paren`: section options without `)`.
 * - `missing-base`: `[name](base)` names a section that does not exist.
 * - `missing-append-target`: `[name](+)` finds no section to append to.
 * - `no-category`: a `key = value` line before any section.
 * - `invalid-escape`: a line starting with `\` and then a blank or nothing.
 * - `missing-include`: `#include` of a file that does not exist.
 * - `include-depth`: `#include` deeper than the include depth limit.
 * - `comment-nesting`: more block comments open at once than Asterisk
 *   supports (128); Asterisk itself loops forever on such a file.
 * - `exec-failed`: the `#exec` runner failed, so its output does not exist.
 */
export type ConfigSyntaxErrorCode =
  | "missing-bracket"
  | "missing-paren"
  | "missing-base"
  | "missing-append-target"
  | "no-category"
  | "invalid-escape"
  | "missing-include"
  | "include-depth"
  | "comment-nesting"
  | "exec-failed";

/** Options of {@linkcode ConfigSyntaxError}. */
export interface ConfigSyntaxErrorOptions {
  /** What is wrong, as a stable code. */
  code: ConfigSyntaxErrorCode;
  /** The file (path or name) that holds the bad line. */
  file: string;
  /** 1-based line number of the bad line. */
  line: number;
  /** 1-based column (UTF-16 code units) where the problem starts. */
  column: number;
  /** The bad line as written, without its line break. */
  text: string;
  /** The underlying error, if any. @default {undefined} */
  cause?: unknown;
}

/**
 * Config text that Asterisk would refuse to load: the whole file is invalid
 * (`Config file has invalid format` over AMI).
 *
 * @example Reading where the problem is
 * ```ts
 * import { ConfigSyntaxError, resolveConfigSync } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => resolveConfigSync("[general\nfoo = bar\n", { file: "x.conf" }),
 *   (error: unknown) =>
 *     error instanceof ConfigSyntaxError && error.code === "missing-bracket" &&
 *     error.file === "x.conf" && error.line === 1 && error.column === 1,
 * );
 * ```
 */
export class ConfigSyntaxError extends SyntaxError {
  /** What is wrong, as a stable code. */
  readonly code: ConfigSyntaxErrorCode;
  /** The file (path or name) that holds the bad line. */
  readonly file: string;
  /** 1-based line number of the bad line. */
  readonly line: number;
  /** 1-based column (UTF-16 code units) where the problem starts. */
  readonly column: number;
  /** The bad line as written, without its line break. */
  readonly text: string;

  /**
   * Creates a config syntax error.
   *
   * @param message What failed, sentence case, no final period.
   * @param options The code, the position and the offending text.
   */
  constructor(message: string, options: ConfigSyntaxErrorOptions) {
    super(message, { cause: options.cause });
    this.name = "ConfigSyntaxError";
    this.code = options.code;
    this.file = options.file;
    this.line = options.line;
    this.column = options.column;
    this.text = options.text;
  }
}

/** Options of {@linkcode ConfigNotFoundError}. */
export interface ConfigNotFoundErrorOptions {
  /** The path that was looked for, after joining with the config directory. */
  path: string;
  /** The underlying error, if any. @default {undefined} */
  cause?: unknown;
}

/**
 * The top-level config file does not exist (or matches no file, or is not a
 * regular file): AMI answers `Config file not found`.
 *
 * @example Reading the missing path
 * ```ts
 * import { ConfigNotFoundError } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * const error = new ConfigNotFoundError(
 *   'Cannot load config "nope.conf": file not found',
 *   { path: "/etc/asterisk/nope.conf" },
 * );
 * assert.equal(error.name, "ConfigNotFoundError");
 * assert.equal(error.path, "/etc/asterisk/nope.conf");
 * ```
 */
export class ConfigNotFoundError extends Error {
  /** The path that was looked for. */
  readonly path: string;

  /**
   * Creates a not-found error.
   *
   * @param message What failed, sentence case, no final period.
   * @param options The path and an optional cause.
   */
  constructor(message: string, options: ConfigNotFoundErrorOptions) {
    super(message, { cause: options.cause });
    this.name = "ConfigNotFoundError";
    this.path = options.path;
  }
}

/** Options of {@linkcode ConfigAccessError}. */
export interface ConfigAccessErrorOptions {
  /** The path (or pattern) that was refused. */
  path: string;
  /** The config directory it had to stay in. */
  configDir: string;
  /** The file holding the `#include`, when there is one. @default {undefined} */
  file?: string;
  /** 1-based line of the `#include`, when there is one. @default {undefined} */
  line?: number;
  /** The underlying error, if any. @default {undefined} */
  cause?: unknown;
}

/**
 * An `#include` or `#tryinclude` points outside the config directory (by an
 * absolute path, a `..` segment or a symbolic link) and the caller did not
 * allow that. Asterisk itself would follow it; this library refuses by
 * default.
 *
 * @example Reading the refused path
 * ```ts
 * import { ConfigAccessError, resolveConfigSync } from "@pyst/asterisk/config";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => resolveConfigSync("[a]\n#include ../../etc/passwd\n", { configDir: "/etc/asterisk" }),
 *   (error: unknown) =>
 *     error instanceof ConfigAccessError && error.path === "../../etc/passwd",
 * );
 * ```
 */
export class ConfigAccessError extends Error {
  /** The path (or pattern) that was refused. */
  readonly path: string;
  /** The config directory it had to stay in. */
  readonly configDir: string;
  /** The file holding the `#include`, when there is one. */
  readonly file: string | undefined;
  /** 1-based line of the `#include`, when there is one. */
  readonly line: number | undefined;

  /**
   * Creates an access error.
   *
   * @param message What failed, sentence case, no final period.
   * @param options The refused path, the config directory and the position.
   */
  constructor(message: string, options: ConfigAccessErrorOptions) {
    super(message, { cause: options.cause });
    this.name = "ConfigAccessError";
    this.path = options.path;
    this.configDir = options.configDir;
    this.file = options.file;
    this.line = options.line;
  }
}
