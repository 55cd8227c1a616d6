// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Test helper: the fuzz runner. A target runs one case from a seeded
 * generator; the runner bounds each case in time, records what went wrong
 * with the case's seed and inputs, and counts outcomes.
 *
 * @module
 */

import { caseSeed, Prng } from "./_prng.ts";

/** A bug found by a case: an undocumented error, a broken invariant, a hang. */
export class FuzzFinding extends Error {
  /**
   * @param message What is wrong.
   * @param options The error that revealed it, if any.
   */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "FuzzFinding";
  }
}

/** What a target gets for one case. */
export interface FuzzCase {
  /** The case's generator. */
  readonly rng: Prng;
  /** Records an input under a name, so a finding can be replayed. */
  record(name: string, value: Uint8Array | string): void;
  /** Aborted when the case ran out of time: stop and clean up. */
  readonly signal: AbortSignal;
}

/** One thing under test. */
export interface FuzzTarget {
  /** Short name, e.g. `ami-decoder`. */
  readonly name: string;
  /** Starts shared resources (a server). */
  open?(): Promise<void>;
  /**
   * Runs one case. Returns a label for the outcome (e.g. the name of the
   * documented error it ended with, or `ok`); throws a
   * {@linkcode FuzzFinding} for a bug.
   */
  run(fuzzCase: FuzzCase): Promise<string> | string;
  /** Checks that the target still works after every case, then stops it. */
  close?(): Promise<void>;
}

/** A recorded finding. */
export interface Finding {
  readonly target: string;
  readonly index: number;
  readonly seed: number;
  readonly error: unknown;
  /** The recorded inputs, base64. */
  readonly inputs: Readonly<Record<string, string>>;
}

/** What one target did during a run. */
export interface TargetReport {
  readonly target: string;
  cases: number;
  readonly outcomes: Record<string, number>;
  readonly findings: Finding[];
  /** Longest case, in milliseconds. */
  slowestMs: number;
  /** Which case that was. */
  slowestIndex: number;
}

/** Options of {@linkcode runFuzz}. */
export interface RunFuzzOptions {
  /** The run's seed. */
  readonly seed: number;
  /** Cases per target (the run stops at whichever bound comes first). */
  readonly cases: number;
  /** Milliseconds per target. */
  readonly budgetMs: number;
  /** Most milliseconds one case may take before it counts as a hang. */
  readonly caseTimeoutMs: number;
  /** Run only this case number (to replay a finding). */
  readonly only?: number;
  /** Called after each case (for progress and memory checks). */
  readonly afterCase?: (target: string, index: number) => void;
}

/** Runs every target in turn and returns what each did. */
export async function runFuzz(
  targets: readonly FuzzTarget[],
  options: RunFuzzOptions,
): Promise<TargetReport[]> {
  const reports: TargetReport[] = [];
  // A rejection nobody handles is a crash of the code under test: it is
  // charged to the case that was running.
  let unhandled: unknown[] = [];
  const onUnhandled = (event: PromiseRejectionEvent) => {
    unhandled.push(event.reason);
    event.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  try {
    for (const target of targets) {
      reports.push(
        await runTarget(target, options, () => {
          const taken = unhandled;
          unhandled = [];
          return taken;
        }),
      );
    }
  } finally {
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
  }
  return reports;
}

async function runTarget(
  target: FuzzTarget,
  options: RunFuzzOptions,
  takeUnhandled: () => unknown[],
): Promise<TargetReport> {
  {
    const report: TargetReport = {
      target: target.name,
      cases: 0,
      outcomes: {},
      findings: [],
      slowestMs: 0,
      slowestIndex: -1,
    };
    await target.open?.();
    const started = performance.now();
    const first = options.only ?? 0;
    const last = options.only ?? options.cases - 1;
    for (let index = first; index <= last; index++) {
      if (performance.now() - started > options.budgetMs) break;
      const seed = caseSeed(options.seed, target.name, index);
      const inputs: Record<string, string> = {};
      const controller = new AbortController();
      const fuzzCase: FuzzCase = {
        rng: new Prng(seed),
        record: (name, value) => {
          inputs[name] = toBase64(
            typeof value === "string" ? new TextEncoder().encode(value) : value,
          );
        },
        signal: controller.signal,
      };
      const caseStart = performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const outcome = await Promise.race([
          Promise.resolve().then(() => target.run(fuzzCase)),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const error = new FuzzFinding(
                `Case did not finish within ${options.caseTimeoutMs} ms`,
              );
              controller.abort(error);
              reject(error);
            }, options.caseTimeoutMs);
          }),
        ]);
        const elapsed = performance.now() - caseStart;
        if (elapsed > options.caseTimeoutMs) {
          throw new FuzzFinding(
            `Case took ${
              Math.round(elapsed)
            } ms, over ${options.caseTimeoutMs} ms`,
          );
        }
        // Let rejections of this case surface before judging it.
        await new Promise((resolve) => setTimeout(resolve, 0));
        const crashes = takeUnhandled();
        if (crashes.length > 0) {
          throw new FuzzFinding(
            `Unhandled rejection: ${describe(crashes[0])}`,
            { cause: crashes[0] },
          );
        }
        report.outcomes[outcome] = (report.outcomes[outcome] ?? 0) + 1;
      } catch (error) {
        report.findings.push({
          target: target.name,
          index,
          seed,
          error,
          inputs,
        });
      } finally {
        clearTimeout(timer);
      }
      const elapsed = performance.now() - caseStart;
      if (elapsed > report.slowestMs) {
        report.slowestMs = elapsed;
        report.slowestIndex = index;
      }
      report.cases++;
      options.afterCase?.(target.name, index);
    }
    try {
      await target.close?.();
      await new Promise((resolve) => setTimeout(resolve, 0));
      const crashes = takeUnhandled();
      if (crashes.length > 0) {
        throw new FuzzFinding(`Unhandled rejection: ${describe(crashes[0])}`);
      }
    } catch (error) {
      report.findings.push({
        target: target.name,
        index: -1,
        seed: options.seed,
        error,
        inputs: {},
      });
    }
    return report;
  }
}

/** Base64 of bytes (for finding reports). */
export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** Bytes of base64 (to replay a finding). */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** A constructor of an error class that a target documents. */
// deno-lint-ignore no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => Error;

/**
 * Returns the outcome label for a documented error, or throws a
 * {@linkcode FuzzFinding} for anything else. A documented error must also
 * carry a non-empty message and a `name` equal to its class name's.
 */
export function expectDocumented(
  error: unknown,
  allowed: readonly ErrorClass[],
  where: string,
): string {
  if (!allowed.some((type) => error instanceof type)) {
    throw new FuzzFinding(
      `${where} threw an undocumented error: ${describe(error)}`,
      { cause: error },
    );
  }
  const typed = error as Error;
  if (typed.message === "" || typed.name === "Error") {
    throw new FuzzFinding(
      `${where} threw an error without a name or message: ${describe(error)}`,
      { cause: error },
    );
  }
  return typed.name;
}

/** `Name: message` of anything thrown. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    return `${error.name}: ${error.message}${
      error.stack ? `\n${error.stack.split("\n").slice(1, 6).join("\n")}` : ""
    }`;
  }
  return String(error);
}
