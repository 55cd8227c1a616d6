// Copyright the @pyst/asterisk authors. MIT license.
/** `pyst astemu` as a subprocess, talked to by `pyst ami`, with only `--allow-net=127.0.0.1`. */
import assert from "node:assert/strict";
import { LineReader, runDeno, spawnDeno } from "./_run.ts";

const CLI = "cli/main.ts";

Deno.test("pyst astemu serves AMI clients and prints what they send", async () => {
  const child = spawnDeno(
    CLI,
    [
      "astemu",
      "--port",
      "0",
      "--user",
      "ops:pw",
      "--command",
      "core show calls=2 active calls\\n5 calls processed",
    ],
    { permissions: ["--allow-net=127.0.0.1"] },
  );
  const stdout = new LineReader(child.stdout);
  const ready = await stdout.waitFor(
    /^AMI emulator listening on 127\.0\.0\.1:\d+ \(users: ops\)$/,
  );
  const port = /:(\d+) /.exec(ready)![1]!;

  const { code, stdout: output, stderr: errors } = await runDeno(
    CLI,
    [
      "ami",
      "command",
      "core show calls",
      "--port",
      port,
      "--username",
      "ops",
      "--secret",
      "pw",
    ],
    { permissions: [`--allow-net=127.0.0.1:${port}`] },
  );
  assert.equal(code, 0, errors);
  assert.equal(output, "2 active calls\n5 calls processed\n", errors);
  await stdout.waitFor(/^\[\d+\] >> Command: core show calls$/);
  const plain = await runDeno(
    CLI,
    [
      "ami",
      "action",
      "Ping",
      "--auth",
      "plain",
      "--port",
      port,
      "--username",
      "ops",
      "--secret",
      "pw",
    ],
    { permissions: [`--allow-net=127.0.0.1:${port}`] },
  );
  assert.equal(plain.code, 0, plain.stderr);
  await stdout.waitFor(/^\[\d+\] >> Action: Ping$/);

  child.kill("SIGINT");
  const status = await child.status;
  const lines = await stdout.rest();
  await child.stderr.cancel();
  assert.equal(status.code, 0);
  assert.equal(lines.at(-1), "AMI emulator stopped");
  assert.ok(lines.some((l) => /^\[\d+\] >> Action: Login$/.test(l)));
  assert.ok(lines.some((l) => /^\[\d+\] >> Username: ops$/.test(l)));
  // The MD5 login's key (and a plain Secret) are masked.
  assert.ok(lines.some((l) => /^\[\d+\] >> Key: \*\*\*$/.test(l)));
  assert.ok(lines.some((l) => /^\[\d+\] >> Secret: \*\*\*$/.test(l)));
  assert.ok(!lines.some((l) => /pw|[0-9a-f]{32}/.test(l)), lines.join("\n"));
});

Deno.test("pyst astemu without the net permission names --allow-net", async () => {
  for (
    const [args, flag] of [
      [[], "--allow-net=127.0.0.1:5038"],
      [["--port", "0"], "--allow-net=127.0.0.1"],
      [["--hostname", "::1", "--port", "5039"], "--allow-net=[::1]:5039"],
    ] as const
  ) {
    const { code, stdout, stderr } = await runDeno(CLI, ["astemu", ...args]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.match(
      stderr,
      new RegExp(
        `permission missing, run with ${flag.replace(/[.[\]]/g, "\\$&")}\\n$`,
      ),
    );
  }
});
