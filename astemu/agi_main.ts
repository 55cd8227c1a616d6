#!/usr/bin/env -S deno run --allow-run --allow-net=127.0.0.1,localhost --allow-write=. --allow-env=NO_COLOR
// Copyright the @pyst/asterisk authors. MIT license.
/**
 * `deno task agi`: runs an AGI script against an emulated call and prints
 * the dialogue as it happens, in colour on a terminal (plain when output is
 * not a terminal or `NO_COLOR` is set).
 *
 * ```sh
 * deno task agi [options] -- deno run my_agi.ts   # a stdio AGI script
 * deno task agi [options] agi://127.0.0.1:4573/ivr # a FastAGI server
 * ```
 *
 * Options: `--callerid "Name <number>"`, `--channel`, `--context`,
 * `--extension`, `--priority`, `--arg VALUE` (repeatable), `--var NAME=VALUE`,
 * `--db FAMILY/KEY=VALUE`, `--sound NAME=MS`, `--dtmf DIGITS[@MS]`,
 * `--hangup-after MS`, `--hangup-at N`, `--answered`, `--interactive` (type
 * digits; `h` hangs up), `--real-time`, `--transcript FILE`, `--timeout MS`,
 * `--no-color`, `--help`.
 *
 * Permissions (the `astemu-agi` set): `--allow-run` to start a stdio
 * script, `--allow-net` for the FastAGI host, `--allow-write` for
 * `--transcript`, `--allow-env=NO_COLOR`.
 *
 * @module
 */
import { AgiEmulator, type AgiEmulatorTraceEvent } from "./agi_emulator.ts";
import type { AgiKeypress } from "./agi_emulator.ts";
import { connectFastAgiServer } from "./agi_connect_fast_agi_server.ts";
import { runStdioAgiScript } from "./agi_run_stdio_script.ts";
import { formatTranscript } from "./parse_transcript.ts";

const USAGE = `Usage: deno task agi [options] -- <command...>
       deno task agi [options] agi://host[:port]/script

Runs an AGI script against an emulated Asterisk call and prints the dialogue.

Call:
  --callerid "Name <num>"  caller id (default: none)
  --channel NAME           channel name (default: PJSIP/astemu-00000001)
  --context CTX            dialplan context (default: default)
  --extension EXT          dialplan extension (default: s)
  --priority N             dialplan priority (default: 1)
  --arg VALUE              a dialplan argument (repeatable)
  --var NAME=VALUE         a channel variable (repeatable)
  --db FAMILY/KEY=VALUE    an AstDB entry (repeatable)
  --sound NAME=MS          a sound file that exists, with its length (repeatable)
  --answered               the channel is already up
Caller:
  --dtmf DIGITS            keys for the next commands that listen (repeatable)
  --dtmf DIGITS@MS         keys pressed at MS of call time
  --hangup-after MS        the caller hangs up after MS
  --hangup-at N            the caller hangs up during command N
  --interactive            type digits as the caller, h to hang up (real time)
Run:
  --real-time              wait in real time instead of fast-forwarding
  --transcript FILE        write the dialogue in transcript format
  --timeout MS             give up after MS of real time (default: 30000,
                           none with --interactive)
  --no-color               plain output
  --help                   this text
`;

interface CliOptions {
  target: string[];
  callerId?: string;
  channel?: string;
  context?: string;
  extension?: string;
  priority?: number;
  args: string[];
  variables: Record<string, string>;
  database: Record<string, string>;
  sounds: Record<string, number>;
  dtmf: AgiKeypress[];
  hangupAfterMs?: number;
  hangupAtCommand?: number;
  answered: boolean;
  interactive: boolean;
  realTime: boolean;
  transcript?: string;
  timeoutMs?: number;
  color?: boolean;
  help: boolean;
}

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

