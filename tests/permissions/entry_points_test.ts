// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Each entry point runs as a subprocess under exactly the permission flags
 * its documentation names (it works), and under fewer (it fails, with a
 * message that names the missing flag). Servers listen on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { startAmiEmulator } from "../../astemu/start_ami_emulator.ts";
import { serveFastAgi } from "../../agi/serve_fast_agi.ts";
import { Entry, freePort, runEntry } from "./_run.ts";

const DENY_ALL = [
  "--deny-read",
  "--deny-write",
  "--deny-net",
  "--deny-env",
  "--deny-run",
  "--deny-sys",
  "--deny-ffi",
];

Deno.test("stdio AGI script (runAgi): runs with no permission at all, even with every permission denied", async (t) => {
  for (
    const [name, flags] of [["no flags", []], ["all denied", DENY_ALL]] as const
  ) {
    await t.step(name, async () => {
      const script = new Entry(flags, "tests/permissions/scripts/agi_stdio.ts");
      await script.write(
        "agi_request: agi_stdio.ts\nagi_channel: PJSIP/1-1\n\n",
      );
      assert.match(await script.waitFor(/\n/), /^ANSWER\n$/);
      await script.write("200 result=0\n");
      assert.match(
        await script.waitFor(/\n/),
        /^GET VARIABLE CALLERID\(name\)\n$/,
      );
      await script.write("200 result=1 (Alice)\n");
      assert.match(
        await script.waitFor(/\n/),
        /^SET VARIABLE GREETED Alice\n$/,
      );
      await script.write("200 result=1\n");
      const { code, stderr } = await script.end();
      assert.equal(code, 0, stderr);
      assert.equal(stderr, "");
    });
  }
});

Deno.test("FastAGI server: works with --allow-net=127.0.0.1:PORT, fails naming --allow-net without it", async (t) => {
  const port = freePort();
  await t.step(`--allow-net=127.0.0.1:${port}`, async () => {
    await using server = new Entry(
      [`--allow-net=127.0.0.1:${port}`],
      "tests/permissions/scripts/fastagi_server.ts",
      [String(port)],
    );
    await server.waitFor(new RegExp(`listening ${port}\n`));
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const encoder = new TextEncoder();
    await conn.write(encoder.encode(
      "agi_network: yes\nagi_network_script: x\nagi_channel: PJSIP/1-1\n\n",
    ));
    const seen: string[] = [];
    const buffer = new Uint8Array(256);
    for (const reply of ["200 result=0\n", "200 result=1\n"]) {
      const n = await conn.read(buffer);
      seen.push(new TextDecoder().decode(buffer.subarray(0, n!)));
      await conn.write(encoder.encode(reply));
    }
    assert.equal(await conn.read(buffer), null);
    conn.close();
    assert.deepEqual(seen, ["ANSWER\n", "SET VARIABLE SERVED PJSIP/1-1\n"]);
    server.kill("SIGTERM");
    const { code, stderr } = await server.end();
    assert.equal(code, 0, stderr);
  });
  for (
    const flags of [[], ["--allow-net=127.0.0.1:1"], ["--allow-net=10.0.0.1"]]
  ) {
    await t.step(flags.join(" ") || "no flags", async () => {
      const { code, stderr } = await runEntry(
        flags,
        "tests/permissions/scripts/fastagi_server.ts",
        [String(port)],
      );
      assert.notEqual(code, 0);
      assert.match(stderr, /--allow-net/);
      assert.match(stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
    });
  }
});

Deno.test("AMI client (connectAmi): works with --allow-net=PBX:PORT, fails naming --allow-net without it", async (t) => {
  await using emulator = await startAmiEmulator({
    users: { ops: { secret: "opspw", read: "all", write: "all" } },
  });
  const args = ["127.0.0.1", String(emulator.port), "ops", "opspw"];
  await t.step(`--allow-net=127.0.0.1:${emulator.port}`, async () => {
    const { code, stdout, stderr } = await runEntry(
      [`--allow-net=127.0.0.1:${emulator.port}`],
      "tests/permissions/scripts/ami_client.ts",
      args,
    );
    assert.equal(code, 0, stderr);
    assert.equal(stdout, "Ping: Pong\n");
  });
  for (const flags of [[], [`--allow-net=127.0.0.1:${emulator.port + 1}`]]) {
    await t.step(flags.join(" ") || "no flags", async () => {
      const { code, stderr } = await runEntry(
        flags,
        "tests/permissions/scripts/ami_client.ts",
        args,
      );
      assert.notEqual(code, 0);
      assert.match(stderr, /--allow-net/);
      assert.match(stderr, new RegExp(`127\\.0\\.0\\.1:${emulator.port}`));
    });
  }
});

Deno.test("config CLI: works with --allow-read=DIR, fails naming --allow-read=DIR (and --allow-run=sh for --exec)", async (t) => {
  const dir = "tests/fixtures/config";
  const args = ["dump", "--config-dir", dir, "oracle-sample.conf"];
  await t.step(`--allow-read=${dir}`, async () => {
    const { code, stdout, stderr } = await runEntry(
      [`--allow-read=${dir}`],
      "config/main.ts",
      args,
    );
    assert.equal(code, 0, stderr);
    assert.match(stdout, /"alice":\{/);
  });
  for (const flags of [[], ["--allow-read=tests/fixtures/transcripts"]]) {
    await t.step(flags.join(" ") || "no flags", async () => {
      const { code, stdout, stderr } = await runEntry(
        flags,
        "config/main.ts",
        args,
      );
      assert.equal(code, 2);
      assert.equal(stdout, "");
      assert.match(stderr, new RegExp(`--allow-read=\\S*${dir}`));
    });
  }
  await t.step("--exec without --allow-run=sh", async () => {
    const { code, stderr } = await runEntry(
      [`--allow-read=${dir}`],
      "config/main.ts",
      ["dump", "--exec", "--config-dir", dir, "includes/exec.conf"],
    );
    assert.equal(code, 2);
    assert.match(stderr, /--allow-run=sh/);
  });
});

Deno.test("astemu CLI (AMI emulator): works with --allow-net=127.0.0.1, fails naming it without; never logs a secret", async (t) => {
  await t.step("--allow-net=127.0.0.1", async () => {
    await using astemu = new Entry(
      ["--allow-net=127.0.0.1"],
      "astemu/main.ts",
      ["--port", "0", "--user", "ops:Zq81-secret"],
    );
    const banner = await astemu.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    const port = Number(/:(\d+)/.exec(banner)![1]);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode(
      "Action: Login\r\nUsername: ops\r\nSecret: Zq81-secret\r\n\r\n" +
        "Action: Logoff\r\n\r\n",
    ));
    let received = "";
    const buffer = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      received += new TextDecoder().decode(buffer.subarray(0, n));
    }
    conn.close();
    assert.match(received, /Authentication accepted/);
    await astemu.waitFor(/Action: Logoff/);
    astemu.kill("SIGTERM");
    const { stdout, stderr } = await astemu.end();
    assert.doesNotMatch(stdout + stderr, /Zq81-secret/);
  });
  await t.step("no flags", async () => {
    const { code, stderr } = await runEntry([], "astemu/main.ts", [
      "--port",
      "0",
    ]);
    assert.notEqual(code, 0);
    assert.match(stderr, /--allow-net=127\.0\.0\.1/);
  });
});

