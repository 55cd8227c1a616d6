// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Every example in `examples/` runs against the emulated Asterisk, as a
 * subprocess, with the permissions its first line states (a port in them
 * swapped for the emulator's).
 */
import assert from "node:assert/strict";
import { connectAmi } from "@pyst/asterisk/manager";
import {
  emulateAgiCall,
  startAmiEmulator,
  startAsyncAgiCall,
} from "@pyst/asterisk/astemu";
import { LineReader, runDeno, spawnDeno } from "../cli/_run.ts";

/** The permission flags of an example's `#!/usr/bin/env -S deno run …` line. */
async function statedPermissions(example: string): Promise<string[]> {
  const text = await Deno.readTextFile(example);
  const first = text.slice(0, text.indexOf("\n"));
  const match = /^#!\/usr\/bin\/env -S deno run( .*)?$/.exec(first);
  assert.ok(match, `${example} must start with a deno run shebang`);
  const flags = (match[1] ?? "").trim().split(/\s+/).filter((f) => f !== "");
  for (const flag of flags) assert.match(flag, /^--allow-[a-z]+=\S+$/);
  // The module doc repeats the same command line.
  assert.ok(
    text.includes(`deno run ${flags.map((f) => `${f} `).join("")}${example}`),
    `${example} must state its deno run line in its doc`,
  );
  return flags;
}

/** The flags with one value replaced (a port, a directory). */
function swap(flags: readonly string[], from: string, to: string): string[] {
  const swapped = flags.map((flag) => flag.replaceAll(from, to));
  assert.notDeepEqual(swapped, flags, `no ${from} in ${flags.join(" ")}`);
  return swapped;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

function amiEnv(port: number): Record<string, string> {
  return {
    ASTERISK_AMI_HOST: "127.0.0.1",
    ASTERISK_AMI_PORT: String(port),
    ASTERISK_AMI_USERNAME: "admin",
    ASTERISK_AMI_SECRET: "admin",
  };
}

Deno.test("example stdio_ivr reads an account number on an emulated call", async () => {
  const example = "examples/stdio_ivr.ts";
  assert.deepEqual(await statedPermissions(example), []);
  const command = [Deno.execPath(), "run", "--no-prompt", example];
  const call = await emulateAgiCall(command, { dtmf: ["42#"] });
  assert.equal(call.stderr, "");
  assert.deepEqual(call.played, ["hello-world", "beep", "vm-goodbye"]);
  assert.equal(call.variables.get("ACCOUNT"), "42");
  assert.equal(call.hungUpBy, "script");

  const silent = await emulateAgiCall(command, {});
  assert.equal(silent.variables.get("ACCOUNT"), undefined);
  assert.ok(
    silent.verbose.some((v) => v.message === "no account number entered"),
  );

  const hangup = await emulateAgiCall(command, {
    dtmf: ["4"],
    faults: { hangupAfterMs: 2000 },
  });
  assert.equal(hangup.status, "HANGUP");
  assert.equal(hangup.hungUpBy, "caller");
  assert.equal(hangup.variables.get("ACCOUNT"), undefined);
});

Deno.test("example fastagi_server serves both routes and stops on SIGINT", async () => {
  const example = "examples/fastagi_server.ts";
  const port = freePort();
  const flags = swap(await statedPermissions(example), "4573", String(port));
  const child = spawnDeno(example, ["--port", String(port)], {
    permissions: flags,
  });
  const stdout = new LineReader(child.stdout);
  await stdout.waitFor(
    new RegExp(`^FastAGI server listening on 127\\.0\\.0\\.1:${port}$`),
  );

  const menu = await emulateAgiCall(`agi://127.0.0.1:${port}/menu`, {
    callerIdNum: "1001",
    dtmf: ["1"],
  });
  assert.deepEqual(menu.played, ["hello-world", "demo-congrats"]);
  assert.equal(menu.variables.get("CHOICE"), "1");
  assert.ok(menu.verbose.some((v) => v.message === "menu for 1001"));
  assert.equal(menu.hungUpBy, "script");

  const timeout = await emulateAgiCall(`agi://127.0.0.1:${port}/menu`, {});
  assert.equal(timeout.variables.get("CHOICE"), "none");
  assert.deepEqual(timeout.played, ["hello-world", "vm-goodbye"]);

  const callback = await emulateAgiCall(
    `agi://127.0.0.1:${port}/callback?number=5551234`,
    { uniqueId: "1700000000.7" },
  );
  assert.equal(callback.database.get("callback/1700000000.7"), "5551234");
  assert.deepEqual(callback.said, [{ kind: "digits", value: "5551234" }]);

  child.kill("SIGINT");
  const status = await child.status;
  await stdout.waitFor(/^FastAGI server stopped$/);
  await child.stderr.cancel();
  assert.equal(status.code, 0);
});

Deno.test("example event_logger logs a call's channel events", async () => {
  const example = "examples/event_logger.ts";
  await using emulator = await startAmiEmulator();
  const flags = swap(
    await statedPermissions(example),
    "127.0.0.1:5038",
    `127.0.0.1:${emulator.port}`,
  );
  const child = spawnDeno(example, [], {
    permissions: flags,
    env: amiEnv(emulator.port),
  });
  const stdout = new LineReader(child.stdout);
  await stdout.waitFor(/^logged in to AMI 13\.0\.0, waiting for calls$/);

  await using ami = await connectAmi({
    port: emulator.port,
    username: "admin",
    secret: "admin",
  });
  const call = await ami.originate({
    Channel: "PJSIP/100",
    Application: "Playback",
    Data: "hello-world",
    CallerID: "Alice <1001>",
  });
  assert.ok(call.success);
  emulator.hangup(call.channel!, 17);

  await stdout.waitFor(/ - PJSIP\/100-\d+ hung up: User busy \(17\)$/);
  child.kill("SIGINT");
  const status = await child.status;
  await stdout.waitFor(/^stopped$/);
  await child.stderr.cancel();
  assert.equal(status.code, 0);
  const logged = stdout.lines.filter((line) => /^\d{4}-/.test(line)).map((
    line,
  ) => line.slice(line.indexOf(" ") + 1));
  assert.match(logged[0]!, /^\+ PJSIP\/100-\d+ from <unknown> to s@default$/);
  assert.ok(logged.some((line) => /^~ PJSIP\/100-\d+ is Up$/.test(line)));
  assert.equal(emulator.sessions[0]?.username, "admin");
});

Deno.test("example async_agi_controller runs a survey on AsyncAGI channels", async () => {
  const example = "examples/async_agi_controller.ts";
  await using emulator = await startAmiEmulator();
  const flags = swap(
    await statedPermissions(example),
    "127.0.0.1:5038",
    `127.0.0.1:${emulator.port}`,
  );
  const child = spawnDeno(example, [], {
    permissions: flags,
    env: amiEnv(emulator.port),
  });
  const stdout = new LineReader(child.stdout);
  await stdout.waitFor(/^waiting for channels in AGI\(agi:async\)$/);

  const rated = startAsyncAgiCall(emulator, {
    channel: "PJSIP/alice-00000001",
    uniqueId: "1700000000.1",
    dtmf: ["4"],
  });
  const silent = startAsyncAgiCall(emulator, {
    channel: "PJSIP/bob-00000002",
    uniqueId: "1700000000.2",
  });
  await Promise.all([rated.ended, silent.ended]);
  await stdout.waitFor(/^PJSIP\/alice-00000001: rating 4$/);
  await stdout.waitFor(/^PJSIP\/bob-00000002: rating none$/);
  // Both went back to the dialplan with ASYNCAGI BREAK, not a hangup.
  assert.equal(rated.emulator.asyncBreak, true);
  assert.equal(silent.emulator.asyncBreak, true);
  assert.equal(rated.emulator.call.variables.get("RATING"), "4");
  assert.equal(rated.emulator.call.database.get("survey/1700000000.1"), "4");
  assert.deepEqual(rated.emulator.call.said, [{ kind: "number", value: "4" }]);
  assert.equal(silent.emulator.call.variables.get("RATING"), "none");
  assert.equal(silent.emulator.call.database.size, 0);

  child.kill("SIGINT");
  const status = await child.status;
  await stdout.waitFor(/^stopped$/);
  await child.stderr.cancel();
  assert.equal(status.code, 0);
});

Deno.test("example originate_and_wait reports the outcome", async (t) => {
  const example = "examples/originate_and_wait.ts";
  const stated = await statedPermissions(example);
  await t.step("answered", async () => {
    await using emulator = await startAmiEmulator();
    const { code, stdout, stderr } = await runDeno(example, ["PJSIP/200"], {
      permissions: swap(stated, "127.0.0.1:5038", `127.0.0.1:${emulator.port}`),
      env: amiEnv(emulator.port),
    });
    assert.equal(stderr, "");
    assert.equal(code, 0);
    assert.match(
      stdout,
      /^calling PJSIP\/200\.\.\.\nPJSIP\/200-\d+ answered \(uniqueid \d+\.\d+\)\n$/,
    );
    const originate = emulator.actions.find((r) =>
      r.action.get("Action") === "Originate"
    );
    assert.equal(originate?.action.get("Application"), "Playback");
    assert.equal(originate?.action.get("Async"), "true");
  });
  await t.step("busy", async () => {
    await using emulator = await startAmiEmulator({ originate: () => "busy" });
    const { code, stdout } = await runDeno(example, [], {
      permissions: swap(stated, "127.0.0.1:5038", `127.0.0.1:${emulator.port}`),
      env: amiEnv(emulator.port),
    });
    assert.equal(code, 1);
    assert.match(stdout, /PJSIP\/100 was not answered: busy \(reason 5\)\n$/);
  });
});

Deno.test("example config_edit changes one line and nothing else", async (t) => {
  const example = "examples/config_edit.ts";
  const stated = await statedPermissions(example);
  const original = await Deno.readTextFile(
    "tests/examples/testdata/pjsip.conf",
  );
  await t.step("--dry-run prints the edited file", async () => {
    const { code, stdout, stderr } = await runDeno(
      example,
      ["--dry-run", "tests/examples/testdata/pjsip.conf", "6001", "n3w"],
      {
        permissions: [
          swap(stated, "/etc/asterisk", "tests/examples/testdata")[0]!,
        ],
      },
    );
    assert.equal(stderr, "");
    assert.equal(code, 0);
    assert.equal(
      stdout,
      original.replace("password = old-secret", "password = n3w") + "\n",
    );
  });
  await t.step("in place, with --allow-write on the file only", async () => {
    // A scratch copy made and removed by sh: the tests may not write files.
    const sh = (script: string) =>
      new Deno.Command("sh", { args: ["-c", script], stdout: "piped" })
        .output();
    const dir = new TextDecoder().decode(
      (await sh("mktemp -d")).stdout,
    ).trim();
    try {
      await sh(`cp tests/examples/testdata/pjsip.conf '${dir}/pjsip.conf'`);
      const { code, stdout } = await runDeno(
        example,
        [`${dir}/pjsip.conf`, "6002", "s3cret"],
        { permissions: swap(stated, "/etc/asterisk", dir) },
      );
      assert.equal(code, 0);
      assert.equal(stdout, `${dir}/pjsip.conf: [6002] password changed\n`);
      const edited = new TextDecoder().decode(
        (await sh(`cat '${dir}/pjsip.conf'`)).stdout,
      );
      assert.equal(
        edited,
        original.replace("password=other-secret", "password=s3cret"),
      );
    } finally {
      await sh(`rm -r '${dir}'`);
    }
  });
});