function parseCli(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    target: [],
    args: [],
    variables: {},
    database: {},
    sounds: {},
    dtmf: [],
    answered: false,
    interactive: false,
    realTime: false,
    help: false,
  };
  let index = 0;
  const value = (flag: string): string => {
    const next = argv[++index];
    if (next === undefined) {
      throw new UsageError(`Cannot parse options: ${flag} needs a value`);
    }
    return next;
  };
  const integer = (flag: string): number => {
    const text = value(flag);
    const number = Number(text);
    if (!Number.isInteger(number) || number < 0) {
      throw new UsageError(
        `Cannot parse options: ${flag} needs a whole number, got "${text}"`,
      );
    }
    return number;
  };
  const pair = (flag: string): [string, string] => {
    const text = value(flag);
    const equals = text.indexOf("=");
    if (equals <= 0) {
      throw new UsageError(
        `Cannot parse options: ${flag} needs NAME=VALUE, got "${text}"`,
      );
    }
    return [text.slice(0, equals), text.slice(equals + 1)];
  };
  for (; index < argv.length; index++) {
    const arg = argv[index]!;
    switch (arg) {
      case "--":
        options.target = argv.slice(index + 1) as string[];
        index = argv.length;
        break;
      case "--help":
      case "-h":
        options.help = true;
        break;
      case "--callerid":
        options.callerId = value(arg);
        break;
      case "--channel":
        options.channel = value(arg);
        break;
      case "--context":
        options.context = value(arg);
        break;
      case "--extension":
        options.extension = value(arg);
        break;
      case "--priority":
        options.priority = integer(arg);
        break;
      case "--arg":
        options.args.push(value(arg));
        break;
      case "--var": {
        const [name, text] = pair(arg);
        options.variables[name] = text;
        break;
      }
      case "--db": {
        const [key, text] = pair(arg);
        options.database[key] = text;
        break;
      }
      case "--sound": {
        const [name, ms] = pair(arg);
        const length = Number(ms);
        if (!(length >= 0)) {
          throw new UsageError(
            `Cannot parse options: --sound needs NAME=MS, got "${name}=${ms}"`,
          );
        }
        options.sounds[name] = length;
        break;
      }
      case "--dtmf": {
        const text = value(arg);
        const at = text.indexOf("@");
        if (at === -1) options.dtmf.push(text);
        else {
          const atMs = Number(text.slice(at + 1));
          if (!(atMs >= 0)) {
            throw new UsageError(
              `Cannot parse options: --dtmf needs DIGITS or DIGITS@MS, got "${text}"`,
            );
          }
          options.dtmf.push({ digits: text.slice(0, at), atMs });
        }
        break;
      }
      case "--hangup-after":
        options.hangupAfterMs = integer(arg);
        break;
      case "--hangup-at":
        options.hangupAtCommand = integer(arg);
        break;
      case "--answered":
        options.answered = true;
        break;
      case "--interactive":
        options.interactive = true;
        break;
      case "--real-time":
        options.realTime = true;
        break;
      case "--transcript":
        options.transcript = value(arg);
        break;
      case "--timeout":
        options.timeoutMs = integer(arg);
        break;
      case "--no-color":
        options.color = false;
        break;
      case "--color":
        options.color = true;
        break;
      default:
        if (arg.startsWith("-") && options.target.length === 0) {
          throw new UsageError(`Cannot parse options: unknown option "${arg}"`);
        }
        options.target = argv.slice(index) as string[];
        index = argv.length;
    }
  }
  return options;
}

const STYLES = {
  command: "\x1b[1;36m",
  ok: "\x1b[32m",
  error: "\x1b[1;31m",
  environment: "\x1b[2m",
  note: "\x1b[33m",
  reset: "\x1b[0m",
};

function formatEvent(
  event: AgiEmulatorTraceEvent,
  color: boolean,
  inEnvironment: boolean,
): string {
  const time = `${(event.atMs / 1000).toFixed(3).padStart(8)}s`;
  let prefix: string;
  let style: string;
  if (event.direction === "toAsterisk") {
    prefix = ">>";
    style = STYLES.command;
  } else if (event.direction === "fromAsterisk") {
    prefix = "<<";
    style = inEnvironment
      ? STYLES.environment
      : /^(5\d\d|200 result=-\d)|^HANGUP$/.test(event.text)
      ? STYLES.error
      : STYLES.ok;
  } else {
    prefix = "##";
    style = STYLES.note;
  }
  const line = `${time} ${prefix} ${event.text}`;
  return color ? `${style}${line}${STYLES.reset}` : line;
}

async function granted(
  descriptor: Deno.PermissionDescriptor,
): Promise<boolean> {
  return (await Deno.permissions.query(descriptor)).state === "granted";
}

async function wantsColor(explicit: boolean | undefined): Promise<boolean> {
  if (explicit !== undefined) return explicit;
  if (!Deno.stdout.isTerminal()) return false;
  if (!await granted({ name: "env", variable: "NO_COLOR" })) return true;
  return Deno.env.get("NO_COLOR") === undefined;
}

/** Reads keys from stdin for `--interactive`; returns a stopper. */
function readKeys(
  emulator: AgiEmulator,
  print: (text: string) => void,
): () => void {
  const raw = Deno.stdin.isTerminal();
  if (raw) Deno.stdin.setRaw(true);
  const reader = Deno.stdin.readable.getReader();
  let stopped = false;
  (async () => {
    const decoder = new TextDecoder();
    try {
      while (!stopped) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const key of decoder.decode(value)) {
          if (/[0-9*#A-D]/.test(key)) emulator.press(key);
          else if (
            key === "h" || key === "H" || key === "\x03" || key === "\x04"
          ) {
            emulator.hangup();
          } else if (key === "?") {
            print("keys: 0-9 * # A-D press a digit, h hangs up");
          }
        }
      }
    } catch {
      // stdin went away; the call goes on.
    }
  })();
  return () => {
    stopped = true;
    if (raw) Deno.stdin.setRaw(false);
    reader.releaseLock();
  };
}

