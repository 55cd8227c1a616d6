// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: serving a recorded transcript. Each TCP connection gets the next
 * recorded connection; each action it sends is answered with what Asterisk
 * answered to the recorded action at that point, with the recorded ActionID
 * swapped for the client's.
 *
 * @module
 */

import type { AmiMessage } from "../manager/ami_message.ts";
import { parseTranscript, type TranscriptEntry } from "./parse_transcript.ts";
import type { SessionCore } from "./_ami_server.ts";

interface Step {
  /** The recorded action's name and ActionID. */
  action: string;
  actionId: string;
  /** What Asterisk wrote after it, up to the next recorded action. */
  reply: string;
}

interface RecordedConnection {
  banner: string;
  steps: Step[];
  /** Whether the recording notes that Asterisk closed the connection at the end. */
  closes: boolean;
}

const decoder = new TextDecoder();

/** A parsed transcript, ready to replay. */
export class ReplayScript {
  readonly connections: RecordedConnection[];
  /** Where the client strayed from the recording. */
  readonly mismatches: string[] = [];

  /** @throws {SyntaxError} If the transcript does not parse. */
  constructor(text: string) {
    const entries = parseTranscript(text);
    const groups: TranscriptEntry[][] = [[]];
    for (const entry of entries) {
      if (entry.direction === "note" && /^=== connection/.test(entry.text)) {
        if (groups.at(-1)!.some((e) => e.direction !== "note")) groups.push([]);
      }
      groups.at(-1)!.push(entry);
    }
    this.connections = groups.map(recordConnection).filter((c) =>
      c.banner !== "" || c.steps.length > 0
    );
  }

  banner(index: number): string {
    return this.connections[index]?.banner ?? "";
  }

  /** Whether a connection with this index was recorded. */
  has(index: number): boolean {
    return index < this.connections.length;
  }

  handle(core: SessionCore, message: AmiMessage): void {
    const connection = this.connections[core.replayIndex!];
    const step = connection?.steps[core.replayStep++];
    const action = message.get("Action") ?? "";
    if (connection === undefined || step === undefined) {
      const note = `connection ${
        core.replayIndex! + 1
      }: no recorded action left for "${action}"`;
      this.mismatches.push(note);
      core.error(message, `astemu replay: ${note}`);
      return;
    }
    if (step.action.toLowerCase() !== action.toLowerCase()) {
      this.mismatches.push(
        `connection ${
          core.replayIndex! + 1
        } action ${core.replayStep}: expected "${step.action}", got "${action}"`,
      );
    }
    const actual = message.get("ActionID") ?? "";
    let reply = step.reply;
    if (step.actionId !== "" && step.actionId !== actual) {
      const recorded = `ActionID: ${step.actionId}\r\n`;
      reply = reply.split(recorded).join(
        actual === "" ? "" : `ActionID: ${actual}\r\n`,
      );
    }
    if (reply !== "") core.reply(reply);
    const last = core.replayStep >= connection.steps.length;
    if ((last && connection.closes) || step.action.toLowerCase() === "logoff") {
      core.close("replay ended");
    }
  }
}

function recordConnection(entries: TranscriptEntry[]): RecordedConnection {
  let banner = "";
  const steps: Step[] = [];
  let request: string[] = [];
  let current: Step | undefined;
  let lastWire = -1;
  entries.forEach((entry, i) => {
    if (entry.direction !== "note") lastWire = i;
  });
  for (const entry of entries) {
    if (entry.direction === "toAsterisk") {
      if (entry.text === "") {
        if (request.length === 0) continue;
        const fields = request.map((line) => {
          const colon = line.indexOf(":");
          return colon === -1
            ? ["", line]
            : [line.slice(0, colon), line.slice(colon + 1).replace(/^ /, "")];
        });
        const get = (key: string) =>
          fields.find(([k]) => k!.toLowerCase() === key)?.[1] ?? "";
        current = {
          action: get("action"),
          actionId: get("actionid"),
          reply: "",
        };
        steps.push(current);
        request = [];
      } else {
        request.push(entry.text);
      }
    } else if (entry.direction === "fromAsterisk") {
      const text = decoder.decode(entry.bytes);
      if (current === undefined) banner += text;
      else current.reply += text;
    }
  }
  const closes = entries.slice(lastWire + 1).some((e) =>
    e.direction === "note" && /closed/i.test(e.text) && /true/i.test(e.text)
  );
  return { banner, steps, closes };
}
