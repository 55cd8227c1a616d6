// Copyright the @pyst/asterisk authors. MIT license.
/**
 * astemu builds on the manager's public modules only: shared plumbing lives
 * in `_internal/`, never in another area's private `_*.ts` files.
 */

import assert from "node:assert/strict";

const astemu = new URL("../../astemu/", import.meta.url);

Deno.test({
  name: "astemu imports no private file of manager/ or agi/",
  permissions: { read: [astemu] },
  async fn() {
    const offenders: string[] = [];
    let files = 0;
    for await (const entry of Deno.readDir(astemu)) {
      if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
      files++;
      const text = await Deno.readTextFile(new URL(entry.name, astemu));
      for (
        const match of text.matchAll(/from\s+"([^"]+)"|import\("([^"]+)"\)/g)
      ) {
        const specifier = match[1] ?? match[2]!;
        if (/^\.\.\/(?:manager|agi)\/_/.test(specifier)) {
          offenders.push(`${entry.name}: ${specifier}`);
        }
      }
    }
    assert.ok(files > 10, `only ${files} files read`);
    assert.deepEqual(offenders, []);
  },
});
