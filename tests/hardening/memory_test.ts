// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Bounded memory over time: one long-lived object (an AMI emulator session,
 * an AmiClient, an AgiSession, a FastAGI server) does three equal rounds of
 * work in a subprocess with `--expose-gc`; the heap after a full collection
 * must not grow round over round (a per-message leak grows by the same
 * amount each round).
 */
import assert from "node:assert/strict";

const PROBE = new URL("./scripts/heap_probe.ts", import.meta.url);

async function probe(
  what: string,
  size: number,
  flags: string[] = [],
): Promise<number[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      "--v8-flags=--expose-gc",
      ...flags,
      PROBE.pathname,
      what,
      String(size),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  return JSON.parse(new TextDecoder().decode(output.stdout)).samples;
}

/** Asserts the heap did not grow by more than `bytes` per round. */
function assertFlat(samples: number[], bytes: number, what: string): void {
  const growth = samples.slice(1).map((value, i) => value - samples[i]!);
  const total = samples.at(-1)! - samples[0]!;
  assert.ok(
    total < bytes * 3,
    `${what}: heap grew by ${
      (total / 1024).toFixed(0)
    } KiB over 3 rounds (per round: ${
      growth.map((g) => (g / 1024).toFixed(0)).join(", ")
    } KiB)`,
  );
}

Deno.test("memory: an AMI emulator session streaming 3 × 20,000 events keeps a flat heap", async () => {
  assertFlat(await probe("emulator", 20_000), 1_048_576, "emulator session");
});

Deno.test("memory: an AmiClient dispatching 3 × 20,000 events keeps a flat heap", async () => {
  assertFlat(await probe("client", 20_000), 1_048_576, "AmiClient");
});

Deno.test("memory: an AgiSession running 3 × 5,000 commands keeps a flat heap", async () => {
  assertFlat(await probe("agi", 5_000), 1_048_576, "AgiSession");
});

Deno.test("memory: a FastAGI server after 3 × 300 calls keeps a flat heap", async () => {
  assertFlat(
    await probe("fastagi", 300, ["--allow-net=127.0.0.1"]),
    1_048_576,
    "FastAGI server",
  );
});
