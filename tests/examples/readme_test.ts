// Copyright the @pyst/asterisk authors. MIT license.
/**
 * The README's code samples are real API. Blocks marked `ts` run as doc
 * tests (`deno test --doc`); blocks marked `ts ignore` need a PBX, stdin or
 * a fixed port, so here they are type-checked (imports kept, the rest
 * wrapped in a function that is never called) with `deno eval --check`.
 */
import assert from "node:assert/strict";

function checkable(block: string): string {
  const imports = block.match(/^import [\s\S]*?;$/gm) ?? [];
  let body = block;
  for (const statement of imports) body = body.replace(statement, "");
  return `${
    imports.join("\n")
  }\nexport async function readmeSample(): Promise<void> {\n${body}\n}\n`;
}

Deno.test("README samples that need a PBX type-check", async (t) => {
  const readme = await Deno.readTextFile("README.md");
  const blocks = [...readme.matchAll(/^```ts ignore\n([\s\S]*?)^```$/gm)].map((
    m,
  ) => m[1]!);
  assert.ok(
    blocks.length >= 4,
    `expected the ignored samples, found ${blocks.length}`,
  );
  for (const block of blocks) {
    const first = block.split("\n").find((line) =>
      !line.startsWith("import") && line.trim() !== ""
    );
    await t.step(first ?? "sample", async () => {
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["eval", "--check", checkable(block)],
        env: { NO_COLOR: "1" },
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
    });
  }
});

Deno.test("README lists every example and keeps its two commands at the top", async () => {
  const readme = await Deno.readTextFile("README.md");
  const top = readme.slice(0, readme.indexOf("## What it is"));
  assert.match(top, /^npx -y deno@2\.9\.6 task demo /m);
  assert.match(top, /^npx -y deno@2\.9\.6 task test /m);
  assert.match(top, /^deno task demo$/m);
  assert.match(top, /^deno task test$/m);
  const version = (await Deno.readTextFile(".deno-version")).trim();
  assert.ok(
    top.includes(`deno@${version}`),
    "README pins the version of .deno-version",
  );
  for await (const entry of Deno.readDir("examples")) {
    if (entry.name.startsWith("_") || !entry.name.endsWith(".ts")) continue;
    assert.ok(
      readme.includes(`examples/${entry.name}`),
      `README mentions examples/${entry.name}`,
    );
  }
});
