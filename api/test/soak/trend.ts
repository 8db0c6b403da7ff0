/** Least-squares trend of a series of samples: the slope a leak shows as. */

export interface Sample {
  /** seconds */
  t: number;
  value: number;
}

/** Slope (value per second) of the least-squares line through the samples; NaN with fewer than 3. */
export function leastSquaresSlope(samples: readonly Sample[]): number {
  const n = samples.length;
  if (n < 3) return Number.NaN;
  const mt = samples.reduce((s, x) => s + x.t, 0) / n;
  const mv = samples.reduce((s, x) => s + x.value, 0) / n;
  let num = 0;
  let den = 0;
  for (const x of samples) {
    num += (x.t - mt) * (x.value - mv);
    den += (x.t - mt) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

/** The samples of the second half of [from, to] (seconds): the first half still holds warm-up effects (caches filling). */
export function secondHalf(samples: readonly Sample[], from: number, to: number): Sample[] {
  const mid = (from + to) / 2;
  return samples.filter((s) => s.t >= mid && s.t <= to);
}

/** Standard deviation of the samples around their least-squares line: how noisy the series is. */
export function residualStd(samples: readonly Sample[]): number {
  const n = samples.length;
  const slope = leastSquaresSlope(samples);
  if (!(n >= 3) || Number.isNaN(slope)) return Number.NaN;
  const mt = samples.reduce((s, x) => s + x.t, 0) / n;
  const mv = samples.reduce((s, x) => s + x.value, 0) / n;
  const ss = samples.reduce((s, x) => s + (x.value - (mv + slope * (x.t - mt))) ** 2, 0);
  return Math.sqrt(ss / (n - 2));
}
