// Copyright the @pyst/asterisk authors. MIT license.

/**
 * The `agi_*` block Asterisk sends when an AGI starts (res_agi.c
 * `setup_env`), with the FastAGI `agi_network*` lines. String fields hold the
 * raw value ("" when the line was absent, as `agi_version` and `agi_threadid`
 * are in old versions); `raw` keeps every line in order, unknown keys
 * included.
 */
export interface AgiEnvironment {
  /** `agi_request`: the script name, the full `agi://…` URL, or `async`. */
  readonly request: string;
  /** `agi_channel`: the channel name. */
  readonly channel: string;
  /** `agi_language`: the channel language. */
  readonly language: string;
  /** `agi_type`: the channel technology, e.g. `PJSIP`. */
  readonly type: string;
  /** `agi_uniqueid`: the channel's unique id. */
  readonly uniqueId: string;
  /** `agi_version`: the Asterisk version. */
  readonly version: string;
  /** `agi_callerid`: the caller number, or `unknown`. */
  readonly callerId: string;
  /** `agi_calleridname`: the caller name, or `unknown`. */
  readonly callerIdName: string;
  /** `agi_callingpres`: the presentation, as decimal text. */
  readonly callingPres: string;
  /** `agi_callingani2`: ANI2, as decimal text. */
  readonly callingAni2: string;
  /** `agi_callington`: the type of number, as decimal text. */
  readonly callingTon: string;
  /** `agi_callingtns`: the transit network select, as decimal text. */
  readonly callingTns: string;
  /** `agi_dnid`: the dialed number, or `unknown`. */
  readonly dnid: string;
  /** `agi_rdnis`: the redirecting number, or `unknown`. */
  readonly rdnis: string;
  /** `agi_context`: the dialplan context. */
  readonly context: string;
  /** `agi_extension`: the dialplan extension. */
  readonly extension: string;
  /** `agi_priority`: the dialplan priority, as decimal text. */
  readonly priority: string;
  /** `agi_enhanced` is `1.0`: EAGI, with audio on fd 3. */
  readonly enhanced: boolean;
  /** `agi_accountcode`: the account code (often ""). */
  readonly accountCode: string;
  /** `agi_threadid`: the id of Asterisk's thread. */
  readonly threadId: string;
  /** `agi_network` is `yes`: started by FastAGI. */
  readonly network: boolean;
  /** `agi_network_script`: the URL path after the host (query included). */
  readonly networkScript: string | undefined;
  /** `agi_arg_1` … `agi_arg_N`: the dialplan arguments after the script. */
  readonly args: readonly string[];
  /** Every line as `[key, value]`, in order, unknown keys included. */
  readonly raw: ReadonlyArray<readonly [string, string]>;
  /**
   * Looks up a raw value by key, with or without the `agi_` prefix.
   *
   * @param key E.g. `agi_dnid` or `dnid`.
   * @returns The first value with that key, or `undefined`.
   */
  get(key: string): string | undefined;
}

const ARG = /^agi_arg_(\d+)$/;
const MAX_ARG_NUMBER = 1024;

/**
 * Parses the AGI environment block: `key: value` lines up to the first empty
 * line (any later lines are ignored). Each line is split on its FIRST `": "`,
 * so values keep their colons (`agi_request: agi://host:4573/x`); a line
 * ending in `:` has an empty value; any other line without `": "` is kept in
 * `raw` with the key "" and the whole line as the value. `agi_arg_N` values fill
 * `args[N - 1]` (gaps become "").
 *
 * @param lines The lines, without line endings.
 * @returns The environment.
 *
 * @example Parsing a FastAGI block
 * ```ts
 * import { parseAgiEnvironment } from "@pyst/asterisk/agi";
 * import assert from "node:assert/strict";
 *
 * const env = parseAgiEnvironment([
 *   "agi_network: yes",
 *   "agi_network_script: ivr?lang=en",
 *   "agi_request: agi://127.0.0.1:4573/ivr?lang=en",
 *   "agi_channel: PJSIP/alice-00000001",
 *   "agi_accountcode: ",
 *   "agi_arg_1: hello world",
 *   "",
 * ]);
 * assert.equal(env.request, "agi://127.0.0.1:4573/ivr?lang=en");
 * assert.equal(env.network, true);
 * assert.equal(env.networkScript, "ivr?lang=en");
 * assert.equal(env.accountCode, "");
 * assert.deepEqual(env.args, ["hello world"]);
 * assert.equal(env.get("channel"), "PJSIP/alice-00000001");
 * ```
 */
export function parseAgiEnvironment(lines: Iterable<string>): AgiEnvironment {
  const raw: Array<readonly [string, string]> = [];
  const values = new Map<string, string>();
  const args: string[] = [];
  for (const line of lines) {
    if (line === "") break;
    const entry = splitLine(line);
    raw.push(entry);
    const [key, value] = entry;
    if (!values.has(key)) values.set(key, value);
    // Most keys are not arguments: a prefix check spares the regex.
    const arg = key.startsWith("agi_arg_") ? ARG.exec(key) : null;
    if (arg !== null) {
      const index = Number(arg[1]) - 1;
      // Asterisk passes at most 127 arguments; a huge N from a hostile peer
      // must not allocate a huge array.
      if (index >= 0 && index < MAX_ARG_NUMBER) {
        while (args.length < index) args.push("");
        args[index] = value;
      }
    }
  }
  const get = (key: string): string | undefined =>
    values.get(key) ??
      (key.startsWith("agi_") ? undefined : values.get(`agi_${key}`));
  const text = (key: string): string => values.get(key) ?? "";
  return {
    request: text("agi_request"),
    channel: text("agi_channel"),
    language: text("agi_language"),
    type: text("agi_type"),
    uniqueId: text("agi_uniqueid"),
    version: text("agi_version"),
    callerId: text("agi_callerid"),
    callerIdName: text("agi_calleridname"),
    callingPres: text("agi_callingpres"),
    callingAni2: text("agi_callingani2"),
    callingTon: text("agi_callington"),
    callingTns: text("agi_callingtns"),
    dnid: text("agi_dnid"),
    rdnis: text("agi_rdnis"),
    context: text("agi_context"),
    extension: text("agi_extension"),
    priority: text("agi_priority"),
    enhanced: Number(values.get("agi_enhanced") ?? "0") > 0,
    accountCode: text("agi_accountcode"),
    threadId: text("agi_threadid"),
    network: values.get("agi_network")?.toLowerCase() === "yes",
    networkScript: values.get("agi_network_script"),
    args,
    raw,
    get,
  };
}

function splitLine(line: string): readonly [string, string] {
  const separator = line.indexOf(": ");
  if (separator !== -1) {
    return [line.slice(0, separator), line.slice(separator + 2)];
  }
  // "agi_accountcode: " may reach us with its space trimmed by a proxy.
  const colon = line.indexOf(":");
  if (colon !== -1 && colon === line.length - 1) {
    return [line.slice(0, colon), ""];
  }
  return ["", line];
}
