// Copyright the @pyst/asterisk authors. MIT license.
// One test per rule of PROTOCOL.md §3 (main/config.c), in its order.

import assert from "node:assert/strict";
import {
  ConfigSyntaxError,
  type ConfigWarning,
  resolveConfig,
  type ResolveConfigOptions,
  resolveConfigSync,
  type ResolvedConfig,
} from "../../config/mod.ts";
import { asyncHost, memoryHost } from "./_helpers.ts";

const DIR = "/etc/asterisk";

function load(
  text: string,
  files: Record<string, string> = {},
  options: ResolveConfigOptions = {},
): ResolvedConfig {
  return resolveConfigSync(text, {
    file: "test.conf",
    configDir: DIR,
    host: memoryHost(files),
    ...options,
  });
}

function codes(warnings: readonly ConfigWarning[]): string[] {
  return warnings.map((w) => `${w.code}@${w.line}`);
}

function rejects(
  text: string,
  code: string,
  line: number,
  files: Record<string, string> = {},
) {
  assert.throws(
    () => load(text, files),
    (error: unknown) => {
      assert.ok(error instanceof ConfigSyntaxError, String(error));
      assert.equal(error.code, code);
      assert.equal(error.file, "test.conf");
      assert.equal(error.line, line);
      return true;
    },
  );
}

const opts = { permissions: "none" } as const;

// ---- 3.1 Locating files ------------------------------------------------------

Deno.test(
  "§3.1 includes resolve against the config dir, not the including file",
  opts,
  () => {
    const log: string[] = [];
    const config = resolveConfigSync("[a]\n#include sub/one.conf\n", {
      configDir: DIR,
      host: memoryHost({
        [`${DIR}/sub/one.conf`]: "#include two.conf\n",
        [`${DIR}/two.conf`]: "x = from-top-dir\n",
        [`${DIR}/sub/two.conf`]: "x = from-sub-dir\n",
      }, log),
    });
    assert.equal(config.get("a", "x"), "from-top-dir");
    assert.deepEqual(log, [`read ${DIR}/sub/one.conf`, `read ${DIR}/two.conf`]);
  },
);

Deno.test("§3.1 absolute include paths are used as they are", opts, () => {
  const config = load("[a]\n#include /etc/asterisk/abs.conf\n", {
    [`${DIR}/abs.conf`]: "x = 1\n",
  });
  assert.equal(config.get("a", "x"), "1");
});

Deno.test("§3.1 glob includes load every match in sorted order", opts, () => {
  const config = load("[a]\n#include conf.d/*.conf\n", {
    [`${DIR}/conf.d/20-b.conf`]: "v = b\n",
    [`${DIR}/conf.d/10-a.conf`]: "v = a\n",
    [`${DIR}/conf.d/30-c.txt`]: "v = txt\n",
    [`${DIR}/conf.d/.hidden.conf`]: "v = hidden\n",
  });
  assert.deepEqual(config.getAll("a", "v"), ["a", "b"]);
  assert.deepEqual(config.files, [
    "test.conf",
    `${DIR}/conf.d/10-a.conf`,
    `${DIR}/conf.d/20-b.conf`,
  ]);
});

Deno.test(
  "§3.1 ?, [..] and brace alternatives work, each alternative in turn",
  opts,
  () => {
    const files = {
      [`${DIR}/p1.conf`]: "v = p1\n",
      [`${DIR}/p2.conf`]: "v = p2\n",
      [`${DIR}/px.conf`]: "v = px\n",
      [`${DIR}/z.conf`]: "v = z\n",
      [`${DIR}/a.conf`]: "v = a\n",
    };
    assert.deepEqual(load("[s]\n#include p?.conf\n", files).getAll("s", "v"), [
      "p1",
      "p2",
      "px",
    ]);
    assert.deepEqual(
      load("[s]\n#include p[0-9].conf\n", files).getAll("s", "v"),
      ["p1", "p2"],
    );
    assert.deepEqual(
      load("[s]\n#include p[!0-9].conf\n", files).getAll("s", "v"),
      ["px"],
    );
    // Braces keep their own order (z before a); missing alternatives are skipped.
    assert.deepEqual(
      load("[s]\n#include {z,missing,a,p*}.conf\n", files).getAll("s", "v"),
      [
        "z",
        "a",
        "p1",
        "p2",
        "px",
      ],
    );
  },
);

