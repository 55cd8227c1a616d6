// Copyright the @pyst/asterisk authors. MIT license.
import type { AgiSession } from "./agi_session.ts";
import { AgiError, AgiHangupError } from "./errors.ts";

/** Reads a source file for agitb; `undefined` when it cannot. */
export type AgitbSourceReader = (
  url: string,
) => string | undefined | Promise<string | undefined>;

/** Options of {@linkcode withAgitb}. */
export interface AgitbOptions {
  /**
   * Verbose level of the report's `VERBOSE` lines in Asterisk's console;
   * `false` sends nothing to Asterisk.
   *
   * @default {1}
   */
  verboseLevel?: number | false;
  /**
   * How many of the last commands (with their replies) the report shows.
   *
   * @default {20}
   */
  maxHistory?: number;
  /**
   * Stack frames shown with source lines.
   *
   * @default {8}
   */
  maxFrames?: number;
  /**
   * Source lines shown before and after each frame's line.
   *
   * @default {2}
   */
  contextLines?: number;
  /**
   * Longest report line in characters (longer ones are cut).
   *
   * @default {500}
   */
  maxLineLength?: number;
  /**
   * Reads source files for the traceback. The default reads `file:` URLs
   * only when the read permission for them is already granted, and never
   * throws; pass `() => undefined` to show no source.
   *
   * @default {the permission-checked file reader}
   */
  readSource?: AgitbSourceReader;
  /**
   * Writes the report to stderr; `false` does not.
   *
   * @default {console.error}
   */
  stderr?: ((report: string) => void) | false;
  /**
   * Another place for the report, e.g. a file:
   * `(report) => Deno.writeTextFile("agitb.log", report, { append: true })`.
   * What it throws is ignored.
   *
   * @default {undefined}
   */
  writeReport?: (report: string) => void | Promise<void>;
  /**
   * Whether a hangup (an `AgiHangupError`) is reported too; it is how calls
   * normally end, so by default it is only passed on.
   *
   * @default {false}
   */
  reportHangups?: boolean;
  /**
   * More name parts whose values are secrets, besides `pass`, `pwd`,
   * `secret`, `token`, `apikey`, `auth`, `credential`, `cookie`… and the
   * names `key`, `pin` and `sid`.
   *
   * @default {[]}
   */
  secretNames?: readonly string[];
}

/** An AGI handler: a session first, whatever else the entry point passes after. */
export type AgitbHandler<Rest extends unknown[]> = (
  session: AgiSession,
  ...rest: Rest
) => unknown;

interface HistoryEntry {
  call: string;
  outcome: string[];
}

/** Name parts that mark a value as secret wherever they appear in a name. */
const SECRET_PARTS = [
  "pass",
  "pwd",
  "secret",
  "token",
  "apikey",
  "api_key",
  "api-key",
  "privatekey",
  "private_key",
  "accesskey",
  "access_key",
  "credential",
  "auth",
  "cookie",
  "sessionid",
  "session_id",
];

/** Whole names that mark a value as secret (`key=…`, `pin=…`). */
const SECRET_WORDS = ["key", "pin", "sid"];

/** Directories of this package whose frames are shown without source. */
const LIBRARY_DIRS = ["agi/", "astemu/", "manager/", "config/", "_internal/"]
  .map((dir) => new URL(`../${dir}`, import.meta.url).href);

/** Session members that are not AGI commands. */
const NOT_COMMANDS = new Set(["close", "notifyHangup"]);

