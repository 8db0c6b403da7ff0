/**
 * Fuzzing the SIP message layer (RFC 3261 sections 7 and 18.3): whatever bytes a peer sends, the parsers
 * either return a message or throw SipParseError with a code, never anything else (a TypeError or
 * RangeError would escape the transport's error handling). Generated valid messages survive
 * serialize -> parse unchanged; mutants of real messages (sipp, baresip, linphone, RFC 4475 torture
 * cases) that parse survive serialize -> parse; the stream framer does not care how a stream is cut and
 * never buffers beyond its limit. The budget comes from fuzz/support (FUZZ_RUNS, FUZZ_SECONDS, FUZZ_SEED).
 */
import fc from "fast-check";
import { cuts, fuzzTarget, loadCorpus, loadRegressions, mutated, orRefusal, SIP_HEADER_EDITS, SIP_TOKENS, split } from "../../../fuzz/support/index.ts";
import { formatNameAddr, formatVia, parseCSeq, parseNameAddr, parseVia } from "./address.ts";
import { SipParseError, SipParseErrorCode } from "./errors.ts";
import { createResponse, DEFAULT_MAX_SIZE, StreamFramer, parseMessage, serialize, type SipMessage } from "./message.ts";
import { INVITE, OK_200, request, wire } from "./test-fixtures.ts";
import { formatUri, parseUri } from "./uri.ts";

const target = fuzzTarget("sip", 8);
const CODES = new Set<string>(Object.values(SipParseErrorCode));
const isTyped = (err: unknown) => err instanceof SipParseError && CODES.has(err.code);