Deno.test(
  "§3.1 a missing file or an empty glob fails #include, not #tryinclude",
  opts,
  () => {
    rejects("[a]\n#include nope.conf\n", "missing-include", 2);
    rejects("[a]\n#include none/*.conf\n", "missing-include", 2);
    const config = load(
      "[a]\n#tryinclude nope.conf\n#tryinclude none/*.conf\nx = 1\n",
    );
    assert.equal(config.get("a", "x"), "1");
    assert.deepEqual(config.warnings, []);
  },
);

Deno.test(
  "§3.1 a glob match that is not a regular file is skipped with a warning",
  opts,
  () => {
    const config = load("[a]\n#include d/*\n", {
      [`${DIR}/d/file.conf`]: "x = 1\n",
      [`${DIR}/d/sub/inner.conf`]: "x = 2\n",
    });
    assert.deepEqual(config.getAll("a", "x"), ["1"]);
    assert.deepEqual(codes(config.warnings), ["not-regular-file@2"]);
  },
);

Deno.test(
  "§3.1 the include depth limit: top file plus 10 levels, the 11th fails",
  opts,
  () => {
    const chain = (levels: number) => {
      const files: Record<string, string> = {};
      for (let i = 1; i <= levels; i++) {
        files[`${DIR}/d${i}.conf`] = `v = ${i}\n` +
          (i < levels ? `#include d${i + 1}.conf\n` : "");
      }
      return files;
    };
    const ten = load("[a]\n#include d1.conf\n", chain(10));
    assert.equal(ten.get("a", "v"), "10");
    assert.deepEqual(ten.warnings, []);
    // With 11 levels the 10th included file cannot include the 11th: that
    // file is invalid (Asterisk logs it), everything read so far stays.
    const eleven = load("[a]\n#include d1.conf\n", chain(11));
    assert.equal(eleven.get("a", "v"), "10");
    assert.deepEqual(codes(eleven.warnings), ["include-depth@2"]);
    assert.equal(eleven.warnings[0]!.file, `${DIR}/d10.conf`);
    assert.equal(eleven.warnings[0]!.severity, "error");
    // maxIncludeDepth changes the limit.
    assert.deepEqual(
      codes(
        load("[a]\n#include d1.conf\n", chain(3), { maxIncludeDepth: 2 })
          .warnings,
      ),
      [
        "include-depth@2",
      ],
    );
  },
);

Deno.test(
  "§3.1 an invalid included file keeps its include level used up (as in Asterisk)",
  opts,
  () => {
    const files: Record<string, string> = { [`${DIR}/bad.conf`]: "[x\n" };
    for (let i = 1; i <= 10; i++) {
      files[`${DIR}/d${i}.conf`] = `v = ${i}\n` +
        (i < 10 ? `#include d${i + 1}.conf\n` : "");
    }
    // Without the bad include, ten levels load (see above); after it, nine.
    const config = load("[a]\n#include bad.conf\n#include d1.conf\n", files);
    assert.equal(config.get("a", "v"), "9");
    assert.deepEqual(
      config.warnings.map((
        w,
      ) => [w.code, w.file.slice(DIR.length + 1), w.line]),
      [["missing-bracket", "bad.conf", 1], ["include-depth", "d9.conf", 2]],
    );
  },
);

Deno.test("§3.1 an include loop stops at the depth limit", opts, () => {
  const config = load("[a]\n#include self.conf\n", {
    [`${DIR}/self.conf`]: "n = 1\n#include self.conf\n",
  });
  assert.equal(config.getAll("a", "n").length, 10);
  assert.deepEqual(config.warnings.map((w) => w.code), [
    ...Array(10).fill("duplicate-include"),
    "include-depth",
  ]);
});

// ---- 3.2 Reading lines -------------------------------------------------------

Deno.test(
  "§3.2 a line longer than the 8192-byte buffer is skipped with a warning",
  opts,
  () => {
    const fits = "k = " + "x".repeat(8186); // 8190 bytes + LF fills the buffer
    const long = "k = " + "y".repeat(8187);
    const config = load(`[a]\n${fits}\n${long}\nafter = 1\n`);
    assert.deepEqual(config.getAll("a", "k"), ["x".repeat(8186)]);
    assert.equal(config.get("a", "after"), "1");
    assert.deepEqual(codes(config.warnings), ["line-too-long@3"]);
    // Bytes count, not characters: 4094 "é" are 8188 bytes.
    const wide = load(`[a]\nk = ${"é".repeat(4094)}\n`);
    assert.deepEqual(codes(wide.warnings), ["line-too-long@2"]);
  },
);

