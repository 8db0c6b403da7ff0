/**
 * Fuzzing the BFCP codec with fast-check: whatever bytes a peer sends, decodeBfcp either returns a message
 * or throws BfcpParseError, never anything else (a RangeError from reading past a buffer would escape the
 * transport's error handling). What decodes must survive encode -> decode unchanged; random typed
 * messages must survive encode -> decode; the stream framer must not care how a stream is cut. Run counts
 * keep the file at about 2 s; for a deeper campaign: BFCP_FUZZ_SCALE=100 npx jest media/src/bfcp/codec-fuzz ...
 */
import fc from "fast-check";
import { BfcpPrimitive as P } from "./constants.ts";
import { decodeBfcp, encodeBfcp } from "./codec.ts";
import { BfcpParseError } from "./errors.ts";
import { BfcpStreamFramer } from "./framer.ts";
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

const SCALE = Math.max(1, Number(process.env.BFCP_FUZZ_SCALE ?? 1) || 1);
const runs = (n: number) => ({ numRuns: Math.round(n * SCALE) });

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

const SEEDS: Buffer[] = [...EVERY_PRIMITIVE, ...VARIANTS].map(encodeBfcp);

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "set"; at: number; value: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; count: number }
  | { kind: "truncate"; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.constantFrom(0, 1, 2, 3, 4, 5, 8, 0x1f, 0x23, 0x80, 0xc9, 0xff) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

function mutate(buf: Buffer, m: Mutation): Buffer {
  const at = (x: number) => (buf.length === 0 ? 0 : x % (buf.length + 1));
  switch (m.kind) {
    case "flip":
    case "set": {
      if (buf.length === 0) return buf;
      const out = Buffer.from(buf);
      const i = m.at % out.length;
      out[i] = m.kind === "flip" ? out[i]! ^ (1 << m.bit) : m.value;
      return out;
    }
    case "insert":
      return Buffer.concat([buf.subarray(0, at(m.at)), m.bytes, buf.subarray(at(m.at))]);
    case "delete":
      return Buffer.concat([buf.subarray(0, at(m.at)), buf.subarray(at(m.at) + m.count)]);
    case "truncate":
      return buf.subarray(0, at(m.at));
  }
}

/** Mutated seeds; with `fixLength`, the Payload Length is rewritten to match, to get past the header checks. */
const mutated = fc
  .tuple(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([seed, ms, fixLength]) => {
    const out = Buffer.from(ms.reduce(mutate, seed));
    if (fixLength && out.length >= 12 && out.length % 4 === 0) out.writeUInt16BE((out.length - 12) / 4, 2);
    return out;
  });

/** decodeBfcp's contract: a message or a BfcpParseError. */
function decodeOrRefuse(buf: Buffer): BfcpMessage | null {
  try {
    return decodeBfcp(buf);
  } catch (err) {
    if (err instanceof BfcpParseError) return null;
    throw err;
  }
}

function roundTrips(msg: BfcpMessage): void {
  const bytes = encodeBfcp(msg);
  const again = decodeBfcp(bytes);
  expect(again).toEqual(msg);
  expect(encodeBfcp(again).equals(bytes)).toBe(true);
}

describe("fuzz: decodeBfcp", () => {
  it("random bytes decode or throw BfcpParseError", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      decodeOrRefuse(Buffer.from(bytes));
    }), runs(3000));
  });

  it("a valid header followed by random attribute bytes decodes or throws BfcpParseError; what decodes round-trips", () => {
    const payload = fc.array(fc.oneof(
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      // Attribute-shaped words: a plausible type/M octet and a small Length.
      fc.tuple(fc.integer({ min: 0, max: 40 }), fc.boolean(), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 0xffff }))
        .map(([t, m, l, v]) => Uint8Array.of((t << 1) | (m ? 1 : 0), l, v >> 8, v & 0xff)),
    ), { maxLength: 24 }).map((words) => Buffer.concat(words));
    fc.assert(fc.property(fc.integer({ min: 1, max: 17 }), payload, (primitive, body) => {
      const head = Buffer.from([0x20, primitive, 0, body.length / 4, 0, 0, 0, 1, 0, 2, 0, 3]);
      const msg = decodeOrRefuse(Buffer.concat([head, body]));
      if (msg) roundTrips(msg);
    }), runs(6000));
  });

  it("mutated valid messages decode or throw BfcpParseError; what decodes round-trips", () => {
    let decoded = 0;
    fc.assert(fc.property(mutated, (buf) => {
      const msg = decodeOrRefuse(buf);
      if (msg === null) return;
      decoded++;
      roundTrips(msg);
    }), runs(6000));
    // The mutations must not all be refused, or the round-trip half of this test checks nothing.
    expect(decoded).toBeGreaterThan(100 * SCALE);
  });
});

describe("fuzz: encodeBfcp", () => {
  it("random typed messages survive encode -> decode", () => {
    fc.assert(fc.property(message, roundTrips), runs(700));
  });
});

describe("fuzz: BfcpStreamFramer", () => {
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

  it("streams of valid messages, cut anywhere, frame to the messages sent", () => {
    const stream = fc.array(message.map((m) => ({ ...m, version: 1 as const })), { minLength: 1, maxLength: 5 });
    fc.assert(fc.property(stream.chain((msgs) => {
      const buf = Buffer.concat(msgs.map(encodeBfcp));
      return fc.tuple(fc.constant(msgs), fc.constant(buf), cuts(buf.length));
    }), ([msgs, buf, at]) => {
      const framer = new BfcpStreamFramer();
      expect(split(buf, at).flatMap((c) => framer.push(c))).toEqual(msgs);
      expect(framer.buffered).toBe(0);
    }), runs(200));
  });

  it("mutated streams cut anywhere give messages or BfcpParseError, with or without onInvalid", () => {
    fc.assert(fc.property(fc.array(mutated, { minLength: 1, maxLength: 3 }).chain((parts) => {
      const buf = Buffer.concat(parts);
      return fc.tuple(fc.constant(buf), cuts(buf.length), fc.boolean());
    }), ([buf, at, tolerant]) => {
      const framer = new BfcpStreamFramer(tolerant ? { onInvalid: () => undefined } : {});
      try {
        for (const chunk of split(buf, at)) for (const msg of framer.push(chunk)) roundTrips(msg);
      } catch (err) {
        if (!(err instanceof BfcpParseError)) throw err;
      }
    }), runs(2000));
  });
});
