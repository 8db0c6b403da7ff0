import { CuePlayer, LOBBY_HOLD, PIN_PROMPT, PIN_WRONG, type Cue } from "./cues.ts";
import { goertzelPower } from "./goertzel.ts";

/** Renders `ms` of the player in 20 ms frames, as the focus does. */
function render(p: CuePlayer, ms: number): Int16Array {
  const out = new Int16Array(ms * 8);
  const frame = new Int16Array(160);
  for (let at = 0; at < out.length; at += 160) out.set(p.fill(frame), at);
  return out;
}

const power = (s: Int16Array, hz: number) => goertzelPower(s, hz);

test("the PIN prompt is three rising beeps then silence, repeated", () => {
  const p = new CuePlayer(PIN_PROMPT);
  const one = render(p, 4520);
  // 600, 800 and 1000 Hz each dominate their own segment
  expect(power(one.subarray(0, 960), 600)).toBeGreaterThan(100 * power(one.subarray(0, 960), 1000));
  expect(power(one.subarray(1440, 2400), 800)).toBeGreaterThan(100 * power(one.subarray(1440, 2400), 600));
  expect(power(one.subarray(2880, 4160), 1000)).toBeGreaterThan(100 * power(one.subarray(2880, 4160), 800));
  expect(one.subarray(4160).every((v) => v === 0)).toBe(true);
  const again = render(p, 100);
  expect(power(again.subarray(0, 800), 600)).toBeGreaterThan(0);
});

test("a queue plays in order and the last cue loops", () => {
  const p = new CuePlayer(PIN_WRONG, PIN_PROMPT);
  expect(p.playing).toBe("pin-wrong");
  const wrong = render(p, 1760);
  const burst = wrong.subarray(0, 2000);
  expect(power(burst, 480)).toBeGreaterThan(100 * power(burst, 1000));
  expect(power(burst, 620)).toBeGreaterThan(100 * power(burst, 1000));
  expect(p.playing).toBe("pin-prompt");
  render(p, 4520 * 3);
  expect(p.playing).toBe("pin-prompt");
});

test("the lobby tone is 425 Hz and stays below full scale", () => {
  const s = render(new CuePlayer(LOBBY_HOLD), 3000);
  expect(power(s.subarray(0, 4800), 425)).toBeGreaterThan(1000 * power(s.subarray(0, 4800), 1000));
  expect(Math.max(...s)).toBeLessThan(0.25 * 32768);
  expect(s.subarray(4800).every((v) => v === 0)).toBe(true);
});

test("play() rejects an empty queue and segments without duration", () => {
  expect(() => new CuePlayer()).toThrow(RangeError);
  const bad: Cue = { name: "bad", segments: [{ hz: [440], ms: 0 }] };
  expect(() => new CuePlayer(bad)).toThrow(/positive duration/);
});
