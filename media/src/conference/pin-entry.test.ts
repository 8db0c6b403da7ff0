import { PinEntry } from "./pin-entry.ts";

const keys = (p: PinEntry, s: string) => [...s].map((d) => p.key(d));

test("digits then # submit the PIN; # alone and A-D are ignored", () => {
  const p = new PinEntry();
  expect(p.key("#")).toEqual({ kind: "collecting" });
  expect(keys(p, "12A3")).toEqual(Array(4).fill({ kind: "collecting" }));
  expect(p.typing).toBe(true);
  expect(p.key("#")).toEqual({ kind: "submit", pin: "123" });
  expect(p.typing).toBe(false);
});

test("* starts the entry over", () => {
  const p = new PinEntry();
  keys(p, "99");
  expect(p.key("*")).toEqual({ kind: "cleared" });
  keys(p, "4321");
  expect(p.key("#")).toEqual({ kind: "submit", pin: "4321" });
});

test("an entry longer than the maximum is submitted at once (and will be wrong)", () => {
  const p = new PinEntry(3, 4);
  expect(keys(p, "1234").at(-1)).toEqual({ kind: "collecting" });
  expect(p.key("5")).toEqual({ kind: "submit", pin: "12345" });
});

test("the third wrong PIN exhausts the attempts", () => {
  const p = new PinEntry();
  expect(p.wrong()).toBe("retry");
  expect(p.wrong()).toBe("retry");
  expect(p.tries).toBe(2);
  expect(p.wrong()).toBe("exhausted");
});
