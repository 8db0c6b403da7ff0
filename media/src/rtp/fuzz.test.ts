/**
 * Fuzzing what the focus reads off its RTP ports: RTP packets (RFC 3550 section 5.1), RFC 4733
 * telephone-event payloads, and RTCP on a muxed port (RFC 5761 section 4). Any bytes either parse or
 * throw the parser's typed error with a code, never another exception; what parses re-serializes to the
 * same bytes; generated packets survive serialize -> parse; the mixer's datagram entry point never throws.
 *
 * RTCP: the focus does not parse it. It opens no RTCP port (rtp-port.ts) and sends none; on a muxed port
 * `isRtcp` sets RTCP aside before parseRtp and the mixer drops it. So for RTCP what is fuzzed is that
 * classification: every well-formed compound packet (RFC 3550 section 6.1: SR or RR first, then SDES,
 * BYE, APP) is recognized as RTCP, and mutants of real compounds never reach past the typed errors.
 * The budget comes from fuzz/support (FUZZ_RUNS, FUZZ_SECONDS, FUZZ_SEED).
 */
import fc from "fast-check";
import { fuzzTarget, loadCorpus, loadRegressions, mutated, orRefusal } from "../../../fuzz/support/index.ts";
import { DtmfReceiver, encodeTelephoneEvent, parseTelephoneEvent, TelephoneEventErrorCode, TelephoneEventParseError } from "../audio/dtmf.ts";
import { JitterBuffer } from "../audio/jitter-buffer.ts";
import { ConferenceMixer } from "../audio/mixer.ts";
import { isRtcp, parseRtp, RtpErrorCode, RtpParseError, rtpPacketSize, serializeRtp, type RtpPacketInit } from "./packet.ts";

const target = fuzzTarget("rtp", 9);
const RTP_CODES = new Set<string>(Object.values(RtpErrorCode));
const TE_CODES = new Set<string>(Object.values(TelephoneEventErrorCode));
const isRtpError = (err: unknown) => err instanceof RtpParseError && RTP_CODES.has(err.code);
const isTeError = (err: unknown) => err instanceof TelephoneEventParseError && TE_CODES.has(err.code);

const CORPUS = loadCorpus("rtp");
const SEEDS = CORPUS.map((e) => e.bytes);
const RTCP_SEEDS = CORPUS.filter((e) => e.name.startsWith("rtcp-")).map((e) => e.bytes);

/** Version 2 headers, RTCP packet types, CC/RC counts, padding counts: the values the parsers branch on. */
const MUTATIONS = { values: [0x00, 0x01, 0x04, 0x0f, 0x10, 0x20, 0x3f, 0x40, 0x65, 0x7f, 0x80, 0x8f, 0x90, 0xa0, 0xbf, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xe0, 0xff], maxChunk: 12 };

/** parseRtp's contract, and that what parses lies inside the datagram and re-serializes to it. */
function parseOrTypedError(bytes: Uint8Array): void {
  const packet = orRefusal(() => parseRtp(bytes), isRtpError);
  if (packet === null) return;
  expect(packet.payload.byteOffset + packet.payload.length).toBeLessThanOrEqual(bytes.byteOffset + bytes.length);
  // Padding bytes other than the count are not kept, so compare only without padding.
  if (packet.paddingLength === 0) {
    const out = new Uint8Array(rtpPacketSize(packet));
    serializeRtp(packet, out);
    expect(out).toEqual(bytes);
  }
}

// ---- generated packets ----

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const rtpInit: fc.Arbitrary<RtpPacketInit> = fc.record({
  payloadType: fc.integer({ min: 0, max: 127 }),
  marker: fc.boolean(),
  seq: fc.integer({ min: 0, max: 0xffff }),
  timestamp: u32,
  ssrc: u32,
  csrc: fc.array(u32, { maxLength: 15 }),
  extension: fc.option(fc.record({ profile: fc.integer({ min: 0, max: 0xffff }), data: fc.integer({ min: 0, max: 8 }).chain((w) => fc.uint8Array({ minLength: 4 * w, maxLength: 4 * w })) }), { nil: null }),
  paddingLength: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ maxLength: 200 }),
});

const telephoneEvent = fc.record({ event: fc.integer({ min: 0, max: 255 }), end: fc.boolean(), volume: fc.integer({ min: 0, max: 63 }), duration: fc.integer({ min: 0, max: 0xffff }) });