/**
 * agitb for async TypeScript: wraps an AGI handler so that an uncaught error
 * produces a report — the error and its causes, the async stack with source
 * lines, the AGI environment, and the last commands and replies, with
 * passwords, tokens, keys and `secret=` values redacted — written to
 * Asterisk's console through `VERBOSE` (at `verboseLevel`), to stderr, and
 * optionally elsewhere (`writeReport`). The error is then re-thrown, so the
 * entry point ends the call with a failure (a stdio script exits non-zero).
 *
 * Works with any entry point whose handler takes the session first
 * (`serveFastAgi`, a stdio runner, `emulateAgiCall`).
 *
 * @param handler The AGI handler.
 * @param options Where the report goes and what it shows.
 * @returns The wrapped handler.
 *
 * @example The report reaches Asterisk's verbose output
 * ```ts
 * import { withAgitb } from "@pyst/asterisk/agi";
 * import { emulateAgiCall } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * const script = withAgitb(async (agi) => {
 *   await agi.answer();
 *   await agi.setVariable("DB_PASSWORD", "hunter2");
 *   throw new Error("Cannot look up account: database down");
 * }, { stderr: false, readSource: () => undefined });
 *
 * const call = await emulateAgiCall(script, { callerIdNum: "5551234" });
 * const console = call.verbose.map((v) => v.message).join("\n");
 * assert.match(console, /agitb: Error: Cannot look up account: database down/);
 * assert.match(console, /agi_callerid: 5551234/);
 * assert.match(console, /setVariable\("DB_PASSWORD", \*{3}\)/);
 * assert.doesNotMatch(console, /hunter2/);
 * assert.equal((call.error as Error).message, "Cannot look up account: database down");
 * ```
 */
export function withAgitb<Rest extends unknown[]>(
  handler: AgitbHandler<Rest>,
  options: AgitbOptions = {},
): (session: AgiSession, ...rest: Rest) => Promise<void> {
  return async (session: AgiSession, ...rest: Rest): Promise<void> => {
    const history: HistoryEntry[] = [];
    const max = options.maxHistory ?? 20;
    const recorded = recordCommands(session, history, max);
    try {
      await handler(recorded, ...rest);
    } catch (error) {
      if (error instanceof AgiHangupError && !options.reportHangups) {
        throw error;
      }
      await reportError(error, session, history, options);
      throw error;
    }
  };
}

/** Wraps the session so that every command method call is remembered. */
function recordCommands(
  session: AgiSession,
  history: HistoryEntry[],
  max: number,
): AgiSession {
  return new Proxy(session, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (typeof property === "symbol" || NOT_COMMANDS.has(property)) {
        return value.bind(target);
      }
      return (...args: unknown[]) => {
        const entry: HistoryEntry = {
          call: property === "command"
            ? `>> ${String(args[0])}`
            : `${property}(${args.map(show).join(", ")})`,
          outcome: ["(no reply yet)"],
        };
        history.push(entry);
        if (history.length > max) history.shift();
        const settle = (result: unknown) => {
          entry.outcome = property === "command" && isReply(result)
            ? result.lines.map((line) => `<< ${line}`)
            : [`=> ${show(result)}`];
          return result;
        };
        const fail = (error: unknown) => {
          entry.outcome = describeFailure(error);
          throw error;
        };
        try {
          const result = value.apply(target, args);
          return result instanceof Promise
            ? result.then(settle, fail)
            : settle(result);
        } catch (error) {
          return fail(error);
        }
      };
    },
  });
}

function isReply(value: unknown): value is { lines: readonly string[] } {
  return typeof value === "object" && value !== null &&
    Array.isArray((value as { lines?: unknown }).lines);
}

function describeFailure(error: unknown): string[] {
  if (error instanceof AgiError) {
    const lines = [`!! ${error.name}`];
    if (error.command !== "") lines.push(`>> ${error.command}`);
    for (const line of error.reply?.lines ?? []) lines.push(`<< ${line}`);
    return lines;
  }
  return [
    `!! ${error instanceof Error ? error.name : "thrown"}: ${
      error instanceof Error ? error.message : show(error)
    }`,
  ];
}

function show(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return "[function]";
  try {
    return JSON.stringify(
      value,
      (_key, inner) => inner instanceof AbortSignal ? "[AbortSignal]" : inner,
    ) ?? String(value);
  } catch {
    return String(value);
  }
}

