/**
 * Fuzzing the message layer with fast-check: whatever bytes a peer sends, the parsers either return a
 * message or throw SipParseError, never anything else (a TypeError or RangeError would escape the
 * transport's error handling). What parses must survive serialize -> parse unchanged, and the stream
 * framer must not care how a stream is cut into chunks. Run counts keep the file at about 2 s; for a
 * deeper campaign multiply them: SIP_FUZZ_SCALE=100 npx jest media/src/sip/parser-fuzz ...
 */
import fc from "fast-check";
import { formatNameAddr, formatVia, parseCSeq, parseNameAddr, parseVia } from "./address.ts";
import { SipParseError } from "./errors.ts";
import { StreamFramer, parseMessage, serialize, type SipMessage } from "./message.ts";
import { INVITE, OK_200, request, wire } from "./test-fixtures.ts";
import { formatUri, parseUri } from "./uri.ts";

const SCALE = Math.max(1, Number(process.env.SIP_FUZZ_SCALE ?? 1) || 1);
const runs = (n: number) => ({ numRuns: Math.round(n * SCALE) });

const SEEDS: Buffer[] = [
  INVITE,
  OK_200,
  request({ CSeq: "314159 ACK", Route: "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>" }, "ACK sip:1234@focus.example.com SIP/2.0"),
  request({ Contact: "*", Expires: "0" }, "REGISTER sip:example.com SIP/2.0"),
  wire([
    "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0",
    "TO :",
    " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
    'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>',
    "  ;",
    "  tag = 98asjd8",
    "MaX-fOrWaRdS: 0068",
    "Call-ID: wsinv.ndaksdj@192.0.2.1",
    "cseq: 0009",
    "  INVITE",
    "Via  : SIP  /   2.0",
    " /UDP",
    "    192.0.2.2;branch=390skdjuw",
    "v:  SIP  / 2.0  / TCP     [2001:db8::1]:5061   ;",
    "  branch  =   z9hG4bK9ikj8 ; rport ; received=2001:db8::2 ,",
    " SIP  /    2.0   / UDP  192.168.255.111   ; branch=z9hG4bK30239",
    'm:"Quoted string \\"\\"" <sip:jdrosen@example.com;transport=tcp?subject=x%20y> ; newparam =',
    "      newvalue ; q = 0.33",
    'To2: "BEL:\\\x07 NUL:\\\x00" <tel:+1-201-555-0123;ext=1>',
    "l: 4",
  ], "abcd"),
  wire([
    "SIP/2.0 100 ",
    "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe",
    "Call-ID: noreason.asndj203insdf99223ndf",
    "CSeq: 35 INVITE",
    'From: "Zoë" <sip:user@example.com>;tag=39ansfi3',
    "To: <sips:user@example.edu:5061>;tag=902jndnke3",
    "Record-Route: <sip:[::1];lr>",
    "Content-Length: 0",
  ]),
];

/** Pieces of SIP syntax: inserting them reaches deeper into the grammar than random bytes do. */
const SYNTAX = [
  "\r\n", "\r", "\n", "\r\n ", "\r\n\r\n", " ", "\t", ",", ";", "=", ":", '"', "\\", "<", ">", "@", "%", "%4", "[", "]", "?",
  "&", "/", "\0", "\x7f", "é", "\xff", "sip:", "tel:", "SIP/2.0", ";tag=", ";branch=z9hG4bK", ";rport", ";lr", "Via: ",
  "Content-Length: ", "l: 99999", "CSeq: 1 INVITE", "*", "[::1]", "0", "65536", "2147483648",
];

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "syntax"; at: number; text: string }
  | { kind: "delete"; at: number; count: number }
  | { kind: "truncate"; at: number }
  | { kind: "duplicateLine"; line: number }
  | { kind: "deleteLine"; line: number }
  | { kind: "swapLines"; a: number; b: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant("syntax" as const), at: fc.nat(), text: fc.constantFrom(...SYNTAX) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicateLine" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("deleteLine" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("swapLines" as const), a: fc.nat(), b: fc.nat() }),
);

function mutate(buf: Buffer, m: Mutation): Buffer {
  const at = (x: number) => (buf.length === 0 ? 0 : x % (buf.length + 1));
  switch (m.kind) {
    case "flip": {
      if (buf.length === 0) return buf;
      const out = Buffer.from(buf);
      out[m.at % out.length]! ^= 1 << m.bit;
      return out;
    }
    case "insert":
      return Buffer.concat([buf.subarray(0, at(m.at)), m.bytes, buf.subarray(at(m.at))]);
    case "syntax":
      return Buffer.concat([buf.subarray(0, at(m.at)), Buffer.from(m.text, "latin1"), buf.subarray(at(m.at))]);
    case "delete":
      return Buffer.concat([buf.subarray(0, at(m.at)), buf.subarray(at(m.at) + m.count)]);
    case "truncate":
      return buf.subarray(0, at(m.at));
    case "duplicateLine":
    case "deleteLine":
    case "swapLines": {
      const lines = buf.toString("latin1").split("\r\n");
      if (m.kind === "duplicateLine") {
        const i = m.line % lines.length;
        lines.splice(i, 0, lines[i]!);
      } else if (m.kind === "deleteLine") {
        lines.splice(m.line % lines.length, 1);
      } else {
        const a = m.a % lines.length;
        const b = m.b % lines.length;
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      }
      return Buffer.from(lines.join("\r\n"), "latin1");
    }
  }
}

