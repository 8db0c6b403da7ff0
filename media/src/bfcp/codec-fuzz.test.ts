/**
 * Fuzzing the BFCP codec (RFC 8855: the common header of section 5.1, attributes as TLVs whose Length
 * counts the 2-octet header and excludes padding, section 5.2): whatever bytes a peer sends, decodeBfcp
 * either returns a message or throws BfcpParseError with a code, never anything else (a RangeError from
 * reading past a buffer would escape the transport's error handling). What decodes must survive
 * encode -> decode unchanged; random typed messages must survive encode -> decode; the stream framer must
 * not care how a stream is cut. The budget comes from fuzz/support (FUZZ_RUNS, FUZZ_SECONDS, FUZZ_SEED).
 */
import fc from "fast-check";
import { cuts, fuzzTarget, loadCorpus, loadRegressions, mutated, orRefusal, split } from "../../../fuzz/support/index.ts";
import { BfcpPrimitive as P } from "./constants.ts";
import { bfcpErrorReply, decodeBfcp, encodeBfcp, type BfcpDecodeOptions } from "./codec.ts";
import { BfcpParseError, BfcpParseErrorCode } from "./errors.ts";
import { BFCP_DEFAULT_MAX_MESSAGE_SIZE, BfcpStreamFramer } from "./framer.ts";
import type {
  BfcpBeneficiaryInformation,
  BfcpErrorCodeValue,
  BfcpExtensionAttribute,
  BfcpFloorRequestInformation,
  BfcpFloorRequestStatus,
  BfcpHeader,
  BfcpMessage,
  BfcpOverallRequestStatus,
  BfcpRequestStatusValue,
  BfcpRequestedByInformation,
} from "./messages.ts";
import { EVERY_PRIMITIVE, VARIANTS } from "./test-fixtures.ts";

const target = fuzzTarget("bfcp", 6);

// ---------------------------------------------------------------------------------------------------
// Typed messages. Sizes stay small enough that every generated message fits its 8-bit Lengths.
// ---------------------------------------------------------------------------------------------------

/** Omits the keys whose value is undefined, as decoding does. */
function defined<O extends object>(o: O): O {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as O;
}

const u16 = fc.integer({ min: 0, max: 0xffff });
const text = (max: number) => fc.string({ unit: "grapheme", maxLength: max }).filter((s) => Buffer.byteLength(s, "utf8") <= max);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const extensionsOf = (maxContents: number) => opt(
  fc.array(
    fc.record({
      type: fc.integer({ min: 19, max: 127 }),
      mandatory: fc.constant(false),
      contents: fc.uint8Array({ maxLength: maxContents }).map((b) => Buffer.from(b)),
    }) as fc.Arbitrary<BfcpExtensionAttribute>,
    { minLength: 1, maxLength: 2 },
  ),
);
const extensions = extensionsOf(2);
const requestStatus: fc.Arbitrary<BfcpRequestStatusValue> = fc.record({
  status: fc.constantFrom(1, 2, 3, 4, 5, 6, 7) as fc.Arbitrary<BfcpRequestStatusValue["status"]>,
  queuePosition: fc.integer({ min: 0, max: 255 }),
});
const priority = fc.constantFrom(0, 1, 2, 3, 4) as fc.Arbitrary<0 | 1 | 2 | 3 | 4>;

const floorRequestStatus: fc.Arbitrary<BfcpFloorRequestStatus> = fc
  .record({ floorId: u16, requestStatus: opt(requestStatus), statusInfo: opt(text(8)), extensions })
  .map(defined);
const overallRequestStatus: fc.Arbitrary<BfcpOverallRequestStatus> = fc
  .record({ floorRequestId: u16, requestStatus: opt(requestStatus), statusInfo: opt(text(8)), extensions })
  .map(defined);
const beneficiaryInformation: fc.Arbitrary<BfcpBeneficiaryInformation> = fc
  .record({ beneficiaryId: u16, userDisplayName: opt(text(8)), userUri: opt(text(10)), extensions })
  .map(defined);
const requestedByInformation: fc.Arbitrary<BfcpRequestedByInformation> = fc
  .record({ requestedById: u16, userDisplayName: opt(text(8)), userUri: opt(text(10)), extensions })
  .map(defined);
// Worst case: 4 + 28 (overall) + 2 * 28 (floors) + 36 + 36 (users) + 4 + 16 + 8 = 188 octets, under the 255 a
// Length allows.
const floorRequestInformation: fc.Arbitrary<BfcpFloorRequestInformation> = fc
  .record({
    floorRequestId: u16,
    overallRequestStatus: opt(overallRequestStatus),
    floorRequestStatus: fc.array(floorRequestStatus, { minLength: 1, maxLength: 2 }),
    beneficiaryInformation: opt(beneficiaryInformation),
    requestedByInformation: opt(requestedByInformation),
    priority: opt(priority),
    participantProvidedInfo: opt(text(12)),
    extensions,
  })
  .map(defined);
