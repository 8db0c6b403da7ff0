import { clientAddress, UNKNOWN_ADDRESS } from "./client-address.ts";

const req = (remoteAddress: string | undefined, xff?: string | string[]) => ({
  socket: { remoteAddress } as never,
  headers: xff === undefined ? {} : { "x-forwarded-for": xff },
});

describe("clientAddress", () => {
  test("without trusted proxies: the TCP peer, whatever X-Forwarded-For says (anyone can write it)", () => {
    expect(clientAddress(req("192.0.2.1"), 0)).toBe("192.0.2.1");
    expect(clientAddress(req("192.0.2.1", "203.0.113.9"), 0)).toBe("192.0.2.1");
  });

  test("behind one proxy: the entry that proxy appended (the rightmost), not what the client wrote before it", () => {
    expect(clientAddress(req("10.0.0.2", "203.0.113.9"), 1)).toBe("203.0.113.9");
    expect(clientAddress(req("10.0.0.2", "1.1.1.1, 203.0.113.9"), 1)).toBe("203.0.113.9");
    expect(clientAddress(req("10.0.0.2", ["1.1.1.1", "203.0.113.9"]), 1)).toBe("203.0.113.9");
  });

  test("behind two proxies: the second entry from the right", () => {
    expect(clientAddress(req("10.0.0.3", "6.6.6.6, 203.0.113.9, 10.0.0.2"), 2)).toBe("203.0.113.9");
    expect(clientAddress(req("10.0.0.3", "203.0.113.9"), 2)).toBe("203.0.113.9"); // fewer entries: the leftmost
  });

  test("ports and brackets are dropped; junk or no header falls back to the peer", () => {
    expect(clientAddress(req("10.0.0.2", "203.0.113.9:4711"), 1)).toBe("203.0.113.9");
    expect(clientAddress(req("10.0.0.2", "[2001:db8::7]:4711"), 1)).toBe("2001:db8::7");
    expect(clientAddress(req("10.0.0.2", "2001:db8::7"), 1)).toBe("2001:db8::7");
    expect(clientAddress(req("10.0.0.2", "unknown"), 1)).toBe("10.0.0.2");
    expect(clientAddress(req("10.0.0.2", ""), 1)).toBe("10.0.0.2");
    expect(clientAddress(req("10.0.0.2"), 1)).toBe("10.0.0.2");
  });

  test("a socket already gone", () => {
    expect(clientAddress(req(undefined), 0)).toBe(UNKNOWN_ADDRESS);
  });
});
