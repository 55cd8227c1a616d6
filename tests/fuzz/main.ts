// Copyright the @pyst/asterisk authors. MIT license.
/**
 * The fuzzer (`deno task fuzz`): mutations of the recorded transcripts and
 * config fixtures, and random bytes, fed to every decoder, the config
 * resolver, an AgiSession, the FastAGI server and the AMI emulator (both
 * over loopback). Seeded and bounded in time; exits 1 on any finding.
 *
 * ```sh
 * deno task fuzz                          # seed 20261126, 60 s
 * deno task fuzz --seconds 300 --seed 7
 * deno task fuzz --target config --seed 7 --case 1234   # replay one case
 * ```
 *
 * Memory: with `--v8-flags=--expose-gc` (the task passes it) the heap is
 * measured after a collection twice a second; a target whose heap grows by
 * more than `--max-growth-mib` (default 64) over its first measurement is a
 * finding.
 *
 * @module
 */

import { describe, runFuzz, type TargetReport } from "./_harness.ts";
import { allTargets } from "./_targets.ts";

interface Args {
  seed: number;
  seconds: number;
  target: string | undefined;
  only: number | undefined;
  cases: number;
  caseTimeoutMs: number;
  maxGrowthMiB: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    seed: 20261126,
    seconds: 60,
    target: undefined,
    only: undefined,
    cases: 10_000_000,
    caseTimeoutMs: 10_000,
    maxGrowthMiB: 64,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    const number = () => {
      const n = Number(value);
      if (value === undefined || !Number.isFinite(n)) {
        throw new TypeError(`Cannot run fuzzer: ${flag} needs a number`);
      }
      i++;
      return n;
    };
    switch (flag) {
      case "--seed":
        args.seed = number() >>> 0;
        break;
      case "--seconds":
        args.seconds = number();
        break;
      case "--cases":
        args.cases = number();
        break;
      case "--case":
        args.only = number();
        break;
      case "--case-timeout-ms":
        args.caseTimeoutMs = number();
        break;
      case "--max-growth-mib":
        args.maxGrowthMiB = number();
        break;
      case "--target":
        if (value === undefined) {
          throw new TypeError("Cannot run fuzzer: --target needs a name");
        }
        args.target = value;
        i++;
        break;
      default:
        throw new TypeError(`Cannot run fuzzer: unknown flag ${flag}`);
    }
  }
  return args;
}

const gc = (globalThis as { gc?: () => void }).gc;

function heapMiB(): number {
  gc?.();
  return Deno.memoryUsage().heapUsed / 1_048_576;
}

if (import.meta.main) {
  const args = parseArgs(Deno.args);
  let targets = allTargets("long");
  if (args.target !== undefined) {
    targets = targets.filter((target) => target.name === args.target);
    if (targets.length === 0) {
      console.error(`Cannot run fuzzer: no target ${args.target}`);
      Deno.exit(2);
    }
  }
  const budgetMs = args.seconds * 1000 / targets.length;
  const memory = new Map<string, { first: number; max: number }>();
  let lastMeasured = -Infinity;
  console.log(
    `fuzz: seed ${args.seed}, ${args.seconds} s over ${targets.length} targets, gc ${
      gc ? "on" : "off (no --expose-gc): memory not checked"
    }`,
  );
  const reports: TargetReport[] = await runFuzz(targets, {
    seed: args.seed,
    cases: args.cases,
    budgetMs,
    caseTimeoutMs: args.caseTimeoutMs,
    ...(args.only === undefined ? {} : { only: args.only }),
    afterCase(target) {
      if (gc === undefined || performance.now() - lastMeasured < 500) return;
      lastMeasured = performance.now();
      const heap = heapMiB();
      const entry = memory.get(target);
      if (entry === undefined) memory.set(target, { first: heap, max: heap });
      else entry.max = Math.max(entry.max, heap);
    },
  });
  let findings = 0;
  for (const report of reports) {
    const mem = memory.get(report.target);
    const growth = mem === undefined ? undefined : mem.max - mem.first;
    console.log(
      `${report.target}: ${report.cases} cases, slowest ${
        report.slowestMs.toFixed(0)
      } ms (case ${report.slowestIndex}), heap ${
        mem === undefined
          ? "n/a"
          : `${mem.first.toFixed(1)} -> max ${mem.max.toFixed(1)} MiB`
      }, outcomes ${JSON.stringify(report.outcomes)}`,
    );
    if (growth !== undefined && growth > args.maxGrowthMiB) {
      findings++;
      console.log(
        `  FINDING: heap grew by ${
          growth.toFixed(1)
        } MiB (bound ${args.maxGrowthMiB})`,
      );
    }
    for (const [n, finding] of report.findings.entries()) {
      findings++;
      if (n >= 5) continue; // counted, not printed
      console.log(
        `  FINDING case ${finding.index} (seed ${finding.seed}): ${
          describe(finding.error)
        }\n  replay: deno task fuzz --target ${finding.target} --seed ${args.seed} --case ${finding.index}`,
      );
      for (const [name, value] of Object.entries(finding.inputs)) {
        console.log(
          `  ${name} (base64): ${
            value.length > 600 ? value.slice(0, 600) + "…" : value
          }`,
        );
      }
    }
  }
  console.log(findings === 0 ? "fuzz: clean" : `fuzz: ${findings} findings`);
  Deno.exit(findings === 0 ? 0 : 1);
}
