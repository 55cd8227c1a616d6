// Copyright the @pyst/asterisk authors. MIT license.

/**
 * A dialplan application the emulated channel can `EXEC`. It runs at once
 * (no time passes) and returns what the application returns to AGI; nothing
 * (`undefined`) means `0`.
 */
export type AgiApplication = (
  call: AgiChannelModel,
  data: string,
) => number | void;

/**
 * A dialplan subroutine the emulated channel can `GOSUB` to. It runs at once
 * with the comma-separated arguments split into `ARG1`…`ARGn`; returning
 * `"abnormal"` reports `Gosub complete (abnormal exit)`.
 */
export type AgiSubroutine = (
  call: AgiChannelModel,
  args: readonly string[],
) => "abnormal" | void;

/** One `VERBOSE` message (or `Verbose()` application call). */
export interface AgiVerboseMessage {
  /** The message text. */
  readonly message: string;
  /** The verbose level (0 when not given). */
  readonly level: number;
  /**
   * The console line as Asterisk logs it: `<AGI app data>: <message>` for the
   * VERBOSE command, the message alone for the `Verbose()` application.
   */
  readonly line: string;
}

/** One application run through `EXEC`. */
export interface AgiExecutedApplication {
  /** The application name as sent. */
  readonly application: string;
  /** Its argument string (`""` when none). */
  readonly data: string;
  /** What it returned (`-2` when it does not exist). */
  readonly result: number;
}

/** One prompt spoken by a `SAY …` command. */
export interface AgiSaid {
  /** What was said: `number`, `digits`, `alpha`, `phonetic`, `date`, `time` or `datetime`. */
  readonly kind: string;
  /** The value as sent. */
  readonly value: string;
}

/** One `RECORD FILE` recording. */
export interface AgiRecording {
  /** The file name as sent (without the format). */
  readonly file: string;
  /** The format (`wav`, `gsm`, …). */
  readonly format: string;
  /** How long it recorded, in milliseconds of call time. */
  readonly durationMs: number;
  /** Why it stopped: `dtmf`, `timeout` or `hangup`. */
  readonly reason: "dtmf" | "timeout" | "hangup";
}

/** Options of {@linkcode AgiChannelModel}. */
export interface AgiChannelModelOptions {
  /**
   * The channel name.
   *
   * @default {"PJSIP/astemu-00000001"}
   */
  channel?: string;
  /**
   * The channel technology (`agi_type`).
   *
   * @default {the part of `channel` before the first "/"}
   */
  type?: string;
  /**
   * The channel language.
   *
   * @default {"en"}
   */
  language?: string;
  /**
   * The channel's unique id.
   *
   * @default {"1700000000.1"}
   */
  uniqueId?: string;
  /**
   * The caller's number; `undefined` means none (`unknown` in the
   * environment).
   *
   * @default {undefined}
   */
  callerIdNum?: string;
  /**
   * The caller's name; `undefined` means none.
   *
   * @default {undefined}
   */
  callerIdName?: string;
  /**
   * Caller id presentation (`agi_callingpres`).
   *
   * @default {0}
   */
  callingPres?: number;
  /**
   * The dialed number; `undefined` means none.
   *
   * @default {undefined}
   */
  dnid?: string;
  /**
   * The redirecting number; `undefined` means none.
   *
   * @default {undefined}
   */
  rdnis?: string;
  /**
   * The dialplan context.
   *
   * @default {"default"}
   */
  context?: string;
  /**
   * The dialplan extension.
   *
   * @default {"s"}
   */
  extension?: string;
  /**
   * The dialplan priority.
   *
   * @default {1}
   */
  priority?: number;
  /**
   * The account code.
   *
   * @default {""}
   */
  accountCode?: string;
  /**
   * The channel state when AGI starts (4 = Ring, 6 = Up; see
   * `CHANNEL STATUS`).
   *
   * @default {4}
   */
  state?: number;
  /**
   * Channel variables set before AGI starts.
   *
   * @default {{}}
   */
  variables?: Readonly<Record<string, string>>;
  /**
   * AstDB entries, keyed `family/key`.
   *
   * @default {{}}
   */
  database?: Readonly<Record<string, string>>;
  /**
   * The sound files that exist, name → length in milliseconds (8000 samples
   * per second). Replaces the default set.
   *
   * @default {{ beep: 440, "hello-world": 1460, "vm-goodbye": 760, "tt-monkeys": 11000, "demo-congrats": 9600 }}
   */
  sounds?: Readonly<Record<string, number>>;
  /**
   * Extra dialplan applications for `EXEC`, added to the built-in `Answer`,
   * `Hangup`, `NoOp`, `Verbose`, `Log`, `Set`, `Playback` and `Wait`
   * (matched case-insensitively).
   *
   * @default {{}}
   */
  applications?: Readonly<Record<string, AgiApplication>>;
  /**
   * Dialplan subroutines for `GOSUB`, keyed `context,extension,priority`.
   * A missing key gives `Gosub label not found`.
   *
   * @default {{}}
   */
  subroutines?: Readonly<Record<string, AgiSubroutine>>;
  /**
   * Other channels that exist (name → state), for `CHANNEL STATUS`,
   * `HANGUP` and `GET FULL VARIABLE` with a channel name.
   *
   * @default {{}}
   */
  otherChannels?: Readonly<Record<string, number>>;
}

