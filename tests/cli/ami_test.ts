// Copyright the @pyst/asterisk authors. MIT license.
/**
 * `pyst ami action|command|events` run as subprocesses against the AMI
 * emulator, under exactly the permissions they document.
 */
import assert from "node:assert/strict";
import { startAmiEmulator } from "@pyst/asterisk/astemu";
import { LineReader, runDeno, spawnDeno } from "./_run.ts";

const CLI = "cli/main.ts";
const ENV_FLAG =
  "--allow-env=ASTERISK_AMI_HOST,ASTERISK_AMI_PORT,ASTERISK_AMI_USERNAME,ASTERISK_AMI_SECRET";

function login(port: number): string[] {
  return ["--port", String(port), "--username", "admin", "--secret", "admin"];
}

Deno.test("pyst ami action prints the reply of Ping", async () => {
  await using emulator = await startAmiEmulator();
  const { code, stdout, stderr } = await runDeno(
    CLI,
    ["ami", "action", "Ping", ...login(emulator.port)],
    { permissions: [`--allow-net=127.0.0.1:${emulator.port}`] },
  );
  assert.equal(stderr, "");
  assert.equal(code, 0);
  assert.match(
    stdout,
    /^Response: Success\nActionID: .+\nPing: Pong\nTimestamp: \d+\.\d+\n\n$/,
  );
  const ping = emulator.actions.find((r) => r.action.get("Action") === "Ping");
  assert.ok(ping !== undefined);
});

Deno.test("pyst ami action sends repeated keys as repeated headers", async () => {
  await using emulator = await startAmiEmulator();
  emulator.handle("UserEvent", { Response: "Success" });
  const { code } = await runDeno(
    CLI,
    [
      "ami",
      "action",
      "UserEvent",
      "UserEvent=Deploy",
      "Variable=A=1",
      "Variable=B=x=y",
      ...login(emulator.port),
    ],
    { permissions: [`--allow-net=127.0.0.1:${emulator.port}`] },
  );
  assert.equal(code, 0);
  const sent = emulator.actions.find((r) =>
    r.action.get("Action") === "UserEvent"
  );
  assert.equal(sent?.action.get("UserEvent"), "Deploy");
  assert.deepEqual(sent?.action.getAll("Variable"), ["A=1", "B=x=y"]);
});

Deno.test("pyst ami action prints an event list as JSON lines", async () => {
  await using emulator = await startAmiEmulator();
  emulator.handle("QueueStatus", () => ({
    list: {
      items: [
        { Event: "QueueParams", Queue: "support", Calls: "2" },
        { Event: "QueueMember", Queue: "support", Name: "PJSIP/100" },
      ],
      complete: "QueueStatusComplete",
    },
  }));
  const { code, stdout } = await runDeno(
    CLI,
    ["ami", "action", "QueueStatus", "--json", ...login(emulator.port)],
    { permissions: [`--allow-net=127.0.0.1:${emulator.port}`] },
  );
  assert.equal(code, 0);
  const packets = stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(packets.map((p) => p.Event ?? p.Response), [
    "Success",
    "QueueParams",
    "QueueMember",
    "QueueStatusComplete",
  ]);
  assert.equal(packets[1].Calls, "2");
  assert.equal(packets[3].ListItems, "2");
});

Deno.test("pyst ami action exits 1 on Response: Error and prints it", async () => {
  await using emulator = await startAmiEmulator();
  const { code, stdout, stderr } = await runDeno(
    CLI,
    ["ami", "action", "NoSuchAction", ...login(emulator.port)],
    { permissions: [`--allow-net=127.0.0.1:${emulator.port}`] },
  );
  assert.equal(code, 1);
  assert.match(stdout, /^Response: Error\n/);
  assert.match(
    stderr,
    /^Cannot run AMI action "NoSuchAction": Invalid\/unknown command: NoSuchAction\./,
  );
});

Deno.test("pyst ami action rejects a header without =", async () => {
  const { code, stderr } = await runDeno(CLI, [
    "ami",
    "action",
    "Ping",
    "oops",
  ]);
  assert.equal(code, 2);
  assert.match(
    stderr,
    /^Cannot run pyst ami: expected KEY=VALUE, got "oops"\n/,
  );
});

