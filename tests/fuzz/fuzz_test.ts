// Copyright the @pyst/asterisk authors. MIT license.
/**
 * The short, seeded fuzz run CI does on every test run: a fixed number of
 * cases per target (the same inputs every time), each bounded in time. The
 * long run is `deno task fuzz`.
 */
import assert from "node:assert/strict";
import { describe, runFuzz } from "./_harness.ts";
import { allTargets } from "./_targets.ts";

const SEED = 20261126;

/** Cases per target: a few seconds in all on two cores. */
const CASES: Readonly<Record<string, number>> = {
  "ami-decoder": 300,
  "agi-reply-decoder": 400,
  "agi-environment": 300,
  "agi-session": 60,
  "config": 300,
  "fastagi-server": 60,
  "ami-emulator": 60,
  "ami-client": 40,
};

for (const target of allTargets("ci")) {
  Deno.test(`fuzz ${target.name}: ${CASES[target.name] ?? 50} seeded cases, only documented errors`, async () => {
    const [report] = await runFuzz([target], {
      seed: SEED,
      cases: CASES[target.name] ?? 50,
      budgetMs: 20_000,
      caseTimeoutMs: 5_000,
    });
    const findings = report!.findings.map((finding) =>
      `case ${finding.index}: ${describe(finding.error)}`
    );
    assert.deepEqual(findings, []);
    assert.equal(report!.cases, CASES[target.name] ?? 50);
  });
}