/**
 * Runs the CLI.
 *
 * @param argv The command-line arguments.
 * @returns The exit code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const target = options.target;
  if (target.length === 0) {
    console.error(`Cannot run AGI script: no script given\n\n${USAGE}`);
    return 2;
  }
  const fastAgi = target.length === 1 && /^agi:\/\//i.test(target[0]!);
  if (!fastAgi && !await granted({ name: "run", command: target[0]! })) {
    console.error(
      `Cannot run AGI script "${
        target[0]
      }": permission denied; run with --allow-run`,
    );
    return 2;
  }
  if (
    options.transcript !== undefined &&
    !await granted({ name: "write", path: options.transcript })
  ) {
    console.error(
      `Cannot write transcript "${options.transcript}": permission denied; run with --allow-write=${options.transcript}`,
    );
    return 2;
  }
  const color = await wantsColor(options.color);
  const encoder = new TextEncoder();
  const print = (text: string) => {
    Deno.stdout.writeSync(encoder.encode(text + "\n"));
  };
  let inEnvironment = true;
  const last = target.at(-1) ?? "";
  let callerIdNum: string | undefined;
  let callerIdName: string | undefined;
  if (options.callerId !== undefined) {
    const match = /^\s*(?:"?([^"<]*?)"?\s*)?<([^>]*)>\s*$/.exec(
      options.callerId,
    );
    if (match) {
      callerIdName = match[1] || undefined;
      callerIdNum = match[2];
    } else if (/^[0-9*#+]+$/.test(options.callerId)) {
      callerIdNum = options.callerId;
    } else callerIdName = options.callerId;
  }
  const defaults = new AgiEmulator().call.sounds;
  const emulator = new AgiEmulator({
    transport: fastAgi ? "fastagi" : "stdio",
    request: fastAgi ? target[0]! : last.slice(last.lastIndexOf("/") + 1),
    args: options.args,
    ...(options.channel === undefined ? {} : { channel: options.channel }),
    ...(options.context === undefined ? {} : { context: options.context }),
    ...(options.extension === undefined
      ? {}
      : { extension: options.extension }),
    ...(options.priority === undefined ? {} : { priority: options.priority }),
    ...(callerIdNum === undefined ? {} : { callerIdNum }),
    ...(callerIdName === undefined ? {} : { callerIdName }),
    ...(options.answered ? { state: 6 } : {}),
    variables: options.variables,
    database: options.database,
    sounds: { ...Object.fromEntries(defaults), ...options.sounds },
    dtmf: options.dtmf,
    faults: {
      ...(options.hangupAfterMs === undefined
        ? {}
        : { hangupAfterMs: options.hangupAfterMs }),
      ...(options.hangupAtCommand === undefined
        ? {}
        : { hangupAtCommand: options.hangupAtCommand }),
    },
    fastForward: !(options.interactive || options.realTime),
    onTrace: (event) => {
      if (
        event.direction === "note" && event.text.startsWith("Transcript format")
      ) return;
      if (event.direction === "note" && /^(One line|TAB as)/.test(event.text)) {
        return;
      }
      print(formatEvent(event, color, inEnvironment));
      if (event.direction === "fromAsterisk" && event.text === "") {
        inEnvironment = false;
      }
    },
  });
  if (options.interactive) {
    print("## interactive: type digits as the caller, h to hang up");
  }
  const stopKeys = options.interactive ? readKeys(emulator, print) : undefined;
  const timeoutMs = options.timeoutMs ??
    (options.interactive ? 24 * 3_600_000 : 30_000);
  let exitCode: number | undefined;
  let failed = false;
  try {
    if (fastAgi) {
      await connectFastAgiServer(target[0]!, emulator, { timeoutMs });
    } else {
      const result = await runStdioAgiScript(target, emulator, {
        args: options.args,
        stderr: "inherit",
        timeoutMs,
      });
      exitCode = result.exitCode;
    }
  } catch (error) {
    failed = true;
    console.error(
      error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error),
    );
  } finally {
    stopKeys?.();
    emulator.close();
  }
  const call = emulator.call;
  let status: string = emulator.status;
  if (status === "SUCCESS" && exitCode !== undefined && exitCode !== 0) {
    status = "FAILURE";
  }
  print("");
  print(
    `AGISTATUS=${status}${
      exitCode === undefined ? "" : ` exit code ${exitCode}`
    }`,
  );
  if (call.played.length > 0) print(`played: ${call.played.join(", ")}`);
  const variables = [...call.variables].map(([k, v]) => `${k}=${v}`);
  if (variables.length > 0) print(`variables: ${variables.join(", ")}`);
  if (options.transcript !== undefined) {
    await Deno.writeTextFile(
      options.transcript,
      formatTranscript(emulator.transcript),
    );
    print(`transcript: ${options.transcript}`);
  }
  return failed ? 1 : status === "SUCCESS" || status === "HANGUP" ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