Deno.test("pyst ami action reports a rejected login", async () => {
  await using emulator = await startAmiEmulator({ authFailureDelayMs: 0 });
  const { code, stderr } = await runDeno(
    CLI,
    [
      "ami",
      "action",
      "Ping",
      "--port",
      String(emulator.port),
      "--username",
      "admin",
      "--secret",
      "wrong",
    ],
    { permissions: [`--allow-net=127.0.0.1:${emulator.port}`] },
  );
  assert.equal(code, 1);
  assert.match(
    stderr,
    /^Cannot log in to AMI: authentication rejected for "admin"/,
  );
});

Deno.test("pyst ami action reports a refused connection", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  const { code, stderr } = await runDeno(
    CLI,
    ["ami", "action", "Ping", ...login(port)],
    { permissions: [`--allow-net=127.0.0.1:${port}`] },
  );
  assert.equal(code, 1);
  assert.match(
    stderr,
    new RegExp(`^Cannot connect to AMI at "127.0.0.1:${port}": `),
  );
});

Deno.test("pyst ami command prints CLI output", async () => {
  await using emulator = await startAmiEmulator({
    commands: {
      "core show channels":
        "Channel              Location             State   Application(Data)\n0 active channels\n0 active calls",
    },
  });
  const { code, stdout } = await runDeno(
    CLI,
    ["ami", "command", "core", "show", "channels", ...login(emulator.port)],
    { permissions: [`--allow-net=127.0.0.1:${emulator.port}`] },
  );
  assert.equal(code, 0);
  assert.equal(
    stdout,
    "Channel              Location             State   Application(Data)\n0 active channels\n0 active calls\n",
  );
  const sent = emulator.actions.find((r) =>
    r.action.get("Action") === "Command"
  );
  assert.equal(sent?.action.get("Command"), "core show channels");
});

Deno.test("pyst ami command reads the legacy Response: Follows form", async () => {
  await using emulator = await startAmiEmulator({
    commandStyle: "follows",
    commands: {
      "core show uptime": "System uptime: 2 hours\nLast reload: 1 hour",
    },
  });
  const { code, stdout } = await runDeno(
    CLI,
    ["ami", "command", "core show uptime", ...login(emulator.port)],
    { permissions: [`--allow-net=127.0.0.1:${emulator.port}`] },
  );
  assert.equal(code, 0);
  assert.equal(stdout, "System uptime: 2 hours\nLast reload: 1 hour\n");
});

Deno.test("pyst ami command exits 1 when the CLI command fails", async () => {
  await using emulator = await startAmiEmulator({
    commands: { "bogus": { output: "No such command 'bogus'", error: true } },
  });
  const { code, stdout, stderr } = await runDeno(
    CLI,
    ["ami", "command", "bogus", ...login(emulator.port)],
    { permissions: [`--allow-net=127.0.0.1:${emulator.port}`] },
  );
  assert.equal(code, 1);
  assert.equal(stdout, "No such command 'bogus'\n");
  assert.match(stderr, /^Cannot run AMI action "Command"/);
});

