import { BfcpAttributeType as T, BfcpErrorCode, BfcpPrimitive as P, BfcpPriority, BfcpRequestStatus as RS, bfcpAttributeName, bfcpPrimitiveName } from "./constants.ts";
import { bfcpErrorReply, decodeBfcp, encodeBfcp } from "./codec.ts";
import { BfcpEncodeError, BfcpEncodeErrorCode, BfcpParseErrorCode } from "./errors.ts";
import type { BfcpMessage } from "./messages.ts";
import { EVERY_PRIMITIVE, FRI, TCP, UDP_RESPONSE, VARIANTS, hex, raw, refusal } from "./test-fixtures.ts";

function encodeError(f: () => unknown): BfcpEncodeError {
  try {
    f();
  } catch (err) {
    if (err instanceof BfcpEncodeError) return err;
    throw err;
  }
  throw new Error("no BfcpEncodeError thrown");
}

describe("round trip (RFC 8855 section 5.3)", () => {
  it("covers all 17 primitives", () => {
    expect(EVERY_PRIMITIVE.map((m) => m.primitive)).toEqual(Object.values(P));
  });

  it.each([...EVERY_PRIMITIVE, ...VARIANTS].map((m) => [bfcpPrimitiveName(m.primitive), m] as const))("%s decodes to what was encoded", (_name, msg) => {
    const bytes = encodeBfcp(msg);
    expect(bytes.length % 4).toBe(0);
    expect(bytes.readUInt16BE(2)).toBe((bytes.length - 12) / 4);
    const back = decodeBfcp(bytes);
    expect(back).toEqual(msg);
    expect(encodeBfcp(back).equals(bytes)).toBe(true);
  });

  it("accepts attributes in any order and writes them in the grammar's order", () => {
    // PRIORITY, FLOOR-ID 2, BENEFICIARY-ID 9, FLOOR-ID 1: the grammar's order is FLOOR-IDs, BENEFICIARY-ID, PRIORITY.
    const shuffled = raw({ primitive: P.FloorRequest }, "09 04 60 00  05 04 00 02  03 04 00 09  05 04 00 01");
    const msg = decodeBfcp(shuffled);
    expect(msg).toMatchObject({ primitive: P.FloorRequest, floorIds: [2, 1], beneficiaryId: 9, priority: BfcpPriority.High });
    expect(encodeBfcp(msg).subarray(12).toString("hex")).toBe("05040002050400010304000909046000");
  });

  it("returns messages that share no memory with the input", () => {
    const bytes = encodeBfcp(VARIANTS[8]!);
    const msg = decodeBfcp(bytes);
    bytes.fill(0);
    expect(msg).toEqual(VARIANTS[8]);
  });
});

