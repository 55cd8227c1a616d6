// Copyright the @pyst/asterisk authors. MIT license.

import assert from "node:assert/strict";
import { ConfigDocument, parseConfig, resolveConfigSync } from "./mod.ts";

const opts = { permissions: "none" } as const;

Deno.test(
  "ConfigDocument.set changes only the value, keeping spacing and comment",
  opts,
  () => {
    const doc = parseConfig(
      "[general]\n  bindport\t=  5060   ; SIP port\nother=1\n",
    );
    doc.set("general", { bindport: "5080" });
    assert.equal(
      doc.toString(),
      "[general]\n  bindport\t=  5080   ; SIP port\nother=1\n",
    );
  },
);

Deno.test(
  "ConfigDocument.set changes the last plain line and drops later += lines",
  opts,
  () => {
    const doc = parseConfig(
      "[a]\nallow = ulaw\nallow = alaw\nallow += ,gsm\nx = 1\n",
    );
    doc.set("a", { allow: "g722" });
    assert.equal(doc.toString(), "[a]\nallow = ulaw\nallow = g722\nx = 1\n");
    assert.equal(resolveConfigSync(doc).get("a", "allow"), "g722");
  },
);

Deno.test(
  "ConfigDocument.set adds a line when the key is new, in the section's style",
  opts,
  () => {
    const doc = parseConfig("[a]\n  one=1\n  two=2\n\n[b]\nk = v\n");
    doc.set("a", { three: "3" });
    assert.equal(
      doc.toString(),
      "[a]\n  one=1\n  two=2\n  three=3\n\n[b]\nk = v\n",
    );
  },
);

Deno.test(
  "ConfigDocument.set adds the section when there is none",
  opts,
  () => {
    const doc = parseConfig("[a]\nk = v");
    doc.set("b", { x: "1", y: "2" });
    assert.equal(doc.toString(), "[a]\nk = v\n\n[b]\nx = 1\ny = 2");
    const empty = new ConfigDocument("");
    empty.set("general", { k: "v" });
    assert.equal(empty.toString(), "[general]\nk = v\n");
  },
);

Deno.test(
  "ConfigDocument.set picks a section by its values with where",
  opts,
  () => {
    const text =
      "[6001]\ntype = endpoint\npassword = no\n[6001]\ntype = auth\npassword = old\n";
    const doc = parseConfig(text);
    doc.set("6001", { password: "new" }, { where: { type: "auth" } });
    assert.equal(doc.toString(), text.replace("old", "new"));
    assert.equal(
      doc.section("6001", { where: { TYPE: "auth" } })!.get("password"),
      "new",
    );
  },
);

Deno.test(
  "ConfigDocument.set keeps => and escapes what Asterisk would cut",
  opts,
  () => {
    const doc = parseConfig("[x]\nexten => 1,1,NoOp()\nk = v ; comment\n");
    doc.set("x", { exten: "1,1,NoOp(a;b)", k: "ends-" });
    assert.equal(
      doc.toString(),
      "[x]\nexten => 1,1,NoOp(a\\;b)\nk = ends- ; comment\n",
    );
    const config = resolveConfigSync(doc);
    assert.equal(config.get("x", "exten"), "1,1,NoOp(a;b)");
    assert.equal(config.category("x")!.variables[0]!.object, true);
  },
);

Deno.test(
  "ConfigDocument.set fills an empty value after the operator",
  opts,
  () => {
    const doc = parseConfig("[x]\na =\nb =   ; note\nc=\n");
    doc.set("x", { a: "1", b: "2", c: "3" });
    assert.equal(doc.toString(), "[x]\na = 1\nb = 2  ; note\nc=3\n");
    assert.deepEqual(
      ["a", "b", "c"].map((k) => resolveConfigSync(doc).get("x", k)),
      ["1", "2", "3"],
    );
  },
);

Deno.test(
  "ConfigDocument.set keeps a value starting with > apart from =",
  opts,
  () => {
    const doc = parseConfig("[x]\nk=v\n");
    doc.set("x", { k: ">x" });
    assert.equal(doc.toString(), "[x]\nk= >x\n");
    assert.equal(resolveConfigSync(doc).get("x", "k"), ">x");
    assert.equal(
      resolveConfigSync(doc).category("x")!.variables[0]!.object,
      false,
    );
  },
);

Deno.test(
  "ConfigDocument.set rewrites the line for another operator",
  opts,
  () => {
    const doc = parseConfig("[x]\nk = v\n");
    doc.set("x", { k: "w" }, { operator: "=>" });
    assert.equal(doc.toString(), "[x]\nk => w\n");
  },
);

