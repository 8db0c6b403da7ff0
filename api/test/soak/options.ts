/**
 * What a soak run does and how hard: two presets (the CI variant inside the integration suite, and the
 * long run of `npm run soak -- --minutes N`) built from one set of rates, so both exercise the same paths.
 */

/** Uniform random range, in milliseconds. */
export interface Range {
  min: number;
  max: number;
}

export interface SoakOptions {
  /** load runs but nothing is measured: JIT, caches and pools settle */
  warmupS: number;
  /** load runs and the heap is sampled */
  steadyS: number;
  /** conferences the calls go to (each with its long-lived subscribers) */
  conferences: number;
  /** calls a second that hang up themselves after `holdMs`, streaming a tone (RTP) until then */
  talkRate: number;
  holdMs: Range;
  /** calls a second that wait to be kicked (the driver kicks them through the API after `kickDelayMs`) */
  kickRate: number;
  kickDelayMs: Range;
  /** GraphQL mutations a second: mute/unmute of callers, create/lock/unlock/delete of other conferences */
  mutationRate: number;
  /** long-lived conferenceEvents subscriptions per conference, held from before the load to after the drain */
  longLivedPerConference: number;
  /** short-lived subscriptions opened a second (half on a shared connection, half on their own) */
  shortLivedRate: number;
  shortLivedHoldMs: Range;
  /** heap sample period (each sample after a forced full GC) */
  sampleEveryS: number;
  /** progress line period */
  progressEveryS: number;
  /** database of the focus; null: a fresh one (SQLite file, or PostgreSQL when TEST_DB=postgres) */
  databaseUrl: string | null;
  log: (line: string) => void;
}

const base: Omit<SoakOptions, "warmupS" | "steadyS" | "sampleEveryS" | "progressEveryS" | "log"> = {
  conferences: 2,
  // ~6 talking calls and ~1-2 kicked ones up at any time: a conference's worth of load that two shared
  // cores sustain beside other work, so timing noise does not turn into failed calls.
  talkRate: 1.5,
  holdMs: { min: 2_000, max: 6_000 },
  kickRate: 0.5,
  kickDelayMs: { min: 1_000, max: 4_000 },
  mutationRate: 4,
  longLivedPerConference: 2,
  shortLivedRate: 1,
  shortLivedHoldMs: { min: 1_000, max: 5_000 },
  databaseUrl: null,
};

/** The integration suite's variant: 60 s of steady load after 15 s of warm-up. */
export function ciOptions(log: (line: string) => void = () => {}): SoakOptions {
  return { ...base, warmupS: 15, steadyS: 60, sampleEveryS: 5, progressEveryS: 30, log };
}

/** The long run: `minutes` of steady load after a minute of warm-up. */
export function longOptions(minutes: number, log: (line: string) => void): SoakOptions {
  return { ...base, warmupS: 60, steadyS: Math.round(minutes * 60), sampleEveryS: 15, progressEveryS: 30, log };
}

export function uniform(r: Range): number {
  return r.min + Math.random() * (r.max - r.min);
}
