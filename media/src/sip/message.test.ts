import { parseNameAddr } from "./address.ts";
import { SipParseError, type SipParseErrorCode } from "./errors.ts";
import { SipHeaders } from "./headers.ts";
import {
  DEFAULT_MAX_SIZE, createResponse, isKeepAlive, parseMessage, REASON_PHRASES, serialize, type SipRequest, type SipResponse,
} from "./message.ts";
import { INVITE, OK_200, SDP_OFFER, request, wire, wireCl } from "./test-fixtures.ts";

function refuse(buf: Buffer, opts?: { maxSize?: number }): SipParseError {
  try {
    parseMessage(buf, opts);
  } catch (err) {
    if (err instanceof SipParseError) return err;
    throw err;
  }
  throw new Error(`parsed a message that should be refused:\n${buf.toString()}`);
}

function codeOf(buf: Buffer): SipParseErrorCode | "parsed" {
  try {
    parseMessage(buf);
    return "parsed";
  } catch (err) {
    if (err instanceof SipParseError) return err.code;
    throw err;
  }
}

function asRequest(buf: Buffer): SipRequest {
  const m = parseMessage(buf);
  if (m.kind !== "request") throw new Error("not a request");
  return m;
}

describe("parseMessage: valid messages", () => {
  it("parses a typical INVITE with SDP and serializes it back byte for byte", () => {
    const msg = asRequest(INVITE);
    expect(msg).toMatchObject({ kind: "request", method: "INVITE", uri: "sip:1234@focus.example.com", version: "SIP/2.0" });
    expect(msg.headers.get("Call-ID")).toBe("a84b4c76e66710@pc33.example.com");
    expect(msg.headers.getAll("Allow")).toHaveLength(10);
    expect(msg.body.toString()).toBe(SDP_OFFER);
    expect(serialize(msg).equals(INVITE)).toBe(true);
  });

  it("parses a 200 OK with two Vias and a Record-Route, and serializes it back byte for byte", () => {
    const msg = parseMessage(OK_200);
    expect(msg).toMatchObject({ kind: "response", status: 200, reason: "OK", version: "SIP/2.0" });
    expect(msg.headers.getAll("Via")).toHaveLength(2);
    expect(serialize(msg).equals(OK_200)).toBe(true);
  });

  it("the body is a copy, not a view of the datagram", () => {
    const buf = Buffer.from(INVITE);
    const msg = parseMessage(buf);
    buf.fill(0);
    expect(msg.body.toString()).toBe(SDP_OFFER);
  });

  it("expands compact forms and writes canonical names", () => {
    const msg = parseMessage(wire([
      "MESSAGE sip:a@b.example SIP/2.0",
      "v: SIP/2.0/UDP h.example.com;branch=z9hG4bK1",
      "f: <sip:x@y.example>;tag=1",
      "t: <sip:a@b.example>",
      "i: compact@h",
      "CSEQ: 1 MESSAGE",
      "m: <sip:x@h.example.com>",
      "k: timer",
      "s: hello",
      "c: text/plain",
      "l: 2",
    ], "hi"));
    expect(serialize(msg).toString()).toBe([
      "MESSAGE sip:a@b.example SIP/2.0",
      "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1",
      "From: <sip:x@y.example>;tag=1",
      "To: <sip:a@b.example>",
      "Call-ID: compact@h",
      "CSeq: 1 MESSAGE",
      "Contact: <sip:x@h.example.com>",
      "Supported: timer",
      "Subject: hello",
      "Content-Type: text/plain",
      "Content-Length: 2",
      "",
      "hi",
    ].join("\r\n"));
  });

  it("unfolds continuation lines (LWS, RFC 3261 section 7.3.1) into one SP", () => {
    const msg = parseMessage(request({ Subject: "first part  \r\n \t second part\r\n\tthird", "X-Empty-Start": "\r\n  value" }));
    expect(msg.headers.get("Subject")).toBe("first part second part third");
    expect(msg.headers.get("X-Empty-Start")).toBe("value");
  });

  it("keeps several Vias in one header and in several lines, in order", () => {
    const msg = parseMessage(request({ Via: "SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/UDP b.example.com;branch=z9hG4bK2\r\nVia: SIP/2.0/TCP c.example.com;branch=z9hG4bK3" }));
    expect(msg.headers.getAll("Via").map((v) => v.split(" ")[1]!.split(";")[0])).toEqual(["a.example.com", "b.example.com", "c.example.com"]);
    expect(msg.headers.get("Via")).toBe("SIP/2.0/UDP a.example.com;branch=z9hG4bK1");
  });

  it("keeps unknown headers with their spelling, values and place", () => {
    const msg = parseMessage(request({ "X-Custom-Thing": "a ; b = c", "P-Weird_Name!": "  spaced  " }));
    const lines = [...msg.headers];
    expect(lines).toContainEqual(["X-Custom-Thing", "a ; b = c"]);
    expect(lines).toContainEqual(["P-Weird_Name!", "spaced"]);
    expect(serialize(msg).toString()).toContain("\r\nX-Custom-Thing: a ; b = c\r\nP-Weird_Name!: spaced\r\n");
  });

  it("without Content-Length, the body of a datagram is the rest of it (RFC 3261 section 18.3)", () => {
    const buf = wire(["MESSAGE sip:a@b.example SIP/2.0", "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1", "From: <sip:x@y.example>;tag=1", "To: <sip:a@b.example>", "Call-ID: nocl@h", "CSeq: 1 MESSAGE"], "the whole rest\r\n\r\nof the datagram");
    const msg = parseMessage(buf);
    expect(msg.body.toString()).toBe("the whole rest\r\n\r\nof the datagram");
    expect(msg.headers.has("Content-Length")).toBe(false);
    expect(serialize(msg).toString()).toContain(`\r\nContent-Length: ${msg.body.length}\r\n\r\n`);
  });

  it("with Content-Length, extra datagram octets are dropped", () => {
    const buf = Buffer.concat([request({}, "MESSAGE sip:a@b.example SIP/2.0", "body"), Buffer.from("trailing junk")]);
    expect(parseMessage(buf).body.toString()).toBe("body");
  });

  it("tolerates CRLFs before the start line (RFC 3261 section 7.5)", () => {
    const msg = parseMessage(Buffer.concat([Buffer.from("\r\n\r\n\r\n"), INVITE]));
    expect(msg.kind).toBe("request");
  });

  it("accepts a lowercase sip/2.0 version (case-insensitive, section 7.1) and writes SIP/2.0", () => {
    const msg = parseMessage(request({}, "OPTIONS sip:focus@example.com sip/2.0"));
    expect(msg.version).toBe("SIP/2.0");
    expect(serialize(msg).toString().split("\r\n")[0]).toBe("OPTIONS sip:focus@example.com SIP/2.0");
  });

  it("accepts tel: and sips: Request-URIs, Max-Forwards with leading zeros, Contact: * in REGISTER", () => {
    expect(codeOf(request({}, "INVITE tel:+1-201-555-0123 SIP/2.0"))).toBe("parsed");
    expect(codeOf(request({}, "INVITE sips:conf@[2001:db8::1]:5061;transport=tcp SIP/2.0"))).toBe("parsed");
    expect(codeOf(request({ "Max-Forwards": "0070" }))).toBe("parsed");
    expect(codeOf(request({ Contact: "*", Expires: "0" }, "REGISTER sip:example.com SIP/2.0"))).toBe("parsed");
  });

  it("decodes UTF-8 header text and keeps invalid UTF-8 as Latin-1 octets", () => {
    const utf8 = parseMessage(request({ From: '"Zoë 大" <sip:z@example.com>;tag=1' }));
    expect(parseNameAddr(utf8.headers.get("From")!).displayName).toBe("Zoë 大");
    const latin1 = Buffer.from(request({ From: '"Zo\u00eb" <sip:z@example.com>;tag=1' }).toString("utf8"), "latin1");
    expect(parseNameAddr(parseMessage(latin1).headers.get("From")!).displayName).toBe("Zo\u00eb");
  });

  it("reads statuses 100 and 699 and a reason phrase with spaces", () => {
    const res = (line: string) => wire([line, "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1", "From: <sip:a@b.example>;tag=1", "To: <sip:c@d.example>", "Call-ID: x@y", "CSeq: 1 INVITE", "Content-Length: 0"]);
    expect(parseMessage(res("SIP/2.0 100 Trying"))).toMatchObject({ status: 100, reason: "Trying" });
    expect(parseMessage(res("SIP/2.0 699 Some Global Thing"))).toMatchObject({ status: 699, reason: "Some Global Thing" });
  });
});

