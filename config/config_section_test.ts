// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { ConfigSection, type ConfigSectionLine, parseConfig } from "./mod.ts";

const opts = { permissions: "none" } as const;

Deno.test("ConfigSection reads the section's own lines", opts, () => {
  const doc = parseConfig("[a](t)\n; c\nk = 1\nk = 2\nj = x\nj +=y\n[b]\n");
  const a = doc.section("a")!;
  assert.equal(a.name, "a");
  assert.equal(a.header.kind, "section");
  assert.deepEqual(a.lines.map((l) => l.kind), [
    "comment",
    "item",
    "item",
    "item",
    "item",
  ]);
  assert.equal(a.get("K"), "2");
  assert.deepEqual(a.getAll("k"), ["1", "2"]);
  assert.equal(a.get("j"), "xy");
  assert.equal(a.get("none"), undefined);
});

Deno.test(
  "ConfigSection edits chain and only touch its own lines",
  opts,
  () => {
    const doc = parseConfig("[a]\nk = 1\n[a]\nk = 1\n");
    const [first, second] = doc.sections("a");
    first!.set("k", "2").add("j", "3");
    assert.equal(second!.remove("k"), 1);
    assert.equal(doc.toString(), "[a]\nk = 2\nj = 3\n[a]\n");
  },
);

Deno.test("ConfigSection can be opened from a header line", opts, () => {
  const doc = parseConfig("[a]\nk = 1\n");
  const section = new ConfigSection(doc, doc.lines[0] as ConfigSectionLine);
  assert.equal(section.get("k"), "1");
  const other = parseConfig("[a]\n");
  assert.throws(
    () => new ConfigSection(other, doc.lines[0] as ConfigSectionLine),
    TypeError,
  );
});

Deno.test(
  "ConfigSection refuses edits after its section was removed",
  opts,
  () => {
    const doc = parseConfig("[a]\nk = 1\n[b]\n");
    const a = doc.section("a")!;
    doc.removeSection("a");
    assert.equal(a.removed, true);
    assert.throws(() => a.set("k", "2"), /removed/);
    assert.equal(doc.toString(), "[b]\n");
  },
);

Deno.test(
  "ConfigSection refuses to add into a section that ends inside a block comment",
  opts,
  () => {
    // The header of [b] comes right after the comment closes, on one line.
    const doc = parseConfig("[a]\nk = 1 ;-- open\n--; [b]\n");
    assert.deepEqual(doc.sections().map((s) => s.name), ["a", "b"]);
    assert.throws(() => doc.section("a")!.add("j", "2"), /block comment/);
    assert.throws(() => doc.removeSection("b"), /block comment/);
    assert.equal(doc.toString(), "[a]\nk = 1 ;-- open\n--; [b]\n");
  },
);
