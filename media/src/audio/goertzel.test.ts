import { dominantFrequency, goertzelPower, tonePowers } from "./goertzel.ts";
import { dtmfFrequencies, generateDtmf, generateTone, ToneGenerator } from "./tone.ts";
import { DTMF_DIGITS } from "./dtmf.ts";

const CANDIDATES = [300, 440, 660, 880, 1000, 1400, 2000, 3000];
const DTMF_FREQS = [697, 770, 852, 941, 1209, 1336, 1477, 1633];

describe("Goertzel", () => {
  test("picks the frequency of a pure tone among candidates, over one 20 ms frame", () => {
    for (const f of CANDIDATES) expect(dominantFrequency(generateTone([f], 20), CANDIDATES)).toBe(f);
  });

  test("normalized power: about amplitude squared at the tone, about zero elsewhere", () => {
    const tone = generateTone([440], 100, { amplitude: 0.5 });
    expect(goertzelPower(tone, 440)).toBeCloseTo(0.25, 2);
    expect(goertzelPower(tone, 1000)).toBeLessThan(1e-4);
    expect(goertzelPower(new Int16Array(800), 440)).toBe(0);
  });

  test("finds the two tones of every DTMF key (ITU-T Q.23)", () => {
    for (const digit of DTMF_DIGITS) {
      const powers = tonePowers(generateDtmf(digit, 40), DTMF_FREQS);
      const top2 = DTMF_FREQS.map((f, i) => [f, powers[i]!] as const)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 2)
        .map(([f]) => f)
        .sort((a, b) => a - b);
      expect(top2).toEqual(dtmfFrequencies(digit));
    }
  });

  test("silence and faint noise have no dominant frequency; a sub-block can be analysed", () => {
    expect(dominantFrequency(new Int16Array(160), CANDIDATES)).toBeNull();
    const faint = Int16Array.from({ length: 160 }, (_, i) => ((i * 7919) % 11) - 5);
    expect(dominantFrequency(faint, CANDIDATES)).toBeNull();
    const two = new Int16Array(320);
    two.set(generateTone([660], 20), 160);
    expect(dominantFrequency(two, CANDIDATES, { start: 160, length: 160 })).toBe(660);
    expect(dominantFrequency(two, CANDIDATES, { start: 0, length: 160 })).toBeNull();
    expect(() => goertzelPower(two, 440, { start: 300, length: 100 })).toThrow(RangeError);
  });
});

describe("ToneGenerator", () => {
  test("keeps its phase across frames: two halves equal one whole", () => {
    const whole = new ToneGenerator([440, 1000]).fill(new Int16Array(320));
    const g = new ToneGenerator([440, 1000]);
    const parts = new Int16Array(320);
    g.fill(parts, 0, 100);
    g.fill(parts, 100, 220);
    expect(Array.from(parts)).toEqual(Array.from(whole));
  });

  test("peak amplitude as asked, and refuses to exceed full scale", () => {
    const t = generateTone([1000], 20, { amplitude: 0.5 });
    expect(Math.max(...t)).toBeLessThanOrEqual(16384);
    expect(Math.max(...t)).toBeGreaterThan(16000);
    expect(() => new ToneGenerator([440, 660, 880], { amplitude: 0.5 })).toThrow(RangeError);
    expect(() => new ToneGenerator([5000])).toThrow(RangeError);
  });
});
