// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Replays the requests of every recorded AMI conversation against the
 * emulator over a raw TCP socket, and compares what the emulator writes with
 * what Asterisk wrote. Values that naturally differ (timestamps, unique ids,
 * the challenge, durations, addresses, channel sequence numbers, and the
 * dialplan priorities in events) are masked. Direct replies (responses,
 * list items and list ends) must match one for one; asynchronous events
 * must appear in the recording in the same order (the emulator models a
 * subset of Asterisk's events, never others).
 */

import assert from "node:assert/strict";
import { md5Hex } from "../../_internal/md5.ts";
import type { AmiMessage } from "../../manager/ami_message.ts";
import {
  type AmiEmulatorConfigCategory,
  type AmiEmulatorOptions,
  startAmiEmulator,
} from "../../astemu/mod.ts";
import type { TranscriptEntry } from "../../astemu/parse_transcript.ts";
import {
  concat,
  loadAmiConnections,
  readerView,
  TRANSCRIPTS_DIR,
} from "./_transcripts.ts";
import { pairs, RawAmiClient } from "./_raw_client.ts";

type Fields = [string, string][];

/** One recorded action and what Asterisk wrote until the next one. */
interface Step {
  request: Uint8Array;
  fields: Fields;
  replies: Fields[];
}

function steps(
  entries: readonly TranscriptEntry[],
): { banner: string; steps: Step[] } {
  let banner = "";
  const out: Step[] = [];
  let request: TranscriptEntry[] = [];
  let replies: TranscriptEntry[] = [];
  const flush = () => {
    if (out.length > 0) {
      out.at(-1)!.replies = readerView(replies, "fromAsterisk").packets;
    }
    replies = [];
  };
  for (const entry of entries) {
    if (entry.direction === "toAsterisk") {
      request.push(entry);
      if (entry.text === "") {
        flush();
        const view = readerView(request, "toAsterisk");
        out.push({
          request: concat(view.raw),
          fields: view.packets[0]!,
          replies: [],
        });
        request = [];
      }
    } else if (entry.direction === "fromAsterisk") {
      if (out.length === 0 && entry.text.startsWith("Asterisk Call Manager/")) {
        banner = entry.text;
      } else replies.push(entry);
    }
  }
  flush();
  return { banner, steps: out };
}

const get = (fields: Fields, key: string) =>
  fields.find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];

/** Responses, list items and list ends; everything else is asynchronous. */
function isDirect(fields: Fields, actionId: string | undefined): boolean {
  const event = get(fields, "Event");
  if (event === undefined) return true;
  if (event === "OriginateResponse" || event === "UserEvent") return false;
  return actionId !== undefined && get(fields, "ActionID") === actionId;
}

const VOLATILE =
  /^(?:Timestamp|(?:Dest|LocalOne|LocalTwo)?(?:Uniqueid|Linkedid)|Challenge|Uptime|LastReload|Duration|Seconds|EventTV|SessionTV|SessionID|LocalAddress|RemoteAddress)$/;

function normalize(fields: Fields, async: boolean): string {
  return fields.map(([key, value]) => {
    let v = VOLATILE.test(key)
      ? "<volatile>"
      : value.replace(/-[0-9a-f]{8};([12])/g, "-<seq>;$1");
    if (async && /Priority$/.test(key)) v = "<priority>";
    return `${key}: ${v}`;
  }).join("\n");
}

/** Sorts runs of list items with the same event name (their order is a hash order in Asterisk). */
function sortLists(texts: string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  let name: string | undefined;
  const flush = () => {
    out.push(...run.sort());
    run = [];
  };
  for (const text of texts) {
    const event = /^Event: (.*)$/m.exec(text)?.[1];
    const item = event !== undefined && !event.endsWith("Complete") &&
      text.includes("\nActionID: ");
    if (!item || event !== name) flush();
    name = item ? event : undefined;
    if (item) run.push(text);
    else out.push(text);
  }
  flush();
  return out;
}

/** Channel sequence numbers (`-0000000a;`) in order of first appearance. */
function sequences(packets: readonly Fields[]): string[] {
  const seen: string[] = [];
  for (const fields of packets) {
    for (const [, value] of fields) {
      for (const match of value.matchAll(/-([0-9a-f]{8});/g)) {
        if (!seen.includes(match[1]!)) seen.push(match[1]!);
      }
    }
  }
  return seen.sort();
}

function isSubsequence(
  small: readonly string[],
  big: readonly string[],
): number {
  let j = 0;
  for (let i = 0; i < small.length; i++) {
    while (j < big.length && big[j] !== small[i]) j++;
    if (j === big.length) return i;
    j++;
  }
  return -1;
}