Deno.test(
  "§3.2 a UTF-8 BOM on line 1 is removed, elsewhere it is text",
  opts,
  () => {
    const config = load("\ufeff[general]\nk = \ufeffv\n");
    assert.deepEqual(config.names(), ["general"]);
    assert.equal(config.get("general", "k"), "\ufeffv");
  },
);

Deno.test(
  "§3.2 lines are stripped of blanks after comment removal",
  opts,
  () => {
    const config = load(
      "[a]\n \t key \t = \t value \t ; note\r\n\fother=\x01x\x02\n",
    );
    assert.equal(config.get("a", "key"), "value");
    // Every byte below 33 is a blank, control characters included.
    assert.equal(config.get("a", "other"), "x");
  },
);

Deno.test("§3.2 there is no line continuation", opts, () => {
  const config = load("[a]\nk = one \\\ntwo = 2\n");
  assert.equal(config.get("a", "k"), "one \\");
  assert.equal(config.get("a", "two"), "2");
});

// ---- 3.3 Comments and escapes ------------------------------------------------

Deno.test("§3.3 ; starts a comment to the end of the line", opts, () => {
  const config = load("; header\n[a] ; the a section\nk = v;comment = x\n");
  assert.equal(config.get("a", "k"), "v");
  assert.equal(config.get("a", "comment"), undefined);
});

Deno.test(
  "§3.3 \\; is a literal semicolon and the only escape in values",
  opts,
  () => {
    const config = load(
      "[a]\nk = a\\;b\\;c ; real\nn = a\\nb\\\\c\ne = x\\\\;y\n",
    );
    assert.equal(config.get("a", "k"), "a;b;c");
    assert.equal(config.get("a", "n"), "a\\nb\\\\c");
    // Only the backslash right before ; goes: \\; leaves one backslash.
    assert.equal(config.get("a", "e"), "x\\;y");
  },
);

Deno.test(
  "§3.3 ;-- opens a block comment, --; closes it, ;--- is a line comment",
  opts,
  () => {
    const config = load(
      "[a]\n;-- x = 1\ny = 2 --;\nz = 3\n;---------- not a block\nw = 4\n",
    );
    assert.equal(config.get("a", "x"), undefined);
    assert.equal(config.get("a", "y"), undefined);
    assert.equal(config.get("a", "z"), "3");
    assert.equal(config.get("a", "w"), "4");
  },
);

Deno.test(
  "§3.3 block comments nest and join the text around them",
  opts,
  () => {
    const config = load(
      "[a]\nk = be;-- inner ;-- deeper --; still --;fore\n;-- ;-- x = 1 --; y = 2 --;\nz = 3\nm = 1 ;-- open\nhidden = 1\n--; n = 2\n",
    );
    assert.equal(config.get("a", "k"), "before");
    assert.equal(config.get("a", "x"), undefined);
    assert.equal(config.get("a", "y"), undefined);
    assert.equal(config.get("a", "z"), "3");
    assert.equal(config.get("a", "m"), "1");
    assert.equal(config.get("a", "hidden"), undefined);
    assert.equal(config.get("a", "n"), "2");
  },
);

Deno.test(
  "§3.3 an unterminated block comment is a warning at the end",
  opts,
  () => {
    const config = load("[a]\nk = 1\n;-- never\n;-- closed\nk = 2\n");
    assert.deepEqual(config.getAll("a", "k"), ["1"]);
    assert.deepEqual(codes(config.warnings), ["unterminated-comment@4"]);
  },
);

Deno.test(
  "§3.3 more than 128 nested block comments reject the file",
  opts,
  () => {
    rejects("[a]\n" + ";--".repeat(129) + "\n", "comment-nesting", 2);
    // "--;--;" would open again (";--" then ";"): closers need a gap.
    const ok = load(
      "[a]\n" + ";--".repeat(128) + "\n" + "--; ".repeat(128) + "k = 1\n",
    );
    assert.equal(ok.get("a", "k"), "1");
  },
);

