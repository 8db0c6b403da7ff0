// Mutated peer offers and answers (bounded to about 2 s each): the module either answers or throws an
// SdpError with a known code, never anything else, and whatever it writes is SDP it can read back.
import fc from "fast-check";
import sdpTransform from "sdp-transform";
import { answerOffer, createOffer, parseAnswer, SdpError, SdpErrorCode, type LocalMedia } from "./index.ts";
import { parseSdp } from "./parse.ts";
import * as peer from "./fixtures.ts";

const LOCAL: LocalMedia = { address: "192.0.2.1", audioPort: 40000, bfcp: { port: 5070, confId: 1, userId: 2, floorId: 3 } };
const SESSION = { id: "1", version: 1 };
const CODES = new Set<string>(Object.values(SdpErrorCode));
const BUDGET_MS = 2000;

/** Lines that are each valid somewhere, to splice into other places. */
const INTERESTING = [
  "c=IN IP4 0.0.0.0", "c=IN IP6 ::", "c=IN IP4 224.2.1.1/127/3", "c=IN IP4 host.example.com", "m=audio 0 RTP/AVP 0",
  "m=audio 65535 RTP/AVP 0", "m=audio 5004/2 RTP/AVP 8", "m=application 9 TCP/BFCP *", "m=video 1 RTP/AVP 96",
  "a=rtpmap:0 PCMA/8000", "a=rtpmap:101 telephone-event/16000", "a=rtpmap:96 PCMU/8000/2", "a=fmtp:101 0-15,,",
  "a=sendonly", "a=inactive", "a=ptime:15", "a=ptime:", "a=rtcp:", "a=rtcp:65536", "a=rtcp-mux", "a=setup:passive",
  "a=setup:holdconn", "a=floorctrl:s-only", "a=floorid:x mstrm:", "t=0 0", "o=- 1 1 IN IP6 ::1", "v=0", "s=",
];

const corpus = Object.values(peer);

/** One edit of an SDP body, chosen among structural (lines) and lexical (characters) mutations. */
const mutation: fc.Arbitrary<(body: string) => string> = fc.oneof(
  fc.nat().map((i) => (b: string) => edit(b, (l) => l.splice(i % Math.max(l.length, 1), 1))),
  fc.nat().map((i) => (b: string) => edit(b, (l) => l.splice(i % Math.max(l.length, 1), 0, l[i % Math.max(l.length, 1)] ?? ""))),
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]) => (b: string) => edit(b, (l) => {
    const a = i % Math.max(l.length, 1), c = j % Math.max(l.length, 1);
    [l[a], l[c]] = [l[c]!, l[a]!];
  })),
  fc.tuple(fc.nat(), fc.constantFrom(...INTERESTING)).map(([i, line]) => (b: string) => edit(b, (l) => l.splice(i % (l.length + 1), 0, line))),
  fc.tuple(fc.nat(), fc.string({ maxLength: 30 })).map(([i, s]) => (b: string) => edit(b, (l) => l.splice(i % Math.max(l.length, 1), 1, s))),
  fc.tuple(fc.nat(), fc.string({ unit: "binary", maxLength: 3 })).map(([i, s]) => (b: string) => {
    const at = i % (b.length + 1);
    return b.slice(0, at) + s + b.slice(at + 1);
  }),
  fc.tuple(fc.nat(), fc.oneof(fc.integer({ min: -5, max: 70_000 }).map(String), fc.constantFrom("", "1e3", "0x10", "99999999999999999999", "-0"))).map(
    ([i, n]) => (b: string) => {
      const numbers = [...b.matchAll(/\d+/g)];
      if (numbers.length === 0) return b;
      const m = numbers[i % numbers.length]!;
      return b.slice(0, m.index) + n + b.slice(m.index + m[0].length);
    },
  ),
  fc.nat().map((i) => (b: string) => b.slice(0, i % (b.length + 1))),
  fc.constant((b: string) => b.replace(/\r\n/g, "\n")),
);

const mutatedBody = (bodies: string[]) =>
  fc.tuple(fc.constantFrom(...bodies), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([body, edits]) => edits.reduce((b, e) => e(b), body));

function edit(body: string, change: (lines: string[]) => void): string {
  const lines = body.split("\r\n");
  change(lines);
  return lines.join("\r\n");
}

function expectSdpErrorOnly(err: unknown): void {
  if (!(err instanceof SdpError) || !CODES.has(err.code)) throw err;
}

describe("fuzz", () => {
  it("answerOffer on mutated peer offers: an answer with one m-line per offered one, or an SdpError", () => {
    let answered = 0;
    fc.assert(
      fc.property(mutatedBody(corpus), (offer) => {
        let answer;
        try {
          answer = answerOffer(offer, LOCAL, SESSION);
        } catch (err) {
          expectSdpErrorOnly(err);
          return;
        }
        answered++;
        const offered = parseSdp(offer).media;
        const written = parseSdp(answer.sdp).media; // our own strict parser accepts what we wrote
        expect(written.map((m) => [m.type, m.proto])).toEqual(offered.map((m) => [m.type, m.proto]));
        expect(sdpTransform.parse(answer.sdp).media).toHaveLength(offered.length);
        for (const r of answer.rejected) expect(written[r.index]!.port).toBe(0);
        expect(written.filter((m) => m.port !== 0)).toHaveLength(1 + (answer.bfcp ? 1 : 0));
      }),
      { numRuns: 1_000_000, plugins: [fc.interruptAfterTimeLimit(BUDGET_MS)] },
    );
    // The mutations are small enough that many offers stay answerable: the property is not vacuous.
    expect(answered).toBeGreaterThan(50);
  });

  it("parseAnswer on mutated answers to our offer: NegotiatedAudio or an SdpError", () => {
    const offer = createOffer(LOCAL, SESSION);
    const answers = [
      answerOffer(offer, { address: "198.51.100.9", audioPort: 30000 }, { id: "7", version: 1 }).sdp,
      // sipp's uas answer
      "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
    ];
    fc.assert(
      fc.property(mutatedBody(answers), (answer) => {
        try {
          const audio = parseAnswer(offer, answer);
          expect(["PCMU", "PCMA"]).toContain(audio.codec);
          expect(audio.remote.port).toBeGreaterThan(0);
        } catch (err) {
          expectSdpErrorOnly(err);
        }
      }),
      { numRuns: 1_000_000, plugins: [fc.interruptAfterTimeLimit(BUDGET_MS)] },
    );
  });
});