describe("byte vectors built from the RFC 8855 figures", () => {
  it("FloorRequest with one FLOOR-ID (sections 5.1, 5.2.2, 5.3.1)", () => {
    const msg: BfcpMessage = { version: 1, responder: false, conferenceId: 1, transactionId: 0x0102, userId: 0x0304, primitive: P.FloorRequest, floorIds: [5] };
    const expected = hex(`
      20 01 00 01
      00 00 00 01
      01 02 03 04
      05 04 00 05
    `);
    // Ver=1 R=0 F=0 | Primitive 1 | Payload Length 1 word; Conference ID; Transaction ID, User ID;
    // FLOOR-ID: Type 2 and M (0000010|1), Length 4, Floor ID 5.
    expect(encodeBfcp(msg).toString("hex")).toBe(expected.toString("hex"));
    expect(decodeBfcp(expected)).toEqual(msg);
  });

  it("FloorRequest with PARTICIPANT-PROVIDED-INFO padded to 4 octets and PRIORITY (sections 5.2.4, 5.2.8)", () => {
    const msg: BfcpMessage = { ...TCP, conferenceId: 9, transactionId: 1, userId: 2, primitive: P.FloorRequest, floorIds: [1], participantProvidedInfo: "abc", priority: BfcpPriority.Highest };
    const expected = hex(`
      20 01 00 04   00 00 00 09   00 01 00 02
      05 04 00 01
      11 05 61 62   63 00 00 00
      09 04 80 00
    `);
    // PARTICIPANT-PROVIDED-INFO: Type 8 (0001000|1), Length 5 (excludes the 3 padding octets), "abc".
    // PRIORITY: Type 4 (0000100|1), Length 4, Prio 4 in the top 3 bits (100 00000), reserved zero.
    expect(encodeBfcp(msg).toString("hex")).toBe(expected.toString("hex"));
    expect(decodeBfcp(expected)).toEqual(msg);
  });

  it("FloorRequestStatus over UDP with a grouped FLOOR-REQUEST-INFORMATION (sections 5.2.5, 5.2.15, 5.2.17)", () => {
    const msg: BfcpMessage = {
      version: 2, responder: true, conferenceId: 0x10, transactionId: 0x20, userId: 0x30,
      primitive: P.FloorRequestStatus,
      floorRequestInformation: { floorRequestId: 7, floorRequestStatus: [{ floorId: 2, requestStatus: { status: RS.Granted, queuePosition: 0 } }] },
    };
    const expected = hex(`
      50 04 00 03   00 00 00 10   00 20 00 30
      1f 0c 00 07
      23 08 00 02
      0b 04 03 00
    `);
    // Ver=2 R=1: 010 1 0 000 = 0x50. FLOOR-REQUEST-INFORMATION: Type 15 (0001111|1), Length 12 = its own
    // 4 octets plus the nested FLOOR-REQUEST-STATUS (Type 17, Length 8 = 4 + REQUEST-STATUS Granted).
    expect(encodeBfcp(msg).toString("hex")).toBe(expected.toString("hex"));
    expect(decodeBfcp(expected)).toEqual(msg);
  });

  it("Error 4 listing unknown attribute types, each as Type|R (section 5.2.6)", () => {
    const msg: BfcpMessage = { ...UDP_RESPONSE, conferenceId: 10, transactionId: 0x1234, userId: 42, primitive: P.Error, errorCode: { code: 4, unknownAttributes: [19, 100] } };
    const expected = hex(`
      50 0d 00 02   00 00 00 0a   12 34 00 2a
      0d 05 04 26   c8 00 00 00
    `);
    expect(encodeBfcp(msg).toString("hex")).toBe(expected.toString("hex"));
    expect(decodeBfcp(expected)).toEqual(msg);
  });

  it("SUPPORTED-ATTRIBUTES shifts each type past the reserved bit; SUPPORTED-PRIMITIVES does not (sections 5.2.10, 5.2.11)", () => {
    const bytes = encodeBfcp({ ...TCP, primitive: P.HelloAck, supportedPrimitives: [1, 17], supportedAttributes: [2, 18] });
    expect(bytes.subarray(12).toString("hex")).toBe("17040111" + "15040424");
  });
});

describe("decoding details", () => {
  it("ignores the Res bits and reads the R flag", () => {
    expect(decodeBfcp(raw({ primitive: P.Hello, res: 7, r: true }))).toMatchObject({ responder: true, version: 1 });
  });

  it("ignores padding contents", () => {
    expect(decodeBfcp(raw({ primitive: P.FloorRequest }, "05 04 00 01  11 05 61 62 63 ff ff ff"))).toMatchObject({ participantProvidedInfo: "abc" });
  });

  it("treats PRIORITY values above 4 as 4 and ignores the reserved bits (section 5.2.4)", () => {
    expect(decodeBfcp(raw({ primitive: P.FloorRequest }, "05 04 00 01  09 04 ff ff"))).toMatchObject({ priority: BfcpPriority.Highest });
  });

  it("keeps an unknown attribute without the M bit, anywhere, and does not refuse the message (section 5.2)", () => {
    const msg = decodeBfcp(raw({ primitive: P.FloorRequestStatus }, `
      1f 10 00 07
      23 04 00 02
      c8 06 61 62   63 64 00 00
      c8 02 00 00
    `));
    expect(msg).toEqual({
      version: 1, responder: false, conferenceId: 1, transactionId: 2, userId: 3,
      primitive: P.FloorRequestStatus,
      floorRequestInformation: { floorRequestId: 7, floorRequestStatus: [{ floorId: 2 }], extensions: [{ type: 100, mandatory: false, contents: Buffer.from("abcd") }] },
      extensions: [{ type: 100, mandatory: false, contents: Buffer.alloc(0) }],
    });
  });

  it("ignores the M bit on attributes RFC 8855 defines", () => {
    expect(decodeBfcp(raw({ primitive: P.FloorRelease }, "06 04 00 09"))).toMatchObject({ floorRequestId: 9 });
  });

  it("keeps Error Specific Details of codes other than 4 as octets", () => {
    expect(decodeBfcp(raw({ primitive: P.Error }, "0d 04 0e 2a"))).toMatchObject({ errorCode: { code: 14, details: Buffer.from([42]) } });
  });
});