Deno.test(
  "§3.3 a --; outside a block comment hides what follows (as in Asterisk)",
  opts,
  () => {
    // The depth goes to -1: the rest of the line is kept, later lines are
    // comment until a ;-- brings it back to zero.
    const config = load("[a]\nk = x--; tail\nhidden = 1\n;-- back\nseen = 1\n");
    assert.equal(config.get("a", "k"), "x--; tail");
    assert.equal(config.get("a", "hidden"), undefined);
    assert.equal(config.get("a", "seen"), "1");
    assert.deepEqual(codes(config.warnings), ["stray-comment-end@2"]);
  },
);

Deno.test(
  "§3.3 # is a directive, not a comment; unknown ones warn",
  opts,
  () => {
    const config = load("#!/bin/sh\n[a]\n# hello = 1\n#define x\nk = 1\n");
    assert.equal(config.get("a", "k"), "1");
    assert.equal(config.get("a", "# hello"), undefined);
    assert.deepEqual(codes(config.warnings), [
      "unknown-directive@1",
      "unknown-directive@3",
      "unknown-directive@4",
    ]);
  },
);

// ---- 3.4 Section headers -----------------------------------------------------

Deno.test(
  "§3.4 the name runs to the first ], is not trimmed and is cut at 79 bytes",
  opts,
  () => {
    const long = "n".repeat(78) + "é" + "tail";
    const config = load(`[ a ]\nk = 1\n[b]c]\nk = 2\n[${long}]\nk = 3\n`);
    assert.deepEqual(config.names(), [" a ", "b", "n".repeat(78)]);
    assert.equal(config.get("a", "k"), undefined);
    assert.equal(config.get(" a ", "k"), "1");
  },
);

Deno.test("§3.4 text after ] is ignored unless it is (", opts, () => {
  const config = load("[a] (!)\nk = 1\n[b]x(!)\nk = 2\n");
  assert.deepEqual(config.names(), ["a", "b"]);
  assert.deepEqual(codes(config.warnings), [
    "ignored-text@1",
    "ignored-text@3",
  ]);
  assert.equal(config.warnings[0]!.severity, "lint");
});

Deno.test("§3.4 a missing ] or ) rejects the whole file", opts, () => {
  rejects("[a]\nk = 1\n[b\n", "missing-bracket", 3);
  rejects("[a]\nk = 1\n[b](!\n", "missing-paren", 3);
});

Deno.test(
  '§3.4 options are not trimmed: ( !) is a base named " !"',
  opts,
  () => {
    rejects("[a]( !)\n", "missing-base", 1);
  },
);

Deno.test(
  "§3.4 (!) makes a template, hidden from lookups and browsing",
  opts,
  () => {
    const config = load("[t](!)\nk = 1\n[a]\nk = 2\n");
    assert.deepEqual(config.names(), ["a"]);
    assert.equal(config.get("t", "k"), undefined);
    assert.equal(config.category("t", "TEMPLATES=include")!.isTemplate, true);
  },
);

Deno.test("§3.4 (+) appends to the first same-named section", opts, () => {
  const config = load("[a]\nk = 1\n[b]\n[a](+)\nk = 2\n[A](+)\nk = 3\n");
  assert.deepEqual(config.names(), ["a", "b"]);
  assert.deepEqual(config.getAll("a", "k"), ["1", "2", "3"]);
});

Deno.test(
  "§3.4 (+) without a section to append to rejects the file",
  opts,
  () => {
    rejects("[a]\n[b](+)\n", "missing-append-target", 2);
    // A template is not found by a plain (+).
    rejects("[t](!)\n[t](+)\n", "missing-append-target", 2);
  },
);

Deno.test(
  "§3.4 (+name=value&…) picks which same-named section to append to",
  opts,
  () => {
    const config = load(
      "[6001]\ntype = endpoint\n[6001]\ntype = auth\n[6001](+type=auth)\npassword = pw\n" +
        "[6001](+type=end.*&type=point)\ncontext = internal\n",
    );
    const [endpoint, auth] = config.browse("6001");
    assert.equal(auth!.get("password"), "pw");
    assert.equal(endpoint!.get("password"), undefined);
    assert.equal(endpoint!.get("context"), "internal");
    rejects(
      "[6001]\ntype = endpoint\n[6001](+type=aor)\n",
      "missing-append-target",
      3,
    );
  },
);

