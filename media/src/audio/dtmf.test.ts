import {
  DTMF_DIGITS,
  DtmfReceiver,
  dtmfDigitOf,
  dtmfEventCode,
  encodeTelephoneEvent,
  parseTelephoneEvent,
  TelephoneEventErrorCode,
  TelephoneEventParseError,
  telephoneEventTrain,
  type DtmfDigit,
  type TelephoneEventPacket,
} from "./dtmf.ts";

function digitsOf(rx: DtmfReceiver, packets: readonly Pick<TelephoneEventPacket, "timestamp" | "ssrc" | "payload">[]): string {
  return packets.map((p) => rx.receive(p)?.digit ?? "").join("");
}

describe("telephone-event payload (RFC 4733 section 2.3)", () => {
  test("parses event, E bit, volume and duration", () => {
    expect(parseTelephoneEvent(Uint8Array.of(11, 0x8a, 0x03, 0x20))).toEqual({ event: 11, end: true, volume: 10, duration: 800 });
    expect(parseTelephoneEvent(Uint8Array.of(5, 0x3f, 0xff, 0xff))).toEqual({ event: 5, end: false, volume: 63, duration: 65535 });
  });

  test("ignores the reserved R bit (section 2.3.3)", () => {
    expect(parseTelephoneEvent(Uint8Array.of(1, 0x40 | 7, 0, 160))).toEqual({ event: 1, end: false, volume: 7, duration: 160 });
  });

  test("round-trips through the encoder", () => {
    for (const ev of [
      { event: 0, end: false, volume: 0, duration: 0 },
      { event: 15, end: true, volume: 63, duration: 0xffff },
      { event: 200, end: false, volume: 10, duration: 1234 },
    ]) {
      expect(parseTelephoneEvent(encodeTelephoneEvent(ev))).toEqual(ev);
    }
    const out = new Uint8Array(10);
    encodeTelephoneEvent({ event: 9, end: true, volume: 1, duration: 2 }, out, 6);
    expect(Array.from(out.subarray(6))).toEqual([9, 0x81, 0, 2]);
    expect(() => encodeTelephoneEvent({ event: 1, end: false, volume: 64, duration: 0 })).toThrow(RangeError);
    expect(() => encodeTelephoneEvent({ event: 1, end: false, volume: 1, duration: 70000 })).toThrow(RangeError);
  });

  test("rejects payloads that are not whole 4-byte events with a typed error", () => {
    for (const n of [0, 1, 3, 5, 7]) {
      let caught: unknown;
      try {
        parseTelephoneEvent(new Uint8Array(n));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(TelephoneEventParseError);
      expect((caught as TelephoneEventParseError).code).toBe(TelephoneEventErrorCode.BAD_LENGTH);
    }
  });

  test("of stacked events (RFC 2833 senders), the last is the current one", () => {
    expect(parseTelephoneEvent(Uint8Array.of(1, 0x80, 0, 160, 2, 0, 0, 80)).event).toBe(2);
  });

  test("maps the 16 DTMF keys to events 0-15 (section 3.2)", () => {
    expect(DTMF_DIGITS.join("")).toBe("0123456789*#ABCD");
    expect(dtmfEventCode("*")).toBe(10);
    expect(dtmfEventCode("#")).toBe(11);
    expect(dtmfEventCode("D")).toBe(15);
    expect(dtmfDigitOf(12)).toBe("A");
    expect(dtmfDigitOf(16)).toBeNull();
    expect(() => dtmfEventCode("E" as DtmfDigit)).toThrow(RangeError);
  });
});

describe("telephoneEventTrain", () => {
  test("start with the marker, updates, three end packets; one timestamp, consecutive sequence numbers", () => {
    const train = telephoneEventTrain({ digit: "#", timestamp: 0xfffffff0, seq: 0xfffe, ssrc: 77, durationMs: 120, intervalMs: 50 });
    expect(train.map((p) => p.marker)).toEqual([true, false, false, false, false, false]);
    expect(new Set(train.map((p) => p.timestamp))).toEqual(new Set([0xfffffff0]));
    expect(train.map((p) => p.seq)).toEqual([0xfffe, 0xffff, 0, 1, 2, 3]);
    const events = train.map((p) => parseTelephoneEvent(p.payload));
    expect(events.map((e) => e.end)).toEqual([false, false, false, true, true, true]);
    expect(events.map((e) => e.duration)).toEqual([0, 400, 800, 960, 960, 960]);
    expect(events.every((e) => e.event === 11 && e.volume === 10)).toBe(true);
    expect(train.map((p) => p.sendAtMs)).toEqual([0, 50, 100, 120, 170, 220]);
    expect(train.every((p) => p.payloadType === 101)).toBe(true);
  });
});

describe("DtmfReceiver", () => {
  test("a key press sent as the usual packet train is reported once", () => {
    const rx = new DtmfReceiver();
    const train = telephoneEventTrain({ digit: "5", timestamp: 8000, seq: 1, ssrc: 1, durationMs: 200 });
    expect(train.length).toBeGreaterThanOrEqual(7);
    const reports = train.map((p) => rx.receive(p));
    expect(reports.filter((r) => r !== null)).toEqual([{ digit: "5", timestamp: 8000, endOnly: false }]);
    expect(reports[0]).not.toBeNull(); // reported at the start packet, not held until the end
  });

  test("two presses of the same key are both reported", () => {
    const rx = new DtmfReceiver();
    const first = telephoneEventTrain({ digit: "1", timestamp: 8000, seq: 1, ssrc: 1 });
    const second = telephoneEventTrain({ digit: "1", timestamp: 8000 + 2400, seq: 1 + first.length, ssrc: 1 });
    expect(digitsOf(rx, [...first, ...second])).toBe("11");
  });

  test("every key, in a sequence, each once", () => {
    const rx = new DtmfReceiver();
    let ts = 0;
    let seq = 0;
    const packets = DTMF_DIGITS.flatMap((digit) => {
      const train = telephoneEventTrain({ digit, timestamp: (ts += 1600), seq, ssrc: 3 });
      seq += train.length;
      return train;
    });
    expect(digitsOf(rx, packets)).toBe("0123456789*#ABCD");
  });

  test("lost start packets, reordering and late retransmissions do not duplicate or lose a press", () => {
    const rx = new DtmfReceiver();
    const a = telephoneEventTrain({ digit: "4", timestamp: 1000, seq: 10, ssrc: 1 });
    const b = telephoneEventTrain({ digit: "2", timestamp: 3000, seq: 20, ssrc: 1 });
    // a's start lost; a's last end packet arrives after b started
    const packets = [...a.slice(1, -1), b[0]!, a[a.length - 1]!, ...b.slice(1)];
    expect(digitsOf(rx, packets)).toBe("42");
    // only end packets of a press (everything else lost) still count, flagged
    const c = telephoneEventTrain({ digit: "9", timestamp: 9000, seq: 30, ssrc: 1 });
    const reports = c.slice(-3).map((p) => rx.receive(p));
    expect(reports[0]).toEqual({ digit: "9", timestamp: 9000, endOnly: true });
    expect(reports.slice(1)).toEqual([null, null]);
  });

  test("an event longer than the 16-bit duration continues in a new segment without a second report", () => {
    const rx = new DtmfReceiver();
    const seg = (ts: number, duration: number, end: boolean) => ({ timestamp: ts, ssrc: 1, payload: encodeTelephoneEvent({ event: 0, end, volume: 10, duration }) });
    const packets = [seg(0, 0, false), seg(0, 32000, false), seg(0, 0xffff, false), seg(0xffff, 400, false), seg(0xffff, 8000, true)];
    expect(digitsOf(rx, packets)).toBe("0");
  });

  test("non-DTMF events are ignored; a new SSRC starts afresh", () => {
    const rx = new DtmfReceiver();
    expect(rx.receive({ timestamp: 5, ssrc: 1, payload: encodeTelephoneEvent({ event: 16, end: false, volume: 10, duration: 0 }) })).toBeNull();
    const train = telephoneEventTrain({ digit: "8", timestamp: 100, seq: 1, ssrc: 1 });
    expect(digitsOf(rx, train)).toBe("8");
    // the same timestamp from another source is another press
    expect(digitsOf(rx, train.map((p) => ({ ...p, ssrc: 2 })))).toBe("8");
  });

  test("malformed payloads throw the typed error", () => {
    expect(() => new DtmfReceiver().receive({ timestamp: 1, ssrc: 1, payload: new Uint8Array(2) })).toThrow(TelephoneEventParseError);
  });
});