/** The sound files of {@linkcode AgiChannelModelOptions.sounds} by default. */
const DEFAULT_SOUNDS: Readonly<Record<string, number>> = {
  "beep": 440,
  "hello-world": 1460,
  "vm-goodbye": 760,
  "tt-monkeys": 11000,
  "demo-congrats": 9600,
};

const MAX_EXPANSION_DEPTH = 15;

/**
 * The AGI-side state of one emulated channel: what a script can read and
 * change — variables (with dialplan functions such as `CALLERID(num)`), the
 * AstDB, sound files, caller id, context, state — and what it did.
 *
 * @example Reading and expanding variables as Asterisk would
 * ```ts
 * import { AgiChannelModel } from "@pyst/asterisk/astemu";
 * import assert from "node:assert/strict";
 *
 * const channel = new AgiChannelModel({ callerIdNum: "5551234" });
 * channel.setVariable("GREETING", "hello");
 * assert.equal(channel.getVariable("CALLERID(num)"), "5551234");
 * assert.equal(channel.expand("${GREETING} ${CALLERID(num)}"), "hello 5551234");
 * assert.equal(channel.getVariable("UNSET"), undefined);
 * ```
 */
export class AgiChannelModel {
  /** The channel name. */
  readonly channel: string;
  /** The channel technology. */
  readonly type: string;
  /** The channel's unique id. */
  readonly uniqueId: string;
  /** The channel language. */
  language: string;
  /** The caller's number, `undefined` when none. */
  callerIdNum: string | undefined;
  /** The caller's name, `undefined` when none. */
  callerIdName: string | undefined;
  /** Caller id presentation. */
  callingPres: number;
  /** The dialed number, `undefined` when none. */
  dnid: string | undefined;
  /** The redirecting number, `undefined` when none. */
  rdnis: string | undefined;
  /** The dialplan context (changed by `SET CONTEXT`). */
  context: string;
  /** The dialplan extension (changed by `SET EXTENSION`). */
  extension: string;
  /** The dialplan priority (changed by `SET PRIORITY`). */
  priority: number;
  /** The account code. */
  accountCode: string;
  /** The channel state number (6 = Up). */
  state: number;
  /** Channel variables. */
  readonly variables: Map<string, string>;
  /** The AstDB, keyed `family/key`. */
  readonly database: Map<string, string>;
  /** Sound files that exist, name → milliseconds. */
  readonly sounds: Map<string, number>;
  /** Applications for `EXEC`, keyed by lower-case name. */
  readonly applications: Map<string, AgiApplication>;
  /** Subroutines for `GOSUB`, keyed `context,extension,priority`. */
  readonly subroutines: Map<string, AgiSubroutine>;
  /** Other channels that exist, name → state. */
  readonly otherChannels: Map<string, number>;
  /** Sound files played (that existed), in order. */
  readonly played: string[] = [];
  /** `SAY …` prompts, in order. */
  readonly said: AgiSaid[] = [];
  /** Verbose messages, in order. */
  readonly verbose: AgiVerboseMessage[] = [];
  /** Applications run through `EXEC`, in order. */
  readonly executed: AgiExecutedApplication[] = [];
  /** Recordings made with `RECORD FILE`, in order. */
  readonly recordings: AgiRecording[] = [];
  /** Text sent with `SEND TEXT`, in order. */
  readonly sentText: string[] = [];
  /** Whether the channel was answered (now or earlier in the call). */
  answered: boolean;
  /** Music on hold: the class while on, `undefined` while off. */
  musicOnHold: string | undefined;
  #hangupRequested = false;