Deno.test(
  "§3.4 an appended block marked ! turns the target into a template",
  opts,
  () => {
    const config = load("[a]\nk = 1\n[a](+,!)\n[b]\n[b](!,+)\n");
    assert.deepEqual(config.names(), []);
    assert.equal(config.browse(undefined, "TEMPLATES=restrict").length, 2);
  },
);

Deno.test(
  "§3.4 a base section, template or not, is copied; several apply left to right",
  opts,
  () => {
    const config = load(
      "[t1](!)\nk = t1\na = 1\n[plain]\nk = plain\nb = 2\n[x](t1,plain)\nk = own\n",
    );
    const x = config.category("x")!;
    assert.deepEqual(x.variables.map((v) => `${v.name}=${v.value}`), [
      "k=t1",
      "a=1",
      "k=plain",
      "b=2",
      "k=own",
    ]);
    assert.deepEqual(x.variables.map((v) => v.inherited), [
      true,
      true,
      true,
      true,
      false,
    ]);
    assert.deepEqual(x.templates, ["t1", "plain"]);
    assert.equal(x.get("k"), "own");
  },
);

Deno.test("§3.4 a missing base rejects the file", opts, () => {
  rejects("[a](nope)\n", "missing-base", 1);
  // Bases are looked up before the new section exists: no self-inheritance.
  rejects("[a](a)\n", "missing-base", 1);
});

Deno.test("§3.4 inheritance copies at declaration time", opts, () => {
  const config = load(
    "[t](!)\nk = 1\n[a](t)\n[t](+TEMPLATES=include)\nk = 2\nadded = yes\n[b](t)\n",
  );
  assert.deepEqual(config.getAll("a", "k"), ["1"]);
  assert.equal(config.get("a", "added"), undefined);
  assert.deepEqual(config.getAll("b", "k"), ["1", "2"]);
});

Deno.test(
  "§3.4 duplicate sections are kept; lookups ignore ASCII case",
  opts,
  () => {
    const config = load("[Dup]\nk = 1\n[dup]\nk = 2\n");
    assert.deepEqual(config.names(), ["Dup", "dup"]);
    assert.equal(config.get("DUP", "K"), "1");
    assert.deepEqual(config.browse("dup").map((c) => c.get("k")), ["1", "2"]);
  },
);

// ---- 3.5 Items -----------------------------------------------------------------

Deno.test("§3.5 = and => both set; => sets the object flag", opts, () => {
  const config = load("[a]\nexten => 1,1,NoOp()\nk = v\n");
  const [exten, k] = config.category("a")!.variables;
  assert.equal(exten!.object, true);
  assert.equal(exten!.value, "1,1,NoOp()");
  assert.equal(k!.object, false);
});

Deno.test(
  "§3.5 the split is at the first =, both sides stripped, quotes kept",
  opts,
  () => {
    const config = load(
      '[a]\n  k  =  a=b=c  \nq = "  spaced  "\nname with space=1\n',
    );
    assert.equal(config.get("a", "k"), "a=b=c");
    assert.equal(config.get("a", "q"), '"  spaced  "');
    assert.equal(config.get("a", "name with space"), "1");
  },
);

Deno.test(
  "§3.5 += appends to the last same-named variable with no separator",
  opts,
  () => {
    const config = load(
      "[a]\nk = first\nk = one\nk += two\nk +=,three\nK += lower\n",
    );
    // The last "k" gets the text after += as written (its blank too); "K"
    // has no exact-case match and acts as a plain "=".
    assert.deepEqual(config.getAll("a", "k"), [
      "first",
      "one two,three",
      "lower",
    ]);
  },
);

Deno.test(
  "§3.5 += with no earlier variable acts as =, and sees inherited ones",
  opts,
  () => {
    const config = load(
      "[t](!)\nallow = ulaw\n[a](t)\nallow +=,alaw\nnew += x\n",
    );
    assert.equal(config.get("a", "allow"), "ulaw,alaw");
    assert.equal(config.get("a", "new"), "x");
    assert.equal(config.category("a")!.variables[0]!.inherited, false);
  },
);

