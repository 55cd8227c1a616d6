// Copyright the @pyst/asterisk authors. MIT license.
/**
 * Shared helpers of the load-with-faults tools (`bench/load_*.ts`): a
 * seeded generator, heap measurement after a full collection, flag
 * parsing, a bounded wait, and percentile summaries.
 *
 * @module
 */

/** A seeded pseudo-random generator (mulberry32). */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Whether heap figures are taken after a full collection. */
export const GC_AVAILABLE: boolean = gc !== undefined;

/** `heapUsed` in MiB, after a full collection when `--expose-gc` is on. */
export function heapMiB(): number {
  gc?.();
  gc?.();
  return Deno.memoryUsage().heapUsed / 1_048_576;
}

/** `rss` in MiB. */
export function rssMiB(): number {
  return Deno.memoryUsage().rss / 1_048_576;
}

/** Reads `--name value` flags into numbers, with defaults. */
export function numberFlags<T extends Record<string, number>>(
  args: readonly string[],
  defaults: T,
): T {
  const out: Record<string, number> = { ...defaults };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const name = flag.replace(/^--/, "");
    if (!flag.startsWith("--") || !(name in defaults)) {
      throw new TypeError(
        `Cannot parse flags: unknown flag ${flag} (known: ${
          Object.keys(defaults).map((k) => `--${k}`).join(", ")
        })`,
      );
    }
    const value = Number(args[++i]);
    if (!Number.isFinite(value)) {
      throw new TypeError(`Cannot parse flags: ${flag} needs a number`);
    }
    out[name] = value;
  }
  return out as T;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until it holds; false if `ms` passed first. */
export async function waitFor(
  condition: () => boolean,
  ms: number,
): Promise<boolean> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > ms) return false;
    await sleep(2);
  }
  return true;
}

/** The p-th percentile (0–100) of `values`, or NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil((p / 100) * sorted.length) - 1),
  );
  return sorted[index]!;
}

/** Counts by label. */
export class Counter {
  readonly counts: Record<string, number> = {};

  /** Adds one to `label`. */
  add(label: string): void {
    this.counts[label] = (this.counts[label] ?? 0) + 1;
  }

  /** The count of `label`. */
  get(label: string): number {
    return this.counts[label] ?? 0;
  }
}

/** The class name of anything thrown. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** Prints a result line and records whether a check failed. */
export class Report {
  #failed = false;
  readonly #lines: string[] = [];

  /** Adds a figure. */
  figure(name: string, value: unknown): void {
    const line = `${name}: ${
      typeof value === "number" && !Number.isInteger(value)
        ? value.toFixed(1)
        : typeof value === "object"
        ? JSON.stringify(value)
        : String(value)
    }`;
    this.#lines.push(line);
    console.log(line);
  }

  /** Adds a check; a false one makes the tool exit 1. */
  check(name: string, ok: boolean): void {
    if (!ok) this.#failed = true;
    const line = `${ok ? "PASS" : "FAIL"} ${name}`;
    this.#lines.push(line);
    console.log(line);
  }

  /** Whether every check passed. */
  get ok(): boolean {
    return !this.#failed;
  }
}