const errorCode: fc.Arbitrary<BfcpErrorCodeValue> = fc.oneof(
  fc.record({ code: fc.constant(4), unknownAttributes: fc.array(fc.integer({ min: 0, max: 127 }), { maxLength: 6 }) }),
  fc.record({ code: fc.integer({ min: 0, max: 255 }).filter((c) => c !== 4), details: opt(fc.uint8Array({ minLength: 1, maxLength: 6 }).map((b) => Buffer.from(b))) }).map(defined),
);

const header: fc.Arbitrary<BfcpHeader> = fc.record({
  version: fc.constantFrom(1, 2) as fc.Arbitrary<1 | 2>,
  responder: fc.boolean(),
  conferenceId: fc.integer({ min: 0, max: 0xffffffff }),
  transactionId: u16,
  userId: u16,
});

const body: fc.Arbitrary<Record<string, unknown> & { primitive: number }> = fc.oneof(
  fc.record({ primitive: fc.constant(P.FloorRequest), floorIds: fc.array(u16, { minLength: 1, maxLength: 4 }), beneficiaryId: opt(u16), participantProvidedInfo: opt(text(40)), priority: opt(priority) }),
  fc.record({ primitive: fc.constantFrom(P.FloorRelease, P.FloorRequestQuery), floorRequestId: u16 }),
  fc.record({ primitive: fc.constantFrom(P.FloorRequestStatus, P.ChairAction), floorRequestInformation }),
  fc.record({ primitive: fc.constant(P.UserQuery), beneficiaryId: opt(u16) }),
  fc.record({ primitive: fc.constant(P.UserStatus), beneficiaryInformation: opt(beneficiaryInformation), floorRequestInformation: fc.array(floorRequestInformation, { maxLength: 3 }) }),
  fc.record({ primitive: fc.constant(P.FloorQuery), floorIds: fc.array(u16, { maxLength: 4 }) }),
  fc.record({ primitive: fc.constant(P.FloorStatus), floorId: opt(u16), floorRequestInformation: fc.array(floorRequestInformation, { maxLength: 3 }) }),
  fc.record({
    primitive: fc.constant(P.HelloAck),
    supportedPrimitives: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 20 }),
    supportedAttributes: fc.array(fc.integer({ min: 0, max: 127 }), { maxLength: 20 }),
  }),
  fc.record({ primitive: fc.constant(P.Error), errorCode, errorInfo: opt(text(60)) }),
  fc.record({ primitive: fc.constantFrom(P.ChairActionAck, P.Hello, P.FloorRequestStatusAck, P.FloorStatusAck, P.Goodbye, P.GoodbyeAck) }),
);

const message: fc.Arbitrary<BfcpMessage> = fc
  .tuple(header, body, extensionsOf(6))
  .map(([h, b, ext]) => defined({ ...h, ...b, extensions: ext }) as unknown as BfcpMessage);

// ---------------------------------------------------------------------------------------------------
// Mutated bytes
// ---------------------------------------------------------------------------------------------------

/** The codec's own messages (every primitive, the variants) and the corpus folder's. */
const SEEDS: Buffer[] = [...loadCorpus("bfcp").map((e) => e.bytes), ...[...EVERY_PRIMITIVE, ...VARIANTS].map(encodeBfcp)];

/**
 * Byte values that sit on the codec's boundaries: versions 1 and 2, the smallest attribute Lengths,
 * 0x1f/0x23 (type 15/17 with M), a FLOOR-REQUEST-INFORMATION type word, RTCP-looking 0xc9, 0xff.
 */
const MUTATIONS = { values: [0, 1, 2, 3, 4, 5, 8, 0x1f, 0x20, 0x23, 0x40, 0x80, 0xc9, 0xff], maxChunk: 8 };

/** Mutated seeds; with `fixLength`, the Payload Length is rewritten to match, to get past the header checks. */
const mutants = fc
  .tuple(mutated(SEEDS, MUTATIONS), fc.boolean())
  .map(([mutant, fixLength]) => {
    const out = Buffer.from(mutant);
    if (fixLength && out.length >= 12 && out.length % 4 === 0) out.writeUInt16BE((out.length - 12) / 4, 2);
    return out;
  });

const CODES = new Set<string>(Object.values(BfcpParseErrorCode));
const isTyped = (err: unknown) => err instanceof BfcpParseError && CODES.has(err.code);

/**
 * decodeBfcp's contract: a message or a BfcpParseError with a known code. A refusal is answered with an
 * Error message (RFC 8855 section 13) built from whatever header was read: that reply must encode and
 * decode too, for either transport version.
 */
function decodeOrRefuse(buf: Buffer, opts?: BfcpDecodeOptions): BfcpMessage | null {
  try {
    return decodeBfcp(buf, opts);
  } catch (err) {
    if (!isTyped(err)) throw err;
    for (const version of [1, 2] as const) {
      const reply = bfcpErrorReply(err as BfcpParseError, { version });
      if (reply) roundTrips(reply);
    }
    return null;
  }
}

