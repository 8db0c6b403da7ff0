// The soak's CI variant: 15 s of warm-up and 60 s of steady load (calls joining and leaving through sipp,
// kicks, mutations, subscriptions coming and going) on a focus process, then the drain; every call, mutation
// and event accounted for, nothing left behind, no heap trend. The long run: `npm run soak -- --minutes 60`.
import { ciOptions } from "./soak/options.ts";
import { runSoak, type SoakReport } from "./soak/driver.ts";
import { judge, summary } from "./soak/verdict.ts";
import { leastSquaresSlope, residualStd, secondHalf } from "./soak/trend.ts";

describe("the heap trend", () => {
  test("least squares finds a slope through noise, and the second half drops the warm-up's rise", () => {
    const noise = [0.3, -0.2, 0.1, -0.4, 0.2, 0, -0.1, 0.3, -0.2, 0];
    const leaking = noise.map((n, i) => ({ t: i * 10, value: 100 + 2 * i * 10 + n }));
    expect(leastSquaresSlope(leaking)).toBeCloseTo(2, 1);
    expect(residualStd(leaking)).toBeLessThan(0.4);
    // a rise while caches fill, then flat: only the flat half is fitted
    const warming = noise.map((n, i) => ({ t: i * 10, value: (i < 5 ? 50 + 10 * i : 100) + n }));
    expect(Math.abs(leastSquaresSlope(secondHalf(warming, 0, 90)))).toBeLessThan(0.1);
    expect(leastSquaresSlope(warming.slice(0, 2))).toBeNaN();
  });
});

describe("soak", () => {
  let report: SoakReport;

  beforeAll(async () => {
    report = await runSoak(ciOptions((line) => process.stdout.write(`${line}\n`)));
    process.stdout.write(`${summary(report)}\n`);
  }, 300_000);

  test("every call, mutation and event is accounted for, nothing is left behind, and the heap shows no trend", () => {
    expect(judge(report)).toEqual([]);
  });
});
