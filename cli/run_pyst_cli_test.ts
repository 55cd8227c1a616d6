// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { runPystCli, type RunPystCliOptions } from "./run_pyst_cli.ts";

/** An in-process run with permissions and environment given by the test. */
async function run(
  args: readonly string[],
  granted: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<{ status: number; out: string; err: string; envRead: string[] }> {
  let out = "";
  let err = "";
  const envRead: string[] = [];
  const options: RunPystCliOptions = {
    write: (text) => void (out += text),
    error: (text) => void (err += text),
    queryPermission: (d) => {
      const key = d.name === "env"
        ? `env:${d.variable}`
        : d.name === "net"
        ? `net:${d.host}`
        : d.name === "read"
        ? `read:${d.path}`
        : d.name === "run"
        ? `run:${d.command}`
        : d.name;
      return Promise.resolve(granted.includes(key) ? "granted" : "prompt");
    },
    getEnv: (name) => {
      envRead.push(name);
      return env[name];
    },
  };
  const status = await runPystCli(args, options);
  return { status, out, err, envRead };
}

const ALL_ENV = [
  "env:ASTERISK_AMI_HOST",
  "env:ASTERISK_AMI_PORT",
  "env:ASTERISK_AMI_USERNAME",
  "env:ASTERISK_AMI_SECRET",
];

Deno.test({
  name: "runPystCli reads AMI settings from the environment only where allowed",
  permissions: "none",
  async fn() {
    const env = {
      ASTERISK_AMI_HOST: "pbx.example.net",
      ASTERISK_AMI_PORT: "5039",
      ASTERISK_AMI_USERNAME: "ops",
      ASTERISK_AMI_SECRET: "pw",
    };
    const allowed = await run(["ami", "action", "Ping"], ALL_ENV, env);
    assert.equal(allowed.status, 2);
    assert.equal(
      allowed.err,
      'Cannot connect to AMI at "pbx.example.net:5039": permission missing, run with --allow-net=pbx.example.net:5039\n',
    );

    // Only the user name and secret allowed: host and port keep their defaults.
    const some = await run(
      ["ami", "action", "Ping"],
      ["env:ASTERISK_AMI_USERNAME", "env:ASTERISK_AMI_SECRET"],
      env,
    );
    assert.deepEqual(some.envRead, [
      "ASTERISK_AMI_USERNAME",
      "ASTERISK_AMI_SECRET",
    ]);
    assert.match(some.err, /run with --allow-net=127\.0\.0\.1:5038\n$/);

    // Flags win and are not looked up in the environment.
    const flags = await run(
      [
        "ami",
        "command",
        "core show uptime",
        "--host",
        "10.0.0.1",
        "--tls",
        "--username",
        "a",
        "--secret",
        "b",
      ],
      ALL_ENV,
      env,
    );
    assert.deepEqual(flags.envRead, ["ASTERISK_AMI_PORT"]);
    assert.match(flags.err, /run with --allow-net=10\.0\.0\.1:5039\n$/);
  },
});

Deno.test({
  name: "runPystCli without credentials says which flag or variable to use",
  permissions: "none",
  async fn() {
    const blocked = await run(["ami", "events", "--username", "ops"]);
    assert.equal(blocked.status, 2);
    assert.equal(
      blocked.err,
      "Cannot log in to AMI: no secret (--secret); pass the flag, or set ASTERISK_AMI_SECRET and run with --allow-env=ASTERISK_AMI_SECRET\n",
    );
    assert.deepEqual(blocked.envRead, []);

    const empty = await run(["ami", "events"], ALL_ENV, {});
    assert.equal(
      empty.err,
      "Cannot log in to AMI: no user name (--username) and no secret (--secret); pass the flag or set ASTERISK_AMI_USERNAME and ASTERISK_AMI_SECRET\n",
    );
  },
});

Deno.test({
  name: "runPystCli reports bad AMI options as usage errors",
  permissions: "none",
  async fn() {
    const login = ["--username", "a", "--secret", "b"];
    for (
      const [args, message] of [
        [
          ["--auth", "kerberos"],
          /--auth must be md5, plain or auto, got "kerberos"/,
        ],
        [
          ["--port", "70000"],
          /the port must be a number from 1 to 65535, got "70000"/,
        ],
        [
          ["--timeout", "0"],
          /--timeout needs a whole number of at least 1, got "0"/,
        ],
      ] as const
    ) {
      const { status, err } = await run([
        "ami",
        "action",
        "Ping",
        ...login,
        ...args,
      ]);
      assert.equal(status, 2);
      assert.match(err, message);
      assert.match(err, /Run "pyst ami action --help" for its options\.\n$/);
    }
  },
});

Deno.test({
  name: "runPystCli checks permissions of the other commands before acting",
  permissions: "none",
  async fn() {
    const config = await run(["config", "lint", "pjsip.conf"]);
    assert.equal(config.status, 2);
    assert.equal(
      config.err,
      'Cannot read config "pjsip.conf": permission missing, run with --allow-read=/etc/asterisk\n',
    );
    const astemu = await run(["astemu", "--port", "5040"]);
    assert.equal(astemu.status, 2);
    assert.equal(
      astemu.err,
      'Cannot start AMI emulator on "127.0.0.1:5040": permission missing, run with --allow-net=127.0.0.1:5040\n',
    );
    const agi = await run(["agi", "run", "--dtmf", "1", "ivr.ts", "x"]);
    assert.equal(agi.status, 2);
    assert.equal(
      agi.err,
      'Cannot run AGI script "ivr.ts": permission missing, run with --allow-run=deno\n',
    );
  },
});

Deno.test({
  name: "runPystCli prints help and rejects unknown commands",
  permissions: "none",
  async fn() {
    const help = await run(["--help"]);
    assert.equal(help.status, 0);
    assert.match(help.out, /^Usage: pyst <command>/);
    const none = await run([]);
    assert.equal(none.status, 2);
    assert.match(none.err, /^Usage: pyst <command>/);
    const group = await run(["ami"]);
    assert.equal(group.status, 2);
    assert.match(group.err, /^Usage: pyst ami <action\|command\|events>/);
    const unknown = await run(["agi", "serve"]);
    assert.equal(unknown.status, 2);
    assert.equal(
      unknown.err,
      'Cannot run pyst agi: unknown command "serve" (expected run)\n',
    );
  },
});