  /**
   * Creates a channel model.
   *
   * @param options The channel's identity, variables, database and sounds.
   *
   * @example A channel with a caller id and a variable
   * ```ts
   * import { AgiChannelModel } from "@pyst/asterisk/astemu";
   * import assert from "node:assert/strict";
   *
   * const call = new AgiChannelModel({
   *   callerIdNum: "5551234",
   *   callerIdName: "Alice",
   *   variables: { LANG: "en" },
   * });
   * assert.equal(call.getVariable("CALLERID(all)"), '"Alice" <5551234>');
   * assert.equal(call.expand("${LANG}-${CALLERID(num)}"), "en-5551234");
   * ```
   */
  constructor(options: AgiChannelModelOptions = {}) {
    this.channel = options.channel ?? "PJSIP/astemu-00000001";
    const slash = this.channel.indexOf("/");
    this.type = options.type ??
      (slash === -1 ? this.channel : this.channel.slice(0, slash));
    this.language = options.language ?? "en";
    this.uniqueId = options.uniqueId ?? "1700000000.1";
    this.callerIdNum = options.callerIdNum;
    this.callerIdName = options.callerIdName;
    this.callingPres = options.callingPres ?? 0;
    this.dnid = options.dnid;
    this.rdnis = options.rdnis;
    this.context = options.context ?? "default";
    this.extension = options.extension ?? "s";
    this.priority = options.priority ?? 1;
    this.accountCode = options.accountCode ?? "";
    this.state = options.state ?? 4;
    this.answered = this.state === 6;
    this.variables = new Map(Object.entries(options.variables ?? {}));
    this.database = new Map(Object.entries(options.database ?? {}));
    this.sounds = new Map(Object.entries(options.sounds ?? DEFAULT_SOUNDS));
    this.applications = new Map(builtinApplications());
    for (const [name, app] of Object.entries(options.applications ?? {})) {
      this.applications.set(name.toLowerCase(), app);
    }
    this.subroutines = new Map(Object.entries(options.subroutines ?? {}));
    this.otherChannels = new Map(Object.entries(options.otherChannels ?? {}));
  }

  /**
   * Whether something on the channel (the `HANGUP` command, the `Hangup`
   * application) asked for it to be hung up.
   */
  get hangupRequested(): boolean {
    return this.#hangupRequested;
  }

  /**
   * Asks for the channel to be hung up, as the `Hangup` application does.
   * The emulator then ends the call the way Asterisk does.
   */
  requestHangup(): void {
    this.#hangupRequested = true;
  }

  /**
   * Reads a variable the way AGI's GET VARIABLE does: a name ending in `)`
   * is a dialplan function; otherwise the built-in variables (`CHANNEL`,
   * `UNIQUEID`, `CONTEXT`, `EXTEN`, `PRIORITY`, `CALLINGPRES`, `EPOCH`) come
   * first, then channel variables. Names are case-sensitive.
   *
   * @param name A variable name or a function call such as `CALLERID(num)`.
   * @returns The value, or `undefined` when unset or unknown.
   */
  getVariable(name: string): string | undefined {
    if (name.endsWith(")")) return this.#readFunction(name);
    switch (name) {
      case "CHANNEL":
        return this.channel;
      case "UNIQUEID":
        return this.uniqueId;
      case "CONTEXT":
        return this.context;
      case "EXTEN":
        return this.extension;
      case "PRIORITY":
        return String(this.priority);
      case "CALLINGPRES":
        return String(this.callingPres);
      case "EPOCH":
        return String(Math.floor(Date.now() / 1000));
    }
    return this.variables.get(name);
  }