async function reportError(
  error: unknown,
  session: AgiSession,
  history: readonly HistoryEntry[],
  options: AgitbOptions,
): Promise<void> {
  let report: string;
  try {
    report = await formatReport(error, session, history, options);
  } catch (failure) {
    report = `agitb: cannot format the report: ${String(failure)}\n${
      String(error)
    }`;
  }
  const stderr = options.stderr ?? ((text: string) => console.error(text));
  if (stderr !== false) {
    try {
      stderr(report);
    } catch {
      // Reporting must not hide the original error.
    }
  }
  if (options.writeReport !== undefined) {
    try {
      await options.writeReport(report);
    } catch {
      // Same.
    }
  }
  const level = options.verboseLevel ?? 1;
  if (level === false || session.closed) return;
  for (const line of report.split("\n")) {
    try {
      await session.verbose(`agitb: ${line}`, level);
    } catch {
      return; // The channel or the connection is gone.
    }
  }
}

async function formatReport(
  error: unknown,
  session: AgiSession,
  history: readonly HistoryEntry[],
  options: AgitbOptions,
): Promise<string> {
  const redact = redactor(options.secretNames ?? []);
  const width = options.maxLineLength ?? 500;
  const lines: string[] = [];
  const env = session.env;
  lines.push(
    `Uncaught error in AGI script ${JSON.stringify(env.request)} on channel ${
      JSON.stringify(env.channel)
    }`,
  );
  // The error and its causes.
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined; depth++) {
    const prefix = depth === 0 ? "" : "Caused by: ";
    if (current instanceof Error) {
      lines.push(`${prefix}${current.name}: ${current.message}`);
      if (current instanceof AgiError) {
        if (current.command !== "") lines.push(`  command: ${current.command}`);
        for (const reply of current.reply?.lines ?? []) {
          lines.push(`  reply: ${reply}`);
        }
      }
      current = current.cause;
    } else {
      lines.push(`${prefix}thrown: ${show(current)}`);
      current = undefined;
    }
  }
  // The async stack, with source lines.
  lines.push("", "Traceback (most recent call first):");
  const stack = error instanceof Error ? error.stack ?? "" : "";
  const frames = stack.split("\n").filter((line) => /^\s+at /.test(line));
  if (frames.length === 0) lines.push("  (no stack)");
  const reader = options.readSource ?? readSourceIfPermitted;
  const sources = new Map<string, string[] | undefined>();
  const maxFrames = options.maxFrames ?? 8;
  const context = options.contextLines ?? 2;
  for (const [index, frame] of frames.entries()) {
    lines.push(`  ${frame.trim()}`);
    if (index >= maxFrames) continue;
    const where = /\(?((?:file|https?):\/\/[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(
      frame,
    );
    if (where === null) continue;
    const url = where[1]!;
    if (
      LIBRARY_DIRS.some((dir) => url.startsWith(dir)) &&
      !url.endsWith("_test.ts")
    ) continue;
    if (!sources.has(url)) {
      let text: string | undefined;
      try {
        text = await reader(url);
      } catch {
        text = undefined;
      }
      sources.set(url, text?.split("\n"));
    }
    const source = sources.get(url);
    if (source === undefined) {
      lines.push("      (source not available)");
      continue;
    }
    const at = Number(where[2]);
    for (
      let n = Math.max(1, at - context);
      n <= Math.min(source.length, at + context);
      n++
    ) {
      const marker = n === at ? ">" : " ";
      lines.push(`    ${marker}${String(n).padStart(5)} | ${source[n - 1]}`);
    }
  }
  // The environment.
  lines.push("", "AGI environment:");
  for (const [key, value] of env.raw) lines.push(`  ${key}: ${value}`);
  // The last commands.
  lines.push("", `Last ${history.length} commands (oldest first):`);
  if (history.length === 0) lines.push("  (none)");
  const readsSecret = secretReader(options.secretNames ?? []);
  for (const entry of history) {
    lines.push(`  ${entry.call}`);
    // A value read back under a secret-looking name is a secret too.
    const hide = readsSecret(entry.call);
    for (const outcome of entry.outcome) {
      lines.push(`    ${hide ? hideReadValue(outcome) : outcome}`);
    }
  }
  return lines
    .map((line) => redact(line.replace(/[\r\n\0]/g, " ")))
    .map((line) => line.length > width ? line.slice(0, width - 1) + "…" : line)
    .join("\n");
}

/**
 * Tells whether a history call reads a value back under a secret-looking
 * name: `getVariable`, `getFullVariable` or `databaseGet`, or the raw
 * `GET VARIABLE`, `GET FULL VARIABLE` or `DATABASE GET` command.
 */
function secretReader(extra: readonly string[]): (call: string) => boolean {
  const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const parts = [...SECRET_PARTS, ...extra].map(escape).join("|");
  const words = SECRET_WORDS.map(escape).join("|");
  const reader =
    /^(?:(?:getVariable|getFullVariable|databaseGet)\(|>> (?:GET (?:FULL )?VARIABLE|DATABASE GET)\s)/i;
  const name = new RegExp(`(?:${parts})|\\b(?:${words})\\b`, "i");
  return (call) => reader.test(call) && name.test(call);
}

/** `=> "value"` becomes `=> ***`, `<< 200 result=1 (value)` keeps only `(***)`. */
function hideReadValue(outcome: string): string {
  if (outcome.startsWith("=> ") && outcome !== "=> undefined") return "=> ***";
  return outcome.replace(/^(<< 200 result=1 )\(.*\)$/, "$1(***)");
}

/**
 * Hides secret values: `name=value` and `Name: value` pairs, JSON
 * `"name": value`, SET VARIABLE and DATABASE PUT of a secret-looking name
 * (and `setVariable`/`databasePut` calls), and `Bearer`/`Basic` credentials.
 */
function redactor(extra: readonly string[]): (line: string) => string {
  const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const parts = [...SECRET_PARTS, ...extra].map(escape).join("|");
  const words = SECRET_WORDS.map(escape).join("|");
  // A secret-looking name: one containing a secret part, or a secret word.
  const name = `(?:[\\w.-]*(?:${parts})[\\w.-]*|(?:${words}))`;
  const partName = `[\\w.-]*(?:${parts})[\\w.-]*`;
  const quoted = `"(?:[^"\\\\]|\\\\.)*"`;
  const value = `(?:${quoted}|[^\\s,;&"]+)`;
  const rules: [RegExp, string][] = [
    [new RegExp(`(SET VARIABLE\\s+"?${name}"?\\s+)${value}`, "gi"), "$1***"],
    [
      new RegExp(`(DATABASE PUT\\s+\\S+\\s+"?${name}"?\\s+)${value}`, "gi"),
      "$1***",
    ],
    [new RegExp(`(setVariable\\("${name}",\\s*)${quoted}`, "gi"), "$1***"],
    [
      new RegExp(
        `("key"\\s*:\\s*"${name}"\\s*,\\s*"value"\\s*:\\s*)${quoted}`,
        "gi",
      ),
      "$1***",
    ],
    [/\b(Bearer|Basic)\s+[\w.~+/=-]+/gi, "$1 ***"],
    [new RegExp(`("${partName}"\\s*:\\s*)${value}`, "gi"), "$1***"],
    [new RegExp(`(\\b${name}\\s*=\\s*)${value}`, "gi"), "$1***"],
    [new RegExp(`(\\b${name}:\\s)${value}`, "gi"), "$1***"],
  ];
  return (line) => {
    for (const [pattern, replacement] of rules) {
      line = line.replace(pattern, replacement);
    }
    return line;
  };
}

/**
 * Reads a `file:` URL when the read permission for it is already granted
 * (it never prompts); anything else gives `undefined`.
 */
function readSourceIfPermitted(url: string): string | undefined {
  const deno = (globalThis as {
    Deno?: {
      permissions?: {
        querySync?: (d: { name: "read"; path: string }) => { state: string };
      };
      readTextFileSync?: (path: URL) => string;
    };
  }).Deno;
  if (!url.startsWith("file:") || deno?.readTextFileSync === undefined) {
    return undefined;
  }
  try {
    const path = decodeURIComponent(new URL(url).pathname);
    const state = deno.permissions?.querySync?.({ name: "read", path }).state;
    if (state !== "granted") return undefined;
    return deno.readTextFileSync(new URL(url));
  } catch {
    return undefined;
  }
}
