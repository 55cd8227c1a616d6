// Copyright the @pyst/asterisk authors. MIT license.
// The config CLI run as a real process with narrow permissions.

import assert from "node:assert/strict";
import { FIXTURES, TRANSCRIPTS } from "./_helpers.ts";

const MAIN = decodeURIComponent(
  new URL("../../config/main.ts", import.meta.url).pathname,
);
const ROOT = decodeURIComponent(new URL("../..", import.meta.url).pathname);

async function cli(flags: string[], args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-lock", "--no-prompt", ...flags, MAIN, ...args],
    cwd: ROOT,
    stdin: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

function recordedJson(): string {
  const line = Deno.readTextFileSync(`${TRANSCRIPTS}/ami-getconfig.txt`)
    .split("\n")
    .find((l) => l.startsWith('<< JSON: {"general":{"foo"'))!;
  return line.slice("<< JSON: ".length, -"\\r".length).replaceAll("\\\\", "\\");
}

const opts: { permissions: Deno.PermissionOptions } = {
  permissions: { run: true, read: [TRANSCRIPTS] },
};

Deno.test(
  "config CLI dump prints what Asterisk's GetConfigJSON sent",
  opts,
  async () => {
    const { code, stdout, stderr } = await cli(
      [`--allow-read=${FIXTURES}`],
      ["dump", "--config-dir", FIXTURES, "oracle-sample.conf"],
    );
    assert.equal(stderr, "");
    assert.equal(code, 0);
    assert.equal(stdout, recordedJson() + "\n");
  },
);

Deno.test(
  "config CLI stops at once, naming the missing --allow-read",
  opts,
  async () => {
    const { code, stdout, stderr } = await cli([], [
      "dump",
      "oracle-sample.conf",
    ]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      'Cannot read config "oracle-sample.conf": permission missing, run with --allow-read=/etc/asterisk\n',
    );
    const narrow = await cli([`--allow-read=${FIXTURES}`], [
      "dump",
      "--exec",
      "--config-dir",
      FIXTURES,
      "includes/exec.conf",
    ]);
    assert.equal(narrow.code, 2);
    assert.match(narrow.stderr, /run with --allow-run=sh\n$/);
  },
);

Deno.test(
  "config CLI lint lists Asterisk's warnings with positions",
  opts,
  async () => {
    const { code, stdout } = await cli(
      [`--allow-read=${FIXTURES}`],
      ["lint", "--config-dir", FIXTURES, "includes/main.conf"],
    );
    assert.equal(code, 1);
    assert.deepEqual(
      stdout.trimEnd().split("\n").map((line) =>
        line.slice(FIXTURES.length + 1)
      ),
      [
        "includes/parts/10-first.conf:2:1: warning: Unterminated block comment beginning on line 2 [unterminated-comment]",
        'includes/parts/30-third.conf:1:1: warning: No "=" (equal sign), line ignored [missing-equals]',
        `includes/main.conf:3:1: warning: Not a regular file, ignored: "${FIXTURES}/includes/parts/99-dir.conf" [not-regular-file]`,
      ],
    );
  },
);

Deno.test(
  "config CLI runs #exec only with --exec and --allow-run=sh",
  opts,
  async () => {
    const { code, stdout } = await cli(
      [`--allow-read=${FIXTURES}`, "--allow-run=sh"],
      ["dump", "--exec", "--config-dir", FIXTURES, "includes/exec.conf"],
    );
    assert.equal(code, 0);
    assert.equal(stdout, '{"gen":{"k":"v"},"made":{"by":"exec"}}\n');
  },
);

Deno.test("config CLI reports an invalid file and exits 1", opts, async () => {
  const { code, stderr } = await cli(
    [`--allow-read=${FIXTURES}`],
    ["dump", "--config-dir", FIXTURES, "includes/missing.conf"],
  );
  assert.equal(code, 1);
  assert.equal(
    stderr,
    `${FIXTURES}/includes/missing.conf:3:1: error: Cannot load config "${FIXTURES}/includes/missing.conf": the file "includes/does-not-exist.conf" was listed as a #include but it does not exist at line 3, column 1 [missing-include]\n`,
  );
});
