#!/usr/bin/env -S deno run --allow-net=127.0.0.1
// Copyright the @pyst/asterisk authors. MIT license.
/**
 * `deno task demo`: the whole library at work on one machine, no PBX
 * needed.
 *
 * 1. An emulated Asterisk starts in this process: the AMI emulator
 *    (`startAmiEmulator`) and, for each call, the AGI emulator
 *    (`AgiEmulator`) playing Asterisk's side of `AGI(agi://…)`.
 * 2. The FastAGI IVR of `examples/fastagi_server.ts` is served with
 *    `serveFastAgi` on a free loopback port.
 * 3. A Manager client (`connectAmi`) logs in, subscribes to channel and AGI
 *    events, and places three calls with `originate()`: Alice presses 1 in
 *    the menu, Bob hangs up in the middle of it, Carol asks for a callback.
 * 4. Each call's AGI dialogue and the AMI events the client sees are
 *    printed as they happen, coloured on a terminal, plain when piped or
 *    when `NO_COLOR` is set.
 *
 * It ends by itself in a few seconds. Permissions: `--allow-net=127.0.0.1`
 * (the `demo` permission set: `deno task demo`).
 *
 * With `--ami HOST:PORT` (and `--username`/`--secret`, or the
 * `ASTERISK_AMI_USERNAME`/`ASTERISK_AMI_SECRET` environment variables with
 * `--allow-env`), the Manager part runs against a real Asterisk instead:
 * the client logs in there, shows its version and channels, and prints its
 * live events while the emulated calls run (no call is placed on the real
 * PBX):
 *
 * ```sh
 * deno run --allow-net=127.0.0.1,pbx.example.net:5038 demo.ts --ami pbx.example.net:5038 --username admin --secret s3cret
 * ```
 *
 * @module
 */
import {
  AgiCommandError,
  AgiHangupError,
  type FastAgiServer,
  serveFastAgi,
} from "./agi/mod.ts";
import {
  type AmiClient,
  type AmiEventSubscription,
  type AmiMessage,
  connectAmi,
} from "./manager/mod.ts";
import {
  AgiEmulator,
  type AgiEmulatorTraceEvent,
  type AgiKeypress,
  type AmiEmulator,
  connectFastAgiServer,
  startAmiEmulator,
} from "./astemu/mod.ts";
import { routes } from "./examples/fastagi_server.ts";
import {
  type AmiTarget,
  openAmi,
  resolveAmiTarget,
} from "./cli/_ami_connect.ts";
import { parseArgs, UsageError } from "./cli/_args.ts";
import { CliFailure, type CliIo } from "./cli/_io.ts";

const HELP = `\
Usage: deno task demo [--ami HOST:PORT --username NAME --secret SECRET] [--no-color]

Starts an emulated Asterisk, serves the example FastAGI IVR, places three
emulated calls through it and shows the AGI dialogue of each call and the
AMI events a Manager client sees, as they happen.

Options:
  --ami HOST:PORT   run the Manager part against this real Asterisk
  --username NAME   its manager user (or ASTERISK_AMI_USERNAME with --allow-env)
  --secret SECRET   the user's secret (or ASTERISK_AMI_SECRET with --allow-env)
  --tls             connect to it with TLS
  --color           colour even when not on a terminal
  --no-color        plain output
  -h, --help        this text

Permissions: --allow-net=127.0.0.1 (plus --allow-net=HOST:PORT with --ami).
`;

/** Sound files the emulated Asterisk has, with short lengths for a brisk demo. */
const SOUNDS = {
  "hello-world": 1200,
  "demo-congrats": 1400,
  "tt-monkeys": 1400,
  "vm-goodbye": 700,
  "beep": 300,
};

interface CallPlan {
  readonly title: string;
  readonly device: string;
  readonly callerId: { name: string; num: string };
  readonly script: string;
  readonly dtmf?: readonly AgiKeypress[];
  readonly hangupAfterMs?: number;
}

const CALLS: readonly CallPlan[] = [
  {
    title: "Alice calls the menu and presses 1",
    device: "PJSIP/alice",
    callerId: { name: "Alice", num: "1001" },
    script: "menu",
    dtmf: [{ digits: "1", atMs: 700 }],
  },
  {
    title: "Bob calls the menu and hangs up in the middle of it",
    device: "PJSIP/bob",
    callerId: { name: "Bob", num: "1002" },
    script: "menu",
    hangupAfterMs: 600,
  },
  {
    title: "Carol asks for a callback",
    device: "PJSIP/carol",
    callerId: { name: "Carol", num: "1003" },
    script: "callback?number=1003",
  },
];

