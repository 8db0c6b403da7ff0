/**
 * How long each fuzz property runs, and with which seed. The same test files serve two purposes: a
 * bounded pass in the unit suite (a fixed seed per target, a few thousand inputs, a hard time cap so a
 * slow machine cannot stretch the suite) and a long campaign on demand (`npm run fuzz`, which sets the
 * variables below and reads back the progress each property reports).
 *
 *   FUZZ_RUNS     inputs per property (overrides each property's CI count)
 *   FUZZ_SECONDS  seconds for a whole target (one test file), shared out among its properties
 *   FUZZ_SEED     the seed to replay (fast-check prints it with every counterexample)
 *   FUZZ_PATH     the shrink path fast-check printed, to replay the exact counterexample
 *   FUZZ_SLOW_MS  an input that takes longer than this to handle fails the property (a hang or a
 *                 super-linear path); off in CI, where the machine's load is not ours to control
 *   FUZZ_REPORT   a file to which each finished property appends one JSON line (runs, seconds, seed)
 */
import { appendFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import fc from "fast-check";

/** A property may not hold the unit suite longer than this, whatever its run count. */
const CI_CAP_MS = 4000;

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw} is not a non-negative number`);
  return n;
}

/** A stable 31-bit seed from the target's name: CI runs are reproducible without configuration. */
function nameSeed(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 1;
}

/** Thrown from a property when one input took longer than FUZZ_SLOW_MS. */
export class FuzzSlowInputError extends Error {
  override readonly name = "FuzzSlowInputError";
  readonly code = "SLOW_INPUT";
  constructor(readonly ms: number, readonly limitMs: number) {
    super(`one input took ${ms.toFixed(1)} ms (limit ${limitMs} ms): a hang or a super-linear path`);
  }
}

export interface PropertyReport {
  target: string;
  property: string;
  runs: number;
  seconds: number;
  seed: number;
  slowestMs: number;
  failed: boolean;
}

export interface FuzzTarget {
  readonly name: string;
  readonly seed: number;
  /** true under `npm run fuzz` (FUZZ_SECONDS or FUZZ_RUNS set) */
  readonly long: boolean;
  /** A Jest timeout for one property's test (sync properties ignore it; async ones need it). */
  readonly timeoutMs: number;
  /**
   * Runs `predicate` over `arb` within the budget and returns the number of inputs tried. A failure
   * throws fast-check's report (counterexample, seed, shrink path) prefixed with the variables to replay it.
   */
  check<T>(property: string, arb: fc.Arbitrary<T>, predicate: (value: T) => void, ciRuns: number): number;
}

/**
 * The budget of one target (one test file). `properties` is how many `check` calls the file makes, so
 * that FUZZ_SECONDS is the time of the whole target, not of each property.
 */
export function fuzzTarget(name: string, properties: number): FuzzTarget {
  const runs = envNumber("FUZZ_RUNS");
  const seconds = envNumber("FUZZ_SECONDS");
  const seed = envNumber("FUZZ_SEED") ?? nameSeed(name);
  const path = process.env.FUZZ_PATH || undefined;
  const slowMs = envNumber("FUZZ_SLOW_MS");
  const reportTo = process.env.FUZZ_REPORT || undefined;
  const long = seconds !== undefined || runs !== undefined;
  const shareMs = seconds !== undefined ? Math.max(1, (seconds * 1000) / Math.max(1, properties)) : undefined;

  return {
    name,
    seed,
    long,
    timeoutMs: (shareMs ?? CI_CAP_MS) + 60_000,
    check<T>(property: string, arb: fc.Arbitrary<T>, predicate: (value: T) => void, ciRuns: number): number {
      let slowest = 0;
      const timeOnce = (value: T): number => {
        const t0 = performance.now();
        predicate(value);
        return performance.now() - t0;
      };
      const timed = (value: T): void => {
        let dt = timeOnce(value);
        // A garbage collection or a busy machine can stall any one input: only an input that is slow
        // again, twice, is a hang or a super-linear path.
        if (slowMs !== undefined && slowMs > 0 && dt > slowMs) dt = Math.min(dt, timeOnce(value), timeOnce(value));
        if (dt > slowest) slowest = dt;
        if (slowMs !== undefined && slowMs > 0 && dt > slowMs) throw new FuzzSlowInputError(dt, slowMs);
      };
      const params: fc.Parameters<[T]> = {
        seed,
        // With a time budget the run count is only a ceiling; without one, the CI count is capped in time.
        numRuns: runs ?? (shareMs !== undefined ? 2 ** 31 - 1 : ciRuns),
        interruptAfterTimeLimit: shareMs ?? (runs === undefined ? CI_CAP_MS : undefined),
        markInterruptAsFailure: false,
        ...(path ? { path } : {}),
      };
      const t0 = performance.now();
      const details = fc.check(fc.property(arb, timed), params);
      const report: PropertyReport = {
        target: name, property, runs: details.numRuns, seconds: (performance.now() - t0) / 1000, seed, slowestMs: Math.round(slowest * 10) / 10, failed: details.failed,
      };
      if (reportTo) appendFileSync(reportTo, JSON.stringify(report) + "\n");
      if (details.failed) {
        // FUZZ_PATH belongs to this property only: -t keeps the file's other properties from running with it.
        const title = (globalThis as { expect?: { getState?: () => { currentTestName?: string; testPath?: string } } }).expect?.getState?.();
        const only = title?.currentTestName ? ` -t '${title.currentTestName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/'/g, ".")}'` : "";
        const file = title?.testPath ? ` ${title.testPath}` : "";
        const replay = `replay (target ${name}, property "${property}"): FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath ?? ""} npx jest${file}${only}`;
        const cause = details.errorInstance;
        const got = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
        throw new Error(`${replay}\nthrew ${got}\n${fc.defaultReportMessage(details) ?? "property failed"}`, { cause });
      }
      return details.numRuns;
    },
  };
}

/**
 * The contract of every wire parser here: a value or the parser's own typed error with a stable code.
 * Returns null for that error and rethrows anything else (a TypeError, a RangeError, a foreign error).
 */
export function orRefusal<T>(parse: () => T, isTyped: (err: unknown) => boolean): T | null {
  try {
    return parse();
  } catch (err) {
    if (isTyped(err)) return null;
    throw err;
  }
}
