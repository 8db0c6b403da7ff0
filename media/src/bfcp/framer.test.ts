import { BfcpPrimitive as P } from "./constants.ts";
import { bfcpErrorReply, encodeBfcp } from "./codec.ts";
import { BfcpParseError, BfcpParseErrorCode } from "./errors.ts";
import { BfcpStreamFramer } from "./framer.ts";
import type { BfcpMessage } from "./messages.ts";
import { EVERY_PRIMITIVE, raw, refusal } from "./test-fixtures.ts";

const MESSAGES = EVERY_PRIMITIVE;
const STREAM = Buffer.concat(MESSAGES.map(encodeBfcp));

function feed(framer: BfcpStreamFramer, chunks: Buffer[]): BfcpMessage[] {
  return chunks.flatMap((c) => framer.push(c));
}

describe("BfcpStreamFramer (RFC 8855 section 6.1)", () => {
  it("frames every message from one coalesced chunk by Payload Length", () => {
    const framer = new BfcpStreamFramer();
    expect(framer.push(STREAM)).toEqual(MESSAGES);
    expect(framer.buffered).toBe(0);
  });

  it("yields the same messages whatever byte boundary splits the stream", () => {
    const wrong: number[] = [];
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const framer = new BfcpStreamFramer();
      const got = feed(framer, [STREAM.subarray(0, cut), STREAM.subarray(cut)]);
      if (got.length !== MESSAGES.length || framer.buffered !== 0) wrong.push(cut);
    }
    expect(wrong).toEqual([]);
    expect(feed(new BfcpStreamFramer(), [STREAM.subarray(0, 37), STREAM.subarray(37, 300), STREAM.subarray(300)])).toEqual(MESSAGES);
  });

  it("yields the same messages fed one byte at a time", () => {
    const framer = new BfcpStreamFramer();
    const out: BfcpMessage[] = [];
    for (let i = 0; i < STREAM.length; i++) out.push(...framer.push(STREAM.subarray(i, i + 1)));
    expect(out).toEqual(MESSAGES);
  });

  it("returns a message as soon as its last octet arrives, and keeps partial bytes", () => {
    const one = encodeBfcp(MESSAGES[0]!);
    const framer = new BfcpStreamFramer();
    expect(framer.push(one.subarray(0, one.length - 1))).toEqual([]);
    expect(framer.buffered).toBe(one.length - 1);
    expect(framer.push(Buffer.concat([one.subarray(one.length - 1), one.subarray(0, 5)]))).toEqual([MESSAGES[0]]);
    expect(framer.buffered).toBe(5);
  });

  it("does not keep references to the chunks, so reusing a chunk buffer is safe", () => {
    const chunk = Buffer.from(STREAM.subarray(0, 100));
    const framer = new BfcpStreamFramer();
    const first = framer.push(chunk);
    chunk.fill(0xee);
    expect([...first, ...framer.push(Buffer.from(STREAM.subarray(100)))]).toEqual(MESSAGES);
  });

  it("with onInvalid, reports a well-framed bad message and goes on with the next", () => {
    const invalid: BfcpParseError[] = [];
    const framer = new BfcpStreamFramer({ onInvalid: (err) => invalid.push(err) });
    const unknownPrimitive = raw({ primitive: 99, transactionId: 5 }, "00 00 00 00");
    const unknownMandatory = raw({ primitive: P.Hello, transactionId: 6 }, "c9 02 00 00");
    const got = framer.push(Buffer.concat([encodeBfcp(MESSAGES[1]!), unknownPrimitive, unknownMandatory, encodeBfcp(MESSAGES[2]!)]));
    expect(got).toEqual([MESSAGES[1], MESSAGES[2]]);
    expect(invalid.map((e) => [e.code, e.header?.transactionId])).toEqual([
      [BfcpParseErrorCode.UNKNOWN_PRIMITIVE, 5],
      [BfcpParseErrorCode.UNKNOWN_MANDATORY_ATTRIBUTE, 6],
    ]);
    expect(bfcpErrorReply(invalid[1]!, { version: 1 })?.errorCode).toEqual({ code: 4, unknownAttributes: [100] });
  });

  it("without onInvalid, throws a bad message's error and stays failed", () => {
    const framer = new BfcpStreamFramer();
    const err = refusal(() => framer.push(raw({ primitive: 99 })));
    expect(err.code).toBe(BfcpParseErrorCode.UNKNOWN_PRIMITIVE);
    expect(refusal(() => framer.push(encodeBfcp(MESSAGES[0]!)))).toBe(err);
  });

  it("fails for good on what loses the framing: a UDP version, the F flag, a Payload Length above the limit", () => {
    const cases: Array<[Buffer, string]> = [
      [raw({ version: 2, primitive: P.Hello }), BfcpParseErrorCode.UNSUPPORTED_VERSION],
      [raw({ version: 0, primitive: P.Hello }), BfcpParseErrorCode.UNSUPPORTED_VERSION],
      [raw({ f: true, primitive: P.Hello }), BfcpParseErrorCode.FRAGMENTED],
      [raw({ primitive: P.Hello, payloadWords: 300 }), BfcpParseErrorCode.TOO_LARGE],
    ];
    for (const [bytes, code] of cases) {
      const invalid: BfcpParseError[] = [];
      const framer = new BfcpStreamFramer({ maxMessageSize: 1024, onInvalid: (e) => invalid.push(e) });
      // Nothing is judged before the 12 header octets are in: the error carries them.
      expect(framer.push(bytes.subarray(0, 11))).toEqual([]);
      const err = refusal(() => framer.push(bytes.subarray(11, 12)));
      expect([err.code, err.header?.transactionId]).toEqual([code, 2]);
      expect(framer.failed).toBe(err);
      expect(refusal(() => framer.push(encodeBfcp(MESSAGES[0]!)))).toBe(err);
      expect(invalid).toEqual([]);
    }
  });

  it("accepts version 2 streams when told to", () => {
    const udpish = { ...MESSAGES[10]!, version: 2 as const };
    expect(new BfcpStreamFramer({ version: 2 }).push(encodeBfcp(udpish))).toEqual([udpish]);
  });
});
