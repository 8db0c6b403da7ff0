import { formatCSeq, formatNameAddr, formatVia, parseCSeq, parseNameAddr, parseVia, unquote } from "./address.ts";
import { SipParseError } from "./errors.ts";
import { formatUri } from "./uri.ts";

function code(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof SipParseError) return err.code;
    throw err;
  }
  return "parsed";
}

describe("parseNameAddr (RFC 3261 section 20.10)", () => {
  it("reads a quoted display name with quoted-pairs, the URI with its own parameters, header parameters", () => {
    const a = parseNameAddr('"Quoted \\"display\\" \\\\ name" <sip:a@b.example;lr>;tag=x;expires=3');
    expect(a.displayName).toBe('Quoted "display" \\ name');
    expect(formatUri(a.uri)).toBe("sip:a@b.example;lr");
    expect(a.uri.params.get("lr")).toBeNull();
    expect(a.params).toEqual(new Map([["tag", "x"], ["expires", "3"]]));
  });

  it("gives the parameters after an addr-spec to the header, not the URI (section 20.10)", () => {
    const a = parseNameAddr("sip:alice@atlanta.example.com;tag=88sja8x;user=phone");
    expect(a.displayName).toBeNull();
    expect(formatUri(a.uri)).toBe("sip:alice@atlanta.example.com");
    expect(a.params).toEqual(new Map([["tag", "88sja8x"], ["user", "phone"]]));
  });

  it("reads token display names, with or without LWS before < (RFC 4475 3.1.1.6)", () => {
    expect(parseNameAddr("Alice Liddell <sip:alice@example.com>").displayName).toBe("Alice Liddell");
    expect(parseNameAddr("caller<sip:caller@example.com>;tag=323").displayName).toBe("caller");
    expect(parseNameAddr("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>").displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(parseNameAddr("<sip:alice@example.com>").displayName).toBeNull();
    expect(parseNameAddr('"" <sip:alice@example.com>').displayName).toBe("");
  });

  it("allows whitespace around ; and = and quoted parameter values (RFC 4475 3.1.1.1)", () => {
    const a = parseNameAddr('"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33');
    expect(a.displayName).toBe('Quoted string ""');
    expect(a.params).toEqual(new Map([["newparam", "newvalue"], ["secondparam", null], ["q", "0.33"]]));
    const b = parseNameAddr("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n");
    expect(b.params.get("tag")).toBe("1918181833n");
    const c = parseNameAddr('<sip:u@h.example>;+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";reg-id=1');
    expect(c.params.get("+sip.instance")).toBe('"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"');
    expect(unquote(c.params.get("+sip.instance")!)).toBe("<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>");
    expect(parseNameAddr("<sip:u@h.example>;TAG=AbC").params.get("tag")).toBe("AbC");
  });

  it("reads tel and IPv6 URIs and UTF-8 display names", () => {
    expect(parseNameAddr("<tel:+1-201-555-0123>;tag=9").uri).toMatchObject({ scheme: "tel", user: "+1-201-555-0123" });
    expect(parseNameAddr("<sip:[2001:db8::1]:5070>").uri).toMatchObject({ host: "[2001:db8::1]", port: 5070 });
    expect(parseNameAddr('"Zoë Ürlaub 大" <sip:z@example.com>').displayName).toBe("Zoë Ürlaub 大");
  });

  it("round-trips through formatNameAddr", () => {
    for (const text of [
      '"Alice \\"A\\"" <sip:alice@example.com;lr>;tag=1',
      "<sip:alice@example.com>",
      '"" <tel:+123;phone-context=x>;q=0.1;x="a b"',
      "<sip:[::1]:5060;transport=tcp>;expires=0",
    ]) {
      const parsed = parseNameAddr(text);
      expect(formatNameAddr(parsed)).toBe(text);
      expect(parseNameAddr(formatNameAddr(parsed))).toEqual(parsed);
    }
    // a token display name and an addr-spec come back in the bracketed, quoted form
    expect(formatNameAddr(parseNameAddr("Alice <sip:a@b.example>"))).toBe('"Alice" <sip:a@b.example>');
    expect(formatNameAddr(parseNameAddr("sip:a@b.example;tag=1"))).toBe("<sip:a@b.example>;tag=1");
  });

  it.each([
    ["unterminated quoted display name (RFC 4475 3.1.2.6)", '"Mr. J. User <sip:j.user@example.com>', "NAME_ADDR"],
    ["non-token display name (RFC 4475 3.1.2.15)", "Bell, Alexander <sip:a.g.bell@example.com>;tag=43", "NAME_ADDR"],
    ["spaces inside <> (RFC 4475 3.1.2.14)", "< sip:t.watson@example.org >", "URI"],
    ["? in a URI outside <> (RFC 4475 3.1.2.13)", "sip:user@example.com?Route=%3Csip:sip.example.com%3E", "NAME_ADDR"],
    ["empty parameters (RFC 4475 3.1.2.1)", '"Joe" <sip:joe@example.org>;;;;', "NAME_ADDR"],
    ["quoted display name without <>", '"Joe" sip:joe@example.org', "NAME_ADDR"],
    ["missing >", "<sip:joe@example.org", "NAME_ADDR"],
    ["empty", "  ", "NAME_ADDR"],
    ["empty <>", "<>", "URI"],
    ["duplicate parameter", "<sip:a@b.example>;tag=1;tag=2", "NAME_ADDR"],
    ["text after the parameters", "<sip:a@b.example>;tag=1 junk", "NAME_ADDR"],
    ["non-SIP scheme (parseNameAddr models sip, sips, tel)", "<http://www.example.com>", "URI"],
    ["malformed URI", "<sip:a@b..example>", "URI"],
    ["parameter value with a bad character", "<sip:a@b.example>;x=a,b", "NAME_ADDR"],
  ])("rejects %s", (_, text, expected) => {
    expect(code(() => parseNameAddr(text))).toBe(expected);
  });
});

describe("parseVia (RFC 3261 section 20.42)", () => {
  it("reads sent-protocol, sent-by and the parameters, rport without value included (RFC 3581)", () => {
    expect(parseVia("SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;rport;received=192.0.2.1;ttl=16;maddr=224.2.0.1")).toEqual([
      {
        protocol: "SIP/2.0",
        transport: "UDP",
        host: "pc33.atlanta.example.com",
        port: 5066,
        params: new Map([["branch", "z9hG4bK776asdhds"], ["rport", null], ["received", "192.0.2.1"], ["ttl", "16"], ["maddr", "224.2.0.1"]]),
      },
    ]);
  });

  it("reads several comma-separated values in order", () => {
    const vias = parseVia("SIP/2.0/UDP first.example.com;branch=z9hG4bK1, SIP/2.0/TCP 192.0.2.2:5061 ;branch=z9hG4bK2,SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bK3");
    expect(vias.map((v) => [v.transport, v.host, v.port])).toEqual([
      ["UDP", "first.example.com", null],
      ["TCP", "192.0.2.2", 5061],
      ["TLS", "[2001:db8::9]", 5061],
    ]);
  });

  it("allows whitespace around / : ; = (RFC 4475 3.1.1.1) and unknown transports (3.1.1.10)", () => {
    const vias = parseVia("SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw");
    expect(vias[0]).toMatchObject({ transport: "UDP", host: "192.0.2.2", port: null });
    const two = parseVia("SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8  , SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239");
    expect(two.map((v) => [v.transport, v.host, v.params.get("branch")])).toEqual([
      ["TCP", "spindle.example.com", "z9hG4bK9ikj8"],
      ["UDP", "192.168.255.111", "z9hG4bK30239"],
    ]);
    expect(parseVia("SIP/2.0/UNKNOWN 192.0.2.2 : 5060;branch=z9hG4bKa")[0]).toMatchObject({ transport: "UNKNOWN", port: 5060 });
    expect(parseVia("sip/2.0/udp h.example.com")[0]!.transport).toBe("UDP");
  });

  it("accepts received as IPv4, IPv6 (bare or bracketed), rport with a port, a branch without magic cookie", () => {
    expect(parseVia("SIP/2.0/UDP h.example.com;received=2001:db8::1")[0]!.params.get("received")).toBe("2001:db8::1");
    expect(parseVia("SIP/2.0/UDP h.example.com;received=[2001:db8::1]")[0]!.params.get("received")).toBe("[2001:db8::1]");
    expect(parseVia("SIP/2.0/UDP h.example.com;rport=5061")[0]!.params.get("rport")).toBe("5061");
    expect(parseVia("SIP/2.0/UDP 192.0.2.15")[0]!.params.size).toBe(0);
    expect(parseVia("SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~")[0]!.params.get("branch")).toBe("z9hG4bK-.!%66*_+`'~");
  });

  it("round-trips through formatVia", () => {
    for (const text of [
      "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport",
      "SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bKx;received=2001:db8::2;rport=40000",
      "SIP/2.0/TCP proxy.example.com;branch=z9hG4bK1;x=\"quoted value\"",
    ]) {
      const [via] = parseVia(text);
      expect(formatVia(via!)).toBe(text);
    }
  });

  it.each([
    ["empty", ""],
    ["other protocol", "HTTP/2.0/TCP example.com"],
    ["other version", "SIP/3.0/UDP example.com"],
    ["missing transport", "SIP/2.0/ example.com"],
    ["missing host", "SIP/2.0/UDP"],
    ["missing space before sent-by", "SIP/2.0/UDPexample.com"],
    ["bad host", "SIP/2.0/UDP exa_mple.com"],
    ["port out of range", "SIP/2.0/UDP example.com:70000"],
    ["empty parameters (RFC 4475 3.1.2.1)", "SIP/2.0/UDP 192.0.2.15;;,;,,"],
    ["empty element", "SIP/2.0/UDP a.example.com,,SIP/2.0/UDP b.example.com"],
    ["ttl over 255", "SIP/2.0/UDP example.com;ttl=256"],
    ["ttl not a number", "SIP/2.0/UDP example.com;ttl=x"],
    ["received not an address", "SIP/2.0/UDP example.com;received=host.example.com"],
    ["rport not a port", "SIP/2.0/UDP example.com;rport=99999"],
    ["branch without value", "SIP/2.0/UDP example.com;branch"],
    ["branch quoted", 'SIP/2.0/UDP example.com;branch="z9hG4bK1"'],
    ["maddr not a host", "SIP/2.0/UDP example.com;maddr=a..b"],
    ["duplicate branch", "SIP/2.0/UDP example.com;branch=z9hG4bK1;branch=z9hG4bK2"],
    ["trailing junk", "SIP/2.0/UDP example.com junk"],
  ])("rejects %s", (_, text) => {
    expect(code(() => parseVia(text))).toBe("VIA");
  });
});

describe("parseCSeq (RFC 3261 section 20.16)", () => {
  it("reads the number and method", () => {
    expect(parseCSeq("314159 INVITE")).toEqual({ seq: 314159, method: "INVITE" });
    expect(parseCSeq("  0009 \t INVITE  ")).toEqual({ seq: 9, method: "INVITE" });
    expect(parseCSeq(`${2 ** 31 - 1} NEWMETHOD`)).toEqual({ seq: 2 ** 31 - 1, method: "NEWMETHOD" });
    expect(parseCSeq("139122385 !interesting-Method0123456789_*+`.%indeed'~").method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(formatCSeq(parseCSeq("1 ACK"))).toBe("1 ACK");
  });

  it.each([
    ["2**31 (section 8.1.1.5: less than 2**31)", `${2 ** 31} INVITE`],
    ["an overlarge number (RFC 4475 3.1.2.4)", "36893488147419103232 REGISTER"],
    ["a missing method", "1"],
    ["no space", "1INVITE"],
    ["a negative number", "-1 INVITE"],
    ["a missing number", "INVITE"],
    ["a method that is not a token", "1 INV:ITE"],
    ["two methods", "1 INVITE ACK"],
    ["empty", ""],
  ])("rejects %s", (_, text) => {
    expect(code(() => parseCSeq(text))).toBe("CSEQ");
  });
});
