/**
 * Cases after RFC 4475 ("SIP Torture Test Messages"), rewritten for these tests: the valid messages of
 * section 3.1.1 must parse with the right values, the invalid ones of section 3.1.2 must be refused
 * with the right code, and the semantic cases of section 3.3 must parse, leaving the decision upward.
 */
import { parseNameAddr, parseVia } from "./address.ts";
import { SipParseError } from "./errors.ts";
import { parseMessage, serialize, type SipMessage, type SipRequest } from "./message.ts";
import { wire } from "./test-fixtures.ts";
import { formatUri, parseUri } from "./uri.ts";

const SDP = "v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.4\r\nt=0 0\r\nm=audio 49217 RTP/AVP 0 12\r\nm=video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n";
const len = (s: string) => Buffer.byteLength(s);

function req(buf: Buffer): SipRequest {
  const msg = parseMessage(buf);
  if (msg.kind !== "request") throw new Error("expected a request");
  return msg;
}

function refuse(buf: Buffer): SipParseError {
  try {
    parseMessage(buf);
  } catch (err) {
    if (err instanceof SipParseError) return err;
    throw err;
  }
  throw new Error("parsed a message that should be refused");
}

/** Serializing and parsing again gives the same message. */
function stable(msg: SipMessage): void {
  const again = parseMessage(serialize(msg));
  expect(again).toEqual(msg);
}