/** The transports' decode options: TCP (version 1), UDP (version 2), a small size limit, none. */
const decodeOptions = fc.constantFrom<BfcpDecodeOptions | undefined>(undefined, { version: 1 }, { version: 2 }, { maxMessageSize: 64 });

function roundTrips(msg: BfcpMessage): void {
  const bytes = encodeBfcp(msg);
  const again = decodeBfcp(bytes);
  expect(again).toEqual(msg);
  expect(encodeBfcp(again).equals(bytes)).toBe(true);
}

describe("fuzz: decodeBfcp", () => {
  it("random bytes decode or throw BfcpParseError", () => {
    target.check("random bytes", fc.uint8Array({ maxLength: 300 }), (bytes) => {
      decodeOrRefuse(Buffer.from(bytes));
    }, 3000);
  }, target.timeoutMs);

  it("a valid header followed by random attribute bytes decodes or throws BfcpParseError; what decodes round-trips", () => {
    const payload = fc.array(fc.oneof(
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      // Attribute-shaped words: a plausible type/M octet and a small Length.
      fc.tuple(fc.integer({ min: 0, max: 40 }), fc.boolean(), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 0xffff }))
        .map(([t, m, l, v]) => Uint8Array.of((t << 1) | (m ? 1 : 0), l, v >> 8, v & 0xff)),
    ), { maxLength: 24 }).map((words) => Buffer.concat(words));
    target.check("header + attribute-shaped words", fc.tuple(fc.integer({ min: 1, max: 17 }), payload), ([primitive, body]) => {
      const head = Buffer.from([0x20, primitive, 0, body.length / 4, 0, 0, 0, 1, 0, 2, 0, 3]);
      const msg = decodeOrRefuse(Buffer.concat([head, body]));
      if (msg) roundTrips(msg);
    }, 2500);
  }, target.timeoutMs);

  it("mutated valid messages decode or throw BfcpParseError; what decodes round-trips", () => {
    let decoded = 0;
    const tried = target.check("mutated corpus", fc.tuple(mutants, decodeOptions), ([buf, opts]) => {
      const msg = decodeOrRefuse(buf, opts);
      if (msg === null) return;
      decoded++;
      roundTrips(msg);
    }, 2500);
    // The mutations must not all be refused, or the round-trip half of this test checks nothing.
    expect(decoded).toBeGreaterThan(tried / 50);
  }, target.timeoutMs);
});

describe("fuzz: encodeBfcp", () => {
  it("random typed messages survive encode -> decode", () => {
    target.check("typed messages", message, roundTrips, 500);
  }, target.timeoutMs);
});

describe("fuzz: BfcpStreamFramer", () => {
  it("streams of valid messages, cut anywhere, frame to the messages sent", () => {
    const stream = fc.array(message.map((m) => ({ ...m, version: 1 as const })), { minLength: 1, maxLength: 5 });
    const arb = stream.chain((msgs) => {
      const buf = Buffer.concat(msgs.map(encodeBfcp));
      return fc.tuple(fc.constant(msgs), fc.constant(buf), cuts(buf.length));
    });
    target.check("valid streams cut anywhere", arb, ([msgs, buf, at]) => {
      const framer = new BfcpStreamFramer();
      expect(split(buf, at).flatMap((c) => framer.push(c))).toEqual(msgs);
      expect(framer.buffered).toBe(0);
    }, 200);
  }, target.timeoutMs);

  it("mutated streams cut anywhere give messages or BfcpParseError, with or without onInvalid", () => {
    const arb = fc.array(mutants, { minLength: 1, maxLength: 3 }).chain((parts) => {
      const buf = Buffer.concat(parts);
      return fc.tuple(fc.constant(buf), cuts(buf.length), fc.boolean());
    });
    target.check("mutated streams cut anywhere", arb, ([buf, at, tolerant]) => pushAll(buf, at, tolerant), 1500);
  }, target.timeoutMs);
});

/** The framer's contract: messages that round-trip, or BfcpParseError; never more buffered than a message. */
function pushAll(buf: Buffer, at: number[], tolerant: boolean): void {
  const framer = new BfcpStreamFramer(tolerant ? { onInvalid: () => undefined } : {});
  for (const chunk of split(buf, at)) {
    const msgs = orRefusal(() => framer.push(chunk), isTyped);
    if (msgs === null) return;
    for (const msg of msgs) roundTrips(msg);
    expect(framer.buffered).toBeLessThanOrEqual(BFCP_DEFAULT_MAX_MESSAGE_SIZE + chunk.length);
  }
}

describe("fuzz regressions: BFCP inputs that once broke the codec", () => {
  const regressions = loadRegressions("bfcp");
  it("the regression corpus is readable", () => expect(Array.isArray(regressions)).toBe(true));
  for (const { name, bytes } of regressions) {
    it(`${name}: decodeBfcp and the framer give a message or BfcpParseError`, () => {
      const msg = decodeOrRefuse(bytes);
      if (msg) roundTrips(msg);
      for (const tolerant of [false, true]) pushAll(bytes, [], tolerant);
    });
  }
});