  /**
   * Sets a variable the way AGI's SET VARIABLE does; a name ending in `)`
   * writes a dialplan function (`CALLERID(num)`, `CALLERID(name)`,
   * `CALLERID(all)`, `DB(family/key)`).
   *
   * @param name A variable name or a writable function call.
   * @param value The new value.
   */
  setVariable(name: string, value: string): void {
    if (name.endsWith(")")) {
      this.#writeFunction(name, value);
      return;
    }
    this.variables.set(name, value);
  }

  /**
   * Sets the caller id from one string as AGI's SET CALLERID does:
   * `"Name" <number>`, `Name <number>`, a bare number, or a bare name; the
   * part not given becomes empty.
   *
   * @param text The caller id text.
   */
  setCallerId(text: string): void {
    const { name, number } = parseCallerId(text);
    this.callerIdName = name ?? "";
    this.callerIdNum = number === undefined ? "" : shrinkPhoneNumber(number);
  }

  /**
   * Expands `${…}` references as the dialplan does (GET FULL VARIABLE):
   * nested references, functions, and `${VAR:offset:length}` substrings.
   * `$[…]` expressions are left as they are.
   *
   * @param text Text with `${…}` references.
   * @returns The expanded text.
   */
  expand(text: string): string {
    return this.#expand(text, 0);
  }

  #expand(text: string, depth: number): string {
    if (depth > MAX_EXPANSION_DEPTH || !text.includes("${")) return text;
    let out = "";
    let index = 0;
    while (index < text.length) {
      const start = text.indexOf("${", index);
      if (start === -1) {
        out += text.slice(index);
        break;
      }
      out += text.slice(index, start);
      let level = 1;
      let end = start + 2;
      for (; end < text.length && level > 0; end++) {
        if (text[end] === "$" && text[end + 1] === "{") {
          level++;
          end++;
        } else if (text[end] === "}") level--;
      }
      if (level > 0) {
        // Unterminated: Asterisk takes the rest as the name.
        out += this.#lookup(this.#expand(text.slice(start + 2), depth + 1));
        break;
      }
      const inner = this.#expand(text.slice(start + 2, end - 1), depth + 1);
      out += this.#lookup(inner);
      index = end;
    }
    return out;
  }

  #lookup(expression: string): string {
    if (expression.endsWith(")")) return this.#readFunction(expression) ?? "";
    const match = /^([^:]*)(?::(-?\d*)(?::(-?\d*))?)?$/.exec(expression);
    const name = match?.[1] ?? expression;
    const value = this.getVariable(name) ?? "";
    if (match?.[2] === undefined) return value;
    let offset = Number(match[2] || "0");
    if (offset < 0) offset = Math.max(0, value.length + offset);
    let rest = value.slice(offset);
    if (match[3] !== undefined && match[3] !== "") {
      const length = Number(match[3]);
      rest = length < 0
        ? rest.slice(0, Math.max(0, rest.length + length))
        : rest.slice(0, length);
    }
    return rest;
  }

  #readFunction(call: string): string | undefined {
    const open = call.indexOf("(");
    if (open === -1) return undefined;
    const name = call.slice(0, open).toUpperCase();
    const arg = call.slice(open + 1, -1);
    switch (name) {
      case "CALLERID": {
        const what = arg.toLowerCase();
        if (what.startsWith("all")) {
          return mergeCallerId(this.callerIdName, this.callerIdNum);
        }
        if (what.startsWith("name")) return this.callerIdName ?? "";
        if (what.startsWith("num")) return this.callerIdNum ?? "";
        if (what.startsWith("rdnis")) return this.rdnis ?? "";
        if (what.startsWith("dnid")) return this.dnid ?? "";
        return undefined;
      }
      case "CHANNEL": {
        switch (arg.toLowerCase()) {
          case "name":
            return this.channel;
          case "language":
            return this.language;
          case "channeltype":
            return this.type;
          case "state":
            return stateName(this.state);
          case "uniqueid":
            return this.uniqueId;
          case "accountcode":
            return this.accountCode;
          case "musicclass":
            return this.musicOnHold ?? "";
        }
        return undefined;
      }
      case "LEN":
        return String(arg.length);
      case "TOUPPER":
        return arg.toUpperCase();
      case "TOLOWER":
        return arg.toLowerCase();
      case "DB":
        return this.database.get(arg);
      case "DB_EXISTS":
        return this.database.has(arg) ? "1" : "0";
      case "EXISTS":
        return arg === "" ? "0" : "1";
    }
    return undefined;
  }

  #writeFunction(call: string, value: string): void {
    const open = call.indexOf("(");
    const name = call.slice(0, open).toUpperCase();
    const arg = call.slice(open + 1, -1).toLowerCase();
    if (name === "CALLERID") {
      if (arg.startsWith("all")) this.setCallerId(value);
      else if (arg.startsWith("name")) this.callerIdName = value;
      else if (arg.startsWith("num")) this.callerIdNum = value;
    } else if (name === "DB") {
      this.database.set(call.slice(open + 1, -1), value);
    } else if (name === "CHANNEL" && arg === "language") {
      this.language = value;
    }
  }
}

