// Copyright the @pyst/asterisk authors. MIT license.
import {
  AgiChannelModel,
  type AgiChannelModelOptions,
} from "./agi_channel_model.ts";
import { parseAgiCommandLine } from "./agi_command_parser.ts";
import { type AgiCommandSpec, findAgiCommand } from "./agi_command_table.ts";
import type {
  AgiAsteriskSide,
  AgiAsteriskSideServeOptions,
} from "./agi_asterisk_side.ts";
import type { TranscriptEntry } from "./parse_transcript.ts";

/** How the emulated Asterisk talks to the AGI script. */
export type AgiTransportKind = "stdio" | "fastagi" | "async";

/**
 * A keypress of the emulated caller.
 *
 * * A string (`"1"`, `"123#"`): its digits go, one by one, to the next
 *   commands that listen for them (a STREAM FILE with those escape digits,
 *   GET DATA, WAIT FOR DIGIT…), whenever they come.
 * * `{ digits, atMs }`: pressed at that moment of call time (milliseconds
 *   since the environment was sent); a digit pressed while no command
 *   listens for it is lost, as on a real channel.
 */
export type AgiKeypress = string | {
  /** The DTMF digits, `0-9`, `*`, `#`, `A-D`. */
  readonly digits: string;
  /** When they are pressed, in milliseconds of call time. */
  readonly atMs: number;
};

/** Faults the emulated Asterisk produces on demand. */
export interface AgiFaults {
  /**
   * The caller hangs up while command N (1-based) runs: a command that waits
   * returns `-1`, then the hangup is signalled.
   *
   * @default {undefined}
   */
  readonly hangupAtCommand?: number;
  /**
   * The caller hangs up after this many milliseconds of call time (with
   * fast-forward on, of call time or real time, whichever comes first).
   *
   * @default {undefined}
   */
  readonly hangupAfterMs?: number;
  /**
   * From command N on, the emulator reads commands but never answers.
   *
   * @default {undefined}
   */
  readonly silentFromCommand?: number;
  /**
   * Command N is answered with {@linkcode AgiFaults.garbage} instead.
   *
   * @default {undefined}
   */
  readonly garbageAtCommand?: number;
  /**
   * The garbage line (without LF) for `garbageAtCommand`.
   *
   * @default {"garbage"}
   */
  readonly garbage?: string;
}

/** One line of the dialogue, for observers such as the `agi` CLI. */
export interface AgiEmulatorTraceEvent {
  /** `toAsterisk` (a command), `fromAsterisk` (a reply or notice) or `note`. */
  readonly direction: "toAsterisk" | "fromAsterisk" | "note";
  /** The line without its LF. */
  readonly text: string;
  /** Call time in milliseconds. */
  readonly atMs: number;
}

/** One command and what the emulated Asterisk answered. */
export interface AgiCommandRecord {
  /** The command line as received, without its LF. */
  readonly line: string;
  /** The reply text with its LFs; `""` when there was none. */
  readonly reply: string;
  /** Call time in milliseconds when it arrived. */
  readonly atMs: number;
}

/** Options of {@linkcode AgiEmulator}. */
export interface AgiEmulatorOptions extends AgiChannelModelOptions {
  /**
   * The transport being emulated: FastAGI adds `agi_network` lines and sends
   * `HANGUP` lines; stdio signals hangups with SIGHUP; AsyncAGI sends
   * `agi_request: async`.
   *
   * @default {"stdio"}
   */
  transport?: AgiTransportKind;
  /**
   * `agi_request`: the script as the dialplan names it.
   *
   * @default {"agi-script" for stdio, "agi://127.0.0.1/" for FastAGI, "async" for AsyncAGI}
   */
  request?: string;
  /**
   * `agi_network_script` (FastAGI): what follows the first `/` after the
   * host in the URL, query included; no line when empty.
   *
   * @default {taken from `request`}
   */
  networkScript?: string;
  /**
   * The dialplan arguments after the script (`agi_arg_1`…).
   *
   * @default {[]}
   */
  args?: readonly string[];
  /**
   * `agi_version`.
   *
   * @default {"22.5.0"}
   */
  version?: string;
  /**
   * `agi_threadid`.
   *
   * @default {"140000000000001"}
   */
  threadId?: string;
  /**
   * `agi_callingani2`.
   *
   * @default {0}
   */
  callingAni2?: number;
  /**
   * `agi_callington`.
   *
   * @default {0}
   */
  callingTon?: number;
  /**
   * `agi_callingtns`.
   *
   * @default {0}
   */
  callingTns?: number;
  /**
   * The caller's keypresses.
   *
   * @default {[]}
   */
  dtmf?: readonly AgiKeypress[];
  /**
   * Faults to produce.
   *
   * @default {{}}
   */
  faults?: AgiFaults;
  /**
   * `AGISIGHUP`: whether the script is told about a hangup (SIGHUP or a
   * `HANGUP` line).
   *
   * @default {true}
   */
  sighup?: boolean;
  /**
   * `AGIEXITONHANGUP`: end the AGI right after telling the script about the
   * hangup.
   *
   * @default {false}
   */
  exitOnHangup?: boolean;
  /**
   * Skip waits: a 10 s prompt or WAIT FOR DIGIT answers at once and call
   * time jumps ahead, so tests run fast and deterministically. Off, the
   * emulator waits in real time (the interactive CLI).
   *
   * @default {true}
   */
  fastForward?: boolean;
  /**
   * The longest call, in milliseconds of call time: a command that would
   * wait past it sees the caller hang up.
   *
   * @default {3600000}
   */
  maxCallMs?: number;
  /**
   * Most transcript lines kept; later lines are dropped and a note says so.
   *
   * @default {100000}
   */
  maxTranscriptLines?: number;
  /**
   * An existing channel model to use instead of building one from these
   * options.
   *
   * @default {undefined}
   */
  model?: AgiChannelModel;
  /**
   * Called for every line of the dialogue, as it happens.
   *
   * @default {undefined}
   */
  onTrace?: (event: AgiEmulatorTraceEvent) => void;
  /**
   * Called once when AGI notices that the channel hung up.
   *
   * @default {undefined}
   */
  onHangup?: () => void;
}