Deno.test("ConfigDocument edits keep block comments intact", opts, () => {
  const text =
    "[x]\nk = old ;-- note\nstill comment --;\nj = 1 ;-- a --; ;-- b\n--;\n";
  const doc = parseConfig(text);
  doc.set("x", { k: "new", j: "2" });
  assert.equal(
    doc.toString(),
    "[x]\nk = new ;-- note\nstill comment --;\nj = 2 ;-- a --; ;-- b\n--;\n",
  );
  doc.add("x", { added: "yes" });
  assert.equal(
    doc.toString(),
    "[x]\nk = new ;-- note\nstill comment --;\nj = 2 ;-- a --; ;-- b\n--;\nadded = yes\n",
  );
  assert.equal(doc.remove("x", "k"), 1);
  assert.equal(
    doc.toString(),
    "[x]\n ;-- note\nstill comment --;\nj = 2 ;-- a --; ;-- b\n--;\nadded = yes\n",
  );
  const config = resolveConfigSync(doc);
  assert.deepEqual(
    config.category("x")!.variables.map((v) => `${v.name}=${v.value}`),
    [
      "j=2",
      "added=yes",
    ],
  );
});

Deno.test(
  "ConfigDocument.set refuses values Asterisk cannot read back",
  opts,
  () => {
    const doc = parseConfig("[x]\nk = v\n");
    assert.throws(() => doc.set("x", { k: "two\nlines" }), TypeError);
    assert.throws(() => doc.set("x", { k: " padded " }), TypeError);
    assert.throws(() => doc.set("x", { "": "v" }), TypeError);
    assert.throws(() => doc.set("x", { "a=b": "v" }), TypeError);
    assert.equal(doc.toString(), "[x]\nk = v\n");
  },
);

Deno.test(
  "ConfigDocument.add appends after the last item, before trailing comments",
  opts,
  () => {
    const doc = parseConfig("[a]\n; about a\nk = 1\n\n; about b\n[b]\n");
    doc.add("a", { k: ["2", "3"] });
    assert.equal(
      doc.toString(),
      "[a]\n; about a\nk = 1\nk = 2\nk = 3\n\n; about b\n[b]\n",
    );
  },
);

Deno.test(
  "ConfigDocument.add to an empty section goes after the comments under its header",
  opts,
  () => {
    const doc = parseConfig("[a]\n; settings follow\n\n[b]\n");
    doc.add("a", { k: "v" });
    assert.equal(doc.toString(), "[a]\n; settings follow\nk = v\n\n[b]\n");
  },
);

Deno.test(
  "ConfigDocument.add copies => from earlier lines of the same name",
  opts,
  () => {
    const doc = parseConfig("[ctx]\nexten => 1,1,Answer()\n");
    doc.add("ctx", { exten: "1,n,Hangup()", include: "other" });
    assert.equal(
      doc.toString(),
      "[ctx]\nexten => 1,1,Answer()\nexten => 1,n,Hangup()\ninclude = other\n",
    );
  },
);

Deno.test("ConfigDocument.add with += appends exactly the value", opts, () => {
  const doc = parseConfig("[a]\nallow = ulaw\n");
  doc.add("a", { allow: ",alaw" }, { operator: "+=" });
  assert.equal(doc.toString(), "[a]\nallow = ulaw\nallow +=,alaw\n");
  assert.equal(resolveConfigSync(doc).get("a", "allow"), "ulaw,alaw");
});

Deno.test(
  "ConfigDocument.add escapes names Asterisk would read otherwise",
  opts,
  () => {
    const doc = parseConfig("[a]\n");
    doc.add("a", {
      "[odd]": "1",
      "#hash": "2",
      "semi;colon": "3",
      "plus+": "4",
    });
    const config = resolveConfigSync(doc);
    assert.deepEqual(config.category("a")!.variables.map((v) => v.name), [
      "[odd]",
      "#hash",
      "semi;colon",
      "plus+",
    ]);
  },
);

Deno.test(
  "ConfigDocument.add keeps CRLF and a missing final newline",
  opts,
  () => {
    const doc = parseConfig("[a]\r\nk = 1");
    doc.add("a", { j: "2" });
    assert.equal(doc.toString(), "[a]\r\nk = 1\r\nj = 2");
  },
);

Deno.test("ConfigDocument.remove removes matching lines only", opts, () => {
  const doc = parseConfig(
    "[a]\nallow = ulaw ; keep?\nALLOW = alaw\nother = 1\n",
  );
  assert.equal(doc.remove("a", "allow", { value: "alaw" }), 1);
  assert.equal(doc.toString(), "[a]\nallow = ulaw ; keep?\nother = 1\n");
  assert.equal(doc.remove("a", "allow"), 1);
  assert.equal(doc.remove("a", "allow"), 0);
  assert.equal(doc.remove("nope", "allow"), 0);
  assert.equal(doc.toString(), "[a]\nother = 1\n");
});

