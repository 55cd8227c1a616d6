// Copyright the @pyst/asterisk authors. MIT license.
/**
 * `deno doc --lint` on astemu's entry point alone: every type its public API
 * mentions must be documented from that entry point too. (Run together with
 * the other entry points, types exported elsewhere in the package count as
 * public and such gaps go unseen.)
 */

import assert from "node:assert/strict";

Deno.test({
  name: "deno doc --lint astemu/mod.ts finds nothing to report",
  permissions: { run: true, read: ["."] },
  async fn() {
    const root = new URL("../../", import.meta.url);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["doc", "--lint", "astemu/mod.ts"],
      cwd: root,
      env: { NO_COLOR: "1" },
    }).output();
    const output = new TextDecoder().decode(stdout) +
      new TextDecoder().decode(stderr);
    assert.equal(code, 0, output);
    assert.match(output, /Checked 1 file/);
  },
});
