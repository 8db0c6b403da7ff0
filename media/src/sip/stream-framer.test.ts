import { SipParseError } from "./errors.ts";
import { StreamFramer, parseMessage, serialize, type SipMessage } from "./message.ts";
import { INVITE, OK_200, request, wire } from "./test-fixtures.ts";

const ACK = request({ CSeq: "314159 ACK" }, "ACK sip:1234@focus.example.com SIP/2.0");
const STREAM = Buffer.concat([INVITE, OK_200, ACK]);
const EXPECTED = [INVITE, OK_200, ACK].map((b) => parseMessage(b));

function feed(framer: StreamFramer, chunks: Buffer[]): SipMessage[] {
  return chunks.flatMap((c) => framer.push(c));
}

function thrown(f: () => unknown): SipParseError {
  try {
    f();
  } catch (err) {
    if (err instanceof SipParseError) return err;
    throw err;
  }
  throw new Error("no SipParseError thrown");
}

describe("StreamFramer (RFC 3261 section 18.3)", () => {
  it("frames several messages from one chunk by Content-Length", () => {
    expect(new StreamFramer().push(STREAM)).toEqual(EXPECTED);
  });

  it("yields the same messages whatever byte boundary splits the stream", () => {
    // Serialized bytes stand in for deep equality (start line, every header in order, body): exact, and
    // cheap enough to check every one of the ~2,000 cuts.
    const expected = Buffer.concat(EXPECTED.map(serialize));
    const wrong: number[] = [];
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const framer = new StreamFramer();
      const got = feed(framer, [STREAM.subarray(0, cut), STREAM.subarray(cut)]);
      if (got.length !== 3 || !Buffer.concat(got.map(serialize)).equals(expected) || framer.buffered !== 0) wrong.push(cut);
    }
    expect(wrong).toEqual([]);
    expect(feed(new StreamFramer(), [STREAM.subarray(0, 900), STREAM.subarray(900)])).toEqual(EXPECTED);
  });

  it("yields the same messages fed one byte at a time", () => {
    const framer = new StreamFramer();
    const out: SipMessage[] = [];
    for (let i = 0; i < STREAM.length; i++) out.push(...framer.push(STREAM.subarray(i, i + 1)));
    expect(out).toEqual(EXPECTED);
  });

  it("returns a message as soon as its last body byte arrives, and keeps partial bytes", () => {
    const framer = new StreamFramer();
    expect(framer.push(INVITE.subarray(0, INVITE.length - 1))).toEqual([]);
    expect(framer.buffered).toBe(INVITE.length - 1);
    expect(framer.push(INVITE.subarray(INVITE.length - 1))).toEqual([EXPECTED[0]]);
  });

  it("copies bodies, so reusing the chunk buffer is safe", () => {
    const chunk = Buffer.from(INVITE);
    const [msg] = new StreamFramer().push(chunk);
    chunk.fill(0x41);
    expect(msg).toEqual(EXPECTED[0]);
  });

  it("skips CRLF keep-alives between messages and reports pings and pongs (RFC 5626 section 4.4.1)", () => {
    const kinds: string[] = [];
    const framer = new StreamFramer({ onKeepAlive: (k) => kinds.push(k) });
    const stream = Buffer.concat([Buffer.from("\r\n\r\n"), INVITE, Buffer.from("\r\n\r\n\r\n\r\n"), OK_200, Buffer.from("\r\n"), ACK, Buffer.from("\r\n\r\n")]);
    expect(framer.push(stream)).toEqual(EXPECTED);
    expect(kinds).toEqual(["ping", "ping", "ping", "pong", "ping"]);
  });

  it("tells a ping from a pong across chunk boundaries", () => {
    const kinds: string[] = [];
    const framer = new StreamFramer({ onKeepAlive: (k) => kinds.push(k) });
    framer.push(Buffer.from("\r"));
    framer.push(Buffer.from("\n"));
    expect(kinds).toEqual([]);
    framer.push(Buffer.from("\r"));
    framer.push(Buffer.from("\n"));
    expect(kinds).toEqual(["ping"]);
    framer.push(Buffer.from("\r\n"));
    expect(framer.push(INVITE)).toEqual([EXPECTED[0]]);
    expect(kinds).toEqual(["ping", "pong"]);
  });

  it("requires Content-Length on a stream", () => {
    const noLength = wire(["OPTIONS sip:a@b.example SIP/2.0", "Via: SIP/2.0/TCP h.example.com;branch=z9hG4bK1", "From: <sip:x@y.example>;tag=1", "To: <sip:a@b.example>", "Call-ID: s@h", "CSeq: 1 OPTIONS"]);
    const err = thrown(() => new StreamFramer().push(noLength));
    expect(err.code).toBe("CONTENT_LENGTH");
    expect(err.request?.method).toBe("OPTIONS");
  });

  it("cuts off a peer speaking something else at once, before the header section ends", () => {
    // A TLS ClientHello on the TCP port: the first byte is no start of a SIP message.
    expect(thrown(() => new StreamFramer().push(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]))).code).toBe("START_LINE");
    // HTTP: the start line is complete, and it is no SIP start line.
    expect(thrown(() => new StreamFramer().push(Buffer.from("GET / HTTP/1.1\r\nHost: exa"))).code).toBe("START_LINE");
    // A control byte in what would be the start line.
    expect(thrown(() => new StreamFramer().push(Buffer.from("INVITE sip:a\0"))).code).toBe("START_LINE");
    // A stray LF between messages.
    expect(thrown(() => new StreamFramer().push(Buffer.concat([INVITE, Buffer.from("\nINVITE")]))).code).toBe("START_LINE");
    expect(thrown(() => new StreamFramer().push(Buffer.from("\r\r\n"))).code).toBe("START_LINE");
  });

  it("refuses an endless header section at maxSize and an oversized Content-Length at once", () => {
    const framer = new StreamFramer({ maxSize: 1024 });
    framer.push(Buffer.from("INVITE sip:a@b.example SIP/2.0\r\nX-Pad: "));
    expect(thrown(() => framer.push(Buffer.alloc(1100, 0x61))).code).toBe("TOO_LARGE");
    const big = wire(["OPTIONS sip:a@b.example SIP/2.0", "Via: SIP/2.0/TCP h.example.com;branch=z9hG4bK1", "Content-Length: 1000000"]);
    expect(thrown(() => new StreamFramer().push(big)).code).toBe("TOO_LARGE");
  });

  it("stays failed after an error, throwing it again", () => {
    const framer = new StreamFramer();
    const first = thrown(() => framer.push(Buffer.from([0x16])));
    expect(thrown(() => framer.push(INVITE))).toBe(first);
  });

  it("throws a well-framed but invalid message, or reports it to onInvalid and goes on", () => {
    const invalid = request({ "Call-ID": null });
    expect(thrown(() => new StreamFramer().push(Buffer.concat([invalid, INVITE]))).code).toBe("MISSING_HEADER");
    const errors: SipParseError[] = [];
    const framer = new StreamFramer({ onInvalid: (e) => errors.push(e) });
    expect(framer.push(Buffer.concat([invalid, INVITE, request({}, "OPTIONS sip:a@b.example SIP/3.0"), OK_200]))).toEqual([EXPECTED[0], EXPECTED[1]]);
    expect(errors.map((e) => [e.code, e.request?.method])).toEqual([["MISSING_HEADER", "OPTIONS"], ["VERSION", "OPTIONS"]]);
  });

  it("frames many small messages from large chunks and large messages from small chunks", () => {
    const many = Buffer.concat(Array.from({ length: 200 }, () => ACK));
    const framer = new StreamFramer();
    let count = 0;
    for (let i = 0; i < many.length; i += 1000) count += framer.push(many.subarray(i, i + 1000)).length;
    expect(count).toBe(200);
    const body = "x".repeat(60_000);
    const large = request({ "Content-Type": "text/plain" }, "MESSAGE sip:a@b.example SIP/2.0", body);
    const f2 = new StreamFramer();
    const got: SipMessage[] = [];
    for (let i = 0; i < large.length; i += 7) got.push(...f2.push(large.subarray(i, i + 7)));
    expect(got).toHaveLength(1);
    expect(got[0]!.body.length).toBe(60_000);
  });
});