/** What a wait for the caller ended with. */
type Heard =
  | { kind: "digit"; digit: string; elapsedMs: number }
  | { kind: "timeout"; elapsedMs: number }
  | { kind: "hangup"; elapsedMs: number }
  | { kind: "aborted" };

/** A 520 usage block (the handler found bad arguments). */
const USAGE = Symbol("usage");
/** No reply at all: a playing command was cancelled by a new command. */
const NO_REPLY = Symbol("no reply");
type Reply = string | typeof USAGE | typeof NO_REPLY;

const SAMPLES_PER_MS = 8;
const ELEMENT_MS = 500;
const AGI_BUF_LEN = 8192;
const LF = 0x0a;
const DIGITS = "0123456789*#ABCD";
const DEAD_REPLY =
  "511 Command Not Permitted on a dead channel or intercept routine\n";
const HEADER_NOTES = [
  "Transcript format: '>> ' = sent to Asterisk, '<< ' = received from Asterisk, '## ' = note.",
  "One line per LF-terminated wire line (LF not shown); CR shown as \\r, backslash as \\\\,",
  "TAB as \\t, other bytes as \\xNN; '[no LF]' marks a line cut off without LF.",
];

/**
 * Asterisk's side of one AGI call, without I/O: it builds the `agi_*`
 * environment, parses command lines exactly as `res_agi.c` does, and answers
 * each command from an {@linkcode AgiChannelModel} with Asterisk's exact
 * replies (510, 511 on a dead channel, 520 usage blocks, GOSUB's 100 then
 * 200, DTMF as ASCII codes), while the emulated caller presses keys and
 * hangs up on schedule and faults happen on demand. It records a transcript
 * in the format of the project's recordings of a real Asterisk.
 *
 * {@linkcode AgiEmulator.serve} runs the whole stdio or FastAGI dialogue over
 * a readable/writable pair; {@linkcode AgiEmulator.execute} runs one command
 * (AsyncAGI).
 *
 * @example Answering commands directly
 * ```ts
 * import { AgiEmulator } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * const emulator = new AgiEmulator({ dtmf: ["5"] });
 * assert.equal(await emulator.execute("ANSWER"), "200 result=0\n");
 * assert.equal(await emulator.execute("WAIT FOR DIGIT 1000"), "200 result=53\n");
 * assert.equal(await emulator.execute("SET VARIABLE CHOICE 5"), "200 result=1\n");
 * assert.equal(emulator.call.variables.get("CHOICE"), "5");
 * assert.equal(await emulator.execute("BOGUS"), "510 Invalid or unknown command\n");
 * emulator.close();
 * ```
 */
export class AgiEmulator implements AgiAsteriskSide {
  /** The emulated channel: variables, AstDB, sounds, and what happened. */
  readonly call: AgiChannelModel;
  /** Every command and its reply, in order. */
  readonly commands: AgiCommandRecord[] = [];
  readonly #transport: AgiTransportKind;
  readonly #request: string;
  readonly #networkScript: string;
  readonly #args: readonly string[];
  readonly #version: string;
  readonly #threadId: string;
  readonly #ani2: number;
  readonly #ton: number;
  readonly #tns: number;
  readonly #faults: AgiFaults;
  readonly #sighup: boolean;
  readonly #exitOnHangup: boolean;
  readonly #fastForward: boolean;
  readonly #maxCallMs: number;
  readonly #maxTranscriptLines: number;
  readonly #onTrace: ((event: AgiEmulatorTraceEvent) => void) | undefined;
  readonly #onHangup: (() => void) | undefined;
  readonly #transcript: TranscriptEntry[] = [];
  #transcriptFull = false;
  readonly #encoder = new TextEncoder();
  // Caller input.
  readonly #untimed: string[] = [];
  readonly #timed: { digit: string; atMs: number }[] = [];
  readonly #live: string[] = [];
  // Time.
  readonly #startReal = performance.now();
  #virtualMs = 0;
  #autohangupAt = Number.POSITIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;
  // Channel and AGI state.
  #channelHungUp = false;
  #hungUpBy: "caller" | "script" | undefined;
  #dead = false;
  #failed = false;
  #closed = false;
  #asyncBreak = false;
  #executing = false;
  #listening = false;
  #commandCount = 0;
  #chain: Promise<unknown> = Promise.resolve();
  #notify: (() => void) | undefined;