describe("parseMessage: refused messages", () => {
  const res = (line: string) => wire([line, "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1", "From: <sip:a@b.example>;tag=1", "To: <sip:c@d.example>", "Call-ID: x@y", "CSeq: 1 INVITE", "Content-Length: 0"]);

  it.each([
    ["empty datagram", Buffer.alloc(0), "START_LINE"],
    ["only CRLFs", Buffer.from("\r\n\r\n"), "START_LINE"],
    ["no empty line after the headers", Buffer.from("OPTIONS sip:a@b.example SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"), "HEADER"],
    ["a start line without SP", wire(["GARBAGE"]), "START_LINE"],
    ["a method that is not a token", request({}, "INV(ITE sip:a@b.example SIP/2.0"), "START_LINE"],
    ["a missing SIP-Version", wire(["OPTIONS sip:a@b.example"]), "START_LINE"],
    ["an HTTP request", wire(["GET / HTTP/1.1", "Host: example.com"]), "START_LINE"],
    ["a bad version string", request({}, "OPTIONS sip:a@b.example SIP/2"), "START_LINE"],
    ["SIP/3.0", request({}, "OPTIONS sip:a@b.example SIP/3.0"), "VERSION"],
    ["SIP/2.1", request({}, "OPTIONS sip:a@b.example SIP/2.1"), "VERSION"],
    ["a response with SIP/1.0", res("SIP/1.0 200 OK"), "VERSION"],
    ["status 99", res("SIP/2.0 099 Low"), "STATUS"],
    ["status 700", res("SIP/2.0 700 High"), "STATUS"],
    ["status of two digits", res("SIP/2.0 20 OK"), "STATUS"],
    ["status of four digits", res("SIP/2.0 2000 OK"), "STATUS"],
    ["status not digits", res("SIP/2.0 abc OK"), "STATUS"],
    ["status without SP and reason", res("SIP/2.0 200"), "START_LINE"],
    ["a NUL in the start line", request({}, "OPTIONS sip:a@b.example\0 SIP/2.0"), "START_LINE"],
    ["a NUL in a header value", request({ Subject: "a\0b" }), "HEADER"],
    ["a NUL in a header name", request({ "X\0Y": "v" }), "HEADER"],
    ["a BEL outside a quoted string", request({ Subject: "ring\x07" }), "HEADER"],
    ["a NUL quoted-pair outside quotes", request({ Subject: "a\\\0b" }), "HEADER"],
    ["DEL in a header value", request({ Subject: "x\x7f" }), "HEADER"],
    ["a bare LF line end", Buffer.from("OPTIONS sip:a@b.example SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n"), "START_LINE"],
    ["a bare LF inside a header", request({ Subject: "a\nb" }), "HEADER"],
    ["a bare CR inside a header", request({ Subject: "a\rb" }), "HEADER"],
    ["a header line without colon", request({ "X-No-Colon value": "x" }), "HEADER"],
    ["an empty header name", wire(["OPTIONS sip:a@b.example SIP/2.0", ": value"]), "HEADER"],
    ["a folded line before any header", wire(["OPTIONS sip:a@b.example SIP/2.0", " folded"]), "HEADER"],
    ["a Request-URI that is no URI", request({}, "OPTIONS nothing SIP/2.0"), "URI"],
    ["a malformed SIP Request-URI", request({}, "OPTIONS sip:a@b..example SIP/2.0"), "URI"],
    ["a Content-Length that is not a number", request({ "Content-Length": "12a" }), "CONTENT_LENGTH"],
    ["an empty Content-Length", request({ "Content-Length": "" }), "CONTENT_LENGTH"],
    ["a body shorter than Content-Length", wire(["OPTIONS sip:a@b.example SIP/2.0", "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1", "From: <sip:a@b.example>;tag=1", "To: <sip:c@d.example>", "Call-ID: x@y", "CSeq: 1 OPTIONS", "Content-Length: 10"], "short"), "CONTENT_LENGTH"],
    ["a bad CSeq number", request({ CSeq: "x OPTIONS" }), "CSEQ"],
    ["a CSeq of 2**31", request({ CSeq: `${2 ** 31} OPTIONS` }), "CSEQ"],
    ["a CSeq without method", request({ CSeq: "1" }), "CSEQ"],
    ["a CSeq method of another case", request({ CSeq: "1 options" }), "CSEQ"],
    ["a bad Call-ID", request({ "Call-ID": "has space@host" }), "CALL_ID"],
    ["a Call-ID with two @", request({ "Call-ID": "a@b@c" }), "CALL_ID"],
    ["an empty Call-ID", request({ "Call-ID": "" }), "CALL_ID"],
    ["a Max-Forwards of 256", request({ "Max-Forwards": "256" }), "MAX_FORWARDS"],
    ["a negative Max-Forwards", request({ "Max-Forwards": "-1" }), "MAX_FORWARDS"],
    ["a bad Via", request({ Via: "SIP/2.0/UDP" }), "VIA"],
    ["a bad From", request({ From: "<sip:a@b.example" }), "NAME_ADDR"],
    ["a From with a bad URI", request({ From: "<sip:a@b..example>;tag=1" }), "URI"],
    ["a bad Contact element", request({ Contact: "<sip:a@b.example>, junk junk" }), "NAME_ADDR"],
    ["Contact: * outside REGISTER", request({ Contact: "*" }), "NAME_ADDR"],
    ["a Route without <>", request({ Route: "sip:proxy.example.com;lr" }), "NAME_ADDR"],
    ["a Record-Route without <>", request({ "Record-Route": "sip:proxy.example.com;lr" }), "NAME_ADDR"],
    ["two To headers", request({ To: "<sip:a@b.example>\r\nTo: <sip:c@d.example>" }), "DUPLICATE_HEADER"],
    ["two Max-Forwards", request({ "Max-Forwards": "70\r\nMax-Forwards: 69" }), "DUPLICATE_HEADER"],
    ["two Content-Types", request({ "Content-Type": "text/plain\r\nc: text/html" }), "DUPLICATE_HEADER"],
  ])("refuses %s", (_, buf, expected) => {
    expect(refuse(buf).code).toBe(expected);
  });

  it.each(["Via", "From", "To", "Call-ID", "CSeq"])("refuses a request without %s (RFC 3261 section 8.1.1)", (name) => {
    const err = refuse(request({ [name]: null }));
    expect(err.code).toBe("MISSING_HEADER");
    expect(err.header).toBe(name);
    expect(err.request?.method).toBe("OPTIONS");
  });

  it("refuses a response without CSeq or Via too (section 8.2.6.2 copies them)", () => {
    expect(refuse(wire(["SIP/2.0 200 OK", "From: <sip:a@b.example>;tag=1", "To: <sip:c@d.example>", "Call-ID: x@y", "CSeq: 1 INVITE"])).code).toBe("MISSING_HEADER");
    expect(refuse(wire(["SIP/2.0 200 OK", "Via: SIP/2.0/UDP h.example.com", "From: <sip:a@b.example>;tag=1", "To: <sip:c@d.example>", "Call-ID: x@y"])).header).toBe("CSeq");
  });

  it("refuses an oversized message before reading it, with the default 64 KiB or a configured limit", () => {
    const big = request({ "X-Padding": "x".repeat(DEFAULT_MAX_SIZE) });
    expect(refuse(big).code).toBe("TOO_LARGE");
    expect(refuse(INVITE, { maxSize: 500 }).code).toBe("TOO_LARGE");
    expect(parseMessage(INVITE, { maxSize: INVITE.length }).kind).toBe("request");
  });

  it("names the header at fault and attaches the request head so the transport can answer", () => {
    const err = refuse(request({ "Max-Forwards": "300" }));
    expect(err.header).toBe("Max-Forwards");
    expect(err.message).toContain("Max-Forwards");
    expect(err.request).toMatchObject({ method: "OPTIONS", uri: "sip:focus@example.com", version: "SIP/2.0" });
    expect(err.request!.headers.get("Call-ID")).toBe("test.1@example.net");
    const version = refuse(request({}, "OPTIONS sip:focus@example.com SIP/7.0"));
    expect(version.request?.version).toBe("SIP/7.0");
  });

  it("attaches no head when the header lines themselves cannot be read, nor to responses", () => {
    expect(refuse(request({ Subject: "a\0b" })).request).toBeUndefined();
    expect(refuse(wire(["SIP/2.0 200 OK", "CSeq: x"])).request).toBeUndefined();
  });
});

