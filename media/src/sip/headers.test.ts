import { SipHeaders, isListHeader } from "./headers.ts";

describe("SipHeaders", () => {
  it("matches names case-insensitively and keeps wire order across names", () => {
    const h = new SipHeaders([
      ["via", "SIP/2.0/UDP a;branch=z9hG4bK1"],
      ["X-Custom", "one"],
      ["VIA", "SIP/2.0/UDP b;branch=z9hG4bK2"],
    ]);
    expect(h.get("Via")).toBe("SIP/2.0/UDP a;branch=z9hG4bK1");
    expect(h.get("vIa")).toBe("SIP/2.0/UDP a;branch=z9hG4bK1");
    expect(h.get("x-custom")).toBe("one");
    expect([...h]).toEqual([
      ["Via", "SIP/2.0/UDP a;branch=z9hG4bK1"],
      ["X-Custom", "one"],
      ["Via", "SIP/2.0/UDP b;branch=z9hG4bK2"],
    ]);
    expect(h.size).toBe(3);
    expect(h.get("Missing")).toBeUndefined();
    expect(h.getAll("Missing")).toEqual([]);
  });

  it("maps every compact form of RFC 3261 section 7.3.3 and the IANA registry to the full name", () => {
    const compact: Record<string, string> = {
      i: "Call-ID", m: "Contact", e: "Content-Encoding", l: "Content-Length", c: "Content-Type", f: "From",
      s: "Subject", k: "Supported", t: "To", v: "Via", o: "Event", u: "Allow-Events", r: "Refer-To",
      b: "Referred-By", x: "Session-Expires", a: "Accept-Contact", j: "Reject-Contact",
      d: "Request-Disposition", y: "Identity", n: "Identity-Info",
    };
    for (const [letter, full] of Object.entries(compact)) {
      const h = new SipHeaders([[letter, "x"]]);
      expect([...h]).toEqual([[full, "x"]]);
      expect(h.get(full)).toBe("x");
      expect(h.get(letter.toUpperCase())).toBe("x");
      const g = new SipHeaders([[full.toUpperCase(), "y"]]);
      expect(g.get(letter)).toBe("y");
      expect([...g]).toEqual([[full, "y"]]);
    }
  });

  it("writes canonical names for known headers and keeps the spelling of unknown ones", () => {
    const h = new SipHeaders([["call-id", "1"], ["cseq", "1 INVITE"], ["www-authenticate", "Digest x"], ["x-FoO", "bar"]]);
    expect([...h].map(([n]) => n)).toEqual(["Call-ID", "CSeq", "WWW-Authenticate", "x-FoO"]);
  });

  it("splits list headers at top-level commas only (quotes, <...>) and drops empty elements", () => {
    const h = new SipHeaders([
      ["Contact", '"Doe, John" <sip:john@a.example;x=1,2>;q=0.5, <sip:jane@b.example>'],
      ["Contact", "sip:third@c.example"],
      ["Via", "SIP/2.0/UDP a;branch=z9hG4bK1 , SIP/2.0/TCP b;branch=z9hG4bK2"],
      ["Allow", "INVITE,ACK , BYE,,"],
      ["Supported", ""],
      ["Record-Route", "<sip:p1;lr>, <sip:p2;lr>"],
      ["Route", '<sip:r1;lr>;x="a,b", <sip:r2;lr>'],
    ]);
    expect(h.getAll("Contact")).toEqual(['"Doe, John" <sip:john@a.example;x=1,2>;q=0.5', "<sip:jane@b.example>", "sip:third@c.example"]);
    expect(h.getAll("v")).toEqual(["SIP/2.0/UDP a;branch=z9hG4bK1", "SIP/2.0/TCP b;branch=z9hG4bK2"]);
    expect(h.getAll("Allow")).toEqual(["INVITE", "ACK", "BYE"]);
    expect(h.getAll("Supported")).toEqual([]);
    expect(h.getAll("Record-Route")).toEqual(["<sip:p1;lr>", "<sip:p2;lr>"]);
    expect(h.getAll("Route")).toEqual(['<sip:r1;lr>;x="a,b"', "<sip:r2;lr>"]);
    // get: the first element, even inside a combined line
    expect(h.get("Via")).toBe("SIP/2.0/UDP a;branch=z9hG4bK1");
    expect(h.get("Contact")).toBe('"Doe, John" <sip:john@a.example;x=1,2>;q=0.5');
  });

  it("does not split headers whose commas are their own (Date, Subject, authentication, unknown)", () => {
    const h = new SipHeaders([
      ["Date", "Sat, 13 Nov 2010 23:29:00 GMT"],
      ["Subject", "a, b"],
      ["WWW-Authenticate", 'Digest realm="x", nonce="y"'],
      ["Authorization", 'Digest username="a", response="b"'],
      ["X-List", "1, 2"],
    ]);
    expect(h.getAll("Date")).toEqual(["Sat, 13 Nov 2010 23:29:00 GMT"]);
    expect(h.get("Subject")).toBe("a, b");
    expect(h.getAll("WWW-Authenticate")).toEqual(['Digest realm="x", nonce="y"']);
    expect(h.getAll("Authorization")).toHaveLength(1);
    expect(h.getAll("X-List")).toEqual(["1, 2"]);
    expect(isListHeader("Via")).toBe(true);
    expect(isListHeader("m")).toBe(true);
    expect(isListHeader("Proxy-Authenticate")).toBe(false);
  });

  it("set replaces every line with one at the first line's place", () => {
    const h = new SipHeaders([["A-H", "1"], ["Via", "v1"], ["B-H", "2"], ["via", "v2"]]);
    h.set("v", "v3");
    expect([...h]).toEqual([["A-H", "1"], ["Via", "v3"], ["B-H", "2"]]);
    h.set("Max-Forwards", "70");
    expect([...h].at(-1)).toEqual(["Max-Forwards", "70"]);
  });

  it("append adds at the end; prepend before the first line of the name, else at the start", () => {
    const h = new SipHeaders([["From", "f"], ["Via", "v1"], ["To", "t"], ["Via", "v2"]]);
    h.prepend("Via", "v0");
    h.append("Via", "v3");
    h.prepend("Route", "<sip:r;lr>");
    expect([...h]).toEqual([
      ["Route", "<sip:r;lr>"], ["From", "f"], ["Via", "v0"], ["Via", "v1"], ["To", "t"], ["Via", "v2"], ["Via", "v3"],
    ]);
    expect(h.getAll("Via")).toEqual(["v0", "v1", "v2", "v3"]);
  });

  it("delete removes every line and says whether there was one; has", () => {
    const h = new SipHeaders([["Via", "a"], ["To", "t"], ["v", "b"]]);
    expect(h.has("VIA")).toBe(true);
    expect(h.delete("via")).toBe(true);
    expect(h.delete("via")).toBe(false);
    expect(h.has("Via")).toBe(false);
    expect([...h]).toEqual([["To", "t"]]);
  });

  it("shift pops the first element, splitting a combined line", () => {
    const h = new SipHeaders([["Via", "a, b"], ["Via", "c"], ["Subject", "s1"], ["Subject", "s2"]]);
    expect(h.shift("Via")).toBe("a");
    expect(h.getAll("Via")).toEqual(["b", "c"]);
    expect(h.shift("Via")).toBe("b");
    expect(h.shift("Via")).toBe("c");
    expect(h.shift("Via")).toBeUndefined();
    expect(h.shift("Subject")).toBe("s1");
    expect([...h]).toEqual([["Subject", "s2"]]);
  });

  it("clone is independent", () => {
    const h = new SipHeaders([["Via", "a"]]);
    const c = h.clone();
    c.append("Via", "b");
    expect(h.getAll("Via")).toEqual(["a"]);
    expect(c.getAll("Via")).toEqual(["a", "b"]);
  });

  it("refuses names that are not tokens and values that could inject lines", () => {
    const h = new SipHeaders();
    expect(() => h.append("Bad Name", "x")).toThrow(TypeError);
    expect(() => h.append("", "x")).toThrow(TypeError);
    expect(() => h.append("X-A", "x\r\nVia: injected")).toThrow(TypeError);
    expect(() => h.set("X-A", "nul\0")).toThrow(TypeError);
    expect(() => h.prepend("X-A", "lf\n")).toThrow(TypeError);
    expect(() => h.append("X-A", "tab\tis fine")).not.toThrow();
  });
});
