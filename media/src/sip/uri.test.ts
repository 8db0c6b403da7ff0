import { SipParseError } from "./errors.ts";
import { formatUri, parseUri, uriEquals } from "./uri.ts";

function code(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof SipParseError) return err.code;
    throw err;
  }
  return "parsed";
}

describe("parseUri: sip and sips (RFC 3261 section 19.1)", () => {
  it("reads user, password, host, port, parameters and headers", () => {
    const uri = parseUri("sips:alice:secret@Atlanta.example.com:5061;transport=TCP;LR;maddr=239.255.255.1?subject=project%20x&priority=urgent");
    expect(uri).toEqual({
      scheme: "sips",
      user: "alice",
      password: "secret",
      host: "Atlanta.example.com",
      port: 5061,
      params: new Map([["transport", "TCP"], ["lr", null], ["maddr", "239.255.255.1"]]),
      headers: [["subject", "project%20x"], ["priority", "urgent"]],
    });
  });

  it("reads a URI without userinfo, with an IPv4 host, an IPv6 reference, a trailing-dot hostname", () => {
    expect(parseUri("sip:example.com")).toMatchObject({ user: null, password: null, host: "example.com", port: null });
    expect(parseUri("sip:192.0.2.4:5070")).toMatchObject({ host: "192.0.2.4", port: 5070 });
    expect(parseUri("sip:[2001:db8::10]:5070;transport=tcp")).toMatchObject({ host: "[2001:db8::10]", port: 5070 });
    expect(parseUri("sip:alice@[::1]")).toMatchObject({ user: "alice", host: "[::1]", port: null });
    expect(parseUri("sip:[::ffff:192.0.2.1]")).toMatchObject({ host: "[::ffff:192.0.2.1]" });
    expect(parseUri("sip:example.com.")).toMatchObject({ host: "example.com." });
    expect(parseUri("SIP:a@b.example").scheme).toBe("sip");
  });

  it("keeps escapes as written and takes the first @ as the end of the userinfo (RFC 4475 3.1.1.3, 3.1.1.9)", () => {
    expect(parseUri("sip:sips%3Auser%40example.com@example.net")).toMatchObject({ user: "sips%3Auser%40example.com", host: "example.net" });
    expect(parseUri("sip:user;par=u%40example.net@example.com")).toMatchObject({ user: "user;par=u%40example.net", host: "example.com" });
    expect(parseUri("sip:null-%00-null@example.com").user).toBe("null-%00-null");
    expect(parseUri("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31").params).toEqual(
      new Map([["%6c%72", null], ["n%61me", "v%61lue%25%34%31"]]),
    );
  });

  it("accepts the wide range of characters of RFC 4475 section 3.1.1.2", () => {
    const uri = parseUri("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
    expect(uri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(uri.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(uri.host).toBe("example.com");
  });

  it("formats back what it parsed", () => {
    for (const text of [
      "sip:alice@atlanta.example.com",
      "sips:alice:@atlanta.example.com:5061;transport=tcp;lr",
      "sip:+1-212-555-1212:1234@gateway.com;user=phone",
      "sip:[2001:db8::1]:5060;maddr=[2001:db8::2]?route=%3Csip:x%3E&body=",
      "sip:user;par=u%40example.net@example.com",
      "sip:example.com;lr;x=y",
    ]) {
      expect(formatUri(parseUri(text))).toBe(text);
    }
    expect(formatUri(parseUri("sip:a@b.example;TRANSPORT=udp"))).toBe("sip:a@b.example;transport=udp");
  });

  it.each([
    ["no scheme", "alice@example.com"],
    ["unsupported scheme", "http://example.com/"],
    ["empty", ""],
    ["empty host", "sip:"],
    ["empty host after @", "sip:alice@"],
    ["empty user", "sip:@example.com"],
    ["space", "sip:alice@example.com; lr"],
    ["angle brackets", "<sip:alice@example.com>"],
    ["bad escape", "sip:a%zzb@example.com"],
    ["truncated escape", "sip:a@example.com;x=%4"],
    ["port too large", "sip:a@example.com:65536"],
    ["empty port", "sip:a@example.com:"],
    ["non-numeric port", "sip:a@example.com:50a"],
    ["unterminated IPv6", "sip:[2001:db8::1"],
    ["invalid IPv6", "sip:[2001:db8:::1]"],
    ["IPv6 without brackets", "sip:2001:db8::1"],
    ["IPv4 octet over 255", "sip:256.1.1.1"],
    ["three-part IPv4", "sip:1.2.3"],
    ["label starting with -", "sip:-a.example.com"],
    ["label ending with -", "sip:a-.example.com"],
    ["empty label", "sip:a..example.com"],
    ["underscore in host", "sip:my_host.example.com"],
    ["numeric top label", "sip:example.123"],
    ["duplicate parameter", "sip:a@b.example;lr;lr"],
    ["empty parameter", "sip:a@b.example;;lr"],
    ["parameter without value after =", "sip:a@b.example;x="],
    ["header without =", "sip:a@b.example?subject"],
    ["empty header name", "sip:a@b.example?=x"],
    ["stray character", "sip:a@b.example#frag"],
    ["bad user character", "sip:a\"b@example.com"],
    ["non-ASCII", "sip:zoë@example.com"],
  ])("rejects %s", (_, text) => {
    expect(code(() => parseUri(text))).toBe("URI");
  });
});

describe("parseUri: tel (RFC 3966)", () => {
  it("reads global and local numbers with parameters", () => {
    expect(parseUri("tel:+1-201-555-0123")).toEqual({
      scheme: "tel", user: "+1-201-555-0123", password: null, host: "", port: null, params: new Map(), headers: [],
    });
    expect(parseUri("tel:7042;phone-context=example.com").params.get("phone-context")).toBe("example.com");
    expect(parseUri("tel:+1(201)555.0123;ext=22;isub=1411").params).toEqual(new Map([["ext", "22"], ["isub", "1411"]]));
    expect(parseUri("tel:*67#;phone-context=+1").user).toBe("*67#");
  });

  it("formats back what it parsed", () => {
    for (const text of ["tel:+1-201-555-0123", "tel:7042;phone-context=example.com", "tel:+44(0)20.7946.0000;ext=1"]) {
      expect(formatUri(parseUri(text))).toBe(text);
    }
  });

  it.each([
    ["no digits", "tel:"],
    ["plus only", "tel:+"],
    ["letters in a global number", "tel:+1-800-FLOWERS"],
    ["local number without phone-context", "tel:7042"],
    ["space", "tel:+1 201 555"],
    ["duplicate parameter", "tel:+1;ext=1;ext=2"],
  ])("rejects %s", (_, text) => {
    expect(code(() => parseUri(text))).toBe("URI");
  });
});

describe("uriEquals (RFC 3261 section 19.1.4)", () => {
  it.each([
    ["sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"],
    ["sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"],
    ["sip:carol@chicago.com;security=on", "sip:carol@chicago.com;newparam=5"],
    ["sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com", "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"],
    ["sip:alice@atlanta.com?subject=project%20x&priority=urgent", "sip:alice@atlanta.com?priority=urgent&subject=project%20x"],
    ["sip:[2001:DB8::1]", "sip:[2001:db8:0::1]"],
    ["tel:+1-201-555-0123", "tel:+12015550123"],
  ])("%s equals %s", (a, b) => {
    expect(uriEquals(parseUri(a), parseUri(b))).toBe(true);
    expect(uriEquals(parseUri(b), parseUri(a))).toBe(true);
  });

  it.each([
    ["sip:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"],
    ["sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"],
    ["sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"],
    ["sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"],
    ["sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"],
    ["sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"],
    ["sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"],
    ["sip:a@b.example", "sips:a@b.example"],
    ["sip:a@b.example", "tel:+1234"],
  ])("%s differs from %s", (a, b) => {
    expect(uriEquals(parseUri(a), parseUri(b))).toBe(false);
    expect(uriEquals(parseUri(b), parseUri(a))).toBe(false);
  });
});
