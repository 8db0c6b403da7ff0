/**
 * Dictionaries of syntax pieces for the token mutation, one per text format: inserting them reaches
 * deeper into a grammar than random bytes do. Shared so the parser-level and socket-level fuzz tests of
 * the same format draw on the same words.
 */

/** SIP (RFC 3261 section 25): separators, line ends and folds, URI schemes, parameters, limits. */
export const SIP_TOKENS: readonly string[] = [
  "\r\n", "\r", "\n", "\r\n ", "\r\n\r\n", " ", "\t", ",", ";", "=", ":", '"', "\\", "<", ">", "@", "%", "%4", "[", "]", "?",
  "&", "/", "\0", "\x7f", "é", "\xff", "sip:", "sips:", "tel:", "SIP/2.0", ";tag=", ";branch=z9hG4bK", ";rport", ";lr", "Via: ",
  "Content-Length: ", "l: 99999", "CSeq: 1 INVITE", "*", "[::1]", "[fd00::", "0", "-1", "65536", "2147483648", "99999999999999999999",
];

/**
 * SIP header-section edits (the start line and header lines as an array): the values a careless or
 * hostile peer sends, at the limits of RFC 3261 section 20 and the cases of RFC 4475.
 */
export const SIP_HEADER_EDITS: readonly ((lines: string[]) => string[])[] = [
  (l) => setHeader(l, "Content-Length", "99999999"),
  (l) => setHeader(l, "Content-Length", "4294967296"),
  (l) => setHeader(l, "Content-Length", "-1"),
  (l) => setHeader(l, "Content-Length", "0x10"),
  (l) => setHeader(l, "Content-Length", "1"),
  (l) => setHeader(l, "CSeq", "-1 INVITE"),
  (l) => setHeader(l, "CSeq", "4294967296 INVITE"),
  (l) => setHeader(l, "CSeq", "99999999999999999999999 BYE"),
  (l) => setHeader(l, "CSeq", "1 OPTIONS"),
  (l) => setHeader(l, "CSeq", ""),
  (l) => setHeader(l, "Max-Forwards", "0"),
  (l) => setHeader(l, "Max-Forwards", "-3"),
  (l) => setHeader(l, "Max-Forwards", "99999999999"),
  (l) => setHeader(l, "Expires", "-1"),
  (l) => setHeader(l, "Expires", "99999999999999"),
  (l) => setHeader(l, "Event", "conference;id=\"x\""),
  (l) => setHeader(l, "Contact", "*"),
  (l) => setHeader(l, "Contact", "<sip:@>"),
  (l) => setHeader(l, "To", "<sip:x@y>;tag=a;tag=b"),
  (l) => setHeader(l, "To", "isbn:2983792873"),
  (l) => setHeader(l, "From", "<http://www.example.com>;tag=h"),
  (l) => [l[0]!.replace(/ \S+ /, " im:fuzz@example.com "), ...l.slice(1)],
  (l) => setHeader(l, "From", "sip:no-tag@example.com"),
  (l) => setHeader(l, "Via", "SIP/2.0/UDP"),
  (l) => setHeader(l, "Via", "SIP/2.0/SCTP 127.0.0.1:1;branch=z9hG4bKsctp"),
  (l) => setHeader(l, "Via", "SIP/2.0/UDP [::1:5060;branch=z9hG4bKv6"),
  (l) => setHeader(l, "Call-ID", ""),
  (l) => setHeader(l, "Content-Type", "application/sdp;;;"),
  (l) => [l[0]!, ...l.slice(1).filter((x) => !/^(Via|v):/i.test(x))],
  (l) => [l[0]!, ...l.slice(1).filter((x) => !/^(Call-ID|i):/i.test(x))],
  (l) => [l[0]!, ...l.slice(1).filter((x) => !/^CSeq:/i.test(x))],
  (l) => [l[0]!, ...l.slice(1).filter((x) => !/^(From|f|To|t):/i.test(x))],
  (l) => [...l.slice(0, 2), ...l.slice(1)], // every header twice
  (l) => [...l, ...Array.from({ length: 300 }, (_, i) => `Via: SIP/2.0/UDP 192.0.2.${i % 250}:5060;branch=z9hG4bK-many-${i}`)],
  (l) => [...l, `X-Long: ${"a".repeat(20_000)}`],
  (l) => [...l, ...Array.from({ length: 1500 }, (_, i) => `X-H${i}: ${i}`)],
  (l) => [...l, "Bad Header: x", "NoColon", ":empty-name"],
  (l) => [...l, "X-Nul: a\0b"],
  (l) => ["INVITE sip:x@127.0.0.1 SIP/3.0", ...l.slice(1)],
  (l) => ["INVITE  sip:x@127.0.0.1  SIP/2.0", ...l.slice(1)],
  (l) => ["INVITE sip:x@127.0.0.1", ...l.slice(1)],
  (l) => ["invite sip:x@127.0.0.1 SIP/2.0", ...l.slice(1)],
  (l) => ["INVITE <sip:x@127.0.0.1> SIP/2.0", ...l.slice(1)],
  (l) => ["SIP/2.0 999 Too High", ...l.slice(1)],
  (l) => ["SIP/2.0 099 Too Low", ...l.slice(1)],
  (l) => ["SIP/2.0 200", ...l.slice(1)],
  (l) => ["GET / HTTP/1.1", ...l.slice(1)],
  (l) => ["", ...l],
  (l) => [`${"A".repeat(5000)} sip:x SIP/2.0`, ...l.slice(1)],
];

function setHeader(lines: string[], name: string, value: string): string[] {
  const out = lines.filter((x, i) => i === 0 || !x.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  out.splice(1, 0, `${name}: ${value}`);
  return out;
}