  /**
   * Creates an emulated call.
   *
   * @param options The channel, environment, caller behaviour and faults.
   * @throws {TypeError} On a keypress with a character that is not a DTMF digit.
   */
  constructor(options: AgiEmulatorOptions = {}) {
    this.call = options.model ?? new AgiChannelModel(options);
    this.#transport = options.transport ?? "stdio";
    this.#request = options.request ??
      (this.#transport === "fastagi"
        ? "agi://127.0.0.1/"
        : this.#transport === "async"
        ? "async"
        : "agi-script");
    this.#networkScript = options.networkScript ??
      networkScriptOf(this.#request);
    this.#args = options.args ?? [];
    this.#version = options.version ?? "22.5.0";
    this.#threadId = options.threadId ?? "140000000000001";
    this.#ani2 = options.callingAni2 ?? 0;
    this.#ton = options.callingTon ?? 0;
    this.#tns = options.callingTns ?? 0;
    this.#faults = options.faults ?? {};
    this.#sighup = options.sighup ?? true;
    this.#exitOnHangup = options.exitOnHangup ?? false;
    this.#fastForward = options.fastForward ?? true;
    this.#maxCallMs = options.maxCallMs ?? 3_600_000;
    this.#maxTranscriptLines = options.maxTranscriptLines ?? 100_000;
    this.#onTrace = options.onTrace;
    this.#onHangup = options.onHangup;
    for (const press of options.dtmf ?? []) {
      const digits = typeof press === "string" ? press : press.digits;
      for (const digit of digits) {
        if (!DIGITS.includes(digit)) {
          throw new TypeError(
            `Cannot emulate keypress: "${digit}" is not a DTMF digit`,
          );
        }
        if (typeof press === "string") this.#untimed.push(digit);
        else this.#timed.push({ digit, atMs: press.atMs });
      }
    }
    this.#timed.sort((a, b) => a.atMs - b.atMs);
    for (const note of HEADER_NOTES) this.#record("note", note);
    this.#armTimer();
  }

  /** The transport being emulated. */
  get transport(): AgiTransportKind {
    return this.#transport;
  }

  /** Milliseconds of call time since the call started. */
  get nowMs(): number {
    return this.#fastForward
      ? this.#virtualMs
      : performance.now() - this.#startReal;
  }

  /**
   * The environment block Asterisk sends first: `agi_*` lines (FastAGI's
   * `agi_network` lines before them) and the empty line that ends it.
   */
  get environment(): string {
    const call = this.call;
    const lines: string[] = [];
    if (this.#transport === "fastagi") {
      lines.push("agi_network: yes");
      if (this.#networkScript !== "") {
        lines.push(`agi_network_script: ${this.#networkScript}`);
      }
    }
    lines.push(
      `agi_request: ${this.#request}`,
      `agi_channel: ${call.channel}`,
      `agi_language: ${call.language}`,
      `agi_type: ${call.type}`,
      `agi_uniqueid: ${call.uniqueId}`,
      `agi_version: ${this.#version}`,
      `agi_callerid: ${call.callerIdNum ?? "unknown"}`,
      `agi_calleridname: ${call.callerIdName ?? "unknown"}`,
      `agi_callingpres: ${call.callingPres}`,
      `agi_callingani2: ${this.#ani2}`,
      `agi_callington: ${this.#ton}`,
      `agi_callingtns: ${this.#tns}`,
      `agi_dnid: ${call.dnid ?? "unknown"}`,
      `agi_rdnis: ${call.rdnis ?? "unknown"}`,
      `agi_context: ${call.context}`,
      `agi_extension: ${call.extension}`,
      `agi_priority: ${call.priority}`,
      `agi_enhanced: 0.0`,
      `agi_accountcode: ${call.accountCode}`,
      `agi_threadid: ${this.#threadId}`,
    );
    this.#args.forEach((arg, index) =>
      lines.push(`agi_arg_${index + 1}: ${arg}`)
    );
    return lines.join("\n") + "\n\n";
  }