/** Categories of extensions.conf from the recorded GetConfigJSON (keys repeat, so no JSON.parse). */
function categoriesFromJson(json: string): AmiEmulatorConfigCategory[] {
  const categories: AmiEmulatorConfigCategory[] = [];
  const string = /"((?:\\.|[^"\\])*)"/y;
  let at = 1;
  const read = () => {
    string.lastIndex = at;
    const match = string.exec(json)!;
    at = string.lastIndex;
    return match[1]!.replace(/\\(.)/g, "$1");
  };
  while (json[at] === '"') {
    const name = read();
    at += 2; // ":{"
    const variables: [string, string][] = [];
    while (json[at] === '"') {
      const key = read();
      at++; // ":"
      variables.push([key, read()]);
      if (json[at] === ",") at++;
    }
    at++; // "}"
    if (json[at] === ",") at++;
    categories.push({ name, variables });
  }
  return categories;
}

/** Categories of a file from the recorded `GetConfig` with templates included. */
function categoriesFromGetConfig(fields: Fields): AmiEmulatorConfigCategory[] {
  const categories: {
    name: string;
    variables: [string, string][];
    templates?: string[];
    isTemplate?: boolean;
  }[] = [];
  for (const [key, value] of fields) {
    if (key.startsWith("Category-")) {
      categories.push({ name: value, variables: [] });
    } else if (key.startsWith("IsTemplate-")) {
      categories.at(-1)!.isTemplate = true;
    } else if (key.startsWith("Templates-")) {
      categories.at(-1)!.templates = value.split(",");
    } else if (key.startsWith("Line-")) {
      const eq = value.indexOf("=");
      categories.at(-1)!.variables.push([
        value.slice(0, eq),
        value.slice(eq + 1),
      ]);
    }
  }
  return categories;
}

/** The emulator configured like the recorded Asterisk. */
function recordedAsterisk(timeScale: number): AmiEmulatorOptions {
  const plain =
    steps(loadAmiConnections("ami-plain-login-ping-command.txt")[0]!.entries)
      .steps;
  const output = (command: string) => {
    const step = plain.find((s) => get(s.fields, "Command") === command)!;
    return step.replies[0]!.filter(([k]) => k === "Output").map(([, v]) => v)
      .join("\n");
  };
  const config =
    steps(loadAmiConnections("ami-getconfig.txt")[0]!.entries).steps;
  const reply = (id: string) =>
    config.find((s) => get(s.fields, "ActionID") === id)!.replies[0]!;
  return {
    users: {
      oracle: { secret: "oraclepw" },
      limited: { secret: "limitedpw", read: "call", write: "originate" },
    },
    commands: {
      // CLI output is configuration: taken from the recording.
      "core show version": output("core show version"),
      "dialplan show echo": output("dialplan show echo"),
      "core show uptime": "System uptime: 0 seconds\nLast reload: 0 seconds",
    },
    variables: { ORACLE: "yes" },
    dialplan: { "s@park": { application: "Wait", data: "20", priority: 3 } },
    configs: {
      "extensions.conf": categoriesFromJson(get(reply("oracle-2"), "JSON")!),
      "oracle-sample.conf": categoriesFromGetConfig(reply("oracle-7")),
    },
    authFailureDelayMs: 20,
    timeScale,
  };
}

const FILES: [string, number][] = [
  ["ami-plain-login-ping-command.txt", 0.01],
  ["ami-md5-login-and-auth-errors.txt", 0.01],
  ["ami-coreshowchannels.txt", 1],
  ["ami-getconfig.txt", 0.01],
  ["ami-events-on-login-originate.txt", 0.01],
  ["agi-stdio-originate.txt", 0.01],
];

