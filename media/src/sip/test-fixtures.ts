/** Messages shared by the message-layer tests and bench/sip-parser.ts. */

/** Joins header lines with CRLF, ends the header section, appends the body. */
export function wire(lines: string[], body = ""): Buffer {
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n${body}`, "utf8");
}

/** Same, with a Content-Length line computed from the body. */
export function wireCl(lines: string[], body = ""): Buffer {
  return wire([...lines, `Content-Length: ${Buffer.byteLength(body)}`], body);
}

export const SDP_OFFER = [
  "v=0",
  "o=alice 2890844526 2890844526 IN IP4 192.0.2.10",
  "s=-",
  "c=IN IP4 192.0.2.10",
  "t=0 0",
  "m=audio 49170 RTP/AVP 0 8 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-16",
  "a=ptime:20",
  "a=sendrecv",
  "",
].join("\r\n");

/** A typical INVITE from a softphone, with an SDP offer. */
export const INVITE = wireCl(
  [
    "INVITE sip:1234@focus.example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport",
    "Max-Forwards: 70",
    'From: "Alice Liddell" <sip:alice@example.com>;tag=1928301774',
    "To: <sip:1234@focus.example.com>",
    "Call-ID: a84b4c76e66710@pc33.example.com",
    "CSeq: 314159 INVITE",
    "Contact: <sip:alice@192.0.2.10:5060;transport=udp>",
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, REFER, NOTIFY, SUBSCRIBE",
    "Supported: replaces, timer, 100rel",
    "User-Agent: Example Softphone 5.2",
    "Content-Type: application/sdp",
  ],
  SDP_OFFER,
);

/** The focus's 200 OK to INVITE, through one proxy. */
export const OK_200 = wireCl(
  [
    "SIP/2.0 200 OK",
    "Via: SIP/2.0/UDP proxy.example.com:5060;branch=z9hG4bK77ef4c2312983.1;received=192.0.2.3",
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport=5060;received=192.0.2.10",
    "Record-Route: <sip:proxy.example.com;lr>",
    'From: "Alice Liddell" <sip:alice@example.com>;tag=1928301774',
    "To: <sip:1234@focus.example.com>;tag=a6c85cf",
    "Call-ID: a84b4c76e66710@pc33.example.com",
    "CSeq: 314159 INVITE",
    "Contact: <sip:focus@198.51.100.1:5060>",
    "Content-Type: application/sdp",
  ],
  SDP_OFFER.replace(/alice/g, "focus").replace(/192\.0\.2\.10/g, "198.51.100.1"),
);

/** A small valid request built from parts, for the rejection tests. */
export function request(overrides: Record<string, string | null> = {}, startLine = "OPTIONS sip:focus@example.com SIP/2.0", body = ""): Buffer {
  const base: Record<string, string> = {
    Via: "SIP/2.0/UDP host.example.com;branch=z9hG4bKnashds8",
    "Max-Forwards": "70",
    To: "<sip:focus@example.com>",
    From: "<sip:caller@example.net>;tag=1",
    "Call-ID": "test.1@example.net",
    CSeq: `1 ${startLine.split(" ")[0]}`,
  };
  const lines = [startLine];
  for (const [name, value] of Object.entries({ ...base, ...overrides })) if (value !== null) lines.push(`${name}: ${value}`);
  return wireCl(lines, body);
}