/** One RTCP packet (RFC 3550 section 6.4-6.7): common header with its length in words minus one. */
function rtcpPacket(count: number, type: number, body: Uint8Array, padding: number): Buffer {
  const pad = padding === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.alloc(padding - 1), Buffer.of(padding)]);
  const words = (4 + body.length + pad.length) / 4 - 1;
  return Buffer.concat([Buffer.of(0x80 | (padding ? 0x20 : 0) | count, type, words >> 8, words & 0xff), body, pad]);
}
const word = (n: number) => fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n });
const reportBlocks = fc.integer({ min: 0, max: 31 }).chain((rc) => fc.tuple(fc.constant(rc), word(6 * rc)));
const sr = fc.tuple(reportBlocks, word(6)).map(([[rc, blocks], info]) => ({ count: rc, type: 200, body: Buffer.concat([info, blocks]) }));
const rr = fc.tuple(reportBlocks, word(1)).map(([[rc, blocks], ssrc]) => ({ count: rc, type: 201, body: Buffer.concat([ssrc, blocks]) }));
const sdesChunk = fc.tuple(word(1), fc.array(fc.tuple(fc.integer({ min: 1, max: 8 }), fc.uint8Array({ maxLength: 40 })), { maxLength: 4 })).map(([ssrc, items]) => {
  const chunk = Buffer.concat([ssrc, ...items.map(([t, v]) => Buffer.concat([Buffer.of(t, v.length), v])), Buffer.of(0)]);
  return Buffer.concat([chunk, Buffer.alloc((4 - (chunk.length % 4)) % 4)]);
});
const sdes = fc.array(sdesChunk, { maxLength: 31 }).map((chunks) => ({ count: chunks.length, type: 202, body: Buffer.concat(chunks) }));
const bye = fc.tuple(fc.array(word(1), { maxLength: 31 }), fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined })).map(([ssrcs, reason]) => {
  const r = reason === undefined ? Buffer.alloc(0) : Buffer.concat([Buffer.of(reason.length), reason]);
  return { count: ssrcs.length, type: 203, body: Buffer.concat([...ssrcs, r, Buffer.alloc((4 - (r.length % 4)) % 4)]) };
});
const app = fc.tuple(fc.integer({ min: 0, max: 31 }), word(2), fc.integer({ min: 0, max: 8 }).chain(word)).map(([sub, head, data]) => ({ count: sub, type: 204, body: Buffer.concat([head, data]) }));
const padding = fc.constantFrom(0, 0, 0, 4, 8);
/** A compound packet as RFC 3550 section 6.1 orders it: a report first, then any of SDES, BYE, APP. */
const compound = fc
  .tuple(fc.oneof(sr, rr), fc.array(fc.oneof(sdes, bye, app), { maxLength: 4 }), padding)
  .map(([first, rest, pad]) => Buffer.concat([first, ...rest].map((p, i, all) => rtcpPacket(p.count, p.type, p.body, i === all.length - 1 ? pad : 0))));

const mixer = new ConferenceMixer<string>();
mixer.addParticipant("fuzz", { codec: "PCMU" });
let clock = 0;

describe("fuzz: RTP", () => {
  it("the seed corpus: RTP packets parse, RTCP compounds are recognized as RTCP", () => {
    for (const { name, bytes } of CORPUS) {
      if (name.startsWith("rtcp-")) expect(isRtcp(bytes)).toBe(true);
      else expect(() => parseRtp(bytes)).not.toThrow();
    }
  });

  it("generated packets survive serialize -> parse", () => {
    target.check("generated round-trip", rtpInit, (init) => {
      const out = new Uint8Array(rtpPacketSize(init));
      serializeRtp(init, out);
      const p = parseRtp(out);
      expect({ ...p, payload: Array.from(p.payload), extension: p.extension && { profile: p.extension.profile, data: Array.from(p.extension.data) } }).toEqual({
        ...init, marker: init.marker, payload: Array.from(init.payload), extension: init.extension && { profile: init.extension.profile, data: Array.from(init.extension.data) },
      });
    }, 1500);
  }, target.timeoutMs);

  it("random and RTP-looking bytes parse or throw RtpParseError", () => {
    const rtpish = fc.tuple(fc.integer({ min: 0, max: 63 }), fc.uint8Array({ maxLength: 120 })).map(([flags, rest]) => Uint8Array.of(0x80 | flags, ...rest));
    target.check("random and RTP-looking bytes", fc.oneof(fc.uint8Array({ maxLength: 200 }), rtpish), (b) => {
      parseOrTypedError(b);
      expect(typeof isRtcp(b)).toBe("boolean");
    }, 3000);
  }, target.timeoutMs);

  it("mutants of real RTP and RTCP datagrams parse or throw RtpParseError; the mixer takes any datagram without throwing", () => {
    target.check("mutated corpus", mutated(SEEDS, MUTATIONS), (b) => {
      parseOrTypedError(b);
      // "Never throws on wire data" (mixer.ts): whatever it makes of the datagram, it says so in a result.
      expect(typeof mixer.receiveDatagram("fuzz", b, (clock += 20))).toBe("string");
    }, 1500);
  }, target.timeoutMs);
});