function builtinApplications(): [string, AgiApplication][] {
  return [
    ["answer", (call) => {
      call.state = 6;
      call.answered = true;
      return 0;
    }],
    ["hangup", (call) => {
      call.requestHangup();
      return -1;
    }],
    ["noop", () => 0],
    ["verbose", (call, data) => {
      // Verbose([level,]message)
      const comma = data.indexOf(",");
      const level = comma === -1 ? 0 : Number.parseInt(data, 10) || 0;
      const message = comma === -1 ? data : data.slice(comma + 1);
      call.verbose.push({ message, level, line: message });
      return 0;
    }],
    ["log", () => 0],
    ["set", (call, data) => {
      const equals = data.indexOf("=");
      if (equals > 0) {
        call.setVariable(data.slice(0, equals), data.slice(equals + 1));
      }
      return 0;
    }],
    ["playback", (call, data) => {
      const files = (data.split(",")[0] ?? "").split("&");
      let ok = true;
      for (const file of files) {
        if (call.sounds.has(file)) call.played.push(file);
        else ok = false;
      }
      call.variables.set("PLAYBACKSTATUS", ok ? "SUCCESS" : "FAILED");
      return 0;
    }],
    ["wait", () => 0],
  ];
}

/** Channel state names as `CHANNEL(state)` and AMI show them. */
function stateName(state: number): string {
  return [
    "Down",
    "Rsrvd",
    "OffHook",
    "Dialing",
    "Ring",
    "Ringing",
    "Up",
    "Busy",
    "Dialing Offhook",
    "Pre-ring",
  ][state] ?? "Unknown";
}

/** `ast_callerid_merge` with an empty "unknown". */
function mergeCallerId(
  name: string | undefined,
  number: string | undefined,
): string {
  if (name !== undefined && number !== undefined) {
    return `"${name.replace(/["\\]/g, "\\$&")}" <${number}>`;
  }
  return name ?? number ?? "";
}

/** `ast_callerid_parse`: `"Name" <number>`, `Name <number>`, a number, or a name. */
function parseCallerId(
  input: string,
): { name: string | undefined; number: string | undefined } {
  let text = input.trim();
  const lt = text.lastIndexOf("<");
  if (lt !== -1) {
    let location = text.slice(lt + 1);
    const gt = location.lastIndexOf(">");
    if (gt !== -1) location = location.slice(0, gt);
    const name = unquote(text.slice(0, lt).trim());
    return { name, number: location };
  }
  text = unquote(text);
  const shrunk = shrinkPhoneNumber(text);
  if (shrunk !== "" && /^[0-9*#+]+$/.test(shrunk)) {
    return { name: undefined, number: shrunk };
  }
  return { name: text, number: undefined };
}

function unquote(text: string): string {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    return text.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  return text;
}

/** `ast_shrink_phone_number`: drops spaces, dashes, dots and parentheses. */
function shrinkPhoneNumber(number: string): string {
  return number.replace(/[\s\-.()]/g, "");
}