const mutated = fc
  .tuple(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([seed, ms]) => ms.reduce(mutate, seed));

/** parseMessage's contract: a message or a SipParseError. */
function parseOrRefuse(buf: Buffer): SipMessage | null {
  try {
    return parseMessage(buf);
  } catch (err) {
    if (err instanceof SipParseError) return null;
    throw err;
  }
}

function refusesOnly(f: () => unknown): unknown {
  try {
    return f();
  } catch (err) {
    if (err instanceof SipParseError) return null;
    throw err;
  }
}

describe("fuzz: parseMessage", () => {
  it("random bytes parse or throw SipParseError", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      parseOrRefuse(Buffer.from(bytes));
    }), runs(2500));
  });

  it("a valid start line followed by random SIP-ish text parses or throws SipParseError", () => {
    const sipish = fc.array(fc.oneof(fc.constantFrom(...SYNTAX), fc.string({ maxLength: 6 })), { maxLength: 40 }).map((parts) => parts.join(""));
    fc.assert(fc.property(fc.constantFrom("INVITE sip:a@b.example SIP/2.0\r\n", "SIP/2.0 200 OK\r\n"), sipish, (start, rest) => {
      parseOrRefuse(Buffer.from(start + rest + "\r\n\r\n", "utf8"));
    }), runs(2500));
  });

  it("mutated valid messages (flips, insertions, deletions, truncation, duplicated lines) parse or throw SipParseError; what parses survives serialize -> parse", () => {
    fc.assert(fc.property(mutated, (buf) => {
      const msg = parseOrRefuse(buf);
      if (msg === null) return;
      const bytes = serialize(msg);
      const again = parseMessage(bytes);
      expect(serialize(again).equals(bytes)).toBe(true);
    }), runs(6000));
  });
});

describe("fuzz: StreamFramer", () => {
  const cuts = (total: number) => fc.array(fc.integer({ min: 0, max: total }), { maxLength: 12 }).map((xs) => [...new Set(xs)].sort((a, b) => a - b));

  function split(buf: Buffer, at: number[]): Buffer[] {
    const out: Buffer[] = [];
    let prev = 0;
    for (const cut of [...at, buf.length]) {
      out.push(buf.subarray(prev, cut));
      prev = cut;
    }
    return out;
  }

  it("valid messages with keep-alives, cut anywhere, frame to the messages parseMessage gives", () => {
    const stream = fc.array(fc.tuple(fc.constantFrom(...SEEDS.slice(0, 4)), fc.constantFrom("", "\r\n", "\r\n\r\n")), { minLength: 1, maxLength: 4 });
    fc.assert(fc.property(stream.chain((parts) => {
      const buf = Buffer.concat(parts.flatMap(([m, ka]) => [Buffer.from(ka), m]));
      return fc.tuple(fc.constant(parts), fc.constant(buf), cuts(buf.length));
    }), ([parts, buf, at]) => {
      const framer = new StreamFramer();
      const got = split(buf, at).flatMap((c) => framer.push(c));
      expect(Buffer.concat(got.map(serialize)).equals(Buffer.concat(parts.map(([m]) => serialize(parseMessage(m)))))).toBe(true);
      expect(framer.buffered).toBe(0);
    }), runs(400));
  });

  it("mutated streams cut anywhere give messages or SipParseError, with or without onInvalid", () => {
    fc.assert(fc.property(mutated.chain((buf) => fc.tuple(fc.constant(buf), cuts(buf.length), fc.boolean())), ([buf, at, tolerant]) => {
      const framer = new StreamFramer(tolerant ? { onInvalid: () => undefined, onKeepAlive: () => undefined } : {});
      refusesOnly(() => split(buf, at).flatMap((c) => framer.push(c)));
    }), runs(2000));
  });
});

describe("fuzz: value parsers", () => {
  const text = fc.array(fc.oneof(fc.constantFrom(...SYNTAX, "sip:a@b.example", "SIP/2.0/UDP h.example.com", "<", ">", "1 INVITE"), fc.string({ maxLength: 4 })), { maxLength: 12 }).map((p) => p.join(""));

  it("parseUri, parseNameAddr, parseVia, parseCSeq return or throw SipParseError; what parses re-formats to the same value", () => {
    fc.assert(fc.property(text, (s) => {
      const uri = refusesOnly(() => parseUri(s)) as ReturnType<typeof parseUri> | null;
      if (uri) expect(parseUri(formatUri(uri))).toEqual(uri);
      const addr = refusesOnly(() => parseNameAddr(s)) as ReturnType<typeof parseNameAddr> | null;
      if (addr) expect(parseNameAddr(formatNameAddr(addr))).toEqual(addr);
      const vias = refusesOnly(() => parseVia(s)) as ReturnType<typeof parseVia> | null;
      if (vias) for (const via of vias) expect(parseVia(formatVia(via))).toEqual([via]);
      refusesOnly(() => parseCSeq(s));
    }), runs(6000));
  });
});
