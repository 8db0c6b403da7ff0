/**
 * Bounded fuzzing of the wire parsers (about 2 s in all): any bytes either parse or throw the parser's
 * typed error, never another exception; what parses re-serializes to the same bytes.
 */
import * as fc from "fast-check";
import { parseRtp, RtpParseError, serializeRtp, rtpPacketSize, isRtcp } from "./packet.ts";
import { DtmfReceiver, encodeTelephoneEvent, parseTelephoneEvent, TelephoneEventParseError } from "../audio/dtmf.ts";
import { JitterBuffer } from "../audio/jitter-buffer.ts";

const budget = (ms: number) => ({ numRuns: 1_000_000, interruptAfterTimeLimit: ms });

/** Bytes that look like RTP more often than uniform noise does: version 2 with random flags and CC. */
const rtpish = fc
  .tuple(fc.integer({ min: 0, max: 63 }), fc.uint8Array({ minLength: 0, maxLength: 120 }))
  .map(([flags, rest]) => Uint8Array.of(0x80 | flags, ...rest));

function parseOrTypedError(bytes: Uint8Array): void {
  let packet;
  try {
    packet = parseRtp(bytes);
  } catch (err) {
    if (!(err instanceof RtpParseError)) throw err;
    return;
  }
  // The payload lies inside the datagram, and the packet re-serializes to the same bytes (padding
  // bytes other than the count are not kept, so compare only without padding).
  expect(packet.payload.byteOffset + packet.payload.length).toBeLessThanOrEqual(bytes.byteOffset + bytes.length);
  if (packet.paddingLength === 0) {
    const out = new Uint8Array(rtpPacketSize(packet));
    serializeRtp(packet, out);
    expect(out).toEqual(bytes);
  }
}

describe("fuzz", () => {
  test("parseRtp: random bytes parse or throw RtpParseError", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), parseOrTypedError), budget(500));
    fc.assert(fc.property(rtpish, parseOrTypedError), budget(500));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(typeof isRtcp(b)).toBe("boolean");
      }),
      budget(100),
    );
  });

  test("parseTelephoneEvent and DtmfReceiver: random payloads parse or throw TelephoneEventParseError", () => {
    const rx = new DtmfReceiver();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), fc.integer({ min: 0, max: 0xffffffff }), (payload, timestamp) => {
        try {
          const ev = parseTelephoneEvent(payload);
          // the encoder gives back the last block with the reserved bit cleared
          const last = payload.subarray(payload.length - 4);
          expect(Array.from(encodeTelephoneEvent(ev))).toEqual([last[0], last[1]! & 0xbf, last[2], last[3]]);
          rx.receive({ timestamp, ssrc: 1, payload });
        } catch (err) {
          if (!(err instanceof TelephoneEventParseError)) throw err;
        }
      }),
      budget(500),
    );
  });

  test("JitterBuffer: any sequence of packets and pops keeps its invariants", () => {
    const packet = fc.record({
      payloadType: fc.constantFrom(0, 8, 13, 101),
      marker: fc.boolean(),
      seq: fc.integer({ min: 0, max: 0xffff }),
      timestamp: fc.integer({ min: 0, max: 0xffffffff }),
      ssrc: fc.constantFrom(1, 2),
      payload: fc.uint8Array({ maxLength: 400 }),
    });
    const step = fc.oneof(packet, fc.constant("pop" as const));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.constantFrom("adaptive" as const, "fixed" as const), (steps, mode) => {
        const jb = new JitterBuffer({ mode });
        let now = 0;
        for (const s of steps) {
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
      }),
      budget(400),
    );
  });
});
