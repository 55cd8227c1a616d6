// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import {
  compileComponent,
  expandBraces,
  type GlobEntry,
  globPattern,
  hasMagic,
  unescapeGlob,
} from "./_glob.ts";

const opts = { permissions: "none" } as const;

Deno.test(
  "expandBraces expands alternatives in order, nested and escaped",
  opts,
  () => {
    assert.deepEqual(expandBraces("a{b,c}d"), ["abd", "acd"]);
    assert.deepEqual(expandBraces("{x,y}{1,2}"), ["x1", "x2", "y1", "y2"]);
    assert.deepEqual(expandBraces("a{b,{c,d}e}"), ["ab", "ace", "ade"]);
    assert.deepEqual(expandBraces("a\\{b,c}"), ["a\\{b,c}"]);
    assert.deepEqual(expandBraces("a{b,c"), ["a{b,c"]);
    assert.deepEqual(expandBraces("a{}b"), ["ab"]);
    assert.deepEqual(expandBraces("plain"), ["plain"]);
  },
);

Deno.test("hasMagic follows glibc: *, ?, or [ with a later ]", opts, () => {
  assert.equal(hasMagic("a*"), true);
  assert.equal(hasMagic("a?"), true);
  assert.equal(hasMagic("a[bc]"), true);
  assert.equal(hasMagic("a[bc"), false);
  assert.equal(hasMagic("a]"), false);
  assert.equal(hasMagic("a\\*"), false);
  assert.equal(unescapeGlob("a\\*b\\\\c"), "a*b\\c");
});

Deno.test("compileComponent matches like fnmatch with FNM_PERIOD", opts, () => {
  const cases: [string, string, boolean][] = [
    ["*.conf", "a.conf", true],
    ["*.conf", ".a.conf", false],
    [".*", ".hidden", true],
    ["?.conf", "ab.conf", false],
    ["[a-c]x", "bx", true],
    ["[!a-c]x", "bx", false],
    ["[^a-c]x", "dx", true],
    ["[]]x", "]x", true],
    ["[[:digit:]]0", "70", true],
    ["[[:digit:]]0", "a0", false],
    ["a\\*", "a*", true],
    ["a\\*", "ab", false],
    ["(x)+", "(x)+", true],
    ["[z-a]", "m", false],
  ];
  for (const [pattern, name, expected] of cases) {
    assert.equal(
      compileComponent(pattern)(name),
      expected,
      `${pattern} ~ ${name}`,
    );
  }
});

function run<T>(
  generator: Generator<unknown, T, unknown>,
  fs: Record<string, GlobEntry[]>,
): T {
  let step = generator.next();
  while (!step.done) {
    step = generator.next(fs[(step.value as { path: string }).path]);
  }
  return step.value;
}

function* list(
  dir: string,
): Generator<{ path: string }, readonly GlobEntry[] | undefined, unknown> {
  return (yield { path: dir }) as readonly GlobEntry[] | undefined;
}

const file = (name: string): GlobEntry => ({
  name,
  isFile: true,
  isDirectory: false,
});
const dir = (name: string): GlobEntry => ({
  name,
  isFile: false,
  isDirectory: true,
});

Deno.test(
  "globPattern walks magic components through directories and sorts",
  opts,
  () => {
    const fs = {
      "/etc": [dir("asterisk")],
      "/etc/asterisk": [dir("b.d"), dir("a.d"), file("x.conf")],
      "/etc/asterisk/a.d": [file("2.conf"), file("1.conf")],
      "/etc/asterisk/b.d": [file("1.conf"), dir("sub.conf")],
    };
    const matches = run(globPattern("/etc/asterisk/*.d/*.conf", list), fs);
    assert.deepEqual(matches, [
      { path: "/etc/asterisk/a.d/1.conf", regular: true },
      { path: "/etc/asterisk/a.d/2.conf", regular: true },
      { path: "/etc/asterisk/b.d/1.conf", regular: true },
      { path: "/etc/asterisk/b.d/sub.conf", regular: false },
    ]);
    assert.deepEqual(run(globPattern("/etc/asterisk/*.d/none*", list), fs), []);
    assert.deepEqual(run(globPattern("/missing/*", list), fs), []);
  },
);

Deno.test("globPattern lists . for a relative pattern", opts, () => {
  const fs = { ".": [file("b.conf"), file("a.conf")] };
  assert.deepEqual(run(globPattern("*.conf", list), fs).map((m) => m.path), [
    "a.conf",
    "b.conf",
  ]);
});
