import { isRtcp, parseRtp, RtpErrorCode, RtpParseError, rtpPacketSize, serializeRtp, type RtpPacketInit } from "./packet.ts";

function bytes(...v: number[]): Uint8Array {
  return Uint8Array.from(v);
}

function expectRtpError(buf: Uint8Array, code: RtpErrorCode): void {
  let caught: unknown;
  try {
    parseRtp(buf);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RtpParseError);
  expect((caught as RtpParseError).code).toBe(code);
}

function roundTrip(init: RtpPacketInit) {
  const out = new Uint8Array(rtpPacketSize(init) + 7);
  const n = serializeRtp(init, out, 3);
  expect(n).toBe(rtpPacketSize(init));
  return parseRtp(out.subarray(3, 3 + n));
}

describe("RTP packet (RFC 3550 section 5.1)", () => {
  test("parses the fixed header field by field", () => {
    // V=2 P=0 X=0 CC=0 | M=1 PT=8 | seq 0x1234 | ts 0xdeadbeef | ssrc 0xcafebabe | payload 3 bytes
    const p = parseRtp(bytes(0x80, 0x88, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xba, 0xbe, 1, 2, 3));
    expect(p).toMatchObject({ payloadType: 8, marker: true, seq: 0x1234, timestamp: 0xdeadbeef, ssrc: 0xcafebabe, csrc: [], extension: null, paddingLength: 0 });
    expect(Array.from(p.payload)).toEqual([1, 2, 3]);
  });

  test("the payload is a view into the datagram, not a copy", () => {
    const buf = new Uint8Array(200);
    const n = serializeRtp({ payloadType: 0, seq: 1, timestamp: 2, ssrc: 3, payload: new Uint8Array(160).fill(0x55) }, buf, 20);
    const p = parseRtp(buf.subarray(20, 20 + n));
    expect(p.payload.buffer).toBe(buf.buffer);
    expect(p.payload.byteOffset).toBe(20 + 12);
    buf[20 + 12] = 0x99;
    expect(p.payload[0]).toBe(0x99);
  });

  test("round trip: plain packet with extreme field values", () => {
    const init = { payloadType: 127, marker: true, seq: 0xffff, timestamp: 0xffffffff, ssrc: 0xffffffff, payload: bytes(0xff, 0x00) };
    expect(roundTrip(init)).toMatchObject({ ...init, payload: expect.anything() });
    expect(Array.from(roundTrip(init).payload)).toEqual([0xff, 0x00]);
  });

  test("round trip: CSRC list, header extension and padding", () => {
    const init: RtpPacketInit = {
      payloadType: 0,
      marker: false,
      seq: 7,
      timestamp: 160,
      ssrc: 0x01020304,
      csrc: [0x11111111, 0xfffffffe, 3],
      extension: { profile: 0xbede, data: bytes(0x10, 0xaa, 0, 0, 1, 2, 3, 4) },
      paddingLength: 5,
      payload: new Uint8Array(160).map((_, i) => i),
    };
    const p = roundTrip(init);
    expect(p.csrc).toEqual([0x11111111, 0xfffffffe, 3]);
    expect(p.extension?.profile).toBe(0xbede);
    expect(Array.from(p.extension!.data)).toEqual([0x10, 0xaa, 0, 0, 1, 2, 3, 4]);
    expect(p.paddingLength).toBe(5);
    expect(Array.from(p.payload)).toEqual(Array.from(init.payload));
  });

  test("an empty payload and padding that fills everything after the header are valid", () => {
    expect(roundTrip({ payloadType: 13, seq: 1, timestamp: 1, ssrc: 1, payload: new Uint8Array(0) }).payload.length).toBe(0);
    const p = parseRtp(bytes(0xa0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 3));
    expect(p.paddingLength).toBe(3);
    expect(p.payload.length).toBe(0);
  });

  test("rejects fewer than 12 bytes", () => {
    expectRtpError(new Uint8Array(0), RtpErrorCode.TOO_SHORT);
    expectRtpError(bytes(0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0), RtpErrorCode.TOO_SHORT);
  });

  test("rejects a version other than 2", () => {
    for (const v of [0, 1, 3]) expectRtpError(bytes(v << 6, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9), RtpErrorCode.BAD_VERSION);
  });

  test("rejects a CSRC count beyond the datagram", () => {
    // CC=2 needs 20 header bytes
    expectRtpError(bytes(0x82, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0), RtpErrorCode.CSRC_OVERRUN);
    expectRtpError(bytes(0x8f, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1), RtpErrorCode.CSRC_OVERRUN);
  });

  test("rejects a truncated or overlong header extension", () => {
    expectRtpError(bytes(0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde), RtpErrorCode.EXTENSION_OVERRUN);
    // length 2 words announced, 1 present
    expectRtpError(bytes(0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0, 2, 1, 2, 3, 4), RtpErrorCode.EXTENSION_OVERRUN);
  });

  test("rejects padding larger than what follows the header, and a zero padding count", () => {
    expectRtpError(bytes(0xa0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7, 7, 4), RtpErrorCode.BAD_PADDING);
    expectRtpError(bytes(0xa0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7, 7, 0), RtpErrorCode.BAD_PADDING);
    // P set on a header-only packet: the count byte would be inside the header
    expectRtpError(bytes(0xa0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1), RtpErrorCode.BAD_PADDING);
  });

  test("serializeRtp writes into the caller's buffer and refuses what does not fit or is out of range", () => {
    const init = { payloadType: 0, seq: 1, timestamp: 1, ssrc: 1, payload: new Uint8Array(160) };
    expect(() => serializeRtp(init, new Uint8Array(171))).toThrow(RangeError);
    expect(() => serializeRtp({ ...init, payloadType: 128 }, new Uint8Array(200))).toThrow(RangeError);
    expect(() => serializeRtp({ ...init, csrc: new Array<number>(16).fill(1) }, new Uint8Array(300))).toThrow(RangeError);
    expect(() => serializeRtp({ ...init, extension: { profile: 1, data: new Uint8Array(3) } }, new Uint8Array(300))).toThrow(RangeError);
    const out = new Uint8Array(172);
    expect(serializeRtp(init, out)).toBe(172);
    expect(out[0]).toBe(0x80);
  });
});

describe("isRtcp (RFC 5761 section 4)", () => {
  const rtcp = (pt: number) => bytes(0x80, pt, 0, 1, 0, 0, 0, 0);
  test("RTCP packet types 192-223 (SR, RR, SDES, BYE, APP, RTPFB, PSFB, XR) are RTCP", () => {
    for (const pt of [192, 200, 201, 202, 203, 204, 205, 206, 207, 223]) expect(isRtcp(rtcp(pt))).toBe(true);
  });
  test("RTP with any payload type outside 64-95, marker set or not, is not", () => {
    for (const pt of [0, 8, 13, 96, 101, 127]) {
      expect(isRtcp(bytes(0x80, pt, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1))).toBe(false);
      expect(isRtcp(bytes(0x80, 0x80 | pt, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1))).toBe(false);
    }
  });
  test("neither STUN, DTLS nor short datagrams", () => {
    expect(isRtcp(bytes(0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42))).toBe(false); // STUN binding request
    expect(isRtcp(bytes(0x16, 0xfe, 0xfd, 0x00))).toBe(false); // DTLS handshake
    expect(isRtcp(bytes(0x80, 200, 0))).toBe(false);
  });
});
