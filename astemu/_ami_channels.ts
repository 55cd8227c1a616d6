// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Internal: the AMI emulator's small channel model. It keeps channels and
 * their variables, and produces the events Asterisk publishes when channels
 * are created, change state, get variables and hang up, with the fields and
 * order seen in the recorded transcripts.
 *
 * @module
 */

/** Field list of a packet. */
export type Fields = [string, string][];

/** Category bits used here (see `_ami_permissions.ts`). */
export const CALL = 1 << 1;
export const DIALPLAN = 1 << 11;

const STATE_DESC = [
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
];

const CAUSE_TEXT: Record<number, string> = {
  0: "Unknown",
  1: "Unallocated (unassigned) number",
  16: "Normal Clearing",
  17: "User busy",
  19: "No user responding",
  21: "Call Rejected",
  32: "Circuit/channel congestion",
  34: "Circuit/channel congestion",
};

/** One channel. */
export interface Channel {
  name: string;
  tech: string;
  state: number;
  callerIdNum: string;
  callerIdName: string;
  connectedNum: string;
  connectedName: string;
  language: string;
  accountCode: string;
  context: string;
  exten: string;
  priority: number;
  uniqueid: string;
  linkedid: string;
  application: string;
  data: string;
  createdMs: number;
  variables: Map<string, string>;
  /** The other half of a Local channel pair. */
  peer: Channel | undefined;
  /** For Local channels: the `exten@context` part, used as device and dial string. */
  dialString: string;
}

/** What the model needs from its owner. */
export interface ChannelHost {
  /** Publishes an event (without `Privilege`) in the given categories. */
  publish(fields: Fields, category: number): void;
  now(): number;
  /** What the dialplan runs at `exten@context`, if known. */
  dialplan(target: string): DialplanStep | undefined;
}

/** Parsed `Name <number>` caller ID. */
export function parseCallerId(text: string): { name: string; num: string } {
  const match = /^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>\s*$/.exec(text);
  if (match !== null) {
    return { name: (match[1] ?? match[2] ?? "").trim(), num: match[3]!.trim() };
  }
  const trimmed = text.trim();
  return /^[0-9*#+]+$/.test(trimmed)
    ? { name: "", num: trimmed }
    : { name: trimmed, num: "" };
}

/** The channel-state fields of a snapshot, with an optional key prefix. */
export function snapshot(channel: Channel, prefix = ""): Fields {
  return [
    [`${prefix}Channel`, channel.name],
    [`${prefix}ChannelState`, String(channel.state)],
    [`${prefix}ChannelStateDesc`, STATE_DESC[channel.state] ?? "Unknown"],
    [`${prefix}CallerIDNum`, channel.callerIdNum || "<unknown>"],
    [`${prefix}CallerIDName`, escapeC(channel.callerIdName) || "<unknown>"],
    [`${prefix}ConnectedLineNum`, channel.connectedNum || "<unknown>"],
    [
      `${prefix}ConnectedLineName`,
      escapeC(channel.connectedName) || "<unknown>",
    ],
    [`${prefix}Language`, channel.language],
    [`${prefix}AccountCode`, channel.accountCode],
    [`${prefix}Context`, channel.context],
    [`${prefix}Exten`, channel.exten],
    [`${prefix}Priority`, String(channel.priority)],
    [`${prefix}Uniqueid`, channel.uniqueid],
    [`${prefix}Linkedid`, channel.linkedid],
  ];
}

/** `ast_escape_c`, used by Asterisk for caller ID names in snapshots. */
function escapeC(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x07\b\f\n\r\t\v\\'"?]/g, (c) =>
    ({
      "\x07": "\\a",
      "\b": "\\b",
      "\f": "\\f",
      "\n": "\\n",
      "\r": "\\r",
      "\t": "\\t",
      "\v": "\\v",
      "\\": "\\\\",
      "'": "\\'",
      '"': '\\"',
      "?": "\\?",
    })[c]!);
}

/** `HH:MM:SS` of a duration in seconds. */
export function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h, m, s].map((n) => String(n).padStart(2, "0")).join(":");
}

/** What to create for an Originate. */
/** What the dialplan runs at an `exten@context` (see the emulator's `dialplan` option). */
export interface DialplanStep {
  application: string;
  data: string;
  priority: number;
}

export interface CreateRequest {
  channel: string;
  context: string;
  exten: string;
  priority: number;
  application: string;
  data: string;
  callerId: { name: string; num: string } | undefined;
  variables: [string, string][];
  account: string;
}

