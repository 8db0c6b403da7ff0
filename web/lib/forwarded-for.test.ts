import { browserAddressFrom } from "./forwarded-for.ts";

describe("browserAddressFrom", () => {
  test("the address Next or the nearest proxy wrote: the last entry", () => {
    expect(browserAddressFrom("203.0.113.9")).toBe("203.0.113.9");
    expect(browserAddressFrom("2001:db8::7")).toBe("2001:db8::7");
    expect(browserAddressFrom("::ffff:127.0.0.1")).toBe("::ffff:127.0.0.1");
    // what a client wrote before the proxy's entry is not forwarded
    expect(browserAddressFrom("6.6.6.6, 203.0.113.9")).toBe("203.0.113.9");
  });

  test("ports and brackets are dropped", () => {
    expect(browserAddressFrom("203.0.113.9:443")).toBe("203.0.113.9");
    expect(browserAddressFrom("[2001:db8::7]:443")).toBe("2001:db8::7");
  });

  test("nothing usable: nothing forwarded", () => {
    for (const v of [null, undefined, "", "unknown", "203.0.113.9, ", "<script>"]) expect(browserAddressFrom(v)).toBeNull();
  });
});