  /** The AGI() application's data, as VERBOSE logs it. */
  get appData(): string {
    const script = this.#transport === "async" ? "agi:async" : this.#request;
    return [script, ...this.#args].join(",");
  }

  /** Whether AGI has noticed the hangup (the channel is dead: 511 for most commands). */
  get dead(): boolean {
    return this.#dead;
  }

  /** Who hung up, once someone did. */
  get hungUpBy(): "caller" | "script" | undefined {
    return this.#hungUpBy;
  }

  /** Whether `ASYNCAGI BREAK` ended an AsyncAGI session. */
  get asyncBreak(): boolean {
    return this.#asyncBreak;
  }

  /**
   * `AGISTATUS` as Asterisk would set it: `FAILURE` after a failed command
   * (not caused by a hangup), else `HANGUP` if the channel hung up, else
   * `SUCCESS`. The stdio transport turns `SUCCESS` into `FAILURE` when the
   * script exits non-zero.
   */
  get status(): "SUCCESS" | "FAILURE" | "HANGUP" {
    if (this.#failed) return "FAILURE";
    return this.#channelHungUp ? "HANGUP" : "SUCCESS";
  }

  /** The recorded dialogue, in the format of `parseTranscript`. */
  get transcript(): readonly TranscriptEntry[] {
    return this.#transcript;
  }

  /**
   * The caller presses keys now. A digit that no command is listening for is
   * lost, as on a real channel.
   *
   * @param digits DTMF digits.
   * @throws {TypeError} On a character that is not a DTMF digit.
   */
  press(digits: string): void {
    for (const digit of digits) {
      if (!DIGITS.includes(digit)) {
        throw new TypeError(
          `Cannot press key: "${digit}" is not a DTMF digit`,
        );
      }
    }
    if (this.#listening) {
      this.#live.push(...digits);
      this.#record("note", `caller pressed ${digits}`);
      this.#poke();
    } else {
      this.#record("note", `caller pressed ${digits}: lost, nothing listens`);
    }
  }

  /**
   * The caller hangs up now. A command that is waiting returns `-1`; AGI
   * notices the hangup after the current command (or at once when idle).
   */
  hangup(): void {
    this.#hangUp("caller");
  }

  /**
   * Runs one command line and returns Asterisk's reply. Calls are queued and
   * run one at a time.
   *
   * @param line The command line, without its LF.
   * @returns The reply with its LFs (several lines for a 520 block or
   * GOSUB), or `""` when the command gets no reply (a silent fault).
   */
  execute(line: string): Promise<string> {
    const run = this.#chain.then(() => this.#run(line, () => false));
    this.#chain = run.catch(() => {});
    return run;
  }

  /**
   * Stops the emulator's timers; call it when the call is over (
   * {@linkcode AgiEmulator.serve} does).
   */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#poke();
  }

  /**
   * Runs the whole dialogue of a stdio or FastAGI call over a byte stream
   * pair: writes the environment, reads command lines (cut at Asterisk's
   * 8191-byte buffer), answers them, signals hangups (a `HANGUP` line for
   * FastAGI, `onSighup` for stdio, again when AGI ends, as Asterisk does)
   * and returns when the script closes its side, sends a line starting with
   * `failure`, or the AGI ends on hangup (`exitOnHangup`). It closes
   * `writable` at the end.
   *
   * @param readable What the script writes (its stdout, or the socket).
   * @param writable What the script reads (its stdin, or the socket).
   * @param options How to deliver SIGHUP.
   * @returns When the AGI has ended.
   */
  async serve(
    readable: ReadableStream<Uint8Array>,
    writable: WritableStream<Uint8Array>,
    options: AgiAsteriskSideServeOptions = {},
  ): Promise<void> {
    const writer = writable.getWriter();
    let writeChain: Promise<void> = Promise.resolve();
    const write = (text: string): Promise<void> => {
      if (text === "") return writeChain;
      this.#recordText("fromAsterisk", text);
      const bytes = this.#encoder.encode(text);
      writeChain = writeChain.then(() => writer.write(bytes)).catch(() => {
        // The script went away; Asterisk ignores failed writes too.
      });
      return writeChain;
    };
    const queue: { bytes: Uint8Array; text: string }[] = [];
    let eof = false;
    let stopped = false;
    let drained: (() => void) | undefined;
    const reader = readable.getReader();
    const pump = (async () => {
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const emit = (bytes: Uint8Array) => {
        queue.push({ bytes, text: decodeLine(bytes) });
      };
      try {
        for (;;) {
          while (queue.length > 0 && !stopped) {
            await new Promise<void>((resolve) => (drained = resolve));
          }
          if (stopped) return;
          const { value, done } = await reader.read();
          if (done) break;
          let start = 0;
          for (;;) {
            const lf = value.indexOf(LF, start);
            const end = lf === -1 ? value.length : lf + 1;
            let piece = value.subarray(start, end);
            // Asterisk reads at most AGI_BUF_LEN - 1 bytes per command.
            while (pendingBytes + piece.length > AGI_BUF_LEN - 1) {
              const take = AGI_BUF_LEN - 1 - pendingBytes;
              pending.push(piece.slice(0, take));
              emit(concat(pending));
              pending = [];
              pendingBytes = 0;
              piece = piece.subarray(take);
            }
            if (lf === -1) {
              if (piece.length > 0) {
                pending.push(piece.slice());
                pendingBytes += piece.length;
              }
              break;
            }
            pending.push(piece);
            emit(concat(pending));
            pending = [];
            pendingBytes = 0;
            start = end;
            if (start === value.length) break;
          }
          if (queue.length > 0) this.#poke();
        }
        // A last line without LF still runs, as fgets() returns it.
        if (pendingBytes > 0) emit(concat(pending));
      } catch {
        // A reset connection ends the AGI like EOF does.
      } finally {
        eof = true;
        this.#poke();
      }
    })();
    const nextLine = async () => {
      while (queue.length === 0 && !eof && !this.#loopOver()) {
        await this.#sleepUntilPoked(Number.POSITIVE_INFINITY);
      }
      const line = queue.shift();
      if (queue.length === 0) drained?.();
      return line;
    };
    this.#notify = () => {
      if (!this.#sighup) return;
      if (this.#transport === "fastagi") {
        write("HANGUP\n");
      } else if (this.#transport === "stdio") {
        this.#record("note", "SIGHUP sent to the script");
        options.onSighup?.();
      }
    };
    try {
      await write(this.environment);
      for (;;) {
        if (this.#loopOver()) break;
        const line = await nextLine();
        if (line === undefined) {
          if (eof) this.#record("note", "the script closed its output");
          break;
        }
        this.#recordBytes("toAsterisk", line.bytes);
        const text = line.text.endsWith("\n")
          ? line.text.slice(0, -1)
          : line.text;
        if (/^failure/i.test(text)) {
          this.#failed = true;
          this.#record("note", "the script reported failure");
          break;
        }
        const reply = await this.#run(text, () => queue.length > 0, true);
        await write(reply);
        this.#afterCommand();
      }
      // After the loop, Asterisk tells the script once more.
      if (this.#sighup) {
        if (this.#transport === "fastagi") await write("HANGUP\n");
        else if (this.#transport === "stdio" && !eof) {
          this.#record("note", "SIGHUP sent to the script");
          options.onSighup?.();
        }
      }
    } finally {
      this.#notify = undefined;
      stopped = true;
      drained?.();
      await reader.cancel().catch(() => {});
      await pump;
      reader.releaseLock();
      await writeChain;
      await writer.close().catch(() => {});
      writer.releaseLock();
      this.close();
    }
  }

  /** Whether the AGI loop is over (exit on hangup, or closed). */
  #loopOver(): boolean {
    return this.#closed || (this.#dead && this.#exitOnHangup);
  }

  async #run(
    line: string,
    commandPending: () => boolean,
    recorded = false,
  ): Promise<string> {
    const atMs = this.nowMs;
    if (!recorded) this.#recordText("toAsterisk", line + "\n");
    this.#executing = true;
    let reply: string;
    try {
      reply = await this.#dispatch(line, commandPending);
    } finally {
      this.#executing = false;
    }
    this.commands.push({ line, reply, atMs });
    if (!recorded) {
      this.#recordText("fromAsterisk", reply);
      this.#afterCommand();
    }
    return reply;
  }

  async #dispatch(
    line: string,
    commandPending: () => boolean,
  ): Promise<string> {
    const number = ++this.#commandCount;
    const faults = this.#faults;
    if (
      faults.silentFromCommand !== undefined &&
      number >= faults.silentFromCommand
    ) {
      this.#record("note", `fault: command ${number} gets no reply`);
      return "";
    }
    if (faults.garbageAtCommand === number) {
      this.#record("note", `fault: command ${number} gets garbage`);
      return `${faults.garbage ?? "garbage"}\n`;
    }
    if (faults.hangupAtCommand === number && !this.#channelHungUp) {
      this.#record(
        "note",
        `fault: the caller hangs up during command ${number}`,
      );
      this.#hangUp("caller");
    }
    const words = parseAgiCommandLine(line);
    const command = findAgiCommand(words);
    if (command === undefined) return "510 Invalid or unknown command\n";
    if (this.#dead && !command.dead) return DEAD_REPLY;
    const reply = await this.#handle(command, words, commandPending);
    if (reply === NO_REPLY) {
      this.#record("note", "cancelled by the next command: no reply");
      return "";
    }
    if (reply === USAGE) return usageBlock(command);
    return reply;
  }

  /** Signals the hangup once a command is over, as run_agi() does. */
  #afterCommand(): void {
    if (this.call.hangupRequested && !this.#channelHungUp) {
      this.#hangUp("script");
    }
    if (this.#channelHungUp && !this.#dead) this.#notice();
  }

  #hangUp(by: "caller" | "script"): void {
    if (this.#channelHungUp || this.#closed) return;
    this.#channelHungUp = true;
    this.#hungUpBy = by;
    this.call.state = 0;
    this.#record(
      "note",
      by === "caller" ? "the caller hung up" : "the channel was hung up",
    );
    if (!this.#executing) this.#notice();
    this.#poke();
  }