/** Terminal styles, or none. */
class Printer {
  readonly #color: boolean;
  readonly #start = performance.now();
  readonly #encoder = new TextEncoder();

  constructor(color: boolean) {
    this.#color = color;
  }

  style(code: string, text: string): string {
    return this.#color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  line(text = ""): void {
    Deno.stdout.writeSync(this.#encoder.encode(text + "\n"));
  }

  /** A timestamped line from one source. */
  at(source: "AGI" | "AMI" | "IVR", text: string): void {
    const seconds = ((performance.now() - this.#start) / 1000).toFixed(3);
    const tag = source === "AMI"
      ? this.style("36", "AMI")
      : source === "AGI"
      ? this.style("35", "AGI")
      : this.style("33", "IVR");
    this.line(`${this.style("2", seconds.padStart(7))}  ${tag}  ${text}`);
  }

  heading(text: string): void {
    this.line();
    this.line(this.style("1", `── ${text} `.padEnd(72, "─")));
  }
}

/** One AMI event as a short line. */
function describeEvent(event: AmiMessage, printer: Printer): string {
  const name = event.event ?? "?";
  const channel = event.get("Channel") ?? event.get("DestChannel") ?? "";
  let detail = "";
  switch (name) {
    case "Newchannel":
      detail = `${event.get("Exten")}@${event.get("Context")}`;
      break;
    case "Newstate":
      detail = event.get("ChannelStateDesc") ?? "";
      break;
    case "OriginateResponse":
      detail = `${event.get("Response")}, reason ${event.get("Reason")} → ${
        event.get("Application")
      }(${event.get("Data")})`;
      break;
    case "AGIExecEnd":
      detail = `${event.get("Command")} → ${event.get("ResultCode")} ${
        event.get("Result")
      }`;
      break;
    case "Hangup":
      detail = `${event.get("Cause-txt")} (cause ${event.get("Cause")})`;
      break;
    default:
      detail = event.get("ChannelStateDesc") ?? "";
  }
  return `${printer.style("36", name.padEnd(18))} ${channel}  ${
    printer.style("2", detail)
  }`;
}

/** One AGI dialogue line as printed. */
function describeAgi(
  event: AgiEmulatorTraceEvent,
  printer: Printer,
): string | undefined {
  if (event.direction === "note") return undefined;
  if (event.direction === "toAsterisk") {
    return `${printer.style("33", ">>")} ${printer.style("1", event.text)}`;
  }
  const failed = /^(5\d\d|200 result=-1)|^HANGUP$/.test(event.text);
  return `${printer.style(failed ? "31" : "32", "<<")} ${
    printer.style(failed ? "31" : "32", event.text)
  }`;
}

const STATE_NAMES = ["Down", "Rsrvd", "OffHook", "Dialing", "Ring", "Ringing"];
const RESULT_TEXT: Record<string, string> = {
  "200": "Success",
  "510": "Invalid or unknown command",
  "511": "Command Not Permitted on a dead channel or intercept routine",
  "520": "Usage",
};

/**
 * What Asterisk's res_agi does around a FastAGI call on a channel: connect
 * to the server, play the AGI dialogue (here the AGI emulator does), and
 * publish `AGIExecStart`/`AGIExecEnd` for every command on the Manager
 * interface (here the AMI emulator does).
 */
async function runFastAgiCall(
  plan: CallPlan,
  url: string,
  channel: { name: string; uniqueId: string },
  ami: AmiEmulator | undefined,
  printer: Printer,
): Promise<AgiEmulator> {
  const environment: string[] = [];
  let inEnvironment = true;
  let pending: { command: string; id: string } | undefined;
  const publish = (event: string, extra: [string, string][]) => {
    if (ami === undefined) return;
    const found = ami.channels.find((c) => c.name === channel.name);
    const state = found?.state ?? 6;
    ami.emit([
      ["Event", event],
      ["Channel", channel.name],
      ["ChannelState", String(state)],
      ["ChannelStateDesc", state === 6 ? "Up" : STATE_NAMES[state] ?? "Down"],
      ["CallerIDNum", plan.callerId.num],
      ["CallerIDName", plan.callerId.name],
      ["ConnectedLineNum", plan.callerId.num],
      ["ConnectedLineName", plan.callerId.name],
      ["Language", "en"],
      ["AccountCode", ""],
      ["Context", found?.context ?? "default"],
      ["Exten", found?.exten ?? "s"],
      ["Priority", String(found?.priority ?? 1)],
      ["Uniqueid", channel.uniqueId],
      ["Linkedid", found?.linkedid ?? channel.uniqueId],
      ...extra,
    ], { category: "agi" });
  };
  const emulator = new AgiEmulator({
    transport: "fastagi",
    request: url,
    channel: channel.name,
    uniqueId: channel.uniqueId,
    callerIdNum: plan.callerId.num,
    callerIdName: plan.callerId.name,
    state: 6,
    sounds: SOUNDS,
    dtmf: plan.dtmf ?? [],
    faults: plan.hangupAfterMs === undefined
      ? {}
      : { hangupAfterMs: plan.hangupAfterMs },
    fastForward: false,
    onTrace: (event) => {
      if (inEnvironment && event.direction === "fromAsterisk") {
        if (event.text !== "") {
          environment.push(event.text);
          return;
        }
        inEnvironment = false;
        const shown = environment.filter((line) =>
          /^agi_(network_script|channel|callerid|uniqueid):/.test(line)
        );
        printer.at(
          "AGI",
          `${printer.style("32", "<<")} ${
            printer.style("2", `environment, ${environment.length} lines:`)
          } ${shown.join(", ")}`,
        );
        return;
      }
      const text = describeAgi(event, printer);
      if (text !== undefined) printer.at("AGI", text);
      if (event.direction === "toAsterisk") {
        pending = {
          command: event.text,
          id: String(Math.floor(Math.random() * 2 ** 31)),
        };
        publish("AGIExecStart", [["CommandId", pending.id], [
          "Command",
          pending.command,
        ]]);
      } else if (
        event.direction === "fromAsterisk" && pending !== undefined &&
        /^\d{3}[ -]/.test(event.text) && !event.text.startsWith("100")
      ) {
        const code = event.text.slice(0, 3);
        publish("AGIExecEnd", [
          ["CommandId", pending.id],
          ["Command", pending.command],
          ["ResultCode", code],
          ["Result", RESULT_TEXT[code] ?? "Unknown Result"],
        ]);
        pending = undefined;
      }
    },
  });
  await connectFastAgiServer(url, emulator, { timeoutMs: 10_000 });
  return emulator;
}

/** Prints what the Manager client sees, until the subscription ends. */
async function showEvents(
  events: AmiEventSubscription,
  printer: Printer,
): Promise<number> {
  let count = 0;
  for await (const event of events) {
    count++;
    printer.at("AMI", describeEvent(event, printer));
  }
  return count;
}

function settle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = parseArgs(args, {
    ami: "string",
    username: "string",
    secret: "string",
    tls: "boolean",
    color: "boolean",
    "no-color": "boolean",
    help: "boolean",
  }, { h: "help" });
  if (parsed.booleans.has("help")) {
    console.log(HELP);
    return 0;
  }
  const color = parsed.booleans.has("color") ||
    (!parsed.booleans.has("no-color") && Deno.stdout.isTerminal() &&
      !Deno.noColor);
  const printer = new Printer(color);
  const io: CliIo = {
    write: async (text) =>
      void await Deno.stdout.write(new TextEncoder().encode(text)),
    error: async (text) =>
      void await Deno.stderr.write(new TextEncoder().encode(text)),
    queryPermission: async (descriptor) =>
      (await Deno.permissions.query(descriptor)).state,
    getEnv: (name) => Deno.env.get(name),
    signal: new AbortController().signal,
  };

  // With --ami, check credentials and permission before starting anything.
  const realAmi = parsed.strings.get("ami");
  let target: AmiTarget | undefined;
  if (realAmi !== undefined) {
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(realAmi);
    if (match === null) {
      throw new UsageError(
        `--ami needs HOST:PORT (an IPv6 address in brackets), got ${
          JSON.stringify(realAmi)
        }`,
      );
    }
    const strings = new Map(parsed.strings);
    strings.set("host", (match[1] ?? match[2])!);
    if (match[3] !== undefined) strings.set("port", match[3]);
    target = await resolveAmiTarget({ ...parsed, strings }, io);
  }

  printer.line(printer.style(
    "1",
    "@pyst/asterisk demo: an emulated Asterisk, a FastAGI IVR and a Manager client, live",
  ));
  printer.line();

  // The emulated Asterisk (AMI side) and the IVR.
  await using emulator = realAmi === undefined
    ? await startAmiEmulator({ users: { demo: { secret: "demo" } } })
    : undefined;
  const server: FastAgiServer = serveFastAgi({
    port: 0,
    onError: (error, context) => {
      // A caller hanging up mid-command shows as a hangup error or, over
      // FastAGI, as the command's -1 reply (the HANGUP line comes after it).
      if (
        error instanceof AgiHangupError ||
        (error instanceof AgiCommandError && error.result === "-1")
      ) {
        printer.at(
          "IVR",
          printer.style(
            "33",
            `${context.request?.path} handler ended: the caller hung up`,
          ),
        );
      } else {
        printer.at(
          "IVR",
          printer.style(
            "31",
            `${context.phase} failed: ${
              error instanceof Error ? error.message : error
            }`,
          ),
        );
      }
    },
  }, routes);
  await using _server = server;

  // The Manager client.
  let client: AmiClient;
  if (realAmi === undefined) {
    client = await connectAmi({
      port: emulator!.port,
      username: "demo",
      secret: "demo",
      reconnect: false,
    });
    printer.line(
      `  ${printer.style("36", "AMI emulator")}    127.0.0.1:${
        emulator!.port
      }   startAmiEmulator()`,
    );
  } else {
    client = await openAmi(target!, io);
    printer.line(
      `  ${printer.style("36", "Asterisk")}        ${realAmi}   ${
        (await client.command("core show version")).split("\n")[0]
      }`,
    );
    const { events } = await client.sendList({ Action: "CoreShowChannels" });
    printer.line(`                  ${events.length} channels up right now`);
  }
  await using _client = client;
  printer.line(
    `  ${
      printer.style("35", "FastAGI server")
    }  127.0.0.1:${server.addr.port}   serveFastAgi(), routes: ${
      Object.keys(routes).join(", ")
    } (examples/fastagi_server.ts)`,
  );
  printer.line(
    `  ${
      printer.style("36", "Manager client")
    }  logged in, AMI ${client.version}   connectAmi(), events()`,
  );
  if (realAmi !== undefined) {
    printer.line(printer.style(
      "2",
      "  The calls below run on the emulated Asterisk; the AMI lines are the real PBX's live events.",
    ));
  }

  const subscription = client.events(
    realAmi === undefined
      ? {
        filter: [
          "Newchannel",
          "Newstate",
          "OriginateResponse",
          "AGIExecEnd",
          "Hangup",
        ],
      }
      : {},
  );
  const shown = showEvents(subscription, printer);

  let commands = 0;
  let number = 0;
  for (const plan of CALLS) {
    number++;
    printer.heading(`call ${number}: ${plan.title}`);
    const url = `agi://127.0.0.1:${server.addr.port}/${plan.script}`;
    let channel: { name: string; uniqueId: string };
    if (realAmi === undefined) {
      // The Manager client places the call; the emulator rings and answers it.
      const outcome = await client.originate({
        Channel: plan.device,
        Application: "AGI",
        Data: url,
        CallerID: `${plan.callerId.name} <${plan.callerId.num}>`,
      });
      channel = { name: outcome.channel!, uniqueId: outcome.uniqueId! };
    } else {
      channel = {
        name: `${plan.device}-${String(number).padStart(8, "0")}`,
        uniqueId: `${Math.floor(Date.now() / 1000)}.${number}`,
      };
    }
    await settle(50);
    const call = await runFastAgiCall(plan, url, channel, emulator, printer);
    commands += call.commands.length;
    // The call is over: Asterisk hangs the channel up.
    emulator?.hangup(channel.name, 16);
    await settle(150);
    const choice = call.call.variables.get("CHOICE");
    printer.line(printer.style(
      "2",
      `        AGISTATUS=${call.status}${
        call.hungUpBy ? `, hung up by the ${call.hungUpBy}` : ""
      }; played ${call.call.played.join(", ") || "nothing"}${
        choice === undefined ? "" : `; CHOICE=${choice}`
      }`,
    ));
  }

  await settle(100);
  subscription.close();
  const events = await shown;
  printer.line();
  printer.line(printer.style(
    "1",
    `Done: ${CALLS.length} calls, ${commands} AGI commands, ${events} AMI events seen by the Manager client.`,
  ));
  printer.line(
    "Next: `deno task test` runs the test suite; README.md shows each module and the `pyst` CLI.",
  );
  return 0;
}

if (import.meta.main) {
  // However it goes, the demo ends on its own.
  const watchdog = setTimeout(() => {
    console.error("Cannot finish demo: still running after 14 s");
    Deno.exit(1);
  }, 14_000);
  Deno.unrefTimer(watchdog);
  try {
    Deno.exitCode = await main(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`Cannot run demo: ${error.message}\n\n${HELP}`);
      Deno.exitCode = 2;
    } else if (error instanceof CliFailure) {
      console.error(error.message);
      Deno.exitCode = error.status;
    } else {
      throw error;
    }
  } finally {
    clearTimeout(watchdog);
  }
}
