// Copyright the @pyst/asterisk authors. MIT license.
// The recorded AMI session in ami-getconfig.txt, answered by this library:
// the reconstructed oracle-sample.conf and extensions.conf must give exactly
// what the real Asterisk sent for every GetConfig, GetConfigJSON and
// ListCategories action in it.

import assert from "node:assert/strict";
import { parseTranscript } from "../../astemu/parse_transcript.ts";
import {
  ConfigNotFoundError,
  formatGetConfigJson,
  getConfigFields,
  loadConfig,
  parseGetConfigJson,
  readConfigFile,
  type ResolvedConfig,
  toGetConfigObject,
} from "../../config/mod.ts";
import { FIXTURES, TRANSCRIPTS } from "./_helpers.ts";

interface Exchange {
  action: Map<string, string>;
  response: [string, string][];
}

function exchanges(text: string): Exchange[] {
  const out: Exchange[] = [];
  let action: Map<string, string> | undefined;
  let response: [string, string][] | undefined;
  for (const entry of parseTranscript(text)) {
    if (entry.direction === "toAsterisk") {
      if (entry.text === "") continue;
      action ??= new Map();
      const colon = entry.text.indexOf(": ");
      action.set(entry.text.slice(0, colon), entry.text.slice(colon + 2));
    } else if (entry.direction === "fromAsterisk" && action !== undefined) {
      if (entry.text === "") {
        out.push({ action, response: response ?? [] });
        action = undefined;
        response = undefined;
        continue;
      }
      response ??= [];
      const colon = entry.text.indexOf(": ");
      response.push([entry.text.slice(0, colon), entry.text.slice(colon + 2)]);
    }
  }
  return out;
}

const transcript = Deno.readTextFileSync(`${TRANSCRIPTS}/ami-getconfig.txt`);
const recorded = exchanges(transcript);
const configs = new Map<string, ResolvedConfig>();

async function config(file: string): Promise<ResolvedConfig> {
  let found = configs.get(file);
  if (found === undefined) {
    found = await readConfigFile(file, { configDir: FIXTURES });
    configs.set(file, found);
  }
  return found;
}

function body(response: [string, string][]): [string, string][] {
  return response.filter(([key]) => key !== "Response" && key !== "ActionID");
}

function optionsOf(action: Map<string, string>) {
  return {
    ...(action.has("Category") ? { category: action.get("Category")! } : {}),
    ...(action.has("Filter") ? { filter: action.get("Filter")! } : {}),
  };
}

Deno.test("the transcript holds the config actions this test replays", () => {
  const actions = recorded.map((e) =>
    `${e.action.get("Action")} ${e.action.get("Filename") ?? ""}`.trim()
  );
  assert.deepEqual(actions, [
    "Login",
    "GetConfigJSON extensions.conf",
    "GetConfig extensions.conf",
    "GetConfig oracle-sample.conf",
    "GetConfigJSON oracle-sample.conf",
    "GetConfig oracle-sample.conf",
    "GetConfig oracle-sample.conf",
    "ListCategories oracle-sample.conf",
    "GetConfig oracle-missing.conf",
    "GetConfigJSON",
    "Logoff",
  ]);
});

for (const [index, exchange] of recorded.entries()) {
  const action = exchange.action.get("Action")!;
  const file = exchange.action.get("Filename");
  if (
    file === undefined ||
    !["GetConfig", "GetConfigJSON", "ListCategories"].includes(action)
  ) {
    continue;
  }
  const options = optionsOf(exchange.action);
  const label = `${action} ${file}${
    options.category ? ` Category=${options.category}` : ""
  }${options.filter ? ` Filter=${options.filter}` : ""} (#${index})`;

  Deno.test(`transcript: ${label} gives what Asterisk sent`, {
    permissions: { read: [FIXTURES] },
  }, async () => {
    const status = exchange.response.find(([key]) => key === "Response")![1];
    if (status === "Error") {
      assert.deepEqual(body(exchange.response), [[
        "Message",
        "Config file not found",
      ]]);
      await assert.rejects(config(file), ConfigNotFoundError);
      return;
    }
    assert.equal(status, "Success");
    const resolved = await config(file);
    if (action === "GetConfigJSON") {
      const [[key, json]] = body(exchange.response) as [[string, string]];
      assert.equal(key, "JSON");
      assert.equal(formatGetConfigJson(resolved, options), json);
      assert.deepEqual(
        toGetConfigObject(resolved, options),
        parseGetConfigJson(json),
      );
    } else if (action === "GetConfig") {
      assert.deepEqual(
        getConfigFields(resolved, options),
        body(exchange.response),
      );
    } else {
      const match = exchange.action.get("Match");
      const fields = getConfigFields(
        resolved,
        match === undefined ? {} : { filter: match },
      )
        .filter(([key]) => key.startsWith("Category-"));
      assert.deepEqual(fields, body(exchange.response));
    }
  });
}

Deno.test("transcript: the JSON answers parse with repeated keys as arrays", () => {
  const json = recorded[1]!.response.find(([key]) => key === "JSON")![1];
  const parsed = parseGetConfigJson(json);
  assert.deepEqual(Object.keys(parsed).slice(0, 3), [
    "general",
    "globals",
    "agi-stdio",
  ]);
  const echo = parsed["echo"] as Record<string, unknown>;
  assert.deepEqual(echo["exten"], ["s,1,Answer()", "echo,1,Answer()"]);
  assert.equal(
    (echo["same"] as string[])[0],
    'n,Wait(${IF($["${WAITSECS}" = ""]?1:${WAITSECS})})',
  );
});

Deno.test("transcript: a missing file is not found through any host", async () => {
  await assert.rejects(
    loadConfig("oracle-missing.conf", { host: { readFile: () => undefined } }),
    (error: unknown) =>
      error instanceof ConfigNotFoundError &&
      error.path === "/etc/asterisk/oracle-missing.conf",
  );
});