describe("serialize", () => {
  it("writes CRLF line ends and sets Content-Length from the body, replacing a wrong one in place", () => {
    const msg = asRequest(INVITE);
    msg.body = Buffer.from("v=0\r\n");
    msg.headers.append("Content-Length", "999");
    const text = serialize(msg).toString();
    expect(text.match(/Content-Length/g)).toHaveLength(1);
    expect(text).toContain("\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n");
    expect(text.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
  });

  it("writes Content-Length: 0 when there is no body and no header", () => {
    const res: SipResponse = {
      kind: "response", version: "SIP/2.0", status: 180, reason: "Ringing", body: Buffer.alloc(0),
      headers: new SipHeaders([["Via", "SIP/2.0/UDP h.example.com;branch=z9hG4bK1"], ["From", "<sip:a@b.example>;tag=1"], ["To", "<sip:c@d.example>;tag=2"], ["Call-ID", "x@y"], ["CSeq", "1 INVITE"]]),
    };
    const bytes = serialize(res);
    expect(bytes.toString().endsWith("CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")).toBe(true);
    expect(parseMessage(bytes)).toEqual({ ...res, headers: new SipHeaders([...res.headers, ["Content-Length", "0"]]) });
  });

  it("round-trips what it parsed", () => {
    for (const buf of [INVITE, OK_200, request({ Subject: "folded\r\n  line" })]) {
      const msg = parseMessage(buf);
      expect(parseMessage(serialize(msg))).toEqual(msg);
    }
  });

  it("refuses start lines that would corrupt the wire", () => {
    const msg = asRequest(INVITE);
    expect(() => serialize({ ...msg, method: "IN VITE" })).toThrow(TypeError);
    expect(() => serialize({ ...msg, uri: "sip:a@b\r\nX: y" })).toThrow(TypeError);
    const res = parseMessage(OK_200) as SipResponse;
    expect(() => serialize({ ...res, status: 1000 })).toThrow(RangeError);
    expect(() => serialize({ ...res, reason: "OK\r\nX: y" })).toThrow(TypeError);
  });
});

describe("isKeepAlive (RFC 5626 section 4.4.1)", () => {
  it("is true only for CRLFs", () => {
    expect(isKeepAlive(Buffer.from("\r\n\r\n"))).toBe(true);
    expect(isKeepAlive(Buffer.from("\r\n"))).toBe(true);
    expect(isKeepAlive(Buffer.from(""))).toBe(false);
    expect(isKeepAlive(Buffer.from("\r\n\r"))).toBe(false);
    expect(isKeepAlive(INVITE)).toBe(false);
  });
});

describe("createResponse (RFC 3261 section 8.2.6)", () => {
  const invite = () => asRequest(wireCl([
    "INVITE sip:conf@focus.example.com SIP/2.0",
    "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1, SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2",
    "Record-Route: <sip:p1.example.com;lr>",
    "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKua;rport=5060;received=192.0.2.10",
    "From: Alice <sip:alice@example.com>;tag=abc",
    "To: <sip:conf@focus.example.com>",
    "Call-ID: call-1@192.0.2.10",
    "CSeq: 7 INVITE",
    "Timestamp: 54",
    "Max-Forwards: 68",
    "Contact: <sip:alice@192.0.2.10>",
  ]));

  it("copies every Via in order, From, To, Call-ID and CSeq, adding the To tag", () => {
    const res = createResponse(invite(), 180, undefined, { toTag: "f0c5" });
    expect(res).toMatchObject({ kind: "response", version: "SIP/2.0", status: 180, reason: "Ringing" });
    expect([...res.headers]).toEqual([
      ["Via", "SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1, SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2"],
      ["Via", "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKua;rport=5060;received=192.0.2.10"],
      ["From", "Alice <sip:alice@example.com>;tag=abc"],
      ["To", "<sip:conf@focus.example.com>;tag=f0c5"],
      ["Call-ID", "call-1@192.0.2.10"],
      ["CSeq", "7 INVITE"],
      ["Content-Length", "0"],
    ]);
    expect(parseMessage(serialize(res))).toEqual(res);
  });

  it("keeps an existing To tag and copies Timestamp into a 100 (section 8.2.6.1)", () => {
    const req = invite();
    req.headers.set("To", "<sip:conf@focus.example.com>;tag=existing");
    const res = createResponse(req, 100, undefined, { toTag: "new" });
    expect(res.headers.get("To")).toBe("<sip:conf@focus.example.com>;tag=existing");
    expect(res.headers.get("Timestamp")).toBe("54");
    expect(createResponse(req, 200).headers.has("Timestamp")).toBe(false);
  });

  it("adds extra headers, a body and its Content-Type", () => {
    const body = Buffer.from(SDP_OFFER);
    const res = createResponse(invite(), 200, "OK", {
      toTag: "t1",
      headers: [["Contact", "<sip:focus@198.51.100.1>"], ["Content-Type", "text/plain"]],
      body,
      contentType: "application/sdp",
    });
    expect(res.headers.get("Contact")).toBe("<sip:focus@198.51.100.1>");
    expect(res.headers.getAll("Content-Type")).toEqual(["application/sdp"]);
    expect(res.headers.get("Content-Length")).toBe(String(body.length));
    expect(parseMessage(serialize(res)).body.equals(body)).toBe(true);
  });

  it("uses the table's reason phrase, else the class name of RFC 3261 section 21", () => {
    expect(createResponse(invite(), 486).reason).toBe("Busy Here");
    expect(createResponse(invite(), 499).reason).toBe("Request Failure");
    expect(createResponse(invite(), 603, "Not today").reason).toBe("Not today");
    expect(REASON_PHRASES[481]).toBe("Call/Transaction Does Not Exist");
    expect(REASON_PHRASES[505]).toBe("Version Not Supported");
  });

  it("answers a refused request from the error's head (505 here)", () => {
    const err = refuse(request({}, "OPTIONS sip:focus@example.com SIP/7.0"));
    const res = createResponse(err.request!, 505);
    expect(res.reason).toBe("Version Not Supported");
    expect(res.headers.get("Call-ID")).toBe("test.1@example.net");
    expect(parseMessage(serialize(res)).kind).toBe("response");
  });

  it("refuses bad arguments", () => {
    expect(() => createResponse(invite(), 99)).toThrow(RangeError);
    expect(() => createResponse(invite(), 200.5)).toThrow(RangeError);
    expect(() => createResponse(invite(), 200, "OK\r\nX: y")).toThrow(TypeError);
    expect(() => createResponse(invite(), 200, "OK", { toTag: "a b" })).toThrow(TypeError);
  });
});