Deno.test(
  "§3.5 += updates the last variable matching name and old value, without case",
  opts,
  () => {
    // ast_variable_update picks the last case-insensitive name+value match,
    // which here is not the variable += found.
    const config = load("[a]\nFoo = x\nfoo = X\nFoo +=y\n");
    assert.deepEqual(
      config.category("a")!.variables.map((v) => `${v.name}=${v.value}`),
      ["Foo=x", "Foo=xy"],
    );
  },
);

Deno.test(
  "§3.5 a leading backslash escapes the first character of a name",
  opts,
  () => {
    const config = load("[a]\n\\[x] = 1\n\\#y = 2\n\\=z = 3\n\\\\w = 4\n");
    assert.equal(config.get("a", "[x]"), "1");
    assert.equal(config.get("a", "#y"), "2");
    assert.equal(config.get("a", "=z"), "3");
    assert.equal(config.get("a", "\\w"), "4");
    rejects("[a]\n\\ x = 1\n", "invalid-escape", 2);
    rejects("[a]\n\\\n", "invalid-escape", 2);
  },
);

Deno.test(
  "§3.5 a line without = or without a name is ignored with a warning",
  opts,
  () => {
    const config = load("[a]\njust words\n= value\n+= more\nk = 1\n");
    assert.equal(config.category("a")!.variables.length, 1);
    assert.deepEqual(codes(config.warnings), [
      "missing-equals@2",
      "missing-name@3",
      "missing-name@4",
    ]);
  },
);

Deno.test("§3.5 an item before any section rejects the file", opts, () => {
  rejects("; comment\nk = 1\n[a]\n", "no-category", 2);
});

Deno.test(
  "§3.5 an included file starts in the includer's section",
  opts,
  () => {
    const config = load("[a]\n#include part.conf\n", {
      [`${DIR}/part.conf`]: "k = 1\n",
    });
    assert.equal(config.get("a", "k"), "1");
    // But an included file with no section to continue is rejected on its own.
    const orphan = load("#include part.conf\n[a]\nj = 1\n", {
      [`${DIR}/part.conf`]: "k = 1\n",
    });
    assert.equal(orphan.get("a", "j"), "1");
    assert.deepEqual(codes(orphan.warnings), ["no-category@1"]);
  },
);

Deno.test(
  "§3.5 duplicate keys are all kept; lookups take the last, without case",
  opts,
  () => {
    const config = load("[a]\nallow = ulaw\nALLOW = alaw\nallow = gsm\n");
    assert.deepEqual(config.getAll("a", "Allow"), ["ulaw", "alaw", "gsm"]);
    assert.equal(config.get("a", "allow"), "gsm");
  },
);

Deno.test("§3.5 no ${VAR} substitution happens", opts, () => {
  const config = load("[globals]\nX = 1\n[a]\nk = ${X}\n");
  assert.equal(config.get("a", "k"), "${X}");
});

// ---- 3.6 Directives ------------------------------------------------------------

Deno.test(
  '§3.6 directive words ignore case; arguments lose "…" or <…>',
  opts,
  () => {
    const files = {
      [`${DIR}/a b.conf`]: "k = spaced\n",
      [`${DIR}/c.conf`]: "k = angled\n",
    };
    const config = load(
      '[a]\n#INCLUDE   "a b.conf"  \n#TryInclude <c.conf>\n',
      files,
    );
    assert.deepEqual(config.getAll("a", "k"), ["spaced", "angled"]);
  },
);

Deno.test(
  "§3.6 a directive without an argument is ignored with a warning",
  opts,
  () => {
    const config = load("[a]\n#include\n#tryinclude   \nk = 1\n");
    assert.equal(config.get("a", "k"), "1");
    assert.deepEqual(codes(config.warnings), [
      "missing-argument@2",
      "missing-argument@3",
    ]);
  },
);

Deno.test("§3.6 the includer's later lines stay in its section", opts, () => {
  const config = load("[a]\n#include part.conf\nafter = a\n", {
    [`${DIR}/part.conf`]: "inner = a\n[b]\ninner = b\n",
  });
  assert.deepEqual(config.getAll("a", "inner"), ["a"]);
  assert.equal(config.get("a", "after"), "a");
  assert.equal(config.get("b", "inner"), "b");
});

