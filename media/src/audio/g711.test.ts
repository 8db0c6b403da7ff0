import {
  ALAW_DECODE,
  alawToLinear,
  decodeAlaw,
  decodeG711,
  decodeUlaw,
  encodeAlaw,
  encodeG711,
  encodeUlaw,
  g711CodecOf,
  g711Silence,
  linearToAlaw,
  linearToUlaw,
  ULAW_DECODE,
  ulawToLinear,
} from "./g711.ts";

describe("G.711 mu-law", () => {
  test("decodes to the values of G.711 table 2a (14-bit decoder outputs x 4)", () => {
    // 14-bit outputs: segment 0 is 0, 2, 4, ... 30; segment 1 starts at 33, 37, ...; the top is 8031.
    expect(ulawToLinear(0xff)).toBe(0);
    expect(ulawToLinear(0xfe)).toBe(2 * 4);
    expect(ulawToLinear(0xf0)).toBe(30 * 4);
    expect(ulawToLinear(0xef)).toBe(33 * 4);
    expect(ulawToLinear(0xee)).toBe(37 * 4);
    expect(ulawToLinear(0x80)).toBe(8031 * 4);
    expect(ulawToLinear(0x00)).toBe(-8031 * 4);
    expect(ulawToLinear(0x7f)).toBe(0); // the "negative zero"
    expect(ulawToLinear(0x7e)).toBe(-2 * 4);
  });

  test("encodes known values", () => {
    expect(linearToUlaw(0)).toBe(0xff);
    expect(linearToUlaw(-1)).toBe(0x7f);
    expect(linearToUlaw(32767)).toBe(0x80);
    expect(linearToUlaw(-32768)).toBe(0x00);
    expect(linearToUlaw(100000)).toBe(0x80); // clamped
    expect(linearToUlaw(33 * 4)).toBe(0xef);
  });

  test("every code round-trips except the negative zero, which encodes as 0xFF", () => {
    for (let code = 0; code < 256; code++) {
      const back = linearToUlaw(ULAW_DECODE[code]!);
      expect(back).toBe(code === 0x7f ? 0xff : code);
    }
  });

  test("is symmetric: code c and c ^ 0x80 decode to opposite values", () => {
    for (let code = 0; code < 128; code++) expect(ULAW_DECODE[code]).toBe(-ULAW_DECODE[code | 0x80]! || 0);
  });
});

describe("G.711 A-law", () => {
  test("decodes to the values of G.711 table 1a (13-bit decoder outputs x 8)", () => {
    // 13-bit outputs: segment 0 is 1, 3, 5, ... 31; segment 1 is 33, 35, ...; segment 2 starts at 66; top 4032.
    expect(alawToLinear(0xd5)).toBe(1 * 8);
    expect(alawToLinear(0xd4)).toBe(3 * 8);
    expect(alawToLinear(0xc5)).toBe(33 * 8);
    expect(alawToLinear(0xf5)).toBe(66 * 8);
    expect(alawToLinear(0xaa)).toBe(4032 * 8);
    expect(alawToLinear(0x2a)).toBe(-4032 * 8);
    expect(alawToLinear(0x55)).toBe(-1 * 8);
  });

  test("encodes known values", () => {
    expect(linearToAlaw(0)).toBe(0xd5);
    expect(linearToAlaw(-1)).toBe(0x55);
    expect(linearToAlaw(32767)).toBe(0xaa);
    expect(linearToAlaw(-32768)).toBe(0x2a);
    expect(linearToAlaw(-100000)).toBe(0x2a);
  });

  test("every code round-trips (A-law has no zero code)", () => {
    for (let code = 0; code < 256; code++) expect(linearToAlaw(ALAW_DECODE[code]!)).toBe(code);
  });
});

describe("G.711 encoders over the whole 16-bit range", () => {
  test("are monotonic: a larger sample never decodes to a smaller value", () => {
    let u = -Infinity;
    let a = -Infinity;
    for (let s = -32768; s <= 32767; s++) {
      const du = ulawToLinear(linearToUlaw(s));
      const da = alawToLinear(linearToAlaw(s));
      if (du < u || da < a) throw new Error(`not monotonic at ${s}`);
      u = du;
      a = da;
    }
  });

  test("quantize to the nearest level of the segment: error within half a step (or the clipping range)", () => {
    for (let s = -32768; s <= 32767; s++) {
      const m = Math.abs(s);
      // mu-law step on the 16-bit scale: 8 in segment 0, doubling per segment; A-law: 16 in segments 0 and 1.
      const uStep = m < 124 ? 8 : 8 << Math.min(7, Math.floor(Math.log2((m + 132) / 128)));
      const aStep = m < 512 ? 16 : 16 << Math.min(6, Math.floor(Math.log2(m / 256)));
      const eu = Math.abs(ulawToLinear(linearToUlaw(s)) - s);
      const ea = Math.abs(alawToLinear(linearToAlaw(s)) - s);
      if (eu > Math.max(uStep / 2 + 1, m - 32124)) throw new Error(`mu-law error ${eu} at ${s}`);
      if (ea > Math.max(aStep / 2 + 1, m - 32256)) throw new Error(`A-law error ${ea} at ${s}`);
    }
  });
});

describe("G.711 block conversion", () => {
  test("decode/encode whole arrays in place of caller buffers, with offsets", () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const pcm = new Int16Array(300);
    expect(decodeUlaw(codes, pcm, 256, 0, 10)).toBe(256);
    expect(pcm[10 + 0x80]).toBe(32124);
    const back = new Uint8Array(256);
    expect(encodeUlaw(pcm, back, 256, 10, 0)).toBe(256);
    expect(Array.from(back)).toEqual(Array.from(codes, (c) => (c === 0x7f ? 0xff : c)));

    decodeAlaw(codes, pcm);
    encodeAlaw(pcm, back, 256);
    expect(Array.from(back)).toEqual(Array.from(codes));
  });

  test("by codec name, payload type and silence code", () => {
    const pcm = new Int16Array(4);
    decodeG711("PCMA", Uint8Array.of(0xd5, 0x55, 0xaa, 0x2a), pcm);
    expect(Array.from(pcm)).toEqual([8, -8, 32256, -32256]);
    const out = new Uint8Array(4);
    encodeG711("PCMU", Int16Array.of(0, 32767, -32768, 132), out);
    expect(Array.from(out)).toEqual([0xff, 0x80, 0x00, 0xef]);
    expect(g711CodecOf(0)).toBe("PCMU");
    expect(g711CodecOf(8)).toBe("PCMA");
    expect(g711CodecOf(101)).toBeNull();
    expect(ulawToLinear(g711Silence("PCMU"))).toBe(0);
    expect(alawToLinear(g711Silence("PCMA"))).toBe(8);
  });

  test("refuses out-of-bounds ranges instead of writing past the end", () => {
    expect(() => decodeUlaw(new Uint8Array(160), new Int16Array(159))).toThrow(RangeError);
    expect(() => encodeAlaw(new Int16Array(160), new Uint8Array(160), 160, 1)).toThrow(RangeError);
  });
});
