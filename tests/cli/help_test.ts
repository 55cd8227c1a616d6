// Copyright the @pyst/asterisk authors. MIT license.
/** Every `pyst` command has `--help`, needing no permission at all. */
import assert from "node:assert/strict";
import { runDeno } from "./_run.ts";

const CLI = "cli/main.ts";

Deno.test("pyst --help lists every command", async () => {
  const { code, stdout } = await runDeno(CLI, ["--help"]);
  assert.equal(code, 0);
  for (
    const command of [
      "ami action",
      "ami command",
      "ami events",
      "agi run",
      "config dump",
      "config lint",
      "astemu",
    ]
  ) {
    assert.match(stdout, new RegExp(`^  ${command} `, "m"));
  }
});

Deno.test("pyst <command> --help describes it and its permissions", async (t) => {
  const cases: [string[], RegExp, RegExp][] = [
    [
      ["ami", "action"],
      /^Usage: pyst ami action NAME/,
      /--allow-net=HOST:PORT/,
    ],
    [["ami", "command"], /^Usage: pyst ami command/, /--allow-net=HOST:PORT/],
    [["ami", "events"], /^Usage: pyst ami events/, /--allow-net=HOST:PORT/],
    [["agi", "run"], /^Usage: pyst agi run/, /--allow-run=deno/],
    [["config"], /^Usage: pyst config <dump\|lint>/, /--allow-read/],
    [["astemu"], /^Usage: pyst astemu/, /--allow-net=127\.0\.0\.1/],
  ];
  for (const [command, usage, permission] of cases) {
    await t.step(command.join(" "), async () => {
      for (const flag of ["--help", "-h"]) {
        const { code, stdout, stderr } = await runDeno(CLI, [...command, flag]);
        assert.equal(stderr, "");
        assert.equal(code, 0);
        assert.match(stdout, usage);
        assert.match(stdout, permission);
      }
    });
  }
});

Deno.test("pyst rejects an unknown command with status 2", async () => {
  for (
    const [args, message] of [
      [["frobnicate"], /^Cannot run pyst: unknown command "frobnicate"/],
      [
        ["ami", "dance"],
        /^Cannot run pyst ami: unknown command "dance" \(expected action, command, events\)/,
      ],
      [
        ["ami", "action", "Ping", "--bogus"],
        /^Cannot run pyst ami: unknown option "--bogus"/,
      ],
      [[], /^Usage: pyst/],
    ] as const
  ) {
    const { code, stdout, stderr } = await runDeno(CLI, args);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.match(stderr, message);
  }
});