describe("fuzz: RTCP on a muxed port (RFC 5761 section 4)", () => {
  it("every generated compound packet is classified as RTCP, never handed to the RTP parser", () => {
    target.check("generated compounds", compound, (b) => {
      expect(isRtcp(b)).toBe(true);
      expect(mixer.receiveDatagram("fuzz", b, (clock += 20))).toBe("rtcp");
    }, 1000);
  }, target.timeoutMs);

  it("RTP with a payload type outside 64-95 is never taken for RTCP", () => {
    target.check("RTP not RTCP", rtpInit.filter((p) => p.payloadType < 64 || p.payloadType > 95), (init) => {
      const out = new Uint8Array(rtpPacketSize(init));
      serializeRtp(init, out);
      expect(isRtcp(out)).toBe(false);
    }, 1000);
  }, target.timeoutMs);

  it("mutants of real compounds are RTCP, RTP or a typed refusal", () => {
    target.check("mutated compounds", mutated(RTCP_SEEDS, MUTATIONS), (b) => {
      if (!isRtcp(b)) parseOrTypedError(b);
    }, 2000);
  }, target.timeoutMs);
});

describe("fuzz: RFC 4733 telephone-event", () => {
  it("generated events survive encode -> parse, also behind redundant blocks (section 2.5.1.4)", () => {
    target.check("generated events", fc.tuple(fc.array(telephoneEvent, { maxLength: 3 }), telephoneEvent), ([older, ev]) => {
      const payload = Buffer.concat([...older.map((e) => encodeTelephoneEvent(e)), encodeTelephoneEvent(ev)]);
      expect(parseTelephoneEvent(payload)).toEqual(ev);
    }, 1000);
  }, target.timeoutMs);

  it("random payloads parse or throw TelephoneEventParseError; the receiver keeps up with any sequence", () => {
    const rx = new DtmfReceiver();
    const packet = fc.record({ payload: fc.oneof(fc.uint8Array({ maxLength: 16 }), telephoneEvent.map((e) => encodeTelephoneEvent(e))), timestamp: fc.constantFrom(0, 8000, 0xffffff00, 0xffffffff), ssrc: fc.constantFrom(1, 2) });
    target.check("random payloads and sequences", fc.array(packet, { minLength: 1, maxLength: 12 }), (packets) => {
      for (const p of packets) {
        const ev = orRefusal(() => parseTelephoneEvent(p.payload), isTeError);
        if (ev !== null) {
          // the encoder gives back the last block with the reserved bit cleared
          const last = p.payload.subarray(p.payload.length - 4);
          expect(Array.from(encodeTelephoneEvent(ev))).toEqual([last[0], last[1]! & 0xbf, last[2], last[3]]);
        }
        orRefusal(() => rx.receive(p), isTeError);
      }
    }, 1000);
  }, target.timeoutMs);

  it("JitterBuffer: any sequence of packets and pops keeps its invariants", () => {
    const packet = fc.record({
      payloadType: fc.constantFrom(0, 8, 13, 101),
      marker: fc.boolean(),
      seq: fc.integer({ min: 0, max: 0xffff }),
      timestamp: u32,
      ssrc: fc.constantFrom(1, 2),
      payload: fc.uint8Array({ maxLength: 400 }),
    });
    const steps = fc.tuple(fc.array(fc.oneof(packet, fc.constant("pop" as const)), { maxLength: 60 }), fc.constantFrom("adaptive" as const, "fixed" as const));
    target.check("jitter buffer sequences", steps, ([list, mode]) => {
      const jb = new JitterBuffer({ mode });
      let now = 0;
      for (const s of list) {
        if (s === "pop") {
          const f = jb.pop();
          if (f !== null) expect(f.length).toBe(160);
          now += 20;
        } else {
          jb.push(s, now);
        }
        expect(jb.stats.delayMs).toBeGreaterThanOrEqual(20);
        expect(jb.stats.delayMs).toBeLessThanOrEqual(120);
      }
    }, 800);
  }, target.timeoutMs);
});

describe("fuzz regressions: RTP, RTCP and telephone-event inputs that once broke a parser", () => {
  const regressions = loadRegressions("rtp");
  it("the regression corpus is readable", () => expect(Array.isArray(regressions)).toBe(true));
  for (const { name, bytes } of regressions) {
    it(`${name}: parses or is refused with a typed error`, () => {
      parseOrTypedError(bytes);
      orRefusal(() => parseTelephoneEvent(bytes), isTeError);
      mixer.receiveDatagram("fuzz", bytes, (clock += 20));
    });
  }
});
