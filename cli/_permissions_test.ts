// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import type { CliIo } from "./_io.ts";
import { CliFailure } from "./_io.ts";
import { flagFor, missingFlags, requirePermissions } from "./_permissions.ts";

function io(granted: readonly string[]): CliIo {
  return {
    write: () => Promise.resolve(),
    error: () => Promise.resolve(),
    queryPermission: (d) =>
      Promise.resolve(granted.includes(flagFor(d)) ? "granted" : "prompt"),
    getEnv: () => undefined,
    signal: new AbortController().signal,
  };
}

Deno.test({
  name: "flagFor names the exact flag of each permission",
  permissions: "none",
  fn() {
    assert.equal(
      flagFor({ name: "net", host: "127.0.0.1:5038" }),
      "--allow-net=127.0.0.1:5038",
    );
    assert.equal(flagFor({ name: "env", variable: "X" }), "--allow-env=X");
    assert.equal(
      flagFor({ name: "read", path: "/etc/asterisk" }),
      "--allow-read=/etc/asterisk",
    );
    assert.equal(flagFor({ name: "run", command: "deno" }), "--allow-run=deno");
    assert.equal(
      flagFor({ name: "write", path: "t.txt" }),
      "--allow-write=t.txt",
    );
    assert.equal(flagFor({ name: "net" }), "--allow-net");
  },
});

Deno.test({
  name: "missingFlags joins the values of one kind and skips granted ones",
  permissions: "none",
  async fn() {
    const flags = await missingFlags(io(["--allow-env=B"]), [
      { name: "env", variable: "A" },
      { name: "env", variable: "B" },
      { name: "env", variable: "C" },
      { name: "net", host: "pbx:5038" },
      { name: "env", variable: "A" },
    ]);
    assert.deepEqual(flags, ["--allow-env=A,C", "--allow-net=pbx:5038"]);
  },
});

Deno.test({
  name: "requirePermissions fails with status 2 naming the flags",
  permissions: "none",
  async fn() {
    await requirePermissions(io(["--allow-run=deno"]), "Cannot run", [
      { name: "run", command: "deno" },
    ]);
    await assert.rejects(
      requirePermissions(io([]), 'Cannot read config "x.conf"', [
        { name: "read", path: "/etc/asterisk" },
        { name: "run", command: "sh" },
      ]),
      (error) => {
        assert.ok(error instanceof CliFailure);
        assert.equal(error.status, 2);
        assert.equal(
          error.message,
          'Cannot read config "x.conf": permission missing, run with --allow-read=/etc/asterisk --allow-run=sh',
        );
        return true;
      },
    );
  },
});