describe("RFC 4475 section 3.1.1: valid messages", () => {
  it("3.1.1.1 a short tortuous INVITE: folding, odd spacing, compact forms, escaped quotes", () => {
    const msg = req(wire([
      "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0",
      "TO :",
      " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
      'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>',
      "  ;",
      "  tag = 98asjd8",
      "MaX-fOrWaRdS: 0068",
      "Call-ID: wsinv.ndaksdj@192.0.2.1",
      `Content-Length   : ${len(SDP)}`,
      "cseq: 0009",
      "  INVITE",
      "Via  : SIP  /   2.0",
      " /UDP",
      "    192.0.2.2;branch=390skdjuw",
      "s :",
      "NewFangledHeader:   newfangled value",
      " continued newfangled value",
      "UnknownHeaderWithUnusualValue: ;;,,;;,;",
      "Content-Type: application/sdp",
      "Route:",
      " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>",
      "v:  SIP  / 2.0  / TCP     spindle.example.com   ;",
      "  branch  =   z9hG4bK9ikj8  ,",
      " SIP  /    2.0   / UDP  192.168.255.111   ; branch=",
      " z9hG4bK30239",
      'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =',
      "      newvalue ;",
      "  secondparam ; q = 0.33",
    ], SDP));
    const h = msg.headers;
    expect(msg.method).toBe("INVITE");
    expect(msg.uri).toBe("sip:vivekg@chair-dnrc.example.com;unknownparam");
    expect(h.get("To")).toBe("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n");
    expect(parseNameAddr(h.get("To")!).params.get("tag")).toBe("1918181833n");
    const from = parseNameAddr(h.get("From")!);
    expect(from.displayName).toBe('J Rosenberg \\"');
    expect(from.params.get("tag")).toBe("98asjd8");
    expect(h.get("Max-Forwards")).toBe("0068");
    expect(h.get("CSeq")).toBe("0009 INVITE");
    expect(h.get("Subject")).toBe("");
    expect(h.get("NewFangledHeader")).toBe("newfangled value continued newfangled value");
    expect(h.get("UnknownHeaderWithUnusualValue")).toBe(";;,,;;,;");
    expect(h.getAll("Via").flatMap(parseVia).map((v) => [v.transport, v.host, v.params.get("branch")])).toEqual([
      ["UDP", "192.0.2.2", "390skdjuw"],
      ["TCP", "spindle.example.com", "z9hG4bK9ikj8"],
      ["UDP", "192.168.255.111", "z9hG4bK30239"],
    ]);
    const contact = parseNameAddr(h.get("Contact")!);
    expect(contact.displayName).toBe('Quoted string ""');
    expect(contact.params).toEqual(new Map([["newparam", "newvalue"], ["secondparam", null], ["q", "0.33"]]));
    expect(msg.body.toString()).toBe(SDP);
    stable(msg);
  });

  it("3.1.1.2 a wide range of valid characters, escaped NUL/BEL/DEL in a quoted display name, UTF-8", () => {
    const method = "!interesting-Method0123456789_*+`.%indeed'~";
    const head = Buffer.from([
      `${method} sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0`,
      "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~",
      'To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7F" <sip:1_unusual.URI~(to-be!sure)&isn\'t+it$/crazy?,/;;*@example.com>',
      "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com> ;fromParam''~+*_!.-%=\"работающий\";tag=_token~1'+`*%!-.",
      "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{",
      `CSeq: 139122385 ${method}`,
      "Max-Forwards: 255",
      "extensionHeader-!.%*+_`'~:\uFEFF大停電",
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n"), "utf8");
    const msg = req(head);
    expect(msg.method).toBe(method);
    expect(parseNameAddr(msg.headers.get("To")!).displayName).toBe("BEL:\x07 NUL:\x00 DEL:\x7F");
    const from = parseNameAddr(msg.headers.get("From")!);
    expect(from.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(from.params.get("fromparam''~+*_!.-%")).toBe('"работающий"');
    expect(msg.headers.get("Call-ID")).toBe("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    // String.prototype.trim would have eaten the BOM: values are trimmed of SP and HTAB only.
    expect(msg.headers.get("extensionHeader-!.%*+_`'~")).toBe("\uFEFF大停電");
    stable(msg);
  });

  it("3.1.1.3 valid use of the % escaping mechanism", () => {
    const msg = req(wire([
      "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0",
      "To: sip:%75se%72@example.com",
      "From: <sip:I%20have%20spaces@example.net>;tag=938",
      "Max-Forwards: 87",
      "i: esc01.239409asdfakjkn23onasd0-3234",
      "CSeq: 234234 INVITE",
      "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw",
      "C: application/sdp",
      "Contact:",
      "  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>",
      `Content-Length: ${len(SDP)}`,
    ], SDP));
    expect(parseUri(msg.uri).user).toBe("sips%3Auser%40example.com");
    expect(msg.headers.get("Call-ID")).toBe("esc01.239409asdfakjkn23onasd0-3234");
    expect(msg.headers.get("Content-Type")).toBe("application/sdp");
    expect(parseNameAddr(msg.headers.get("Contact")!).uri.params.get("n%61me")).toBe("v%61lue%25%34%31");
  });

  it("3.1.1.4 escaped NULs in URIs", () => {
    const msg = req(wire([
      "REGISTER sip:example.com SIP/2.0",
      "To: sip:null-%00-null@example.com",
      "From: sip:null-%00-null@example.com;tag=839923423",
      "Max-Forwards: 70",
      "Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd",
      "CSeq: 14398234 REGISTER",
      "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw",
      "Contact: <sip:%00@host5.example.com>",
      "Contact: <sip:%00%00@host5.example.com>",
      "L:0",
    ]));
    expect(msg.headers.getAll("Contact").map((c) => parseNameAddr(c).uri.user)).toEqual(["%00", "%00%00"]);
  });

  it("3.1.1.5 % that is not an escape: in a method, a header name (an unknown header), a branch", () => {
    const msg = req(wire([
      "RE%47IST%45R sip:registrar.example.com SIP/2.0",
      'To: "%Z%45" <sip:resource@example.com>',
      'From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23',
      "Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf",
      "Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234",
      "CSeq: 29344 RE%47IST%45R",
      "Max-Forwards: 70",
      "Contact: <sip:alias1@host1.example.com>",
      "C%6Fntact: <sip:alias2@host2.example.com>",
      "Contact: <sip:alias3@host3.example.com>",
      "l: 0",
    ]));
    expect(msg.method).toBe("RE%47IST%45R");
    expect(msg.headers.getAll("Contact")).toEqual(["<sip:alias1@host1.example.com>", "<sip:alias3@host3.example.com>"]);
    expect(msg.headers.get("C%6Fntact")).toBe("<sip:alias2@host2.example.com>");
    expect(parseNameAddr(msg.headers.get("To")!).displayName).toBe("%Z%45");
  });

  it("3.1.1.6 no LWS between display name and <", () => {
    const msg = req(wire([
      "OPTIONS sip:user@example.com SIP/2.0",
      "To: sip:user@example.com",
      "From: caller<sip:caller@example.com>;tag=323",
      "Max-Forwards: 70",
      "Call-ID: lwsdisp.1234abcd@funky.example.com",
      "CSeq: 60 OPTIONS",
      "Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw",
      "l: 0",
    ]));
    expect(parseNameAddr(msg.headers.get("From")!).displayName).toBe("caller");
  });

  it("3.1.1.7 long values, and 34 Via lines in every spelling, in order", () => {
    const long = (word: string, n: number) => word.repeat(n);
    const spellings = ["Via", "v", "V", "Via", "ViA", "VIa", "VIA", "via", "viA", "vIa", "vIA", "V ", "v ", "V  ", "v  ", "Via ", "Via  "];
    const vias: string[] = [];
    for (let k = 33; k >= 1; k--) vias.push(`${spellings[33 - k] ?? "Via"}: SIP/2.0/TCP sip${k}.example.com`);
    const branch = `very${long("long", 50)}branchvalue`;
    const msg = req(wire([
      "INVITE sip:user@example.com SIP/2.0",
      `To: "I have a user name of ${long("extreme ", 10)}proportion" <sip:user@example.com:6000;unknownparam1=very${long("long", 24)}value;longparam${long("name", 25)}=shortvalue;very${long("long", 24)}ParameterNameWithNoValue>`,
      `F: sip:${long("amazinglylongcallername", 5)}@example.net;tag=12${long("982", 50)}424;unknownheaderparam${long("name", 20)}=unknowheaderparam${long("value", 15)};unknownValueless${long("paramname", 15)}`,
      `Call-ID: longreq.one${long("really", 20)}longcallid`,
      "CSeq: 3882340 INVITE",
      `Unknown-${long("Long", 20)}-Name: unknown-${long("long", 20)}-value; unknown-${long("long", 20)}-parameter-name = unknown-${long("long", 20)}-parameter-value`,
      ...vias,
      `Via: SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=${branch}`,
      "Max-Forwards: 70",
      `Contact: <sip:${long("amazinglylongcallername", 5)}@host5.example.net>`,
      "Content-Type: application/sdp",
      `l: ${len(SDP)}`,
    ], SDP));
    const all = msg.headers.getAll("Via").flatMap(parseVia);
    expect(all).toHaveLength(34);
    expect(all.slice(0, 33).map((v) => v.host)).toEqual(Array.from({ length: 33 }, (_, k) => `sip${33 - k}.example.com`));
    expect(all[33]!.params.get("branch")).toBe(branch);
    expect(parseNameAddr(msg.headers.get("To")!).uri.port).toBe(6000);
    stable(msg);
  });

  it("3.1.1.8 extra trailing octets in a UDP datagram are ignored", () => {
    const register = [
      "REGISTER sip:example.com SIP/2.0",
      "To: sip:j.user@example.com",
      "From: sip:j.user@example.com;tag=43251j3j324",
      "Max-Forwards: 8",
      "I: dblreq.0ha0isndaksdj99sdfafnl3lk233412",
      "Contact: sip:j.user@host.example.com",
      "CSeq: 8 REGISTER",
      "Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492",
      "Content-Length: 0",
    ];
    const invite = [
      "INVITE sip:joe@example.com SIP/2.0",
      "t: sip:joe@example.com",
      "From: sip:caller@example.net;tag=141334",
      "Max-Forwards: 8",
      "Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15",
      "CSeq: 8 INVITE",
      "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234",
      "Content-Type: application/sdp",
      `Content-Length: ${len(SDP)}`,
    ];
    const msg = req(Buffer.concat([wire(register), wire(invite, SDP)]));
    expect(msg.method).toBe("REGISTER");
    expect(msg.body.length).toBe(0);
  });

  it("3.1.1.9 semicolon-separated parameters in the URI user part; a folded Accept list", () => {
    const msg = req(wire([
      "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0",
      "To: sip:j_user@example.com",
      "From: sip:caller@example.org;tag=33242",
      "Max-Forwards: 3",
      "Call-ID: semiuri.0ha0isndaksdj",
      "CSeq: 8 OPTIONS",
      "Accept: application/sdp, application/pkcs7-mime,",
      "      multipart/mixed, multipart/signed,",
      "      message/sip, message/sipfrag",
      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw",
      "l: 0",
    ]));
    expect(parseUri(msg.uri).user).toBe("user;par=u%40example.net");
    expect(msg.headers.getAll("Accept")).toEqual([
      "application/sdp", "application/pkcs7-mime", "multipart/mixed", "multipart/signed", "message/sip", "message/sipfrag",
    ]);
  });

  it("3.1.1.10 varied and unknown transport types", () => {
    const msg = req(wire([
      "OPTIONS sip:user@example.com SIP/2.0",
      "To: sip:user@example.com",
      "From: <sip:caller@example.com>;tag=323",
      "Max-Forwards: 70",
      "Call-ID: transports.kijh4akdnaqjkwendsasfdj",
      "Accept: application/sdp",
      "CSeq: 60 OPTIONS",
      "Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw",
      "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf",
      "Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj",
      "Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en",
      "Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee",
      "l: 0",
    ]));
    expect(msg.headers.getAll("Via").flatMap(parseVia).map((v) => v.transport)).toEqual(["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
  });

  it("3.1.1.11 a multipart MIME body is bytes of Content-Length", () => {
    const body = [
      "--7a9cbec02ceef655",
      "Content-Type: application/sdp",
      "Content-Transfer-Encoding: binary",
      "",
      SDP,
      "--7a9cbec02ceef655",
      "Content-Type: application/octet-stream",
      "Content-Transfer-Encoding: binary",
      "",
      "\u0000\u0001\u00ff\u00fe",
      "--7a9cbec02ceef655--",
      "",
    ].join("\r\n");
    const bodyBytes = Buffer.from(body, "latin1");
    const msg = req(Buffer.concat([wire([
      "MESSAGE sip:kumiko@example.org SIP/2.0",
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-03bc9f",
      "Max-Forwards: 70",
      "From: \"Bob\" <sip:bob@example.com>;tag=ldw22z",
      "To: \"Kumiko\" <sip:kumiko@example.org>",
      "Call-ID: 0dc1b4d3c6b4@example.com",
      "CSeq: 1 MESSAGE",
      'Content-Type: multipart/mixed;boundary=7a9cbec02ceef655',
      `Content-Length: ${bodyBytes.length}`,
    ]), bodyBytes]));
    expect(msg.body.equals(bodyBytes)).toBe(true);
  });

  it("3.1.1.12 an unusual, UTF-8 reason phrase", () => {
    const reason = "= 2**3 * 5**2 но сто девяносто девять - простое";
    const msg = parseMessage(wire([
      `SIP/2.0 200 ${reason}`,
      "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923",
      "Call-ID: unreason.1234ksdfak3j2erwedfsASdf",
      "CSeq: 35 INVITE",
      "From: sip:user@example.com;tag=11141343",
      "To: sip:user@example.edu;tag=2229",
      "Content-Length: 0",
    ]));
    expect(msg).toMatchObject({ kind: "response", status: 200, reason });
    stable(msg);
  });

  it("3.1.1.13 an empty reason phrase", () => {
    const msg = parseMessage(wire([
      "SIP/2.0 100 ",
      "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe",
      "Call-ID: noreason.asndj203insdf99223ndf",
      "CSeq: 35 INVITE",
      "From: <sip:user@example.com>;tag=39ansfi3",
      "To: <sip:user@example.edu>;tag=902jndnke3",
      "Content-Length: 0",
    ]));
    expect(msg).toMatchObject({ kind: "response", status: 100, reason: "" });
    expect(serialize(msg).toString().startsWith("SIP/2.0 100 \r\n")).toBe(true);
  });
});

describe("RFC 4475 section 3.1.2: invalid messages", () => {
  const base = (first: string, extra: Record<string, string> = {}) => {
    const headers: Record<string, string> = {
      Via: "SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw",
      To: "sip:user@example.com",
      From: "sip:caller@example.net;tag=134161461246",
      "Max-Forwards": "7",
      "Call-ID": "bad.0ha0isndaksdjasdf3234nas",
      CSeq: `8 ${first.split(" ")[0]}`,
      "Content-Length": "0",
      ...extra,
    };
    return wire([first, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]);
  };

  it.each([
    ["3.1.2.1 extraneous header field separators in Via", base("INVITE sip:user@example.com SIP/2.0", { Via: "SIP/2.0/UDP 192.0.2.15;;,;,," }), "VIA"],
    ["3.1.2.1 extraneous header field separators in Contact", base("INVITE sip:user@example.com SIP/2.0", { Contact: '"Joe" <sip:joe@example.org>;;;;' }), "NAME_ADDR"],
    ["3.1.2.2 Content-Length larger than the datagram", base("INVITE sip:user@example.com SIP/2.0", { "Content-Length": "9999" }), "CONTENT_LENGTH"],
    ["3.1.2.3 negative Content-Length", base("INVITE sip:user@example.com SIP/2.0", { "Content-Length": "-999" }), "CONTENT_LENGTH"],
    ["3.1.2.4 overlarge CSeq", base("REGISTER sip:example.com SIP/2.0", { CSeq: "36893488147419103232 REGISTER" }), "CSEQ"],
    ["3.1.2.4 overlarge Max-Forwards", base("REGISTER sip:example.com SIP/2.0", { "Max-Forwards": "300" }), "MAX_FORWARDS"],
    ["3.1.2.4 overlarge Via ttl", base("REGISTER sip:example.com SIP/2.0", { Via: "SIP/2.0/UDP host.example.com;ttl=2147483648;branch=z9hG4bKa" }), "VIA"],
    ["3.1.2.6 unterminated quoted string in a display name", base("INVITE sip:user@example.com SIP/2.0", { To: '"Mr. J. User <sip:j.user@example.com>' }), "NAME_ADDR"],
    ["3.1.2.7 <> enclosing the Request-URI", base("INVITE <sip:user@example.com> SIP/2.0"), "URI"],
    ["3.1.2.8 LWS inside the Request-URI", base("INVITE sip:user@example.com; lr SIP/2.0"), "START_LINE"],
    ["3.1.2.9 several SP between Request-Line elements", base("INVITE  sip:user@example.com  SIP/2.0"), "START_LINE"],
    ["3.1.2.10 SP at the end of the Request-Line", base("OPTIONS sip:remote-target@example.com SIP/2.0  "), "START_LINE"],
    ["3.1.2.11 escaped headers in the Request-URI", base("INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0"), "URI"],
    ["3.1.2.13 a URI with escaped headers not in <>", base("REGISTER sip:example.com SIP/2.0", { Contact: "sip:user@example.com?Route=%3Csip:sip.example.com%3E" }), "NAME_ADDR"],
    ["3.1.2.14 spaces within addr-spec", base("OPTIONS sip:user@example.org SIP/2.0", { To: '"Watson, Thomas" < sip:t.watson@example.org >' }), "URI"],
    ["3.1.2.15 non-token characters in a display name", base("OPTIONS sip:t.watson@example.org SIP/2.0", { From: "Bell, Alexander <sip:a.g.bell@example.com>;tag=43" }), "NAME_ADDR"],
    ["3.1.2.16 unknown protocol version", base("OPTIONS sip:t.watson@example.org SIP/7.0"), "VERSION"],
    ["3.1.2.17 start line and CSeq method mismatch", base("OPTIONS sip:user@example.com SIP/2.0", { CSeq: "1 INVITE" }), "CSEQ"],
    ["3.1.2.18 unknown method with CSeq method mismatch", base("NEWMETHOD sip:user@example.com SIP/2.0", { CSeq: "1 INVITE" }), "CSEQ"],
  ])("%s", (_, buf, expected) => {
    const err = refuse(buf);
    expect(err.code).toBe(expected);
    // Each is a request whose header lines could be read, so the transport can answer 400 / 505.
    expect(err.request?.headers.get("Call-ID")).toBe("bad.0ha0isndaksdjasdf3234nas");
  });

  it("3.1.2.5 overlarge scalar fields in a response", () => {
    const err = refuse(wire([
      "SIP/2.0 503 Service Unavailable",
      "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129",
      "To: <sip:user@example.com>",
      "From: <sip:other@example.net>;tag=2easdjfejw",
      "CSeq: 9292394834772304023312 OPTIONS",
      "Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r",
      "Retry-After: 949302838503028349304023988",
      'Warning: 1812 overture "In Progress"',
      "Content-Length: 0",
    ]));
    expect(err.code).toBe("CSEQ");
    expect(err.request).toBeUndefined();
  });

  it("3.1.2.19 an overlarge response code", () => {
    const err = refuse(wire([
      "SIP/2.0 4294967301 better not break the receiver",
      "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe",
      "Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i",
      "CSeq: 353494 INVITE",
      "From: <sip:user@example.com>;tag=39ansfi3",
      "To: <sip:user@example.edu>;tag=902jndnke3",
      "Content-Length: 0",
    ]));
    expect(err.code).toBe("STATUS");
  });
});

describe("RFC 4475 sections 3.2-3.4: messages that parse, leaving the decision to the layers above", () => {
  it("3.2.1 a Via without branch, 3.3.11 Max-Forwards of zero, 3.4.1 RFC 2543 syntax", () => {
    const msg = req(wire([
      "INVITE sip:UserB@example.com SIP/2.0",
      "Via: SIP/2.0/UDP 192.0.2.15",
      "From: <sip:UserA@example.com>",
      "To: <sip:UserB@example.com>",
      "Call-ID: 010101@192.0.2.15",
      "CSeq: 1 INVITE",
      "Max-Forwards: 0",
      "Content-Type: application/sdp",
      `Content-Length: ${len(SDP)}`,
    ], SDP));
    expect(parseVia(msg.headers.get("Via")!)[0]!.params.has("branch")).toBe(false);
    expect(msg.headers.get("Max-Forwards")).toBe("0");
  });

  it("3.3.1 missing required header fields: refused with MISSING_HEADER", () => {
    const err = refuse(wire([
      "INVITE sip:user@example.com SIP/2.0",
      "CSeq: 193942 INVITE",
      "Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf",
      "Content-Type: application/sdp",
      `l: ${len(SDP)}`,
    ], SDP));
    expect(err.code).toBe("MISSING_HEADER");
  });

  it("3.3.2 / 3.3.3 unknown and atypical Request-URI schemes (the UAS answers 416)", () => {
    for (const uri of ["nobodyKnowsThisScheme:totallyopaquecontent", "soap.beep://192.0.2.103:3002"]) {
      const msg = req(wire([
        `OPTIONS ${uri} SIP/2.0`,
        "To: sip:user@example.com",
        "From: sip:caller@example.net;tag=384",
        "Max-Forwards: 3",
        "Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34",
        "CSeq: 3923423 OPTIONS",
        "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234",
        "Content-Length: 0",
      ]));
      expect(msg.uri).toBe(uri);
      expect(() => parseUri(msg.uri)).toThrow(SipParseError);
    }
  });

  it("3.3.4 unknown URI schemes in To, From and Contact parse; parseNameAddr refuses them", () => {
    const msg = req(wire([
      "REGISTER sip:example.com SIP/2.0",
      "To: isbn:2983792873",
      "From: <http://www.example.com>;tag=3234233",
      "Call-ID: unksm2.daksdj@hyphenated-host.example.com",
      "CSeq: 234902 REGISTER",
      "Max-Forwards: 70",
      "Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw",
      "Contact: <name:John_Smith>",
      "l: 0",
    ]));
    expect(msg.headers.get("To")).toBe("isbn:2983792873");
    expect(() => parseNameAddr(msg.headers.get("From")!)).toThrow(expect.objectContaining({ code: "URI" }));
  });

  it("3.3.8 several values in single-value fields: refused with DUPLICATE_HEADER", () => {
    const err = refuse(wire([
      "INVITE sip:user@company.com SIP/2.0",
      "Contact: <sip:caller@host25.example.net>",
      "Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKvscjs",
      "Max-Forwards: 70",
      "Call-ID: multi01.98asdh@192.0.2.1",
      "CSeq: 59 INVITE",
      "Call-ID: multi01.98asdh@192.0.2.2",
      "From: sip:caller@example.com;tag=3413415",
      "To: sip:user@example.com",
      "To: sip:other@example.net",
      "From: sip:caller@example.net;tag=2923420123",
      "l: 0",
    ]));
    expect(err.code).toBe("DUPLICATE_HEADER");
    expect(err.header).toBe("Call-ID");
  });

  it("3.3.9 several Content-Length values: refused", () => {
    const err = refuse(wire([
      "INVITE sip:user@example.com SIP/2.0",
      "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423",
      "To: sip:user@example.com",
      "From: sip:other@example.net;tag=3923942",
      "Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf",
      "CSeq: 15932 OPTIONS",
      "Content-Length: 13",
      "Max-Forwards: 60",
      "Content-Length: 5",
      "Content-Type: text/plain",
    ], "There's no way to know how many octets are supposed to be here."));
    expect(err.code).toBe("CONTENT_LENGTH");
  });

  it("3.3.10 a broadcast received, 3.3.12-14 Contact parameters and escaped URI headers", () => {
    const msg = parseMessage(wire([
      "SIP/2.0 200 OK",
      "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923;received=255.255.255.255",
      "Call-ID: bcast.0293jdsf@example.net",
      "CSeq: 35 OPTIONS",
      "From: sip:user@example.com;tag=11141343",
      "To: sip:user@example.edu;tag=2229",
      "Contact: <sip:+19725552222@gw1.example.net;unknownparam>;expires=3600",
      "Contact: <sip:user@host.example.com?Route=%3Csip:sip.example.com%3E>",
      "Content-Length: 0",
    ]));
    expect(formatUri(parseNameAddr(msg.headers.getAll("Contact")[1]!).uri)).toBe("sip:user@host.example.com?Route=%3Csip:sip.example.com%3E");
  });
});