Deno.test({
  name: "AMI emulator answers every recorded request like Asterisk, over TCP",
  permissions: { net: ["127.0.0.1"], read: [TRANSCRIPTS_DIR] },
  async fn(t) {
    for (const [file, timeScale] of FILES) {
      for (const connection of loadAmiConnections(file)) {
        await t.step(connection.name, async () => {
          await using emulator = await startAmiEmulator(
            recordedAsterisk(timeScale),
          );
          const recorded = steps(connection.entries);
          await using client = await RawAmiClient.connect(
            emulator.hostname,
            emulator.port,
          );
          await client.until(
            () => client.version !== undefined,
            3000,
            "the banner",
          );
          assert.equal(
            `Asterisk Call Manager/${client.version}`,
            recorded.banner,
          );
          const direct: { emulator: string[]; recorded: string[] }[] = [];
          const asyncE: string[] = [];
          const asyncR: string[] = [];
          let seen = 0;
          let challenge = "";
          let recordedChallenge = "";
          for (const step of recorded.steps) {
            const id = get(step.fields, "ActionID");
            let request = step.request;
            const key = get(step.fields, "Key");
            if (
              key !== undefined &&
              md5Hex(recordedChallenge + "oraclepw") === key
            ) {
              // A correct MD5 key for the recorded challenge: answer ours.
              const text = new TextDecoder().decode(request);
              request = new TextEncoder().encode(
                text.replace(key, md5Hex(challenge + "oraclepw")),
              );
            }
            // Channel sequence numbers differ (the recorded Asterisk had run
            // calls before): refer to the emulator's channel of the same rank.
            const recordedSeqs = sequences(
              recorded.steps.flatMap((s) => s.replies),
            );
            const ourSeqs = sequences(client.packets.map(pairs));
            const text = new TextDecoder().decode(request).replace(
              /-([0-9a-f]{8});/g,
              (all, seq) => {
                const rank = recordedSeqs.indexOf(seq);
                return rank === -1 || ourSeqs[rank] === undefined
                  ? all
                  : `-${ourSeqs[rank]};`;
              },
            );
            request = new TextEncoder().encode(text);
            await client.send(request);
            const wanted = step.replies.filter((r) => isDirect(r, id));
            const mine = () =>
              client.packets.slice(seen).filter((m) => isDirect(pairs(m), id));
            await client.until(
              () => mine().length >= wanted.length || client.eof,
              3000,
              `${wanted.length} replies to ${get(step.fields, "Action")}`,
            );
            await client.quiet(30);
            const got = client.packets.slice(seen).map(pairs);
            seen = client.packets.length;
            direct.push({
              emulator: sortLists(
                got.filter((f) => isDirect(f, id)).map((f) =>
                  normalize(f, false)
                ),
              ),
              recorded: sortLists(wanted.map((f) => normalize(f, false))),
            });
            asyncE.push(
              ...got.filter((f) => !isDirect(f, id)).map((f) =>
                normalize(f, true)
              ),
            );
            asyncR.push(
              ...step.replies.filter((f) => !isDirect(f, id)).map((f) =>
                normalize(f, true)
              ),
            );
            recordedChallenge = get(step.replies[0] ?? [], "Challenge") ??
              recordedChallenge;
            challenge = get(got[0] ?? [], "Challenge") ?? challenge;
          }
          for (const [i, pair] of direct.entries()) {
            assert.deepEqual(
              pair.emulator,
              pair.recorded,
              `replies to action ${i + 1}`,
            );
          }
          const missing = isSubsequence(asyncE, asyncR);
          assert.equal(
            missing,
            -1,
            `event not in the recording, or out of order:\n${asyncE[missing]}`,
          );
          if (asyncR.some((e) => e.startsWith("Event: Newchannel"))) {
            for (
              const name of [
                "Newchannel",
                "DialBegin",
                "Newstate",
                "DialEnd",
                "OriginateResponse",
              ]
            ) {
              assert.ok(
                asyncE.some((e) => e.startsWith(`Event: ${name}\n`)),
                `no ${name} event`,
              );
            }
          }
          // Asterisk closed at the end of the recordings that end in Logoff or a failed login.
          const last = recorded.steps.at(-1)!;
          const closes = get(last.fields, "Action") === "Logoff" ||
            get(last.replies[0] ?? [], "Message") === "Authentication failed";
          if (closes) await client.closed();
          // CRLF everywhere, never a bare LF.
          const bytes = client.bytes();
          for (let i = 0; i < bytes.length; i++) {
            if (bytes[i] === 0x0a) {
              assert.equal(bytes[i - 1], 0x0d, `bare LF at byte ${i}`);
            }
          }
          assert.deepEqual(client.errors, []);
        });
      }
    }
  },
});

Deno.test({
  name: "AMI emulator replays a recorded transcript byte for byte",
  permissions: { net: ["127.0.0.1"], read: [TRANSCRIPTS_DIR] },
  async fn(t) {
    for (
      const file of [
        "asyncagi.txt",
        "ami-md5-login-and-auth-errors.txt",
        "ami-getconfig.txt",
      ]
    ) {
      await t.step(file, async () => {
        const text = Deno.readTextFileSync(new URL(file, TRANSCRIPTS_DIR));
        await using emulator = await startAmiEmulator({ replay: text });
        for (const connection of loadAmiConnections(file)) {
          const recorded = steps(connection.entries);
          const expected = readerView(connection.entries, "fromAsterisk");
          await using client = await RawAmiClient.connect(
            emulator.hostname,
            emulator.port,
          );
          for (const step of recorded.steps) await client.send(step.request);
          const total = concat([
            new TextEncoder().encode(recorded.banner + "\r\n"),
            ...expected.raw,
          ]);
          await client.until(
            () => client.bytes().length >= total.length,
            3000,
            "the recorded bytes",
          );
          assert.deepEqual(client.bytes(), total);
        }
        assert.deepEqual(emulator.replayMismatches, []);
      });
    }
  },
});

/** Packets a client received that answer `id`. */
export function answers(
  packets: readonly AmiMessage[],
  id: string,
): AmiMessage[] {
  return packets.filter((m) => m.actionId === id);
}