  /** AGI notices the hangup: dead mode, and the script is told. */
  #notice(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#notify?.();
    this.#onHangup?.();
    this.#poke();
  }

  // ---- time and the caller ----

  #armTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed) return;
    const realElapsed = performance.now() - this.#startReal;
    let target: number;
    if (this.#fastForward) {
      target = (this.#faults.hangupAfterMs ?? Number.POSITIVE_INFINITY) -
        realElapsed;
    } else {
      target = this.#hangupAt() - realElapsed;
    }
    if (!Number.isFinite(target)) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#channelHungUp) {
        this.#record("note", "the caller hangs up on schedule");
        this.#hangUp("caller");
      }
    }, Math.max(0, target));
  }

  #hangupAt(): number {
    return Math.min(
      this.#faults.hangupAfterMs ?? Number.POSITIVE_INFINITY,
      this.#autohangupAt,
      this.#maxCallMs,
    );
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #sleepUntilPoked(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      this.#wake = () => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      if (Number.isFinite(ms)) {
        timer = setTimeout(() => {
          this.#wake = undefined;
          resolve();
        }, Math.max(0, ms));
      }
    });
  }

  /**
   * Waits up to `durationMs` of call time for a digit in `accepts`, a
   * hangup, or (when `interruptible`) a new command line.
   */
  async #listen(
    durationMs: number,
    accepts: string,
    interruptible: boolean,
    commandPending: () => boolean,
  ): Promise<Heard> {
    this.#listening = true;
    try {
      return await this.#listenLoop(
        durationMs,
        accepts,
        interruptible,
        commandPending,
      );
    } finally {
      this.#listening = false;
      this.#live.length = 0;
    }
  }

  async #listenLoop(
    durationMs: number,
    accepts: string,
    interruptible: boolean,
    commandPending: () => boolean,
  ): Promise<Heard> {
    const start = this.nowMs;
    const end = start + Math.max(0, durationMs);
    for (;;) {
      if (interruptible && commandPending()) return { kind: "aborted" };
      if (this.#channelHungUp || this.#closed) {
        return { kind: "hangup", elapsedMs: this.nowMs - start };
      }
      while (this.#live.length > 0) {
        const digit = this.#live.shift()!;
        if (accepts.includes(digit)) {
          return { kind: "digit", digit, elapsedMs: this.nowMs - start };
        }
      }
      const head = this.#untimed[0];
      if (head !== undefined && accepts.includes(head)) {
        this.#untimed.shift();
        this.#record("note", `caller pressed ${head}`);
        return { kind: "digit", digit: head, elapsedMs: this.nowMs - start };
      }
      const now = this.nowMs;
      while (this.#timed.length > 0 && this.#timed[0]!.atMs <= now) {
        const { digit, atMs } = this.#timed.shift()!;
        this.#record("note", `caller pressed ${digit} at ${atMs} ms`);
        if (atMs >= start && accepts.includes(digit)) {
          return { kind: "digit", digit, elapsedMs: atMs - start };
        }
      }
      const hangupAt = this.#hangupAt();
      if (hangupAt <= now) {
        this.#record("note", "the caller hangs up on schedule");
        this.#hangUp("caller");
        return { kind: "hangup", elapsedMs: Math.max(0, hangupAt - start) };
      }
      if (now >= end) return { kind: "timeout", elapsedMs: end - start };
      const next = Math.min(
        end,
        this.#timed[0]?.atMs ?? Number.POSITIVE_INFINITY,
        hangupAt,
      );
      if (this.#fastForward) {
        this.#virtualMs = next;
        await Promise.resolve();
      } else {
        await this.#sleepUntilPoked(next - now);
      }
    }
  }

  // ---- command handlers ----

  #handle(
    command: AgiCommandSpec,
    argv: string[],
    pending: () => boolean,
  ): Reply | Promise<Reply> {
    const argc = argv.length;
    if (argc < command.minArgs || argc > command.maxArgs) return USAGE;
    const call = this.call;
    const hungUp = this.#channelHungUp;
    switch (command.words.join(" ")) {
      case "ANSWER":
        if (hungUp) return "200 result=-1\n";
        call.state = 6;
        call.answered = true;
        return "200 result=0\n";
      case "ASYNCAGI BREAK":
        if (this.#transport === "async") this.#asyncBreak = true;
        return "200 result=0\n";
      case "CHANNEL STATUS": {
        if (argc === 3) {
          const name = argv[2]!;
          if (name !== call.channel) {
            const state = call.otherChannels.get(name);
            return `200 result=${state ?? -1}\n`;
          }
        }
        return `200 result=${call.state}\n`;
      }
      case "CONTROL STREAM FILE":
        return this.#controlStreamFile(argv, pending);
      case "DATABASE DEL":
        call.database.delete(`${argv[2]}/${argv[3]}`);
        return "200 result=1\n";
      case "DATABASE DELTREE": {
        const prefix = argc === 4 ? `${argv[2]}/${argv[3]}` : argv[2]!;
        let deleted = 0;
        for (const key of [...call.database.keys()]) {
          if (key === prefix || key.startsWith(prefix + "/")) {
            call.database.delete(key);
            deleted++;
          }
        }
        return `200 result=${deleted > 0 ? 0 : 1}\n`;
      }
      case "DATABASE GET": {
        const value = call.database.get(`${argv[2]}/${argv[3]}`);
        return value === undefined
          ? "200 result=0\n"
          : `200 result=1 (${value})\n`;
      }
      case "DATABASE PUT":
        call.database.set(`${argv[2]}/${argv[3]}`, argv[4]!);
        return "200 result=1\n";
      case "EXEC":
        return this.#exec(argv);
      case "GET DATA":
        return this.#getData(argv, pending);
      case "GET FULL VARIABLE": {
        if (
          argc === 5 && argv[4] !== call.channel &&
          !call.otherChannels.has(argv[4]!)
        ) {
          return "200 result=0\n";
        }
        return `200 result=1 (${call.expand(argv[3]!)})\n`;
      }
      case "GET OPTION":
        return this.#getOption(argv, pending);
      case "GET VARIABLE": {
        const value = call.getVariable(argv[2]!);
        return value === undefined
          ? "200 result=0\n"
          : `200 result=1 (${truncateValue(value)})\n`;
      }
      case "GOSUB":
        return this.#gosub(argv);
      case "HANGUP": {
        if (argc === 2 && argv[1] !== call.channel) {
          if (!call.otherChannels.delete(argv[1]!)) return "200 result=-1\n";
          return "200 result=1\n";
        }
        call.requestHangup();
        return "200 result=1\n";
      }
      case "NOOP":
        return "200 result=0\n";
      case "RECEIVE CHAR":
        return this.#receive(argv, pending, "char");
      case "RECEIVE TEXT":
        return this.#receive(argv, pending, "text");
      case "RECORD FILE":
        return this.#recordFile(argv, pending);
      case "SAY ALPHA":
        if (argc === 5 && !"alnu".includes(argv[4]![0]?.toLowerCase() ?? "x")) {
          return USAGE;
        }
        return this.#say("alpha", argv[2]!, argv[3]!, argv[2]!.length, pending);
      case "SAY DIGITS":
        if (scanInt(argv[2]!) === undefined) return USAGE;
        return this.#say(
          "digits",
          argv[2]!,
          argv[3]!,
          argv[2]!.length,
          pending,
        );
      case "SAY NUMBER": {
        const number = scanInt(argv[2]!);
        if (number === undefined || Math.abs(number) > 2 ** 31) return USAGE;
        return this.#say(
          "number",
          argv[2]!,
          argv[3]!,
          String(Math.abs(number)).length,
          pending,
        );
      }
      case "SAY PHONETIC":
        return this.#say(
          "phonetic",
          argv[2]!,
          argv[3]!,
          argv[2]!.length,
          pending,
        );
      case "SAY DATE":
        if (scanInt(argv[2]!) === undefined) return USAGE;
        return this.#say("date", argv[2]!, argv[3]!, 4, pending);
      case "SAY TIME":
        if (scanInt(argv[2]!) === undefined) return USAGE;
        return this.#say("time", argv[2]!, argv[3]!, 3, pending);
      case "SAY DATETIME":
        if (scanInt(argv[2]!) === undefined) return USAGE;
        return this.#say("datetime", argv[2]!, argv[3]!, 7, pending);
      case "SEND IMAGE":
        return hungUp ? "200 result=-1\n" : "200 result=0\n";
      case "SEND TEXT":
        if (hungUp) return "200 result=-1\n";
        call.sentText.push(argv[2]!);
        return "200 result=0\n";
      case "SET AUTOHANGUP": {
        let seconds = Number.parseFloat(argv[2]!);
        if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
        this.#autohangupAt = seconds === 0
          ? Number.POSITIVE_INFINITY
          : this.nowMs + seconds * 1000;
        this.#armTimer();
        return "200 result=0\n";
      }
      case "SET CALLERID":
        if (argc > 2) call.setCallerId(argv[2]!);
        return "200 result=1\n";
      case "SET CONTEXT":
        call.context = argv[2]!;
        return "200 result=0\n";
      case "SET EXTENSION":
        call.extension = argv[2]!;
        return "200 result=0\n";
      case "SET MUSIC": {
        const on = argv[2]!.toLowerCase();
        if (on.startsWith("on")) call.musicOnHold = argv[3] ?? "default";
        else if (on.startsWith("off")) call.musicOnHold = undefined;
        return "200 result=0\n";
      }
      case "SET PRIORITY": {
        const priority = scanInt(argv[2]!);
        if (priority === undefined) return USAGE; // labels are unknown here
        call.priority = priority;
        return "200 result=0\n";
      }
      case "SET VARIABLE":
        call.setVariable(argv[2]!, argv[3]!);
        return "200 result=1\n";
      case "SPEECH RECOGNIZE":
        return "200 result=0\n";
      case "STREAM FILE":
        return this.#streamFile(argv, pending);
      case "TDD MODE":
        return "200 result=0\n";
      case "VERBOSE": {
        const level = argc > 2 ? scanInt(argv[2]!) ?? 0 : 0;
        call.verbose.push({
          message: argv[1]!,
          level,
          line: `${this.appData}: ${argv[1]}`,
        });
        return "200 result=1\n";
      }
      case "WAIT FOR DIGIT":
        return this.#waitForDigit(argv, pending);
    }
    // SPEECH CREATE, SET, DESTROY and the grammar commands: no speech
    // engine is loaded, so they all fail with 0.
    return "200 result=0\n";
  }

  async #streamFile(argv: string[], pending: () => boolean): Promise<Reply> {
    const file = argv[2]!;
    const offset = argv.length === 5 ? scanInt(argv[4]!) ?? 0 : 0;
    const lengthMs = this.call.sounds.get(file);
    if (lengthMs === undefined) {
      this.call.variables.set("PLAYBACKSTATUS", "FAILED");
      return `200 result=-1 endpos=${offset}\n`;
    }
    const total = Math.round(lengthMs * SAMPLES_PER_MS);
    const start = Math.min(Math.max(0, offset), total);
    this.call.played.push(file);
    const heard = await this.#listen(
      (total - start) / SAMPLES_PER_MS,
      argv[3]!,
      true,
      pending,
    );
    if (heard.kind === "aborted") return NO_REPLY;
    let result = 0;
    let endpos = total;
    if (heard.kind === "digit") {
      result = heard.digit.charCodeAt(0);
      endpos = start + Math.round(heard.elapsedMs * SAMPLES_PER_MS);
    } else if (heard.kind === "hangup") {
      result = -1;
      endpos = start + Math.round(heard.elapsedMs * SAMPLES_PER_MS);
    }
    this.call.variables.set("PLAYBACKSTATUS", result ? "FAILED" : "SUCCESS");
    return `200 result=${result} endpos=${endpos}\n`;
  }

  async #controlStreamFile(
    argv: string[],
    pending: () => boolean,
  ): Promise<Reply> {
    const file = argv[3]!;
    const stop = argv[4]!;
    const skipMs = argv[5] ? scanInt(argv[5]) ?? 3000 : 3000;
    const forward = argv[6] || "#";
    const rewind = argv[7] || "*";
    const pause = argv[8] ?? "";
    let positionMs = argv[9] ? scanInt(argv[9]) ?? 0 : 0;
    const lengthMs = this.call.sounds.get(file);
    const call = this.call;
    const finish = (result: number, status: string, endpos: number) => {
      call.variables.set("CPLAYBACKSTATUS", status);
      call.variables.set("CPLAYBACKOFFSET", String(endpos));
      return `200 result=${result} endpos=${endpos}\n`;
    };
    if (lengthMs === undefined) return finish(-1, "ERROR", positionMs);
    call.played.push(file);
    const accepts = stop + forward + rewind + pause;
    for (;;) {
      const remaining = Math.max(0, lengthMs - positionMs);
      const heard = await this.#listen(remaining, accepts, true, pending);
      if (heard.kind === "aborted") return NO_REPLY;
      if (heard.kind === "timeout") return finish(0, "SUCCESS", -1);
      positionMs += Math.round(heard.elapsedMs);
      if (heard.kind === "hangup") return finish(-1, "ERROR", positionMs);
      const digit = heard.digit;
      if (stop.includes(digit)) {
        call.variables.set("CPLAYBACKSTOPKEY", digit);
        return finish(digit.charCodeAt(0), "USERSTOPPED", positionMs);
      }
      if (forward.includes(digit)) positionMs += skipMs;
      else if (rewind.includes(digit)) {
        positionMs = Math.max(0, positionMs - skipMs);
      }
    }
  }

  async #getData(argv: string[], pending: () => boolean): Promise<Reply> {
    const file = argv[2]!;
    const timeout = argv.length >= 4 ? scanInt(argv[3]!) ?? 0 : 0;
    const max = Math.min(
      argv.length >= 5 ? scanInt(argv[4]!) ?? 0 : 1024,
      1024,
    );
    let firstMs = 6000;
    let nextMs = 2000;
    if (timeout > 0) firstMs = nextMs = timeout;
    if (timeout < 0) firstMs = nextMs = 1_000_000_000;
    if (this.#channelHungUp || max <= 0) return "200 result=-1\n";
    const anyDigit = DIGITS;
    let heard: Heard | undefined;
    if (file !== "") {
      const lengthMs = this.call.sounds.get(file);
      if (lengthMs === undefined) return "200 result=-1\n";
      this.call.played.push(file);
      heard = await this.#listen(lengthMs, anyDigit, true, pending);
      if (heard.kind === "timeout") heard = undefined;
    }
    let digits = "";
    let wait = firstMs;
    for (;;) {
      heard ??= await this.#listen(wait, anyDigit, true, pending);
      if (heard.kind === "aborted") return NO_REPLY;
      if (heard.kind === "hangup") return "200 result=-1\n";
      if (heard.kind === "timeout") return `200 result=${digits} (timeout)\n`;
      if (heard.digit === "#") return `200 result=${digits}\n`;
      digits += heard.digit;
      if (digits.length >= max) return `200 result=${digits}\n`;
      heard = undefined;
      wait = nextMs;
    }
  }

  async #getOption(argv: string[], pending: () => boolean): Promise<Reply> {
    const file = argv[2]!;
    const escape = argv[3]!;
    const timeout = argv.length === 5 ? scanInt(argv[4]!) ?? 0 : 5000;
    const lengthMs = this.call.sounds.get(file);
    if (lengthMs === undefined) {
      this.#failed = true;
      return "200 result=0 endpos=0\n";
    }
    this.call.played.push(file);
    const total = Math.round(lengthMs * SAMPLES_PER_MS);
    const heard = await this.#listen(lengthMs, escape, true, pending);
    if (heard.kind === "aborted") return NO_REPLY;
    if (heard.kind === "digit") {
      const endpos = Math.round(heard.elapsedMs * SAMPLES_PER_MS);
      return `200 result=${heard.digit.charCodeAt(0)} endpos=${endpos}\n`;
    }
    if (heard.kind === "hangup") {
      const endpos = Math.round(heard.elapsedMs * SAMPLES_PER_MS);
      return `200 result=-1 endpos=${endpos}\n`;
    }
    const after = await this.#listen(
      timeout > 0 ? timeout : 0,
      escape,
      false,
      pending,
    );
    const result = after.kind === "digit" ? after.digit.charCodeAt(0) : 0;
    return `200 result=${
      after.kind === "hangup" ? -1 : result
    } endpos=${total}\n`;
  }

  async #waitForDigit(argv: string[], pending: () => boolean): Promise<Reply> {
    const timeout = scanInt(argv[3]!) ?? 0;
    const heard = await this.#listen(
      timeout < 0 ? Number.POSITIVE_INFINITY : timeout,
      DIGITS,
      false,
      pending,
    );
    if (heard.kind === "digit") {
      return `200 result=${heard.digit.charCodeAt(0)}\n`;
    }
    return heard.kind === "timeout" ? "200 result=0\n" : "200 result=-1\n";
  }

  async #say(
    kind: string,
    value: string,
    escape: string,
    elements: number,
    pending: () => boolean,
  ): Promise<Reply> {
    this.call.said.push({ kind, value });
    const heard = await this.#listen(
      Math.max(1, elements) * ELEMENT_MS,
      escape,
      true,
      pending,
    );
    if (heard.kind === "aborted") return NO_REPLY;
    if (heard.kind === "digit") {
      return `200 result=${heard.digit.charCodeAt(0)}\n`;
    }
    return heard.kind === "hangup" ? "200 result=-1\n" : "200 result=0\n";
  }

  async #recordFile(argv: string[], pending: () => boolean): Promise<Reply> {
    const file = argv[2]!;
    const format = argv[3]!;
    const escape = argv[4]!;
    const timeoutText = argv[5]!;
    let timeout = scanInt(timeoutText) ?? 0;
    let silenceMs = Number.POSITIVE_INFINITY;
    let beep = false;
    for (const extra of argv.slice(6)) {
      if (/^s=/i.test(extra)) {
        silenceMs = (scanInt(extra.slice(2)) ?? 0) * 1000 || silenceMs;
      } else if (scanInt(extra) === undefined) beep = true;
    }
    if (this.#channelHungUp) return "200 result=-1 (hangup) endpos=0\n";
    if (beep) {
      const beepMs = this.call.sounds.get("beep") ?? 0;
      const heard = await this.#listen(beepMs, "", false, pending);
      if (heard.kind === "hangup") return "200 result=-1 (hangup) endpos=0\n";
    }
    if (timeout < 0) timeout = Number.POSITIVE_INFINITY;
    // The emulated caller sends no audio (like a Local channel): the
    // silence detector ends the recording after `s=` seconds.
    const heard = await this.#listen(
      Math.min(timeout, silenceMs),
      escape,
      false,
      pending,
    );
    const durationMs = heard.kind === "aborted" ? 0 : heard.elapsedMs;
    let reply: string;
    let reason: "dtmf" | "timeout" | "hangup";
    if (heard.kind === "digit") {
      reason = "dtmf";
      reply = `200 result=${heard.digit.charCodeAt(0)} (dtmf) endpos=0\n`;
    } else if (heard.kind === "hangup") {
      reason = "hangup";
      reply = "200 result=-1 (hangup) endpos=0\n";
    } else {
      reason = "timeout";
      reply = "200 result=0 (timeout) endpos=0\n";
    }
    this.call.recordings.push({ file, format, durationMs, reason });
    this.call.sounds.set(file, durationMs);
    return reply;
  }

  async #receive(
    argv: string[],
    pending: () => boolean,
    kind: "char" | "text",
  ): Promise<Reply> {
    const timeout = scanInt(argv[2]!) ?? 0;
    // The emulated channel never receives text.
    const heard = await this.#listen(
      timeout <= 0 ? Number.POSITIVE_INFINITY : timeout,
      "",
      false,
      pending,
    );
    if (kind === "text") return "200 result=-1\n";
    return heard.kind === "hangup"
      ? "200 result=-1 (hangup)\n"
      : "200 result=0 (timeout)\n";
  }

  #exec(argv: string[]): Reply {
    const name = argv[1]!;
    let data = argv.length === 2 ? "" : argv[2]!;
    const call = this.call;
    if (isTrue(call.variables.get("AGIEXECFULL"))) data = call.expand(data);
    const app = call.applications.get(name.toLowerCase());
    const result = app === undefined ? -2 : app(call, data) ?? 0;
    call.executed.push({ application: name, data, result });
    return `200 result=${result}\n`;
  }

  #gosub(argv: string[]): Reply {
    const key = `${argv[1]},${argv[2]},${argv[3]}`;
    const subroutine = this.call.subroutines.get(key);
    if (subroutine === undefined) {
      this.#failed = true;
      return "200 result=-1 Gosub label not found\n";
    }
    const args = argv.length === 5 ? argv[4]!.split(",") : [];
    const call = this.call;
    const saved = new Map<string, string | undefined>();
    args.forEach((arg, index) => {
      const name = `ARG${index + 1}`;
      saved.set(name, call.variables.get(name));
      call.variables.set(name, arg);
    });
    const outcome = subroutine(call, args);
    for (const [name, value] of saved) {
      if (value === undefined) call.variables.delete(name);
      else call.variables.set(name, value);
    }
    const complete = outcome === "abnormal"
      ? "Gosub complete (abnormal exit)"
      : "Gosub complete";
    return `100 result=0 Trying...\n200 result=0 ${complete}\n`;
  }

  // ---- transcript ----

  #record(direction: "note", text: string): void {
    this.#push({
      direction,
      bytes: this.#encoder.encode(text),
      text,
      lineNumber: 0,
    });
  }

  #recordText(direction: "toAsterisk" | "fromAsterisk", text: string): void {
    if (text === "") return;
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    const endsWithLf = text.endsWith("\n");
    lines.forEach((line, index) => {
      const withLf = index < lines.length - 1 || endsWithLf;
      this.#recordBytes(
        direction,
        this.#encoder.encode(withLf ? line + "\n" : line),
      );
    });
  }

  #recordBytes(
    direction: "toAsterisk" | "fromAsterisk",
    bytes: Uint8Array,
  ): void {
    const body = bytes.at(-1) === LF ? bytes.subarray(0, -1) : bytes;
    let text = decodeLine(body);
    if (text.endsWith("\r")) text = text.slice(0, -1);
    this.#push({ direction, bytes, text, lineNumber: 0 });
  }

  #push(entry: TranscriptEntry): void {
    this.#onTrace?.({
      direction: entry.direction,
      text: entry.text,
      atMs: this.nowMs,
    });
    if (this.#transcriptFull) return;
    if (this.#transcript.length >= this.#maxTranscriptLines) {
      this.#transcriptFull = true;
      const text = `transcript truncated at ${this.#maxTranscriptLines} lines`;
      this.#transcript.push({
        direction: "note",
        bytes: this.#encoder.encode(text),
        text,
        lineNumber: this.#transcript.length + 1,
      });
      return;
    }
    this.#transcript.push({
      ...entry,
      lineNumber: this.#transcript.length + 1,
    });
  }
}

