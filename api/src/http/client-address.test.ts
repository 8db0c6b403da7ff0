import { clientAddress, TrustedProxies, TrustProxyError, UNKNOWN_ADDRESS } from "./client-address.ts";

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

describe("clientAddress with proxies trusted by address", () => {
  const loopback = new TrustedProxies(["loopback"]);

  test("the portal beside the focus (loopback): the browser's address it forwards", () => {
    expect(clientAddress(req("127.0.0.1", "203.0.113.9"), loopback)).toBe("203.0.113.9");
    expect(clientAddress(req("::1", "203.0.113.9"), loopback)).toBe("203.0.113.9");
    expect(clientAddress(req("::ffff:127.0.0.1", "2001:db8::7"), loopback)).toBe("2001:db8::7"); // a dual-stack socket's view of 127.0.0.1
    // without a header: the portal itself
    expect(clientAddress(req("127.0.0.1"), loopback)).toBe("127.0.0.1");
  });

  test("a peer that is not a trusted proxy is keyed by its own address, whatever it wrote", () => {
    expect(clientAddress(req("198.51.100.4", "203.0.113.9"), loopback)).toBe("198.51.100.4");
    expect(clientAddress(req("::ffff:198.51.100.4", "127.0.0.1"), loopback)).toBe("::ffff:198.51.100.4");
  });

  test("the walk goes right to left past trusted proxies; the first untrusted address is the client", () => {
    const chain = new TrustedProxies(["loopback", "10.0.0.0/8", "192.0.2.7"]);
    expect(clientAddress(req("127.0.0.1", "6.6.6.6, 203.0.113.9, 192.0.2.7, 10.1.2.3"), chain)).toBe("203.0.113.9");
    // every entry trusted: the leftmost, as far as can be seen
    expect(clientAddress(req("127.0.0.1", "10.9.9.9, 127.0.0.1"), chain)).toBe("10.9.9.9");
    // a junk entry stops the walk: the trusted peer stands for the client
    expect(clientAddress(req("127.0.0.1", "203.0.113.9, bogus"), chain)).toBe("127.0.0.1");
    expect(clientAddress(req("127.0.0.1", "[2001:db8::7]:443, 10.1.2.3:80"), chain)).toBe("2001:db8::7");
  });

  test("names, addresses and subnets are checked; anything else is refused with a stable code", () => {
    const lan = new TrustedProxies(["uniquelocal", "linklocal", "2001:db8::/32"]);
    for (const a of ["10.1.1.1", "172.31.0.1", "192.168.5.5", "fd00::1", "169.254.1.1", "fe80::1", "2001:db8:1::1"]) expect(lan.trusts(a)).toBe(true);
    for (const a of ["172.32.0.1", "127.0.0.1", "8.8.8.8", "2001:db9::1", "not an address"]) expect(lan.trusts(a)).toBe(false);
    for (const bad of [["localhost"], ["10.0.0.0/33"], ["10.0.0.1/8/8"], ["::/129"], [], ["10.0.0.0/x"]]) {
      expect(() => new TrustedProxies(bad)).toThrow(TrustProxyError);
    }
    try {
      new TrustedProxies(["nope"]);
    } catch (err) {
      expect((err as TrustProxyError).code).toBe("BAD_TRUST_PROXY");
    }
  });
});