describe("refusals", () => {
  it("fewer than 12 octets: TRUNCATED, without a header", () => {
    const err = refusal(() => decodeBfcp(hex("20 01 00 01 00 00")));
    expect(err.code).toBe(BfcpParseErrorCode.TRUNCATED);
    expect(err.header).toBeUndefined();
    expect(bfcpErrorReply(err, { version: 1 })).toBeUndefined();
  });

  it("a version other than 1 or 2: UNSUPPORTED_VERSION, answered with Error 12 and the header's IDs", () => {
    const err = refusal(() => decodeBfcp(raw({ version: 3, primitive: P.Hello, conferenceId: 77, transactionId: 88, userId: 99 })));
    expect(err.code).toBe(BfcpParseErrorCode.UNSUPPORTED_VERSION);
    expect(err.replyCode).toBe(BfcpErrorCode.UnsupportedVersion);
    expect(err.header).toMatchObject({ version: 3, conferenceId: 77, transactionId: 88, userId: 99 });
    expect(bfcpErrorReply(err, { version: 1, errorInfo: "" })).toEqual({
      version: 1, responder: false, conferenceId: 77, transactionId: 88, userId: 99, primitive: P.Error, errorCode: { code: 12 },
    });
  });

  it("the other transport's version, when one is required: UNSUPPORTED_VERSION", () => {
    expect(refusal(() => decodeBfcp(raw({ version: 2, primitive: P.Hello }), { version: 1 })).code).toBe(BfcpParseErrorCode.UNSUPPORTED_VERSION);
    expect(refusal(() => decodeBfcp(raw({ version: 1, primitive: P.Hello }), { version: 2 })).code).toBe(BfcpParseErrorCode.UNSUPPORTED_VERSION);
    expect(decodeBfcp(raw({ version: 2, primitive: P.Hello }), { version: 2 })).toMatchObject({ version: 2 });
  });

  it("the F flag: FRAGMENTED", () => {
    const err = refusal(() => decodeBfcp(raw({ version: 2, f: true, primitive: P.Hello }, "00 00 00 01")));
    expect(err.code).toBe(BfcpParseErrorCode.FRAGMENTED);
    expect(err.header?.fragmented).toBe(true);
  });

  it("a Payload Length longer than the bytes: TRUNCATED; shorter: BAD_LENGTH; both answered with Error 13", () => {
    const short = refusal(() => decodeBfcp(raw({ primitive: P.FloorRelease, payloadWords: 2 }, "05 04 00 01")));
    expect(short.code).toBe(BfcpParseErrorCode.TRUNCATED);
    const long = refusal(() => decodeBfcp(raw({ primitive: P.Hello, payloadWords: 0 }, "00 00 00 00")));
    expect(long.code).toBe(BfcpParseErrorCode.BAD_LENGTH);
    const trailing = refusal(() => decodeBfcp(Buffer.concat([encodeBfcp(EVERY_PRIMITIVE[0]!), hex("00")])));
    expect(trailing.code).toBe(BfcpParseErrorCode.BAD_LENGTH);
    for (const err of [short, long, trailing]) expect(err.replyCode).toBe(BfcpErrorCode.IncorrectMessageLength);
  });

  it("a Payload Length above the limit: TOO_LARGE, before waiting for the bytes", () => {
    const err = refusal(() => decodeBfcp(raw({ primitive: P.Hello, payloadWords: 0xffff }), { maxMessageSize: 1024 }));
    expect(err.code).toBe(BfcpParseErrorCode.TOO_LARGE);
  });

  it("an unknown primitive: UNKNOWN_PRIMITIVE, answered with Error 3", () => {
    for (const primitive of [0, 18, 91, 255]) {
      const err = refusal(() => decodeBfcp(raw({ primitive })));
      expect(err.code).toBe(BfcpParseErrorCode.UNKNOWN_PRIMITIVE);
      expect(err.replyCode).toBe(BfcpErrorCode.UnknownPrimitive);
      expect(err.header?.primitive).toBe(primitive);
    }
  });

  it("unknown mandatory attributes: UNKNOWN_MANDATORY_ATTRIBUTE with their types, at any depth, before grammar errors", () => {
    const bytes = encodeBfcp({
      ...TCP,
      primitive: P.FloorRequestStatus,
      floorRequestInformation: { ...FRI, extensions: [{ type: 19, mandatory: true, contents: Buffer.from([1]) }, { type: 20, mandatory: false, contents: Buffer.alloc(0) }] },
      extensions: [{ type: 100, mandatory: true, contents: Buffer.alloc(0) }, { type: 19, mandatory: true, contents: Buffer.alloc(0) }],
    });
    const err = refusal(() => decodeBfcp(bytes));
    expect(err.code).toBe(BfcpParseErrorCode.UNKNOWN_MANDATORY_ATTRIBUTE);
    expect(err.unknownAttributes).toEqual([19, 100]);
    expect(err.header).toMatchObject({ conferenceId: TCP.conferenceId, transactionId: TCP.transactionId, userId: TCP.userId });

    // A FloorRelease without its FLOOR-REQUEST-ID but with an unknown mandatory attribute gets Error 4.
    expect(refusal(() => decodeBfcp(raw({ primitive: P.FloorRelease }, "c9 02 00 00"))).unknownAttributes).toEqual([100]);

    const reply = bfcpErrorReply(err, { version: 1 });
    expect(reply).toMatchObject({ primitive: P.Error, conferenceId: TCP.conferenceId, transactionId: TCP.transactionId, userId: TCP.userId, errorCode: { code: 4, unknownAttributes: [19, 100] } });
    expect(decodeBfcp(encodeBfcp(reply!))).toEqual(reply);
  });

  it("an attribute Length below 2, or wrong for a fixed-size attribute: BAD_ATTRIBUTE_LENGTH", () => {
    for (const attr of ["05 00 00 00", "05 01 00 00", "05 05 00 01  00 00 00 00", "05 08 00 01  00 00 00 00", "05 02 00 00"]) {
      const err = refusal(() => decodeBfcp(raw({ primitive: P.FloorRequest }, attr)));
      expect([err.code, err.attributeType]).toEqual([BfcpParseErrorCode.BAD_ATTRIBUTE_LENGTH, T.FloorId]);
      expect(err.replyCode).toBe(BfcpErrorCode.UnableToParseMessage);
    }
    expect(refusal(() => decodeBfcp(raw({ primitive: P.Error }, "0d 02 00 00"))).code).toBe(BfcpParseErrorCode.BAD_ATTRIBUTE_LENGTH);
    expect(refusal(() => decodeBfcp(raw({ primitive: P.ChairAction }, "1f 02 00 00"))).code).toBe(BfcpParseErrorCode.BAD_ATTRIBUTE_LENGTH);
  });

  it("an attribute whose padding is missing, or that runs past the message: ATTRIBUTE_OVERFLOW", () => {
    // PARTICIPANT-PROVIDED-INFO of Length 5 needs 8 octets with its padding; the payload ends after 4.
    const noPadding = refusal(() => decodeBfcp(raw({ primitive: P.FloorRequest }, "05 04 00 01  11 05 61 62")));
    expect([noPadding.code, noPadding.attributeType, noPadding.offset]).toEqual([BfcpParseErrorCode.ATTRIBUTE_OVERFLOW, T.ParticipantProvidedInfo, 16]);
    const pastEnd = refusal(() => decodeBfcp(raw({ primitive: P.FloorRequest }, "05 04 00 01  11 40 61 62")));
    expect(pastEnd.code).toBe(BfcpParseErrorCode.ATTRIBUTE_OVERFLOW);
  });

  it("a nested attribute overflowing its grouped attribute: ATTRIBUTE_OVERFLOW, even when the message has room", () => {
    // FLOOR-REQUEST-INFORMATION of Length 8 holds 4 octets of nested attributes; the FLOOR-REQUEST-STATUS claims 8.
    const err = refusal(() => decodeBfcp(raw({ primitive: P.FloorRequestStatus }, "1f 08 00 07  23 08 00 02  0b 04 03 00")));
    expect([err.code, err.attributeType]).toEqual([BfcpParseErrorCode.ATTRIBUTE_OVERFLOW, T.FloorRequestStatus]);
    // A grouped Length that is not a multiple of 4 leaves the last nested attribute's padding outside it.
    const odd = refusal(() => decodeBfcp(raw({ primitive: P.FloorRequestStatus }, "1f 0a 00 07  23 06 00 02  00 00 00 00")));
    expect(odd.code).toBe(BfcpParseErrorCode.ATTRIBUTE_OVERFLOW);
    const stray = refusal(() => decodeBfcp(raw({ primitive: P.FloorRequestStatus }, "1f 09 00 07  23 04 00 02  00 00 00 00")));
    expect(stray.code).toBe(BfcpParseErrorCode.ATTRIBUTE_OVERFLOW);
  });

  it("contents out of their range: BAD_ATTRIBUTE", () => {
    for (const status of ["00", "08", "ff"]) {
      const err = refusal(() => decodeBfcp(raw({ primitive: P.ChairAction }, `1f 0c 00 07  23 08 00 02  0b 04 ${status} 00`)));
      expect([err.code, err.attributeType]).toEqual([BfcpParseErrorCode.BAD_ATTRIBUTE, T.RequestStatus]);
    }
    const utf8 = refusal(() => decodeBfcp(raw({ primitive: P.Error }, "0d 03 0a 00  0f 04 c3 28")));
    expect([utf8.code, utf8.attributeType]).toEqual([BfcpParseErrorCode.BAD_ATTRIBUTE, T.ErrorInfo]);
  });

  it("a required attribute absent: MISSING_ATTRIBUTE", () => {
    const cases: Array<[number, string, number]> = [
      [P.FloorRequest, "", T.FloorId],
      [P.FloorRelease, "", T.FloorRequestId],
      [P.FloorRequestQuery, "", T.FloorRequestId],
      [P.FloorRequestStatus, "", T.FloorRequestInformation],
      [P.ChairAction, "1f 04 00 07", T.FloorRequestInformation], // FLOOR-REQUEST-INFORMATION without FLOOR-REQUEST-STATUS
      [P.HelloAck, "17 02 00 00", T.SupportedAttributes],
      [P.Error, "0f 02 00 00", T.ErrorCode],
    ];
    for (const [primitive, payload, type] of cases) {
      const err = refusal(() => decodeBfcp(raw({ primitive }, payload)));
      expect([bfcpPrimitiveName(primitive), err.code, bfcpAttributeName(err.attributeType ?? 0)]).toEqual([bfcpPrimitiveName(primitive), BfcpParseErrorCode.MISSING_ATTRIBUTE, bfcpAttributeName(type)]);
    }
  });

  it("a known attribute where the grammar does not allow it, or repeated: UNEXPECTED_ATTRIBUTE", () => {
    const cases: Array<[number, string, number]> = [
      [P.FloorRelease, "07 04 00 01  05 04 00 01", T.FloorId],
      [P.FloorRelease, "07 04 00 01  07 04 00 02", T.FloorRequestId],
      [P.FloorRequest, "05 04 00 01  09 04 00 00  09 04 00 00", T.Priority],
      [P.Hello, "05 04 00 01", T.FloorId],
      [P.FloorStatus, "05 04 00 01  05 04 00 02", T.FloorId],
      [P.ChairAction, "1f 0c 00 07  23 04 00 02  05 04 00 01", T.FloorId], // FLOOR-ID inside FLOOR-REQUEST-INFORMATION
      [P.ChairAction, "1f 10 00 07  23 04 00 02  25 04 00 07  25 04 00 07", T.OverallRequestStatus],
    ];
    for (const [primitive, payload, type] of cases) {
      const err = refusal(() => decodeBfcp(raw({ primitive }, payload)));
      expect([err.code, bfcpAttributeName(err.attributeType ?? 0)]).toEqual([BfcpParseErrorCode.UNEXPECTED_ATTRIBUTE, bfcpAttributeName(type)]);
    }
  });

  it("errorReply cuts a long message to fit ERROR-INFO", () => {
    const err = refusal(() => decodeBfcp(raw({ primitive: 99 })));
    const reply = bfcpErrorReply(err, { version: 2, errorInfo: "é".repeat(300) })!;
    expect(reply.responder).toBe(true);
    expect(Buffer.byteLength(reply.errorInfo!, "utf8")).toBeLessThanOrEqual(253);
    expect(decodeBfcp(encodeBfcp(reply))).toEqual(reply);
  });
});

