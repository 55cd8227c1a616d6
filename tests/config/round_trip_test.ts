// Copyright the @pyst/asterisk authors. MIT license.
// Round trips of large, realistic files: parsing and writing back changes
// nothing; edits change exactly the edited lines; a document resolves to the
// same configuration as its text.

import assert from "node:assert/strict";
import {
  formatGetConfigJson,
  parseConfig,
  resolveConfigSync,
} from "../../config/mod.ts";
import { generateExtensionsConf, generatePjsipConf } from "./_generate.ts";
import { FIXTURES } from "./_helpers.ts";

function changedLines(before: string, after: string): number[] {
  const a = before.split("\n");
  const b = after.split("\n");
  assert.equal(a.length, b.length, "line count changed");
  return a.flatMap((line, i) => (line === b[i] ? [] : [i + 1]));
}

Deno.test("a 20,000-endpoint pjsip.conf round-trips and edits touch only their lines", async (t) => {
  const text = generatePjsipConf(20_000);
  const doc = parseConfig(text, { file: "pjsip.conf" });
  await t.step("unchanged, it writes back byte for byte", () => {
    assert.equal(doc.toString(), text);
  });
  await t.step("it resolves like its text", () => {
    assert.equal(
      formatGetConfigJson(resolveConfigSync(doc)),
      formatGetConfigJson(resolveConfigSync(text)),
    );
  });
  await t.step("100 password changes change 100 lines", () => {
    for (let i = 0; i < 20_000; i += 200) {
      doc.set(String(100000 + i), { password: `n3w-${i}` }, {
        where: { type: "auth" },
      });
    }
    const changed = changedLines(text, doc.toString());
    assert.equal(changed.length, 100);
    const config = resolveConfigSync(doc);
    assert.equal(
      config.category("100200", "type=auth")!.get("password"),
      "n3w-200",
    );
    assert.equal(
      config.category("100201", "type=auth")!.get("password"),
      "s3cret-100201;x",
    );
  });
});

Deno.test("a 100,000-line extensions.conf round-trips with CRLF too", () => {
  const text = generateExtensionsConf(100_000);
  assert.equal(parseConfig(text).toString(), text);
  const crlf = text.replaceAll("\n", "\r\n");
  const doc = parseConfig(crlf);
  assert.equal(doc.toString(), crlf);
  doc.add("context-99", { exten: "999999,1,Hangup()" });
  const out = doc.toString();
  assert.equal(
    out.length - crlf.length,
    "exten => 999999,1,Hangup()\r\n".length,
  );
  assert.ok(
    out.includes(
      "exten => 199999,1,Dial(${TRUNK}/199999,30)\r\nexten => 999999,1,Hangup()\r\n",
    ),
  );
  const config = resolveConfigSync(doc);
  assert.equal(config.getAll("context-99", "exten").length, 1001);
});

Deno.test("every fixture file round-trips byte for byte", {
  permissions: { read: [FIXTURES] },
}, async () => {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && entry.name.endsWith(".conf")) files.push(path);
    }
  };
  await walk(FIXTURES);
  assert.ok(files.length >= 15, `found ${files.length}`);
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  for (const path of files) {
    const text = decoder.decode(await Deno.readFile(path));
    assert.equal(parseConfig(text).toString(), text, path);
  }
});
