// Copyright the @pyst/asterisk authors. MIT license.
import assert from "node:assert/strict";
import { integerFlag, parseArgs, UsageError, wantsHelp } from "./_args.ts";

const SPEC = { port: "string", tls: "boolean", filter: "list" } as const;

Deno.test({
  name: "parseArgs reads values, booleans, lists, aliases and positionals",
  permissions: "none",
  fn() {
    const parsed = parseArgs(
      ["Ping", "--port", "5038", "-t", "--filter=a", "--filter", "b=c", "X=1"],
      SPEC,
      { t: "tls" },
    );
    assert.equal(parsed.strings.get("port"), "5038");
    assert.ok(parsed.booleans.has("tls"));
    assert.deepEqual(parsed.lists.get("filter"), ["a", "b=c"]);
    assert.deepEqual(parsed.positionals, ["Ping", "X=1"]);
  },
});

Deno.test({
  name: "parseArgs keeps everything after -- and negative numbers positional",
  permissions: "none",
  fn() {
    const parsed = parseArgs(["-1", "--", "--port", "-x"], SPEC);
    assert.deepEqual(parsed.positionals, ["-1", "--port", "-x"]);
    assert.equal(parsed.strings.size, 0);
  },
});

Deno.test({
  name:
    "parseArgs rejects unknown flags, missing values and values on booleans",
  permissions: "none",
  fn() {
    for (
      const [args, message] of [
        [["--nope"], 'unknown option "--nope"'],
        [["-z"], 'unknown option "-z"'],
        [["--port"], "--port needs a value"],
        [["--tls=yes"], "--tls takes no value"],
      ] as const
    ) {
      assert.throws(() => parseArgs(args, SPEC), (error) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.message, message);
        return true;
      });
    }
  },
});

Deno.test({
  name: "integerFlag accepts whole numbers from its minimum only",
  permissions: "none",
  fn() {
    const read = (value: string) =>
      integerFlag(parseArgs(["--port", value], SPEC), "port", 1);
    assert.equal(read("5038"), 5038);
    assert.equal(integerFlag(parseArgs([], SPEC), "port"), undefined);
    for (const bad of ["0", "1.5", "x", "1e3", " 7"]) {
      assert.throws(() => read(bad), UsageError, bad);
    }
  },
});

Deno.test({
  name: "wantsHelp looks for -h and --help before --",
  permissions: "none",
  fn() {
    assert.equal(wantsHelp(["x", "-h"]), true);
    assert.equal(wantsHelp(["--help"]), true);
    assert.equal(wantsHelp(["--", "--help"]), false);
    assert.equal(wantsHelp(["x"]), false);
  },
});