describe("encoding refusals", () => {
  it("values outside their fields: VALUE_OUT_OF_RANGE", () => {
    const bad: BfcpMessage[] = [
      { ...TCP, userId: 0x10000, primitive: P.Hello },
      { ...TCP, conferenceId: -1, primitive: P.Hello },
      { ...TCP, transactionId: 1.5, primitive: P.Hello },
      { ...TCP, primitive: P.FloorRelease, floorRequestId: 70000 },
      { ...TCP, primitive: P.FloorRequest, floorIds: [1], priority: 5 as number as BfcpPriority },
      { ...TCP, primitive: P.ChairAction, floorRequestInformation: { floorRequestId: 1, floorRequestStatus: [{ floorId: 1, requestStatus: { status: 0 as number as RS, queuePosition: 0 } }] } },
      { ...TCP, primitive: P.HelloAck, supportedPrimitives: [256], supportedAttributes: [] },
      { ...TCP, primitive: P.HelloAck, supportedPrimitives: [], supportedAttributes: [128] },
      { ...TCP, primitive: P.Error, errorCode: { code: 4, unknownAttributes: [128] } },
      { ...TCP, version: 3 as number as 1, primitive: P.Hello },
      { ...TCP, primitive: 18 } as unknown as BfcpMessage,
    ];
    for (const msg of bad) expect(encodeError(() => encodeBfcp(msg)).code).toBe(BfcpEncodeErrorCode.VALUE_OUT_OF_RANGE);
  });

  it("text or groups longer than an 8-bit Length: ATTRIBUTE_TOO_LONG", () => {
    expect(encodeError(() => encodeBfcp({ ...TCP, primitive: P.Error, errorCode: { code: 1 }, errorInfo: "x".repeat(254) })).code).toBe(BfcpEncodeErrorCode.ATTRIBUTE_TOO_LONG);
    expect(encodeBfcp({ ...TCP, primitive: P.Error, errorCode: { code: 1 }, errorInfo: "x".repeat(253) }).length).toBe(12 + 4 + 256);
    const manyFloors = Array.from({ length: 70 }, (_, i) => ({ floorId: i }));
    const err = encodeError(() => encodeBfcp({ ...TCP, primitive: P.ChairAction, floorRequestInformation: { floorRequestId: 1, floorRequestStatus: manyFloors } }));
    expect(err.code).toBe(BfcpEncodeErrorCode.ATTRIBUTE_TOO_LONG);
    // The shared buffer is reset after a failure.
    expect(decodeBfcp(encodeBfcp(EVERY_PRIMITIVE[3]!))).toEqual(EVERY_PRIMITIVE[3]);
  });

  it("a message longer than the 16-bit Payload Length: MESSAGE_TOO_LONG", () => {
    const floorIds = Array.from({ length: 0x10000 }, (_, i) => i & 0xffff);
    expect(encodeError(() => encodeBfcp({ ...TCP, primitive: P.FloorQuery, floorIds })).code).toBe(BfcpEncodeErrorCode.MESSAGE_TOO_LONG);
    expect(encodeBfcp({ ...TCP, primitive: P.FloorQuery, floorIds: floorIds.slice(0, 0xffff) }).length).toBe(12 + 0xffff * 4);
  });

  it("empty lists the grammar requires: MISSING_ATTRIBUTE; extensions posing as known types: BAD_EXTENSION", () => {
    expect(encodeError(() => encodeBfcp({ ...TCP, primitive: P.FloorRequest, floorIds: [] })).code).toBe(BfcpEncodeErrorCode.MISSING_ATTRIBUTE);
    expect(encodeError(() => encodeBfcp({ ...TCP, primitive: P.ChairAction, floorRequestInformation: { floorRequestId: 1, floorRequestStatus: [] } })).code)
      .toBe(BfcpEncodeErrorCode.MISSING_ATTRIBUTE);
    expect(encodeError(() => encodeBfcp({ ...TCP, primitive: P.Hello, extensions: [{ type: T.FloorId, mandatory: false, contents: Buffer.alloc(2) }] })).code)
      .toBe(BfcpEncodeErrorCode.BAD_EXTENSION);
  });
});
