// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { parseTranscript } from "../astemu/parse_transcript.ts";
import { parseAgiEnvironment } from "./parse_agi_environment.ts";

async function environmentLines(name: string, scenario = 0): Promise<string[]> {
  const text = await Deno.readTextFile(
    new URL(`../tests/fixtures/transcripts/${name}`, import.meta.url),
  );
  const blocks: string[][] = [];
  let block: string[] | undefined;
  for (const entry of parseTranscript(text)) {
    if (entry.direction !== "fromAsterisk") continue;
    if (block === undefined && entry.text.startsWith("agi_")) {
      blocks.push(block = []);
    }
    if (block === undefined) continue;
    block.push(entry.text);
    if (entry.text === "") block = undefined;
  }
  return blocks[scenario]!;
}

Deno.test("parseAgiEnvironment reads the stdio block of agi-stdio.txt", {
  permissions: { read: ["tests/fixtures"] },
}, async () => {
  const lines = await environmentLines("agi-stdio.txt");
  const env = parseAgiEnvironment(lines);
  const { raw, get: _get, ...fields } = env;
  assert.deepEqual(fields, {
    request: "oracle-agi.py",
    channel: "Local/args@agi-stdio-00000004;2",
    language: "en",
    type: "Local",
    uniqueId: "1795693524.9",
    version: "GIT-master-f0c1c1a7b7",
    callerId: "5550000",
    callerIdName: "Oracle Caller",
    callingPres: "0",
    callingAni2: "0",
    callingTon: "0",
    callingTns: "0",
    dnid: "unknown",
    rdnis: "unknown",
    context: "agi-stdio",
    extension: "args",
    priority: "2",
    enhanced: false,
    accountCode: "",
    threadId: "139972818859712",
    network: false,
    networkScript: undefined,
    args: ["hello world", "x=y"],
  });
  assert.equal(raw.length, lines.length - 1);
  assert.deepEqual(raw[18], ["agi_accountcode", ""]);
  assert.equal(env.get("agi_calleridname"), "Oracle Caller");
  assert.equal(env.get("calleridname"), "Oracle Caller");
  assert.equal(env.get("nosuch"), undefined);
});

Deno.test("parseAgiEnvironment reads the FastAGI blocks of fastagi.txt", {
  permissions: { read: ["tests/fixtures"] },
}, async () => {
  const first = parseAgiEnvironment(await environmentLines("fastagi.txt", 0));
  assert.equal(first.network, true);
  assert.equal(first.networkScript, "oracle-fast?mode=test&n=1");
  // Split on the first ": " only: the URL keeps its colons.
  assert.equal(
    first.request,
    "agi://127.0.0.1:14573/oracle-fast?mode=test&n=1",
  );
  assert.deepEqual(first.raw[0], ["agi_network", "yes"]);
  const second = parseAgiEnvironment(await environmentLines("fastagi.txt", 1));
  assert.equal(second.networkScript, "oracle-fast-2");
  // An empty dialplan argument is kept.
  assert.deepEqual(second.args, ["two", ""]);
});

Deno.test("parseAgiEnvironment copes with odd and hostile blocks", {
  permissions: "none",
}, async (t) => {
  await t.step("stops at the blank line", () => {
    const env = parseAgiEnvironment(["agi_request: a", "", "agi_request: b"]);
    assert.equal(env.request, "a");
    assert.equal(env.raw.length, 1);
  });
  await t.step("missing keys are empty, booleans false", () => {
    const env = parseAgiEnvironment([]);
    assert.equal(env.version, "");
    assert.equal(env.threadId, "");
    assert.equal(env.enhanced, false);
    assert.equal(env.network, false);
    assert.deepEqual(env.args, []);
  });
  await t.step("EAGI is flagged", () => {
    assert.equal(parseAgiEnvironment(["agi_enhanced: 1.0"]).enhanced, true);
  });
  await t.step("values keep colons and further separators", () => {
    const env = parseAgiEnvironment([
      "agi_arg_1: a: b: c",
      "agi_callerid: 1:2",
    ]);
    assert.deepEqual(env.args, ["a: b: c"]);
    assert.equal(env.callerId, "1:2");
  });
  await t.step("unknown keys, lines without separator, trailing colon", () => {
    const env = parseAgiEnvironment([
      "x_custom: 1",
      "no separator here",
      "agi_dnid:",
      "k:v",
    ]);
    assert.deepEqual(env.raw, [["x_custom", "1"], ["", "no separator here"], [
      "agi_dnid",
      "",
    ], [
      "",
      "k:v",
    ]]);
    assert.equal(env.get("x_custom"), "1");
    assert.equal(env.dnid, "");
  });
  await t.step("the first of repeated keys wins, all stay in raw", () => {
    const env = parseAgiEnvironment(["agi_channel: one", "agi_channel: two"]);
    assert.equal(env.channel, "one");
    assert.equal(env.raw.length, 2);
  });
  await t.step("args fill gaps and ignore absurd numbers", () => {
    const env = parseAgiEnvironment([
      "agi_arg_3: c",
      "agi_arg_1: a",
      "agi_arg_0: zero",
      "agi_arg_99999999: huge",
    ]);
    assert.deepEqual(env.args, ["a", "", "c"]);
  });
  await t.step("a key named __proto__ is only data", () => {
    const env = parseAgiEnvironment(["__proto__: x", "agi_request: r"]);
    assert.equal(env.get("__proto__"), "x");
    assert.equal(env.request, "r");
  });
});