/** The channel model. */
export class ChannelModel {
  readonly channels: Map<string, Channel> = new Map();
  readonly #host: ChannelHost;
  readonly #epoch: number;
  #uniqueCounter = 0;
  #localCounter = 0;
  #techCounter = 0;

  constructor(host: ChannelHost) {
    this.#host = host;
    this.#epoch = Math.floor(host.now() / 1000);
  }

  /** Finds a channel by name, case-insensitively (like `ast_channel_get_by_name`). */
  find(name: string): Channel | undefined {
    const exact = this.channels.get(name);
    if (exact !== undefined) return exact;
    const lower = name.toLowerCase();
    for (const channel of this.channels.values()) {
      if (channel.name.toLowerCase() === lower) return channel;
    }
    return undefined;
  }

  /** Channels in the order `CoreShowChannels` lists them: newest call first. */
  list(): Channel[] {
    const calls: Channel[][] = [];
    const seen = new Set<Channel>();
    for (const channel of this.channels.values()) {
      if (seen.has(channel)) continue;
      const pair =
        channel.peer !== undefined && this.channels.has(channel.peer.name)
          ? [channel, channel.peer]
          : [channel];
      for (const c of pair) seen.add(c);
      calls.push(pair);
    }
    return calls.reverse().flat();
  }

