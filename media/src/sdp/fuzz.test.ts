/**
 * Fuzzing the SDP offer/answer entry points (RFC 3264 over RFC 8866 bodies): mutants of real peer offers
 * and answers (sipp, baresip with BFCP, linphone over IPv6, holds) either negotiate or throw an SdpError
 * with a known code, never anything else, and whatever the module writes is SDP it and sdp-transform can
 * read back. Generated offers of ours, answered by a generated peer, negotiate to what each side said.
 * The budget comes from fuzz/support (FUZZ_RUNS, FUZZ_SECONDS, FUZZ_SEED).
 */
import fc from "fast-check";
import sdpTransform from "sdp-transform";
import { fuzzTarget, loadCorpus, loadRegressions, mutatedText, orRefusal } from "../../../fuzz/support/index.ts";
import { answerOffer, createOffer, parseAnswer, SdpError, SdpErrorCode, type G711Codec, type LocalMedia } from "./index.ts";
import { parseSdp } from "./parse.ts";
import * as peer from "./fixtures.ts";

const target = fuzzTarget("sdp", 4);
const LOCAL: LocalMedia = { address: "192.0.2.1", audioPort: 40000, bfcp: { port: 5070, confId: 1, userId: 2, floorId: 3 } };
const SESSION = { id: "1", version: 1 };
const CODES = new Set<string>(Object.values(SdpErrorCode));
const isTyped = (err: unknown) => err instanceof SdpError && CODES.has(err.code);

/** Lines that are each valid somewhere, to splice into other places. */
const INTERESTING = [
  "c=IN IP4 0.0.0.0", "c=IN IP6 ::", "c=IN IP4 224.2.1.1/127/3", "c=IN IP4 host.example.com", "m=audio 0 RTP/AVP 0",
  "m=audio 65535 RTP/AVP 0", "m=audio 5004/2 RTP/AVP 8", "m=application 9 TCP/BFCP *", "m=video 1 RTP/AVP 96",
  "a=rtpmap:0 PCMA/8000", "a=rtpmap:101 telephone-event/16000", "a=rtpmap:96 PCMU/8000/2", "a=fmtp:101 0-15,,",
  "a=sendonly", "a=inactive", "a=ptime:15", "a=ptime:", "a=rtcp:", "a=rtcp:65536", "a=rtcp-mux", "a=setup:passive",
  "a=setup:holdconn", "a=floorctrl:s-only", "a=floorid:x mstrm:", "t=0 0", "o=- 1 1 IN IP6 ::1", "v=0", "s=",
];

/** SDP-specific edits on top of the shared byte and line operators: numbers, line endings, new lines. */
const EDITS: ((lines: string[]) => string[])[] = [
  ...INTERESTING.map((line) => (l: string[]) => [...l.slice(0, l.length - 1), line, ...l.slice(l.length - 1)]),
  ...["", "1e3", "0x10", "99999999999999999999", "-0", "-5", "65536", "70000"].map((n) => (l: string[]) => {
    const text = l.join("\r\n");
    const m = /\d+/.exec(text.slice(text.length >> 1)) ?? /\d+/.exec(text);
    if (!m) return l;
    const at = text.indexOf(m[0], text.length >> 1) >= 0 ? text.indexOf(m[0], text.length >> 1) : m.index;
    return (text.slice(0, at) + n + text.slice(at + m[0].length)).split("\r\n");
  }),
  (l) => l.join("\r\n").replace(/\r\n/g, "\n").split("\r\n"),
];
const MUTATIONS = { tokens: ["\r\n", "\n", " ", "=", ":", "/", "a=", "m=", "c=", "IN IP4 ", "IN IP6 ", "RTP/AVP", "*", "\0", "é"], lines: "all" as const, edits: EDITS };

/** Real peer bodies: the corpus folder's, then the fixtures' (each a peer as captured in the tests). */
const OFFERS = [...loadCorpus("sdp").map((e) => e.bytes.toString("utf8")), ...Object.values(peer)];

const mediaAddress = fc.oneof(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 })).map((o) => o.join(".")), fc.constantFrom("::1", "fd00::2", "2001:db8::10"));
const evenPort = fc.integer({ min: 512, max: 32766 }).map((p) => 2 * p);
const codecs = fc.subarray<G711Codec>(["PCMU", "PCMA"], { minLength: 1 }).chain((c) => fc.shuffledSubarray(c, { minLength: c.length, maxLength: c.length }));
const local: fc.Arbitrary<LocalMedia> = fc.record({ address: mediaAddress, audioPort: evenPort, codecs });

