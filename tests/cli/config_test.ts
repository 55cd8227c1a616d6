// Copyright the @pyst/asterisk authors. MIT license.
/** `pyst config dump|lint` as a subprocess, with only `--allow-read`. */
import assert from "node:assert/strict";
import { runDeno } from "./_run.ts";

const CLI = "cli/main.ts";
const DIR = "tests/examples/testdata";

Deno.test("pyst config dump prints the file as Asterisk resolves it", async () => {
  const { code, stdout, stderr } = await runDeno(
    CLI,
    ["config", "dump", "--object", "--config-dir", DIR, "pjsip.conf"],
    { permissions: [`--allow-read=${DIR}`] },
  );
  assert.equal(stderr, "");
  assert.equal(code, 0);
  const config = JSON.parse(stdout);
  // Three sections named 6001; the template's values were copied in.
  assert.deepEqual(config["6001"].map((s: { type: string }) => s.type), [
    "endpoint",
    "auth",
    "aor",
  ]);
  assert.equal(config["6001"][0].context, "internal");
  assert.equal(config["6002"][1].password, "other-secret");
  assert.equal(config.phone, undefined);
});

Deno.test("pyst config dump --filter selects like GetConfigJSON", async () => {
  const { code, stdout } = await runDeno(
    CLI,
    [
      "config",
      "dump",
      "--config-dir",
      DIR,
      "--filter",
      "type=aor",
      "pjsip.conf",
    ],
    { permissions: [`--allow-read=${DIR}`] },
  );
  assert.equal(code, 0);
  assert.equal(
    stdout,
    '{"6001":{"type":"aor","max_contacts":"1"},"6002":{"type":"aor","max_contacts":"1"}}\n',
  );
});

Deno.test("pyst config lint reports what Asterisk would warn about", async () => {
  const { code, stdout } = await runDeno(
    CLI,
    ["config", "lint", "--config-dir", "tests/cli/testdata", "warnings.conf"],
    { permissions: ["--allow-read=tests/cli/testdata"] },
  );
  assert.equal(code, 1);
  assert.equal(
    stdout,
    'tests/cli/testdata/warnings.conf:3:1: warning: Unknown directive "#bogus", line ignored [unknown-directive]\n' +
      'tests/cli/testdata/warnings.conf:4:1: lint: Section "general" is defined again (first at tests/cli/testdata/warnings.conf:1) [duplicate-section]\n',
  );
});

Deno.test("pyst config lint of a clean file prints nothing", async () => {
  const { code, stdout } = await runDeno(
    CLI,
    ["config", "lint", "--config-dir", DIR, "pjsip.conf"],
    { permissions: [`--allow-read=${DIR}`] },
  );
  assert.equal(code, 0);
  assert.equal(stdout, "");
});

Deno.test("pyst config without the read permission names --allow-read", async () => {
  for (const command of ["dump", "lint"]) {
    const { code, stdout, stderr } = await runDeno(CLI, [
      "config",
      command,
      "pjsip.conf",
    ]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      'Cannot read config "pjsip.conf": permission missing, run with --allow-read=/etc/asterisk\n',
    );
  }
});