Deno.test("pyst CLI: ami action works with --allow-net=HOST:PORT, fails naming it without; a wrong secret is never printed", async (t) => {
  await using emulator = await startAmiEmulator({
    users: { ops: { secret: "Zq81-secret", read: "all", write: "all" } },
    authFailureDelayMs: 1,
  });
  const target = `127.0.0.1:${emulator.port}`;
  const args = (secret: string) => [
    "ami",
    "action",
    "Ping",
    "--host",
    "127.0.0.1",
    "--port",
    String(emulator.port),
    "--username",
    "ops",
    "--secret",
    secret,
  ];
  await t.step(`--allow-net=${target}`, async () => {
    const { code, stdout, stderr } = await runEntry(
      [`--allow-net=${target}`],
      "cli/main.ts",
      args("Zq81-secret"),
    );
    assert.equal(code, 0, stderr);
    assert.match(stdout, /Pong/);
    assert.doesNotMatch(stdout + stderr, /Zq81-secret/);
  });
  await t.step("no flags", async () => {
    const { code, stdout, stderr } = await runEntry(
      [],
      "cli/main.ts",
      args("Zq81-secret"),
    );
    assert.notEqual(code, 0);
    assert.equal(stdout, "");
    assert.match(
      stderr,
      new RegExp(`--allow-net=${target.replace(/\./g, "\\.")}`),
    );
    assert.doesNotMatch(stderr, /Zq81-secret/);
  });
  await t.step("a wrong secret", async () => {
    const { code, stdout, stderr } = await runEntry(
      [`--allow-net=${target}`],
      "cli/main.ts",
      args("Wrong-Zq81"),
    );
    assert.notEqual(code, 0);
    assert.match(stderr, /authentication|rejected|failed/i);
    assert.doesNotMatch(stdout + stderr, /Wrong-Zq81/);
  });
  await t.step("config dump with --allow-read=DIR, and without", async () => {
    const dir = "tests/fixtures/config";
    const ok = await runEntry([`--allow-read=${dir}`], "cli/main.ts", [
      "config",
      "dump",
      "--config-dir",
      dir,
      "oracle-sample.conf",
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const denied = await runEntry([], "cli/main.ts", [
      "config",
      "dump",
      "--config-dir",
      dir,
      "oracle-sample.conf",
    ]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, new RegExp(`--allow-read=\\S*${dir}`));
  });
});

Deno.test("astemu agi CLI: a stdio script needs --allow-run, a FastAGI server --allow-net; without, the message names the flag", async (t) => {
  const script = [
    "--",
    "deno",
    "run",
    "tests/permissions/scripts/agi_stdio.ts",
  ];
  await t.step("--allow-run=deno", async () => {
    const { code, stdout, stderr } = await runEntry(
      ["--allow-run=deno"],
      "astemu/agi_main.ts",
      ["--no-color", "--callerid", "Alice <5551234>", ...script],
    );
    assert.equal(code, 0, stderr);
    assert.match(stdout, /SET VARIABLE GREETED Alice/);
  });
  await t.step("no flags", async () => {
    const { code, stderr } = await runEntry([], "astemu/agi_main.ts", script);
    assert.notEqual(code, 0);
    assert.match(stderr, /--allow-run/);
  });
  await using server = serveFastAgi(
    { port: 0, onError: () => {} },
    async (s) => {
      await s.answer();
    },
  );
  const url = `agi://127.0.0.1:${server.addr.port}/x`;
  await t.step(`--allow-net=127.0.0.1:${server.addr.port}`, async () => {
    const { code, stdout, stderr } = await runEntry(
      [`--allow-net=127.0.0.1:${server.addr.port}`],
      "astemu/agi_main.ts",
      ["--no-color", url],
    );
    assert.equal(code, 0, stderr);
    assert.match(stdout, /ANSWER/);
  });
  await t.step("FastAGI without --allow-net", async () => {
    const { code, stderr } = await runEntry([], "astemu/agi_main.ts", [url]);
    assert.notEqual(code, 0);
    assert.match(stderr, /--allow-net/);
  });
});