describe("fuzz: SDP offer/answer", () => {
  it("the seed corpus: every captured peer offer is answered", () => {
    for (const { bytes } of loadCorpus("sdp")) expect(answerOffer(bytes.toString("utf8"), LOCAL, SESSION).audio.remote.port).toBeGreaterThan(0);
  });

  it("our generated offers, answered by a generated peer, negotiate to what each side said", () => {
    target.check("generated offer/answer", fc.tuple(local, local, fc.nat(1000)), ([us, them, version]) => {
      const offer = createOffer(us, { id: "7", version });
      const ours = parseSdp(offer);
      expect(ours.media[0]!.port).toBe(us.audioPort);
      const common = them.codecs!.filter((c) => us.codecs!.includes(c));
      const answered = orRefusal(() => answerOffer(offer, them, { id: "9", version: 1 }), isTyped);
      if (common.length === 0) {
        expect(answered).toBeNull();
        return;
      }
      expect(answered).not.toBeNull();
      const audio = parseAnswer(offer, answered!.sdp);
      expect(audio.remote).toMatchObject({ address: them.address, port: them.audioPort });
      expect(common).toContain(audio.codec);
      expect(answered!.audio.remote).toMatchObject({ address: us.address, port: us.audioPort });
    }, 400);
  }, target.timeoutMs);

  it("answerOffer on mutated peer offers: an answer with one m-line per offered one, or an SdpError", () => {
    let answered = 0;
    const tried = target.check("mutated offers", mutatedText(OFFERS, MUTATIONS), (offer) => {
      const answer = orRefusal(() => answerOffer(offer, LOCAL, SESSION), isTyped);
      if (answer === null) return;
      answered++;
      const offered = parseSdp(offer).media;
      const written = parseSdp(answer.sdp).media; // our own strict parser accepts what we wrote
      expect(written.map((m) => [m.type, m.proto])).toEqual(offered.map((m) => [m.type, m.proto]));
      expect(sdpTransform.parse(answer.sdp).media).toHaveLength(offered.length);
      for (const r of answer.rejected) expect(written[r.index]!.port).toBe(0);
      expect(written.filter((m) => m.port !== 0)).toHaveLength(1 + (answer.bfcp ? 1 : 0));
    }, 2500);
    // The mutations are small enough that many offers stay answerable: the property is not vacuous.
    expect(answered).toBeGreaterThan(tried / 20);
  }, target.timeoutMs);

  it("parseAnswer on mutated answers to our offer: NegotiatedAudio or an SdpError", () => {
    const offer = createOffer(LOCAL, SESSION);
    const answers = [
      answerOffer(offer, { address: "198.51.100.9", audioPort: 30000 }, { id: "7", version: 1 }).sdp,
      // sipp's uas answer
      "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
    ];
    target.check("mutated answers", mutatedText(answers, MUTATIONS), (answer) => {
      const audio = orRefusal(() => parseAnswer(offer, answer), isTyped);
      if (audio === null) return;
      expect(["PCMU", "PCMA"]).toContain(audio.codec);
      expect(audio.remote.port).toBeGreaterThan(0);
    }, 2000);
  }, target.timeoutMs);

  it("random text after v=0 is answered or refused with an SdpError", () => {
    const lines = fc.array(fc.oneof(fc.constantFrom(...INTERESTING), fc.string({ maxLength: 30 })), { maxLength: 20 }).map((l) => ["v=0", ...l, ""].join("\r\n"));
    target.check("random lines", lines, (body) => {
      orRefusal(() => answerOffer(body, LOCAL, SESSION), isTyped);
      orRefusal(() => parseSdp(body), isTyped);
    }, 1500);
  }, target.timeoutMs);
});

describe("fuzz regressions: SDP bodies that once broke the negotiation", () => {
  const regressions = loadRegressions("sdp");
  it("the regression corpus is readable", () => expect(Array.isArray(regressions)).toBe(true));
  for (const { name, bytes } of regressions) {
    it(`${name}: answered or refused with an SdpError`, () => {
      orRefusal(() => answerOffer(bytes.toString("utf8"), LOCAL, SESSION), isTyped);
      orRefusal(() => parseAnswer(createOffer(LOCAL, SESSION), bytes.toString("utf8")), isTyped);
    });
  }
});