Deno.test(
  "§3.6 a second include continues in the last section created, not the includer's",
  opts,
  () => {
    const config = load("[a]\n#include one.conf\n#include two.conf\n", {
      [`${DIR}/one.conf`]: "[b]\n",
      [`${DIR}/two.conf`]: "k = 2\n",
    });
    assert.equal(config.get("a", "k"), undefined);
    assert.equal(config.get("b", "k"), "2");
  },
);

Deno.test(
  "§3.6 a missing #include rejects the includer; an included file's own errors do not",
  opts,
  () => {
    rejects("[a]\n#include gone.conf\n", "missing-include", 2);
    const config = load("[a]\n#include bad.conf\nafter = 1\n", {
      [`${DIR}/bad.conf`]: "before = 1\n#include gone.conf\nnot-read = 1\n",
    });
    assert.equal(config.get("a", "before"), "1");
    assert.equal(config.get("a", "not-read"), undefined);
    assert.equal(config.get("a", "after"), "1");
    assert.deepEqual(
      config.warnings.map((w) => [w.code, w.severity, w.file, w.line]),
      [
        ["missing-include", "error", `${DIR}/bad.conf`, 2],
      ],
    );
    // strict: the same problem throws, with the included file's position.
    assert.throws(
      () =>
        load("[a]\n#include bad.conf\n", { [`${DIR}/bad.conf`]: "[x\n" }, {
          strict: true,
        }),
      (e: unknown) =>
        e instanceof ConfigSyntaxError && e.file === `${DIR}/bad.conf` &&
        e.line === 1,
    );
  },
);

Deno.test("§3.6 #tryinclude of a missing file is silently fine", opts, () => {
  const config = load("[a]\n#tryinclude gone.conf\nk = 1\n");
  assert.equal(config.get("a", "k"), "1");
  assert.deepEqual(config.warnings, []);
  assert.deepEqual(config.files, ["test.conf"]);
});

Deno.test(
  "§3.6 #exec is ignored with a warning unless a runner is given",
  opts,
  () => {
    const config = load("[a]\n#exec echo k=1\nj = 2\n");
    assert.equal(config.get("a", "k"), undefined);
    assert.deepEqual(codes(config.warnings), ["exec-disabled@2"]);
  },
);

Deno.test(
  "§3.6 #exec includes the command's output and reports what Asterisk logs",
  opts,
  async () => {
    const commands: string[] = [];
    const config = await resolveConfig(
      '[a]\n#exec "make-config --all"\n#exec quiet\n',
      {
        file: "test.conf",
        host: asyncHost(memoryHost({})),
        exec: (command) => {
          commands.push(command);
          return command === "quiet" ? { stdout: "", code: 0 } : {
            stdout: "k = 1\n[b]\nj = 2\n",
            stderr: "note: generated\n",
            code: 3,
          };
        },
      },
    );
    assert.deepEqual(commands, ["make-config --all", "quiet"]);
    assert.equal(config.get("a", "k"), "1");
    assert.equal(config.get("b", "j"), "2");
    assert.deepEqual(codes(config.warnings), [
      "exec-stderr@2",
      "exec-status@2",
      "exec-no-output@3",
    ]);
    assert.deepEqual(config.files, [
      "test.conf",
      "#exec make-config --all",
      "#exec quiet",
    ]);
  },
);

Deno.test("§3.6 a failing #exec runner is like a missing include", opts, () => {
  assert.throws(
    () =>
      load("[a]\n#exec boom\n", {}, {
        exec: () => {
          throw new Error("no shell");
        },
      }),
    (e: unknown) =>
      e instanceof ConfigSyntaxError && e.code === "exec-failed" &&
      e.line === 2 &&
      e.cause instanceof Error && e.cause.message === "no shell",
  );
});

// ---- 3.7 Invalid versus warning -----------------------------------------------

Deno.test(
  "§3.7 nothing of an invalid top-level file is returned; warnings keep going",
  opts,
  () => {
    const warned = load("[a]\nno equals\n#nope\n#include\n#exec x\n;-- open\n");
    assert.deepEqual(codes(warned.warnings), [
      "missing-equals@2",
      "unknown-directive@3",
      "missing-argument@4",
      "exec-disabled@5",
      "unterminated-comment@6",
    ]);
    assert.deepEqual(
      warned.warnings.map((w) => w.severity),
      Array(5).fill("warning"),
    );
    rejects("[a]\nk = 1\n[b](missing)\nk = 2\n", "missing-base", 3);
  },
);