  #newChannel(
    name: string,
    tech: string,
    request: CreateRequest,
    state: number,
  ): Channel {
    const uniqueid = `${this.#epoch}.${this.#uniqueCounter++}`;
    const channel: Channel = {
      name,
      tech,
      state,
      callerIdNum: "",
      callerIdName: "",
      connectedNum: "",
      connectedName: "",
      language: "en",
      accountCode: request.account,
      context: request.context,
      exten: request.exten,
      priority: request.priority,
      uniqueid,
      linkedid: uniqueid,
      application: "",
      data: "",
      createdMs: this.#host.now(),
      variables: new Map(),
      peer: undefined,
      dialString: "",
    };
    this.channels.set(name, channel);
    return channel;
  }

  /**
   * Creates the channels of an Originate and publishes the events up to the
   * answer. Returns the originated channel (the `;1` half for Local).
   */
  create(request: CreateRequest): Channel {
    const publish = (fields: Fields, category = CALL) =>
      this.#host.publish(fields, category);
    const slash = request.channel.indexOf("/");
    const tech = request.channel.slice(0, slash);
    const resource = request.channel.slice(slash + 1);
    let first: Channel;
    let second: Channel | undefined;
    if (tech.toLowerCase() === "local") {
      const dial = resource.replace(/\/[a-z]*$/i, "");
      const at = dial.indexOf("@");
      const exten = at === -1 ? dial : dial.slice(0, at);
      const context = at === -1 ? "default" : dial.slice(at + 1);
      const id = (this.#localCounter++).toString(16).padStart(8, "0");
      const base = `${tech}/${dial}-${id}`;
      first = this.#newChannel(`${base};1`, tech, {
        ...request,
        context,
        exten,
        priority: 1,
      }, 0);
      second = this.#newChannel(`${base};2`, tech, {
        ...request,
        context,
        exten,
        priority: 1,
      }, 4);
      second.linkedid = first.uniqueid;
      first.peer = second;
      second.peer = first;
      first.dialString = second.dialString = dial;
    } else {
      const id = (this.#techCounter++).toString(16).padStart(8, "0");
      first = this.#newChannel(`${tech}/${resource}-${id}`, tech, request, 0);
      first.dialString = request.channel;
    }
    const runs = (c: Channel) => this.#host.dialplan(`${c.exten}@${c.context}`);
    if (request.application !== "") {
      first.application = request.application;
      first.data = request.data;
    } else {
      // A dialplan call: the channel runs what is at its context and exten.
      first.context = request.context;
      first.exten = request.exten;
      first.priority = request.priority;
      this.#enter(first, runs(first));
    }
    if (second !== undefined) this.#enter(second, runs(second));
    publish([["Event", "Newchannel"], ...snapshot(first)]);
    if (second !== undefined) {
      publish([["Event", "Newchannel"], ...snapshot(second)]);
    }
    for (const [name, value] of request.variables) {
      this.setVariable(first, name, value);
    }
    if (request.callerId !== undefined) {
      for (const channel of second === undefined ? [first] : [first, second]) {
        channel.callerIdName = request.callerId.name;
        channel.callerIdNum = request.callerId.num;
        if (channel === second) {
          // The Local ;2 half already carries the connected line from ;1.
          channel.connectedName = request.callerId.name;
          channel.connectedNum = request.callerId.num;
        }
        publish([
          ["Event", "NewCallerid"],
          ...snapshot(channel),
          ["CID-CallingPres", "0 (Presentation Allowed, Not Screened)"],
        ]);
        channel.connectedName = request.callerId.name;
        channel.connectedNum = request.callerId.num;
        publish([["Event", "NewConnectedLine"], ...snapshot(channel)]);
      }
    }
    if (second !== undefined) {
      publish([
        ["Event", "LocalBridge"],
        ...snapshot(first, "LocalOne"),
        ...snapshot(second, "LocalTwo"),
        ["Context", second.context],
        ["Exten", second.exten],
        ["LocalOptimization", "Yes"],
      ]);
    }
    publish([["Event", "DialBegin"], ...snapshot(first, "Dest"), [
      "DialString",
      first.dialString,
    ]]);
    return first;
  }

  #enter(channel: Channel, step: DialplanStep | undefined): void {
    if (step === undefined) return;
    channel.application = step.application;
    channel.data = step.data;
    channel.priority = step.priority;
  }

  /** Answers an originated call: `Newstate` Up for each half, `DialEnd`. */
  answer(channel: Channel): void {
    const publish = (fields: Fields) => this.#host.publish(fields, CALL);
    for (
      const c of channel.peer === undefined
        ? [channel]
        : [channel.peer, channel]
    ) {
      c.state = 6;
      publish([["Event", "Newstate"], ...snapshot(c)]);
    }
    publish([["Event", "DialEnd"], ...snapshot(channel, "Dest"), [
      "DialStatus",
      "ANSWER",
    ]]);
  }

  /** Publishes a `DeviceStateChange` for the call's device. */
  deviceState(channel: Channel, state: string): void {
    this.#host.publish([
      ["Event", "DeviceStateChange"],
      [
        "Device",
        channel.peer === undefined
          ? channel.name
          : `Local/${channel.dialString}`,
      ],
      ["State", state],
    ], CALL);
  }

  /** A failed dial: `DialEnd` with the status, then the channels go away. */
  fail(channel: Channel, status: string, cause: number): void {
    this.#host.publish(
      [["Event", "DialEnd"], ...snapshot(channel, "Dest"), [
        "DialStatus",
        status,
      ]],
      CALL,
    );
    this.hangup(channel, cause);
  }

  /** Sets a channel variable and publishes `VarSet`. */
  setVariable(channel: Channel, name: string, value: string): void {
    channel.variables.set(name, value);
    this.#host.publish(
      [["Event", "VarSet"], ...snapshot(channel), ["Variable", name], [
        "Value",
        value,
      ]],
      DIALPLAN,
    );
  }

  /**
   * Hangs a channel up (and the other half of a Local pair) with the events
   * Asterisk publishes; returns the names of the channels that went away.
   */
  hangup(channel: Channel, cause: number, requested = false): string[] {
    if (!this.channels.has(channel.name)) return [];
    const publish = (fields: Fields) => this.#host.publish(fields, CALL);
    const gone: string[] = [];
    const end = (c: Channel, hangupCause: number) => {
      publish([
        ["Event", "Hangup"],
        ...snapshot(c),
        ["Cause", String(hangupCause)],
        ["Cause-txt", CAUSE_TEXT[hangupCause] ?? "Unknown"],
      ]);
      this.channels.delete(c.name);
      gone.push(c.name);
    };
    const peer =
      channel.peer !== undefined && this.channels.has(channel.peer.name)
        ? channel.peer
        : undefined;
    if (requested) {
      publish([["Event", "SoftHangupRequest"], ...snapshot(channel), [
        "Cause",
        String(cause),
      ]]);
    }
    if (peer !== undefined) {
      publish([["Event", "HangupRequest"], ...snapshot(peer), ["Cause", "0"]]);
    }
    end(channel, peer === undefined ? cause : 0);
    if (channel.state === 6) this.deviceState(channel, "NOT_INUSE");
    if (peer !== undefined) {
      publish([["Event", "SoftHangupRequest"], ...snapshot(peer), [
        "Cause",
        "16",
      ]]);
      end(peer, 0);
      if (peer.state === 6) this.deviceState(channel, "NOT_INUSE");
    }
    return gone;
  }
}
