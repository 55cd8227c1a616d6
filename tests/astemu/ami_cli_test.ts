// Copyright the @pyst/asterisk authors. MIT license.
/** The `astemu/main.ts` CLI, run as a child process under its narrow permissions. */

import assert from "node:assert/strict";
import { RawAmiClient } from "./_raw_client.ts";

const MAIN = new URL("../../astemu/main.ts", import.meta.url).pathname;

function spawn(permissions: string[], args: string[]): Deno.ChildProcess {
  return new Deno.Command("deno", {
    args: ["run", "--no-config", "--quiet", ...permissions, MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Reads a child's stdout lines as they come. */
function lines(
  child: Deno.ChildProcess,
): { next(match: RegExp, timeoutMs?: number): Promise<string>; all: string[] } {
  const all: string[] = [];
  let wake: (() => void) | undefined;
  void (async () => {
    let rest = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      rest += chunk;
      const parts = rest.split("\n");
      rest = parts.pop()!;
      all.push(...parts);
      wake?.();
    }
  })();
  return {
    all,
    async next(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = all.find((line) => match.test(line));
        if (found !== undefined) return found;
        if (Date.now() > deadline) {
          throw new Error(`no line matching ${match} in:\n${all.join("\n")}`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, 50);
          function done() {
            clearTimeout(timer);
            resolve();
          }
          wake = done;
        });
      }
    },
  };
}

Deno.test({
  name: "astemu CLI serves users from flags and prints the actions it receives",
  permissions: { run: true, net: ["127.0.0.1"], read: ["."] },
  async fn() {
    const child = spawn(["--allow-net=127.0.0.1"], [
      "--port",
      "0",
      "--user",
      "bob:pw:call:originate",
      "--command",
      "core show calls=2 active calls",
    ]);
    const out = lines(child);
    try {
      const ready = await out.next(/listening on/);
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(ready)![1]);
      assert.match(ready, /users: bob/);
      await using client = await RawAmiClient.connect("127.0.0.1", port);
      await client.send(
        "Action: Login\r\nActionID: 1\r\nUsername: bob\r\nSecret: pw\r\nEvents: off\r\n\r\n",
      );
      await client.send(
        "Action: Command\r\nActionID: 2\r\nCommand: core show calls\r\n\r\n",
      );
      await client.until(
        () => client.packets.some((m) => m.actionId === "2"),
        5000,
        "the Command answer",
      );
      // bob may only originate: Command is denied.
      assert.equal(
        client.packets.find((m) => m.actionId === "2")!.get("Message"),
        "Permission denied",
      );
      await out.next(/^\[0\] >> Command: core show calls$/);
      assert.ok(out.all.includes("[0] >> Action: Login"));
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await child.stderr.cancel();
    }
  },
});

Deno.test({
  name: "astemu CLI without network permission fails naming the exact flag",
  permissions: { run: true, read: ["."] },
  async fn() {
    const child = spawn([], ["--port", "5039"]);
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
      child.stdout.cancel(),
    ]);
    assert.equal(status.code, 2);
    assert.match(
      stderr,
      /astemu: missing permission: run with --allow-net=127\.0\.0\.1:5039/,
    );
  },
});

Deno.test({
  name: "astemu CLI rejects bad arguments with usage",
  permissions: { run: true, read: ["."] },
  async fn() {
    const child = spawn(["--allow-net=127.0.0.1"], ["--user", "nosecret"]);
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
      child.stdout.cancel(),
    ]);
    assert.equal(status.code, 2);
    assert.match(stderr, /--user "nosecret" is not name:secret/);
    assert.match(stderr, /Usage: astemu/);
  },
});