Deno.test(
  "ConfigDocument.addSection writes the header with template and bases",
  opts,
  () => {
    const doc = parseConfig("[base](!)\nk = 1\n");
    doc.addSection("tpl", { template: true, bases: ["base"] }).add("j", "2");
    assert.equal(doc.toString(), "[base](!)\nk = 1\n\n[tpl](!,base)\nj = 2\n");
    const config = resolveConfigSync(doc);
    assert.deepEqual(
      config.category("tpl", "TEMPLATES=include")!.variables.map((v) => v.name),
      [
        "k",
        "j",
      ],
    );
    assert.throws(() => doc.addSection("bad]name"), TypeError);
    assert.throws(() => doc.addSection("x".repeat(80)), TypeError);
    assert.throws(() => doc.addSection("x", { bases: ["a,b"] }), TypeError);
  },
);

Deno.test(
  "ConfigDocument.removeSection keeps the comments that lead into the next section",
  opts,
  () => {
    const doc = parseConfig("[a]\nk = 1\n\n; b is special\n[b]\nj = 2\n[c]\n");
    assert.equal(doc.removeSection("a"), 1);
    assert.equal(doc.toString(), "; b is special\n[b]\nj = 2\n[c]\n");
    assert.equal(doc.removeSection("zzz"), 0);
    assert.deepEqual(doc.sections().map((s) => s.name), ["b", "c"]);
  },
);

Deno.test(
  "ConfigDocument.removeSection picks with where, or takes all",
  opts,
  () => {
    const text =
      "[6001]\ntype = endpoint\n[6001]\ntype = auth\n[6001]\ntype = aor\n";
    const doc = parseConfig(text);
    assert.equal(doc.removeSection("6001", { where: { type: "auth" } }), 1);
    assert.equal(
      doc.toString(),
      "[6001]\ntype = endpoint\n[6001]\ntype = aor\n",
    );
    assert.equal(doc.removeSection("6001", { all: true }), 2);
    assert.equal(doc.toString(), "");
  },
);

Deno.test("ConfigDocument.get reads a section's own value", opts, () => {
  const doc = parseConfig("[t](!)\nk = t\n[a](t)\nj = 1\nj +=2\n");
  assert.equal(doc.get("a", "j"), "12");
  assert.equal(doc.get("a", "k"), undefined); // not inherited: the document's own lines
  assert.equal(doc.get("missing", "j"), undefined);
});

Deno.test("ConfigDocument lists sections with their flags", opts, () => {
  const doc = parseConfig("[t](!)\n[a](t,u)\n[a](+)\n[b]\n");
  assert.deepEqual(
    doc.sections().map((s) => [s.name, s.isTemplate, s.bases, s.isAppend]),
    [
      ["t", true, [], false],
      ["a", false, ["t", "u"], false],
      ["a", false, [], true],
      ["b", false, [], false],
    ],
  );
  assert.equal(doc.sections("A").length, 2);
});

Deno.test(
  "ConfigDocument edits leave every other line byte for byte",
  opts,
  () => {
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) {
      lines.push(
        `[s${i}] ; section ${i}`,
        `  key${i}\t= value ${i}  ;-- inline --;`,
        "",
        ";; notes",
      );
    }
    const text = lines.join("\r\n");
    const doc = parseConfig(text);
    doc.set("s100", { key100: "changed" });
    const out = doc.toString().split("\r\n");
    const original = text.split("\r\n");
    const changed = out.flatMap((line, i) => (line === original[i] ? [] : [i]));
    assert.deepEqual(changed, [401]);
    assert.equal(out[401], "  key100\t= changed  ;-- inline --;");
  },
);

Deno.test(
  "ConfigDocument.set replaces a value that spans an inline block comment",
  opts,
  () => {
    // Asterisk joins the text around the comment: the value is "a   tail".
    const doc = parseConfig("[x]\nk = a  ;-- note --; tail\n");
    assert.equal(doc.get("x", "k"), "a   tail");
    doc.set("x", { k: "b" });
    assert.equal(doc.toString(), "[x]\nk = b\n");
  },
);

Deno.test(
  "ConfigDocument where looks through the bases named in a header",
  opts,
  () => {
    const doc = parseConfig(
      "[auth-tpl](!)\ntype = auth\n[6001](endpoint)\n[6001](auth-tpl)\npassword = old\n",
    );
    doc.set("6001", { password: "new" }, { where: { type: "auth" } });
    assert.equal(
      doc.toString(),
      "[auth-tpl](!)\ntype = auth\n[6001](endpoint)\n[6001](auth-tpl)\npassword = new\n",
    );
  },
);

Deno.test(
  "ConfigDocument.set with where creates a matching section when none is found",
  opts,
  () => {
    const doc = parseConfig("[6001]\ntype = endpoint\n");
    doc.set("6001", { password: "pw" }, { where: { type: "auth" } });
    assert.equal(
      doc.toString(),
      "[6001]\ntype = endpoint\n\n[6001]\ntype = auth\npassword = pw\n",
    );
    doc.set("6001", { password: "pw2" }, { where: { type: "auth" } });
    assert.equal(
      doc.section("6001", { where: { type: "auth" } })!.get("password"),
      "pw2",
    );
    assert.equal(doc.sections("6001").length, 2);
  },
);