/** The 520 reply for a command with bad arguments. */
function usageBlock(command: AgiCommandSpec): string {
  if (command.usage === "") {
    return "520 Invalid command syntax.  Proper usage not available.\n";
  }
  return "520-Invalid command syntax.  Proper usage follows:\n" +
    command.usage + "\n520 End of proper usage.\n";
}

/** What follows the first `/` after `agi://host[:port]`, query included. */
function networkScriptOf(request: string): string {
  const match = /^h?agi:\/\/[^/]*\/(.*)$/i.exec(request);
  return match?.[1] ?? "";
}

/** `sscanf("%d")`: an optional sign and digits after leading blanks. */
function scanInt(text: string): number | undefined {
  const match = /^\s*([+-]?\d+)/.exec(text);
  return match ? Number.parseInt(match[1]!, 10) : undefined;
}

/** `ast_true`. */
function isTrue(value: string | undefined): boolean {
  return value !== undefined &&
    /^(yes|true|y|t|1|on)$/i.test(value.trim());
}

/** GET VARIABLE's 1024-byte buffer: at most 1023 bytes of the value. */
function truncateValue(value: string): string {
  const bytes = new TextEncoder().encode(value);
  if (bytes.length <= 1023) return value;
  return new TextDecoder().decode(bytes.subarray(0, 1023));
}

function decodeLine(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