const TORTURE: Buffer[] = [
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
/** Real messages first (the corpus folder), then the fixtures and RFC 4475-style torture cases. */
const SEEDS: Buffer[] = [...loadCorpus("sip").map((e) => e.bytes), INVITE, OK_200, ...TORTURE];

/** Pieces of SIP syntax (shared with the socket-level fuzz test). */
const SYNTAX = SIP_TOKENS;

const MUTATIONS = { tokens: SYNTAX, lines: "head" as const, edits: SIP_HEADER_EDITS };
const mutants = mutated(SEEDS, MUTATIONS);

/**
 * parseMessage's contract. A refused request whose dialog headers were read is answered statelessly
 * (400, or 505 for the version, RFC 3261 section 8.2.2 and 8.2.6): when such a response can be built at
 * all, it must serialize, since that happens on the transport's send path where nothing catches.
 */
function parseOrRefuse(buf: Buffer): SipMessage | null {
  try {
    return parseMessage(buf);
  } catch (err) {
    if (!isTyped(err)) throw err;
    const head = (err as SipParseError).request;
    if (head && ["Via", "From", "To", "Call-ID", "CSeq"].every((h) => head.headers.has(h))) {
      let response: SipMessage | null = null;
      try {
        response = createResponse(head, (err as SipParseError).code === "VERSION" ? 505 : 400, `Bad Request (${(err as SipParseError).code})`, { toTag: "fz1" });
      } catch {
        // the endpoint drops a request whose To or Via is too broken to copy (endpoint.ts, badRequestFor)
      }
      if (response) expect(serialize(response).length).toBeGreaterThan(0);
    }
    return null;
  }
}

/** The framer's contract: messages, or SipParseError (after which it stays failed). */
function pushAll(framer: StreamFramer, chunks: Buffer[]): SipMessage[] | null {
  const out: SipMessage[] = [];
  for (const chunk of chunks) {
    const got = orRefusal(() => framer.push(chunk), isTyped);
    if (got === null) return null;
    out.push(...got);
    // Never more than one message's worth is held (plus the chunk just given): memory stays bounded.
    expect(framer.buffered).toBeLessThanOrEqual(DEFAULT_MAX_SIZE + chunk.length);
  }
  return out;
}

// ---- valid messages from arbitraries ----

const token = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,12}$/);
const host = fc.oneof(
  fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/), fc.constantFrom("example.com", "example.org", "test")).map(([a, b]) => `${a}.${b}`),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join(".")),
  fc.constantFrom("[::1]", "[fd00::2]", "[2001:db8::1]"),
);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const user = fc.stringMatching(/^[a-zA-Z0-9_.!~*'()-]{1,10}$/);
const sipUri = fc.tuple(fc.constantFrom("sip", "sips"), user, host, port, fc.option(fc.constantFrom(";transport=tcp", ";transport=udp", ";lr"), { nil: "" }))
  .map(([s, u, h, p, param]) => `${s}:${u}@${h}${p === undefined ? "" : `:${p}`}${param}`);
const display = fc.option(fc.stringMatching(/^[A-Za-z0-9 ]{1,16}$/).filter((s) => s.trim() === s), { nil: undefined });
const nameAddr = fc.tuple(display, sipUri, fc.option(token, { nil: undefined }))
  .map(([d, uri, tag]) => `${d === undefined ? "" : `"${d}" `}<${uri}>${tag === undefined ? "" : `;tag=${tag}`}`);
const word = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~()<>:\\"/[\]?{}-]{1,16}$/);
const method = fc.oneof(fc.constantFrom("INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "SUBSCRIBE", "NOTIFY", "INFO", "UPDATE", "REFER"), fc.stringMatching(/^[A-Z]{1,10}$/));
const extension = fc.tuple(fc.stringMatching(/^X-[A-Za-z0-9-]{1,10}$/), fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/));

interface Generated {
  wire: Buffer;
  start: { kind: "request"; method: string; uri: string } | { kind: "response"; status: number; reason: string };
  headers: [string, string][];
  body: Buffer;
}

const generated: fc.Arbitrary<Generated> = fc
  .record({
    start: fc.oneof(
      fc.record({ kind: fc.constant("request" as const), method, uri: sipUri }),
      fc.record({ kind: fc.constant("response" as const), status: fc.integer({ min: 100, max: 699 }), reason: fc.stringMatching(/^[A-Za-z ]{0,20}$/) }),
    ),
    via: fc.array(fc.tuple(fc.constantFrom("UDP", "TCP", "TLS"), host, port, token), { minLength: 1, maxLength: 3 }),
    from: nameAddr,
    to: nameAddr,
    callId: fc.tuple(word, fc.option(word, { nil: undefined })).map(([a, b]) => (b === undefined ? a : `${a}@${b}`)),
    cseq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    cseqMethod: method,
    maxForwards: fc.integer({ min: 0, max: 255 }),
    extensions: fc.array(extension, { maxLength: 4 }),
    body: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  })
  .map((g) => {
    const headers: [string, string][] = [
      ...g.via.map(([t, h, p, b]): [string, string] => ["Via", `SIP/2.0/${t} ${h}${p === undefined ? "" : `:${p}`};branch=z9hG4bK${b}`]),
      ["From", g.from],
      ["To", g.to],
      ["Call-ID", g.callId],
      ["CSeq", `${g.cseq} ${g.start.kind === "request" ? g.start.method : g.cseqMethod}`],
      ["Max-Forwards", String(g.maxForwards)],
      ...g.extensions,
      ["Content-Length", String(g.body.length)],
    ];
    const line = g.start.kind === "request" ? `${g.start.method} ${g.start.uri} SIP/2.0` : `SIP/2.0 ${g.start.status} ${g.start.reason}`;
    return { wire: Buffer.concat([Buffer.from(`${line}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`, "utf8"), g.body]), start: g.start, headers, body: g.body };
  });

describe("fuzz: parseMessage", () => {
  it("the seed corpus is valid SIP (the mutants start from messages the parser takes)", () => {
    for (const seed of SEEDS) expect(() => parseMessage(seed)).not.toThrow();
  });

  it("generated valid messages parse to their fields and survive serialize -> parse", () => {
    target.check("generated round-trip", generated, (g) => {
      const msg = parseMessage(g.wire);
      if (g.start.kind === "request") {
        expect(msg).toMatchObject({ kind: "request", method: g.start.method, uri: g.start.uri });
      } else {
        expect(msg).toMatchObject({ kind: "response", status: g.start.status, reason: g.start.reason });
      }
      expect([...msg.headers]).toEqual(g.headers);
      expect(msg.body.equals(g.body)).toBe(true);
      expect(serialize(parseMessage(serialize(msg))).equals(serialize(msg))).toBe(true);
      expect(serialize(msg).equals(g.wire)).toBe(true);
    }, 500);
  }, target.timeoutMs);

  it("random bytes parse or throw SipParseError", () => {
    target.check("random bytes", fc.uint8Array({ maxLength: 600 }), (bytes) => {
      parseOrRefuse(Buffer.from(bytes));
    }, 2500);
  }, target.timeoutMs);

  it("a valid start line followed by random SIP-ish text parses or throws SipParseError", () => {
    const sipish = fc.array(fc.oneof(fc.constantFrom(...SYNTAX), fc.string({ maxLength: 6 })), { maxLength: 40 }).map((parts) => parts.join(""));
    target.check("start line + SIP-ish text", fc.tuple(fc.constantFrom("INVITE sip:a@b.example SIP/2.0\r\n", "SIP/2.0 200 OK\r\n"), sipish), ([start, rest]) => {
      parseOrRefuse(Buffer.from(start + rest + "\r\n\r\n", "utf8"));
    }, 2500);
  }, target.timeoutMs);

  it("mutants of real messages parse or throw SipParseError; what parses survives serialize -> parse", () => {
    target.check("mutated corpus", mutants, (buf) => {
      const msg = parseOrRefuse(buf);
      if (msg === null) return;
      const bytes = serialize(msg);
      const again = parseMessage(bytes);
      expect(serialize(again).equals(bytes)).toBe(true);
    }, 4000);
  }, target.timeoutMs);
});

describe("fuzz: StreamFramer (Content-Length framing over TCP, RFC 3261 section 18.3)", () => {
  it("valid messages with keep-alives, cut anywhere, frame to the messages parseMessage gives", () => {
    const stream = fc.array(fc.tuple(fc.constantFrom(...SEEDS.filter((s) => /\r\n(Content-Length|l)[ \t]*:/i.test(s.toString("latin1")))), fc.constantFrom("", "\r\n", "\r\n\r\n")), { minLength: 1, maxLength: 4 });
    const arb = stream.chain((parts) => {
      const buf = Buffer.concat(parts.flatMap(([m, ka]) => [Buffer.from(ka), m]));
      return fc.tuple(fc.constant(parts), fc.constant(buf), cuts(buf.length));
    });
    target.check("valid streams cut anywhere", arb, ([parts, buf, at]) => {
      const framer = new StreamFramer();
      const got = split(buf, at).flatMap((c) => framer.push(c));
      expect(Buffer.concat(got.map(serialize)).equals(Buffer.concat(parts.map(([m]) => serialize(parseMessage(m)))))).toBe(true);
      expect(framer.buffered).toBe(0);
    }, 400);
  }, target.timeoutMs);

  it("generated messages back to back, cut anywhere, frame to themselves", () => {
    const arb = fc.array(generated, { minLength: 1, maxLength: 4 }).chain((gs) => {
      const buf = Buffer.concat(gs.map((g) => g.wire));
      return fc.tuple(fc.constant(gs), fc.constant(buf), cuts(buf.length));
    });
    target.check("generated streams cut anywhere", arb, ([gs, buf, at]) => {
      const framer = new StreamFramer();
      const got = split(buf, at).flatMap((c) => framer.push(c));
      expect(got.map((m) => serialize(m).toString("latin1"))).toEqual(gs.map((g) => g.wire.toString("latin1")));
    }, 300);
  }, target.timeoutMs);

  it("mutated streams cut anywhere give messages or SipParseError, with or without onInvalid, within the size limit", () => {
    const arb = fc.array(mutants, { minLength: 1, maxLength: 3 }).chain((parts) => {
      const buf = Buffer.concat(parts);
      return fc.tuple(fc.constant(buf), cuts(buf.length), fc.boolean());
    });
    target.check("mutated streams cut anywhere", arb, ([buf, at, tolerant]) => {
      const framer = new StreamFramer(tolerant ? { onInvalid: () => undefined, onKeepAlive: () => undefined } : {});
      pushAll(framer, split(buf, at));
    }, 1200);
  }, target.timeoutMs);
});

describe("fuzz: value parsers", () => {
  const text = fc.array(fc.oneof(fc.constantFrom(...SYNTAX, "sip:a@b.example", "SIP/2.0/UDP h.example.com", "<", ">", "1 INVITE"), fc.string({ maxLength: 4 })), { maxLength: 12 }).map((p) => p.join(""));

  it("parseUri, parseNameAddr, parseVia, parseCSeq return or throw SipParseError; what parses re-formats to the same value", () => {
    target.check("value parsers", text, (s) => {
      const uri = orRefusal(() => parseUri(s), isTyped);
      if (uri) expect(parseUri(formatUri(uri))).toEqual(uri);
      const addr = orRefusal(() => parseNameAddr(s), isTyped);
      if (addr) expect(parseNameAddr(formatNameAddr(addr))).toEqual(addr);
      const vias = orRefusal(() => parseVia(s), isTyped);
      if (vias) for (const via of vias) expect(parseVia(formatVia(via))).toEqual([via]);
      orRefusal(() => parseCSeq(s), isTyped);
    }, 4000);
  }, target.timeoutMs);
});

describe("fuzz regressions: SIP inputs that once broke a parser", () => {
  const regressions = loadRegressions("sip");
  it("the regression corpus is readable", () => expect(Array.isArray(regressions)).toBe(true));
  for (const { name, bytes } of regressions) {
    it(`${name}: parseMessage and the framer give a message or SipParseError`, () => {
      parseOrRefuse(bytes);
      for (const tolerant of [false, true]) pushAll(new StreamFramer(tolerant ? { onInvalid: () => undefined } : {}), [bytes]);
    });
  }
});