Deno.test("pyst ami events prints filtered events as JSON lines", async () => {
  await using emulator = await startAmiEmulator();
  const child = spawnDeno(
    CLI,
    [
      "ami",
      "events",
      "--filter",
      "Newchannel,Hangup",
      "--filter",
      "Channel=PJSIP/*",
      "--count",
      "3",
      ...login(emulator.port),
    ],
    { permissions: [`--allow-net=127.0.0.1:${emulator.port}`] },
  );
  const stderr = new LineReader(child.stderr);
  await stderr.waitFor(/^listening for AMI events on 127\.0\.0\.1:\d+/);
  const base = { ChannelState: "6", Uniqueid: "1.1" };
  emulator.emit({
    Event: "Newchannel",
    Channel: "PJSIP/100-00000001",
    ...base,
  });
  emulator.emit({
    Event: "VarSet",
    Channel: "PJSIP/100-00000001",
    Variable: "A",
  });
  emulator.emit({
    Event: "Newchannel",
    Channel: "Local/s@x-00000002;1",
    ...base,
  });
  emulator.emit({
    Event: "Hangup",
    Channel: "PJSIP/100-00000001",
    Cause: "16",
    "Cause-txt": "Normal Clearing",
  });
  emulator.emit({
    Event: "Newchannel",
    Channel: "PJSIP/200-00000003",
    ...base,
  });
  emulator.emit({
    Event: "Newchannel",
    Channel: "PJSIP/300-00000004",
    ...base,
  });
  const stdout = await new LineReader(child.stdout).rest();
  const status = await child.status;
  await stderr.rest();
  assert.equal(status.code, 0);
  const events = stdout.map((line) => JSON.parse(line));
  assert.deepEqual(events.map((e) => [e.Event, e.Channel]), [
    ["Newchannel", "PJSIP/100-00000001"],
    ["Hangup", "PJSIP/100-00000001"],
    ["Newchannel", "PJSIP/200-00000003"],
  ]);
  assert.equal(events[1]["Cause-txt"], "Normal Clearing");
  assert.equal(events[0].Privilege, "call,all");
});

Deno.test("pyst ami events exits 1 when the connection is lost", async () => {
  const emulator = await startAmiEmulator();
  const child = spawnDeno(
    CLI,
    ["ami", "events", "--no-reconnect", ...login(emulator.port)],
    { permissions: [`--allow-net=127.0.0.1:${emulator.port}`] },
  );
  const stderr = new LineReader(child.stderr);
  await stderr.waitFor(/^listening for AMI events/);
  await emulator.close();
  const status = await child.status;
  await new LineReader(child.stdout).rest();
  const lines = await stderr.rest();
  assert.equal(status.code, 1);
  assert.match(lines.join("\n"), /Cannot read AMI events: connection lost/);
});

Deno.test("pyst ami reads credentials from the environment with --allow-env", async () => {
  await using emulator = await startAmiEmulator({
    users: { ops: { secret: "from-env" } },
  });
  const { code, stdout } = await runDeno(CLI, ["ami", "action", "Ping"], {
    permissions: [`--allow-net=127.0.0.1:${emulator.port}`, ENV_FLAG],
    env: {
      ASTERISK_AMI_HOST: "127.0.0.1",
      ASTERISK_AMI_PORT: String(emulator.port),
      ASTERISK_AMI_USERNAME: "ops",
      ASTERISK_AMI_SECRET: "from-env",
    },
  });
  assert.equal(code, 0);
  assert.match(stdout, /Ping: Pong/);
  assert.equal(emulator.sessions[0]?.username, "ops");
});

Deno.test("pyst ami without credentials names the --allow-env flag", async () => {
  const { code, stderr } = await runDeno(CLI, ["ami", "action", "Ping"], {
    env: { ASTERISK_AMI_USERNAME: "ops", ASTERISK_AMI_SECRET: "x" },
  });
  assert.equal(code, 2);
  assert.equal(
    stderr,
    "Cannot log in to AMI: no user name (--username) and no secret (--secret); " +
      "pass the flag, or set ASTERISK_AMI_USERNAME and ASTERISK_AMI_SECRET and " +
      "run with --allow-env=ASTERISK_AMI_USERNAME,ASTERISK_AMI_SECRET\n",
  );
});

Deno.test("pyst ami without the net permission names --allow-net=HOST:PORT", async () => {
  await using emulator = await startAmiEmulator();
  for (
    const command of [["action", "Ping"], ["command", "core show uptime"], [
      "events",
    ]]
  ) {
    const { code, stdout, stderr } = await runDeno(
      CLI,
      ["ami", ...command, ...login(emulator.port)],
      { permissions: ["--allow-net=127.0.0.1:1"] },
    );
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      `Cannot connect to AMI at "127.0.0.1:${emulator.port}": permission missing, run with --allow-net=127.0.0.1:${emulator.port}\n`,
    );
  }
  assert.equal(emulator.sessions.length, 0);
});
