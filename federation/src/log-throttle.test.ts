import { ThrottledWarn } from "./log-throttle.ts";

test("the first of a kind is logged, repeats within the interval are counted into the next line", () => {
  const lines: { obj: object; msg?: string }[] = [];
  let now = 0;
  const t = new ThrottledWarn({ warn: (obj, msg) => lines.push({ obj, msg }) }, 1000, () => now);
  t.warn({ n: 1 }, "apply failed");
  t.warn({ n: 2 }, "apply failed");
  t.warn({ n: 3 }, "apply failed");
  t.warn({ n: 1 }, "ack failed"); // another kind: its own budget
  now = 1000;
  t.warn({ n: 4 }, "apply failed");
  expect(lines).toEqual([
    { obj: { n: 1 }, msg: "apply failed" },
    { obj: { n: 1 }, msg: "ack failed" },
    { obj: { n: 4, suppressed: 2 }, msg: "apply failed" },
  ]);
});
