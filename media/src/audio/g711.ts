/**
 * G.711 mu-law (PCMU, RTP payload type 0) and A-law (PCMA, payload type 8), ITU-T G.711 (11/88) with the
 * RFC 3551 section 4.5.14 packing: one byte per 8 kHz sample.
 *
 * Decoding is one lookup in a 256-entry Int16Array. Encoding is one lookup too: mu-law only looks at the
 * top 14 bits of a 16-bit sample and A-law at the top 13 (G.711 is defined on 14-bit and 13-bit linear
 * PCM), so a 16k-entry (mu-law) and an 8k-entry (A-law) Uint8Array indexed by `sample >> 2` resp.
 * `sample >> 3` (two's complement, masked) cover every input and stay small enough for the L1/L2 cache.
 *
 * The tables are built once, at load, from the reference algorithm of ITU-T G.191 (STL g711.c): negative
 * samples use the one's complement, which makes both laws symmetric around zero. Linear values are on the
 * 16-bit scale (14-bit mu-law values times 4, 13-bit A-law values times 8), so mu-law spans +-32124 and
 * A-law +-32256.
 */

export type G711Codec = "PCMU" | "PCMA";

/** RFC 3551 section 6, table 4: the static payload types. */
export const PCMU_PAYLOAD_TYPE = 0;
export const PCMA_PAYLOAD_TYPE = 8;

// The loops below use these module-private bindings: V8 reloads an exported binding from its module cell
// (with a TDZ check) on every use, which costs about half the speed of a table loop.
const uDecode = new Int16Array(256);
const aDecode = new Int16Array(256);
const uEncode = new Uint8Array(1 << 14);
const aEncode = new Uint8Array(1 << 13);
/** mu-law code -> linear sample. */
export const ULAW_DECODE: Int16Array = uDecode;
/** A-law code -> linear sample. */
export const ALAW_DECODE: Int16Array = aDecode;
/** `(sample >> 2) & 0x3fff` -> mu-law code. */
export const ULAW_ENCODE: Uint8Array = uEncode;
/** `(sample >> 3) & 0x1fff` -> A-law code. */
export const ALAW_ENCODE: Uint8Array = aEncode;

/** G.191 ulaw_expand: bits are inverted on the wire; segment (exponent) 3 bits, step 4 << (segment + 1). */
function ulawExpand(code: number): number {
  const inverted = ~code & 0xff;
  const exponent = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  const step = 4 << (exponent + 1);
  // 0x80 << exponent is the segment start on the 16-bit scale, minus the 33 (x4) bias of G.711 table 2a.
  const magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
  return code < 0x80 ? -magnitude : magnitude;
}

/** G.191 ulaw_compress on a 16-bit sample. */
function ulawCompress(sample: number): number {
  let absno = sample < 0 ? (~sample >> 2) + 33 : (sample >> 2) + 33;
  if (absno > 0x1fff) absno = 0x1fff;
  let i = absno >> 6;
  let segno = 1;
  while (i !== 0) {
    segno++;
    i >>= 1;
  }
  const high = 0x08 - segno;
  const low = 0x0f - ((absno >> segno) & 0x0f);
  const code = (high << 4) | low;
  return sample >= 0 ? code | 0x80 : code;
}

/** G.191 alaw_expand: even bits inverted on the wire (XOR 0x55); sign bit set = positive. */
function alawExpand(code: number): number {
  const ix = (code ^ 0x55) & 0x7f;
  const exponent = ix >> 4;
  let mantissa = ix & 0x0f;
  if (exponent > 0) mantissa += 16; // the implicit leading one of segments 1-7
  mantissa = (mantissa << 4) + 0x08; // centre of the quantization interval
  if (exponent > 1) mantissa <<= exponent - 1;
  return code > 0x7f ? mantissa : -mantissa;
}

/** G.191 alaw_compress on a 16-bit sample. */
function alawCompress(sample: number): number {
  let ix = sample < 0 ? ~sample >> 4 : sample >> 4;
  if (ix > 15) {
    let exponent = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      exponent++;
    }
    ix -= 16; // drop the leading one
    ix += exponent << 4;
  }
  if (sample >= 0) ix |= 0x80;
  return ix ^ 0x55;
}

for (let code = 0; code < 256; code++) {
  uDecode[code] = ulawExpand(code);
  aDecode[code] = alawExpand(code);
}
// Every 16-bit sample with the same top 14 (13) bits encodes the same way, so the representative
// `index << 2` (`index << 3`), sign-extended, stands for the whole group.
for (let index = 0; index < 1 << 14; index++) uEncode[index] = ulawCompress(((index << 18) >> 18) << 2);
for (let index = 0; index < 1 << 13; index++) aEncode[index] = alawCompress(((index << 19) >> 19) << 3);

