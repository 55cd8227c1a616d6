// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: a small command-line flag parser for the `pyst` subcommands.
 *
 * @module
 */

/** How a flag takes its value. */
export type FlagKind = "string" | "boolean" | "list";

/** The flags a subcommand knows, by long name (without `--`). */
export type FlagSpec = Readonly<Record<string, FlagKind>>;

/** Parsed flags and the remaining positional arguments. */
export interface ParsedArgs {
  readonly strings: ReadonlyMap<string, string>;
  readonly booleans: ReadonlySet<string>;
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly positionals: readonly string[];
}

/** A usage problem, reported with the subcommand's help text (exit status 2). */
export class UsageError extends Error {
  /**
   * Creates a usage error.
   *
   * @param message What is wrong, e.g. `--port needs a value`.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses `--name value`, `--name=value`, boolean `--name`, repeatable list
 * flags, one-letter aliases and `--`, after which everything is positional.
 * A lone `-` and arguments that do not start with `-` are positional.
 *
 * @param args The arguments.
 * @param spec The known flags.
 * @param aliases One-letter aliases, e.g. `{ h: "help" }`.
 * @returns The parsed arguments.
 * @throws {UsageError} On an unknown flag or a missing value.
 */
export function parseArgs(
  args: readonly string[],
  spec: FlagSpec,
  aliases: Readonly<Record<string, string>> = {},
): ParsedArgs {
  const strings = new Map<string, string>();
  const booleans = new Set<string>();
  const lists = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const equals = arg.indexOf("=");
      name = equals === -1 ? arg.slice(2) : arg.slice(2, equals);
      inline = equals === -1 ? undefined : arg.slice(equals + 1);
    } else {
      const alias = aliases[arg.slice(1)];
      if (alias === undefined) {
        throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
      }
      name = alias;
    }
    const kind = spec[name];
    if (kind === undefined) {
      throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
    }
    if (kind === "boolean") {
      if (inline !== undefined) {
        throw new UsageError(`--${name} takes no value`);
      }
      booleans.add(name);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) {
      throw new UsageError(`--${name} needs a value`);
    }
    if (kind === "string") strings.set(name, value);
    else lists.set(name, [...(lists.get(name) ?? []), value]);
  }
  return { strings, booleans, lists, positionals };
}

/**
 * Reads a whole, non-negative number flag.
 *
 * @param parsed The parsed arguments.
 * @param name The flag.
 * @param min The smallest value allowed.
 * @returns The number, or `undefined` when the flag is absent.
 * @throws {UsageError} If the value is not a whole number of at least `min`.
 */
export function integerFlag(
  parsed: ParsedArgs,
  name: string,
  min = 0,
): number | undefined {
  const text = parsed.strings.get(name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(
      `--${name} needs a whole number of at least ${min}, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return value;
}

/**
 * Whether the arguments ask for help (`-h`/`--help` before any `--`).
 *
 * @param args The arguments.
 * @returns `true` when help is asked for.
 */
export function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === "--") return false;
    if (arg === "-h" || arg === "--help") return true;
  }
  return false;
}