/** One 16-bit sample (clamped if outside) to a mu-law code. */
export function linearToUlaw(sample: number): number {
  const s = sample > 32767 ? 32767 : sample < -32768 ? -32768 : sample | 0;
  return uEncode[(s >> 2) & 0x3fff]!;
}

/** One 16-bit sample (clamped if outside) to an A-law code. */
export function linearToAlaw(sample: number): number {
  const s = sample > 32767 ? 32767 : sample < -32768 ? -32768 : sample | 0;
  return aEncode[(s >> 3) & 0x1fff]!;
}

export function ulawToLinear(code: number): number {
  return uDecode[code & 0xff]!;
}

export function alawToLinear(code: number): number {
  return aDecode[code & 0xff]!;
}

/**
 * Decodes `length` codes of `src` (from `srcOffset`) into `dst` (from `dstOffset`); no allocation.
 * Returns the number of samples written.
 */
export function decodeUlaw(src: Uint8Array, dst: Int16Array, length = src.length, srcOffset = 0, dstOffset = 0): number {
  checkRange(src.length, srcOffset, dst.length, dstOffset, length);
  for (let i = 0; i < length; i++) dst[dstOffset + i] = uDecode[src[srcOffset + i]!]!;
  return length;
}

export function decodeAlaw(src: Uint8Array, dst: Int16Array, length = src.length, srcOffset = 0, dstOffset = 0): number {
  checkRange(src.length, srcOffset, dst.length, dstOffset, length);
  for (let i = 0; i < length; i++) dst[dstOffset + i] = aDecode[src[srcOffset + i]!]!;
  return length;
}

/** Encodes `length` samples of `src` into `dst`; no allocation. Returns the number of codes written. */
export function encodeUlaw(src: Int16Array, dst: Uint8Array, length = src.length, srcOffset = 0, dstOffset = 0): number {
  checkRange(src.length, srcOffset, dst.length, dstOffset, length);
  for (let i = 0; i < length; i++) dst[dstOffset + i] = uEncode[(src[srcOffset + i]! >> 2) & 0x3fff]!;
  return length;
}

export function encodeAlaw(src: Int16Array, dst: Uint8Array, length = src.length, srcOffset = 0, dstOffset = 0): number {
  checkRange(src.length, srcOffset, dst.length, dstOffset, length);
  for (let i = 0; i < length; i++) dst[dstOffset + i] = aEncode[(src[srcOffset + i]! >> 3) & 0x1fff]!;
  return length;
}

export function decodeG711(codec: G711Codec, src: Uint8Array, dst: Int16Array, length = src.length, srcOffset = 0, dstOffset = 0): number {
  return codec === "PCMU" ? decodeUlaw(src, dst, length, srcOffset, dstOffset) : decodeAlaw(src, dst, length, srcOffset, dstOffset);
}

export function encodeG711(codec: G711Codec, src: Int16Array, dst: Uint8Array, length = src.length, srcOffset = 0, dstOffset = 0): number {
  return codec === "PCMU" ? encodeUlaw(src, dst, length, srcOffset, dstOffset) : encodeAlaw(src, dst, length, srcOffset, dstOffset);
}

/** The code of digital silence: mu-law has a true zero (0xFF); A-law's smallest positive level is 0xD5 (+8). */
export function g711Silence(codec: G711Codec): number {
  return codec === "PCMU" ? 0xff : 0xd5;
}

/** RFC 3551 static payload type of a G.711 law, and back (null for any other payload type). */
export function g711PayloadType(codec: G711Codec): number {
  return codec === "PCMU" ? PCMU_PAYLOAD_TYPE : PCMA_PAYLOAD_TYPE;
}

export function g711CodecOf(payloadType: number): G711Codec | null {
  return payloadType === PCMU_PAYLOAD_TYPE ? "PCMU" : payloadType === PCMA_PAYLOAD_TYPE ? "PCMA" : null;
}

function checkRange(srcLen: number, srcOffset: number, dstLen: number, dstOffset: number, length: number): void {
  if (length < 0 || srcOffset < 0 || dstOffset < 0 || srcOffset + length > srcLen || dstOffset + length > dstLen) {
    throw new RangeError(`G.711 conversion of ${length} samples out of bounds (src ${srcLen} from ${srcOffset}, dst ${dstLen} from ${dstOffset})`);
  }
}
