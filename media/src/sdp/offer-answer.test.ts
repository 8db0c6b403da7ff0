// Offer/answer against the SDP our peers really send (fixtures.ts); every answer is read back with
// sdp-transform, independently of the code that wrote it.
import sdpTransform from "sdp-transform";
import { answerOffer, createOffer, parseAnswer, SdpError, type LocalMedia, type SdpErrorCode } from "./index.ts";
import * as peer from "./fixtures.ts";

const LOCAL: LocalMedia = { address: "192.0.2.1", audioPort: 40000 };
const LOCAL6: LocalMedia = { address: "2001:db8::1", audioPort: 40000 };
const SESSION = { id: "1732550000", version: 1 };
const BFCP = { port: 5070, confId: 4321, userId: 7, floorId: 1 };

const sdp = (...lines: string[]) => lines.join("\r\n") + "\r\n";
const read = (text: string) => sdpTransform.parse(text);

function sdpErrorOf(fn: () => unknown): SdpError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SdpError) return err;
    throw err;
  }
  throw new Error("expected an SdpError, nothing was thrown");
}
const codeOf = (fn: () => unknown): SdpErrorCode => sdpErrorOf(fn).code;

/** An offer with one audio m-line whose body after the m= line is `audio`. */
const audioOffer = (mLine: string, ...attributes: string[]) =>
  sdp("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0", mLine, ...attributes);

describe("answerOffer: the answer's shape (RFC 3264 section 6)", () => {
  it("answers sipp's uac_pcap offer with PCMA and its telephone-event, o= and c= ours", () => {
    const a = answerOffer(peer.SIPP_UAC_PCAP, LOCAL, SESSION);
    expect(a.sdp.startsWith("v=0\r\n")).toBe(true);
    expect(a.sdp.endsWith("\r\n")).toBe(true);
    const s = read(a.sdp);
    expect(s.origin).toEqual({ username: "focus", sessionId: 1732550000, sessionVersion: 1, netType: "IN", ipVer: 4, address: "192.0.2.1" });
    expect(s.connection).toEqual({ version: 4, ip: "192.0.2.1" });
    expect(s.timing).toEqual({ start: 0, stop: 0 });
    expect(s.media).toHaveLength(1);
    const m = s.media[0]!;
    expect([m.type, m.port, m.protocol, m.payloads]).toEqual(["audio", 40000, "RTP/AVP", "8 101"]);
    expect(m.rtp).toEqual([{ payload: 8, codec: "PCMA", rate: 8000 }, { payload: 101, codec: "telephone-event", rate: 8000 }]);
    expect(m.fmtp).toEqual([{ payload: 101, config: "0-11,16" }]);
    expect(m.direction).toBe("sendrecv");
    expect(m.ptime).toBe(20);
    expect(a.audio).toEqual({
      codec: "PCMA",
      payloadType: 8,
      clockRate: 8000,
      telephoneEvent: { payloadType: 101, clockRate: 8000, events: "0-11,16" },
      remote: { address: "127.0.0.1", port: 6000, rtcpPort: 6001, rtcpMux: false },
      direction: "sendrecv",
      onHold: false,
      ptime: 20,
    });
    expect(a.rejected).toEqual([]);
    expect(a.bfcp).toBeNull();
  });

  it("reads sipp's uac body (LF line ends, trailing blank lines, no telephone-event)", () => {
    const a = answerOffer(peer.SIPP_UAC, LOCAL, SESSION);
    const m = read(a.sdp).media[0]!;
    expect(String(m.payloads)).toBe("0");
    expect(m.rtp).toEqual([{ payload: 0, codec: "PCMU", rate: 8000 }]);
    expect(a.audio.telephoneEvent).toBeNull();
  });

  it("takes the session username and version the caller passes; a later answer carries a higher version", () => {
    const first = read(answerOffer(peer.BARESIP, LOCAL, { id: "42", version: 1, username: "conf-7" }).sdp).origin;
    const second = read(answerOffer(peer.BARESIP_HOLD, LOCAL, { id: "42", version: 2, username: "conf-7" }).sdp).origin;
    expect([first.username, first.sessionId, first.sessionVersion]).toEqual(["conf-7", 42, 1]);
    expect([second.sessionId, second.sessionVersion]).toEqual([42, 2]);
  });

  it("answers an IPv6 offer (linphone) with IN IP6 in o= and c=", () => {
    const a = answerOffer(peer.LINPHONE, LOCAL6, SESSION);
    const s = read(a.sdp);
    expect(s.origin.ipVer).toBe(6);
    expect(s.origin.address).toBe("2001:db8::1");
    expect(s.connection).toEqual({ version: 6, ip: "2001:db8::1" });
    expect(a.audio.remote).toEqual({ address: "fd00::2", port: 7078, rtcpPort: 7079, rtcpMux: false });
  });

  const all = Object.entries(peer).filter(([name]) => name !== "G729_ONLY");
  it.each(all)("%s: as many m-lines as offered, in order, rejected ones on port 0 with type and proto kept", (_name, offer) => {
    const a = answerOffer(offer, LOCAL, SESSION);
    const o = read(offer).media;
    const s = read(a.sdp).media;
    expect(s.map((m) => [m.type, m.protocol])).toEqual(o.map((m) => [m.type, m.protocol]));
    for (const r of a.rejected) expect(s[r.index]!.port).toBe(0);
    expect(s.filter((m) => m.port !== 0)).toHaveLength(1 + (a.bfcp ? 1 : 0));
  });
});

describe("answerOffer: codec choice (RFC 3264 section 6.1, RFC 3551 section 6)", () => {
  it("baresip: PCMU, the offer's first codec we support, and only it besides telephone-event", () => {
    const a = answerOffer(peer.BARESIP, LOCAL, SESSION);
    const m = read(a.sdp).media[0]!;
    expect(m.payloads).toBe("0 101");
    expect(m.fmtp).toEqual([{ payload: 101, config: "0-15" }]);
    expect(a.audio.codec).toBe("PCMU");
  });

  it("follows the offer's order, not ours: PCMA when the offer lists 8 before 0", () => {
    const a = answerOffer(peer.LINPHONE_IPV4_PCMA_FIRST, LOCAL, SESSION);
    expect([a.audio.codec, a.audio.payloadType]).toEqual(["PCMA", 8]);
    expect(read(a.sdp).media[0]!.payloads).toBe("8 101");
  });

  it("only considers the codecs we are configured for", () => {
    expect(answerOffer(peer.BARESIP, { ...LOCAL, codecs: ["PCMA"] }, SESSION).audio.codec).toBe("PCMA");
    expect(answerOffer(peer.LINPHONE_IPV4_PCMA_FIRST, { ...LOCAL, codecs: ["PCMU"] }, SESSION).audio.codec).toBe("PCMU");
  });

  it("recognises G.711 under a dynamic payload type by its rtpmap name, case-insensitively, and keeps that number", () => {
    const a = answerOffer(audioOffer("m=audio 5004 RTP/AVP 96 97", "a=rtpmap:96 L16/8000", "a=rtpmap:97 pcmu/8000"), LOCAL, SESSION);
    expect([a.audio.codec, a.audio.payloadType]).toEqual(["PCMU", 97]);
    expect(read(a.sdp).media[0]!.rtp).toEqual([{ payload: 97, codec: "PCMU", rate: 8000 }]);
  });

  it("believes an rtpmap over the static table, and refuses G.711 at another rate or in stereo", () => {
    expect(answerOffer(audioOffer("m=audio 5004 RTP/AVP 0 8", "a=rtpmap:0 PCMU/16000"), LOCAL, SESSION).audio.codec).toBe("PCMA");
    expect(codeOf(() => answerOffer(audioOffer("m=audio 5004 RTP/AVP 96", "a=rtpmap:96 PCMA/8000/2"), LOCAL, SESSION))).toBe("NO_COMMON_CODEC");
  });

  it("refuses a G.729-only offer with NO_COMMON_CODEC (the SIP layer's 488)", () => {
    const err = sdpErrorOf(() => answerOffer(peer.G729_ONLY, LOCAL, SESSION));
    expect(err.code).toBe("NO_COMMON_CODEC");
    expect(err.message).toMatch(/G729\/8000/);
  });

  it("refuses audio over a profile other than RTP/AVP (SRTP, AVPF)", () => {
    expect(codeOf(() => answerOffer(audioOffer("m=audio 5004 RTP/SAVP 0", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"), LOCAL, SESSION))).toBe("NO_COMMON_CODEC");
    expect(codeOf(() => answerOffer(audioOffer("m=audio 5004 RTP/AVPF 0"), LOCAL, SESSION))).toBe("NO_COMMON_CODEC");
  });

  it("has NO_AUDIO when nothing audio is offered with a port", () => {
    expect(codeOf(() => answerOffer(audioOffer("m=video 5006 RTP/AVP 96", "a=rtpmap:96 VP8/90000"), LOCAL, SESSION))).toBe("NO_AUDIO");
    expect(codeOf(() => answerOffer(audioOffer("m=audio 0 RTP/AVP 0"), LOCAL, SESSION))).toBe("NO_AUDIO");
  });
});

describe("answerOffer: telephone-event (RFC 4733)", () => {
  it("linphone: picks the 8000 Hz telephone-event among 48000, 16000 and 8000, no fmtp since none was offered", () => {
    const a = answerOffer(peer.LINPHONE, LOCAL6, SESSION);
    const m = read(a.sdp).media[0]!;
    expect(m.payloads).toBe("0 101");
    expect(m.rtp).toEqual([{ payload: 0, codec: "PCMU", rate: 8000 }, { payload: 101, codec: "telephone-event", rate: 8000 }]);
    expect(m.fmtp).toEqual([]);
    expect(a.audio.telephoneEvent).toEqual({ payloadType: 101, clockRate: 8000, events: "0-15" });
  });

  it("answers no telephone-event when none is offered at 8000 Hz", () => {
    const a = answerOffer(audioOffer("m=audio 5004 RTP/AVP 0 99", "a=rtpmap:99 telephone-event/48000"), LOCAL, SESSION);
    expect(String(read(a.sdp).media[0]!.payloads)).toBe("0");
    expect(a.audio.telephoneEvent).toBeNull();
  });

  it("keeps the offered payload type and event list; an unreadable list is dropped for the 0-15 default", () => {
    const a = answerOffer(audioOffer("m=audio 5004 RTP/AVP 8 126", "a=rtpmap:126 telephone-event/8000", "a=fmtp:126 0-15,66,70"), LOCAL, SESSION);
    expect(a.audio.telephoneEvent).toEqual({ payloadType: 126, clockRate: 8000, events: "0-15,66,70" });
    expect(read(a.sdp).media[0]!.fmtp).toEqual([{ payload: 126, config: "0-15,66,70" }]);
    const b = answerOffer(audioOffer("m=audio 5004 RTP/AVP 8 126", "a=rtpmap:126 telephone-event/8000", "a=fmtp:126 events=all"), LOCAL, SESSION);
    expect(b.audio.telephoneEvent?.events).toBe("0-15");
    expect(read(b.sdp).media[0]!.fmtp).toEqual([]);
  });
});

describe("answerOffer: direction and hold (RFC 3264 sections 6.1 and 8.4)", () => {
  const cases: [string, string, string, string, boolean][] = [
    // offer, its direction line(s), our answer, NegotiatedAudio.direction, onHold
    ["sendrecv", "a=sendrecv", "sendrecv", "sendrecv", false],
    ["sendonly", "a=sendonly", "recvonly", "recvonly", true],
    ["recvonly", "a=recvonly", "sendonly", "sendonly", false],
    ["inactive", "a=inactive", "inactive", "inactive", true],
  ];
  it.each(cases)("offer %s -> answer %s", (_name, attr, answered, ours, onHold) => {
    const a = answerOffer(audioOffer("m=audio 5004 RTP/AVP 0", attr), LOCAL, SESSION);
    expect(read(a.sdp).media[0]!.direction).toBe(answered);
    expect(a.audio.direction).toBe(ours);
    expect(a.audio.onHold).toBe(onHold);
  });

  it("sipp's re-INVITE to sendonly, baresip's and linphone's hold: answered recvonly, on hold", () => {
    for (const offer of [peer.SIPP_RTPSTREAM_REINVITE_SENDONLY, peer.BARESIP_HOLD, peer.LINPHONE_HOLD]) {
      const a = answerOffer(offer, offer === peer.LINPHONE_HOLD ? LOCAL6 : LOCAL, SESSION);
      expect(read(a.sdp).media[0]!.direction).toBe("recvonly");
      expect([a.audio.direction, a.audio.onHold]).toEqual(["recvonly", true]);
    }
  });

  it("c=0.0.0.0 (RFC 2543 hold) counts as sendonly: answered recvonly, and inactive when also recvonly", () => {
    const a = answerOffer(peer.OLD_HOLD_ZERO_ADDRESS, LOCAL, SESSION);
    expect(read(a.sdp).media[0]!.direction).toBe("recvonly");
    expect(a.audio).toMatchObject({ direction: "recvonly", onHold: true, remote: { address: "0.0.0.0", port: 49170 } });
    const b = answerOffer(peer.OLD_HOLD_ZERO_ADDRESS.replace("t=0 0\r\n", "t=0 0\r\na=recvonly\r\n"), LOCAL, SESSION);
    expect(read(b.sdp).media[0]!.direction).toBe("inactive");
    expect(b.audio).toMatchObject({ direction: "inactive", onHold: true });
  });

  it("a session-level a=inactive applies to the stream (RFC 8866 section 6.7); static payload types need no rtpmap", () => {
    const a = answerOffer(peer.HOLD_INACTIVE, LOCAL, SESSION);
    expect(a.audio).toMatchObject({ codec: "PCMU", payloadType: 0, direction: "inactive", onHold: true });
    expect(read(a.sdp).media[0]!.direction).toBe("inactive");
  });
});

describe("answerOffer: ptime, RTCP and the remote address", () => {
  it("uses a media-level c=, a=rtcp (RFC 3605) and a 30 ms ptime", () => {
    const a = answerOffer(peer.RECVONLY_RTCP_PTIME30, LOCAL, SESSION);
    expect(a.audio).toMatchObject({ codec: "PCMA", ptime: 30, direction: "sendonly", onHold: false, remote: { address: "192.0.2.40", port: 20000, rtcpPort: 20011, rtcpMux: false } });
    expect(read(a.sdp).media[0]!.ptime).toBe(30);
  });

  it.each([
    ["10", 10],
    ["20", 20],
    ["40", 40],
    ["60", 60],
    ["25", 20],
    ["70", 20],
    ["5", 20],
    ["0", 20],
    ["20.5", 20],
  ])("a=ptime:%s -> %i ms", (ptime, expected) => {
    const a = answerOffer(audioOffer("m=audio 5004 RTP/AVP 0", `a=ptime:${ptime}`), LOCAL, SESSION);
    expect(a.audio.ptime).toBe(expected);
    expect(read(a.sdp).media[0]!.ptime).toBe(expected);
  });

  it("notes baresip's a=rtcp-mux but does not answer it (RTCP stays on port + 1)", () => {
    const a = answerOffer(peer.BARESIP, LOCAL, SESSION);
    expect(a.audio.remote).toEqual({ address: "127.0.0.1", port: 30004, rtcpPort: 30005, rtcpMux: true });
    expect(read(a.sdp).media[0]!.rtcpMux).toBeUndefined();
    expect(a.sdp).not.toMatch(/rtcp-mux/);
  });
});

describe("answerOffer: streams we reject", () => {
  it("baresip with video: the video m-line answered on port 0, same type, proto and format", () => {
    const a = answerOffer(peer.BARESIP_VIDEO, LOCAL, SESSION);
    const [audio, video] = read(a.sdp).media;
    expect([audio!.type, audio!.port]).toEqual(["audio", 40000]);
    // sdp-transform reads a lone numeric format as a number
    expect([video!.type, video!.port, video!.protocol, String(video!.payloads)]).toEqual(["video", 0, "RTP/AVP", "96"]);
    expect(video!.direction).toBeUndefined();
    expect(a.rejected).toEqual([{ index: 1, media: "video", reason: "video RTP/AVP is not supported" }]);
  });

  it("a video line first, then audio: the order is kept", () => {
    const offer = sdp("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0", "m=video 5006 RTP/AVP 96", "a=rtpmap:96 H264/90000", "m=audio 5004 RTP/AVP 0");
    const s = read(answerOffer(offer, LOCAL, SESSION).sdp).media;
    expect(s.map((m) => [m.type, m.port])).toEqual([["video", 0], ["audio", 40000]]);
  });

  it("accepts only the first usable audio stream; the others are rejected with their reason", () => {
    const offer = sdp(
      "v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0",
      "m=audio 0 RTP/AVP 0",
      "m=audio 5002 RTP/AVP 18", "a=rtpmap:18 G729/8000",
      "m=audio 5004 RTP/AVP 8",
      "m=audio 5006 RTP/AVP 0",
      "m=text 5008 RTP/AVP 98", "a=rtpmap:98 t140/1000",
      "m=image 5010 udptl t38",
    );
    const a = answerOffer(offer, LOCAL, SESSION);
    expect(read(a.sdp).media.map((m) => [m.type, m.port, m.protocol])).toEqual([
      ["audio", 0, "RTP/AVP"],
      ["audio", 0, "RTP/AVP"],
      ["audio", 40000, "RTP/AVP"],
      ["audio", 0, "RTP/AVP"],
      ["text", 0, "RTP/AVP"],
      ["image", 0, "udptl"],
    ]);
    expect(a.audio.remote.port).toBe(5004);
    expect(a.rejected.map((r) => [r.index, r.reason])).toEqual([
      [0, "disabled in the offer (port 0)"],
      [1, expect.stringMatching(/^no common codec/)],
      [3, "only one audio stream is accepted"],
      [4, "text RTP/AVP is not supported"],
      [5, "image udptl is not supported"],
    ]);
  });

  it("does not need a c= for a stream it rejects", () => {
    const offer = sdp("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "t=0 0", "m=audio 5004 RTP/AVP 0", "c=IN IP4 192.0.2.9", "m=video 5006 RTP/AVP 96");
    expect(answerOffer(offer, LOCAL, SESSION).rejected).toHaveLength(1);
  });
});

describe("answerOffer: BFCP (RFC 8856, setup per RFC 4145)", () => {
  it("rejects sipp's BFCP stream with port 0 when BFCP is not enabled", () => {
    const a = answerOffer(peer.SIPP_RTPSTREAM_BFCP, LOCAL, SESSION);
    const [audio, app] = read(a.sdp).media;
    expect(audio!.payloads).toBe("0 101");
    expect([app!.type, app!.port, app!.protocol, app!.payloads]).toEqual(["application", 0, "TCP/BFCP", "*"]);
    expect(a.rejected).toEqual([{ index: 1, media: "application", reason: "BFCP is not enabled" }]);
    expect(a.bfcp).toBeNull();
    expect(a.sdp).not.toMatch(/floorctrl|label/);
  });

  it("accepts it as floor control server when enabled: s-only, confid, userid, floorid -> the audio label", () => {
    const a = answerOffer(peer.SIPP_RTPSTREAM_BFCP, { ...LOCAL, bfcp: BFCP }, SESSION);
    const [audio, app] = read(a.sdp).media;
    expect(audio!.label).toBe("audio");
    expect([app!.port, app!.protocol, app!.payloads]).toEqual([5070, "TCP/BFCP", "*"]);
    expect(app!.setup).toBe("passive");
    expect(app!.connectionType).toBe("new");
    expect(app!.bfcpFloorCtrl).toBe("s-only");
    expect(app!.bfcpConfId).toBe(4321);
    expect(app!.bfcpUserId).toBe(7);
    expect(app!.bfcpFloorId).toEqual({ id: 1, mStream: "audio" });
    expect(a.sdp).toMatch(/\r\na=floorid:1 mstrm:audio\r\n/);
    expect(a.rejected).toEqual([]);
    expect(a.bfcp).toEqual({ index: 1, transport: "TCP/BFCP", setup: "passive", remote: { address: "127.0.0.1", port: 9 } });
  });

  const withBfcp = (proto: string, ...attributes: string[]) =>
    sdp("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0", "m=audio 5004 RTP/AVP 0", `m=application 50000 ${proto} *`, ...attributes);

  it.each([
    ["a=setup:active", "passive", 5070],
    ["a=setup:actpass", "passive", 5070],
    ["a=setup:passive", "active", 9],
  ])("%s -> a=setup:%s on port %i", (attr, setup, port) => {
    const a = answerOffer(withBfcp("TCP/BFCP", attr, "a=floorctrl:c-only s-only"), { ...LOCAL, bfcp: BFCP }, SESSION);
    const app = read(a.sdp).media[1]!;
    expect([app.setup, app.port]).toEqual([setup, port]);
    expect(a.bfcp).toMatchObject({ setup, remote: { address: "192.0.2.9", port: 50000 } });
  });

  it("no a=setup means the offerer is active; no a=floorctrl means it is the client", () => {
    const a = answerOffer(withBfcp("TCP/BFCP"), { ...LOCAL, bfcp: BFCP }, SESSION);
    expect(read(a.sdp).media[1]).toMatchObject({ port: 5070, setup: "passive", bfcpFloorCtrl: "s-only" });
  });

  it("UDP/BFCP has no TCP setup; TCP/TLS/BFCP only when the caller enables it", () => {
    const udp = answerOffer(withBfcp("UDP/BFCP", "a=floorctrl:c-s"), { ...LOCAL, bfcp: BFCP }, SESSION);
    expect(read(udp.sdp).media[1]).toMatchObject({ port: 5070, protocol: "UDP/BFCP" });
    expect(read(udp.sdp).media[1]!.setup).toBeUndefined();
    expect(udp.bfcp?.setup).toBeNull();

    const tls = withBfcp("TCP/TLS/BFCP", "a=setup:actpass");
    expect(answerOffer(tls, { ...LOCAL, bfcp: BFCP }, SESSION).rejected).toEqual([{ index: 1, media: "application", reason: "BFCP over TCP/TLS/BFCP is not supported" }]);
    const fingerprint = Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, "0").toUpperCase()).join(":");
    expect(() => answerOffer(tls, { ...LOCAL, bfcp: { ...BFCP, transports: ["TCP/TLS/BFCP"] } }, SESSION)).toThrow(/needs bfcp.tls/);
    const on = answerOffer(tls, { ...LOCAL, bfcp: { ...BFCP, transports: ["TCP/TLS/BFCP"], tls: { port: 5071, fingerprint } } }, SESSION);
    // RFC 8856 section 4 and RFC 8122: the TLS listener's port, and the fingerprint of its certificate
    expect(read(on.sdp).media[1]).toMatchObject({ port: 5071, protocol: "TCP/TLS/BFCP", setup: "passive", fingerprint: { type: "sha-256", hash: fingerprint } });
    expect(() => answerOffer(tls, { ...LOCAL, bfcp: { ...BFCP, transports: ["TCP/TLS/BFCP"], tls: { port: 5071, fingerprint: "ab:cd" } } }, SESSION)).toThrow(/SHA-256 fingerprint/);
  });

  it.each([
    ["an offerer that can only be server", "a=floorctrl:s-only", /cannot be a floor control client/],
    ["a=setup:holdconn", "a=setup:holdconn", /holdconn/],
  ])("rejects %s", (_name, attr, reason) => {
    const a = answerOffer(withBfcp("TCP/BFCP", attr), { ...LOCAL, bfcp: BFCP }, SESSION);
    expect(read(a.sdp).media[1]!.port).toBe(0);
    expect(a.rejected[0]!.reason).toMatch(reason);
    expect(a.bfcp).toBeNull();
    expect(a.sdp).not.toMatch(/label/);
  });

  it("accepts one BFCP stream only", () => {
    const a = answerOffer(withBfcp("TCP/BFCP", "m=application 50002 TCP/BFCP *"), { ...LOCAL, bfcp: BFCP }, SESSION);
    expect(read(a.sdp).media.map((m) => m.port)).toEqual([40000, 5070, 0]);
    expect(a.rejected).toEqual([{ index: 2, media: "application", reason: "only one BFCP stream is accepted" }]);
  });
});

describe("answerOffer: malformed offers are MALFORMED", () => {
  const ok = peer.SIPP_UAC_PCAP;
  it.each([
    ["garbage", "hello world\r\nthis is not SDP"],
    ["an empty body", ""],
    ["only blank lines", "\r\n\r\n"],
    ["binary junk", "\u0000\u0001\u00ff\u0002"],
    ["no v=", ok.replace("v=0\r\n", "")],
    ["v=1", ok.replace("v=0", "v=1")],
    ["v= not first", ok.replace("v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1", "o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\nv=0")],
    ["no o=", ok.replace(/o=.*\r\n/, "")],
    ["o= with five fields", ok.replace("o=user1 ", "o=")],
    ["o= with a non-numeric version", ok.replace("2353687637", "v2")],
    ["no s=", ok.replace("s=-\r\n", "")],
    ["no t=", ok.replace("t=0 0\r\n", "")],
    ["no c= for the audio stream", ok.replace("c=IN IP4 127.0.0.1\r\n", "")],
    ["c= not an address", ok.replace("c=IN IP4 127.0.0.1", "c=IN IP4 127.0.0.1.1")],
    ["c= IPv6 address under IP4", ok.replace("c=IN IP4 127.0.0.1", "c=IN IP4 ::1")],
    ["c= with an unknown network type", ok.replace("c=IN IP4", "c=ATM NSAP")],
    ["two c= in one section", ok.replace("a=rtpmap:8", "c=IN IP4 10.0.0.1\r\nc=IN IP4 10.0.0.2\r\na=rtpmap:8")],
    ["m= without a port", ok.replace("m=audio 6000 RTP/AVP", "m=audio RTP/AVP")],
    ["m= port above 65535", ok.replace("m=audio 6000", "m=audio 70000")],
    ["m= without formats", ok.replace("m=audio 6000 RTP/AVP 8 101", "m=audio 6000 RTP/AVP")],
    ["an unknown type letter", ok + "x=1\r\n"],
    ["a line without =", ok + "a\r\n"],
    ["a line with leading space", ok + " a=sendonly\r\n"],
    ["a CR inside a line", ok.replace("s=-", "s=a\rb")],
    ["t= after m=", ok + "t=0 0\r\n"],
    ["a=rtcp without a port", ok + "a=rtcp:abc\r\n"],
    ["too long", ok + "a=x:" + "y".repeat(70_000) + "\r\n"],
  ])("%s", (_name, offer) => {
    expect(codeOf(() => answerOffer(offer, LOCAL, SESSION))).toBe("MALFORMED");
  });

  it("says which line is wrong", () => {
    const err = sdpErrorOf(() => answerOffer(peer.SIPP_UAC_PCAP.replace("m=audio 6000 RTP/AVP", "m=audio RTP/AVP"), LOCAL, SESSION));
    expect(err.line).toBe(6);
    expect(err.message).toMatch(/port.*\(line 6\)$/);
    expect(err.name).toBe("SdpError");
  });
});

describe("our own arguments", () => {
  it.each([
    ["a host name", { ...LOCAL, address: "focus.example.com" }, SESSION],
    ["port 0", { ...LOCAL, audioPort: 0 }, SESSION],
    ["no codecs", { ...LOCAL, codecs: [] }, SESSION],
    ["a non-numeric session id", LOCAL, { id: "abc", version: 1 }],
    ["a negative version", LOCAL, { id: "1", version: -1 }],
    ["a username with a space", LOCAL, { id: "1", version: 1, username: "a b" }],
    ["a BFCP user id over 16 bits", { ...LOCAL, bfcp: { ...BFCP, userId: 70000 } }, SESSION],
  ])("%s is a TypeError, not an SdpError", (_name, local, session) => {
    expect(() => answerOffer(peer.BARESIP, local as LocalMedia, session)).toThrow(TypeError);
  });
});

describe("createOffer", () => {
  it("offers PCMU, PCMA, telephone-event/8000 0-16, ptime 20, sendrecv", () => {
    const s = read(createOffer(LOCAL, SESSION));
    expect(s.origin).toMatchObject({ username: "focus", sessionId: 1732550000, sessionVersion: 1, ipVer: 4, address: "192.0.2.1" });
    expect(s.connection).toEqual({ version: 4, ip: "192.0.2.1" });
    expect(s.media).toHaveLength(1);
    const m = s.media[0]!;
    expect([m.type, m.port, m.protocol, m.payloads]).toEqual(["audio", 40000, "RTP/AVP", "0 8 101"]);
    expect(m.rtp).toEqual([
      { payload: 0, codec: "PCMU", rate: 8000 },
      { payload: 8, codec: "PCMA", rate: 8000 },
      { payload: 101, codec: "telephone-event", rate: 8000 },
    ]);
    expect(m.fmtp).toEqual([{ payload: 101, config: "0-16" }]);
    expect([m.ptime, m.direction]).toEqual([20, "sendrecv"]);
  });

  it("follows local.codecs order, the requested direction, and IPv6", () => {
    const m = read(createOffer({ ...LOCAL6, codecs: ["PCMA", "PCMU"] }, SESSION, { direction: "sendonly" }));
    expect(m.origin.ipVer).toBe(6);
    expect(m.media[0]!.payloads).toBe("8 0 101");
    expect(m.media[0]!.direction).toBe("sendonly");
  });

  it("re-offers after baresip's audio+video call: same m-lines in order, video still on port 0 (RFC 3264 section 8)", () => {
    const answered = answerOffer(peer.BARESIP_VIDEO, LOCAL, SESSION).sdp;
    const reoffer = read(createOffer(LOCAL, { ...SESSION, version: 2 }, { direction: "sendonly", previous: answered }));
    expect(reoffer.origin.sessionVersion).toBe(2);
    expect(reoffer.media.map((m) => [m.type, m.port, m.direction])).toEqual([["audio", 40000, "sendonly"], ["video", 0, undefined]]);
  });

  it("keeps the audio stream at its old position", () => {
    const offer = sdp("v=0", "o=- 1 1 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0", "m=video 5006 RTP/AVP 96", "m=audio 5004 RTP/AVP 0");
    const previous = answerOffer(offer, LOCAL, SESSION).sdp;
    const reoffer = read(createOffer(LOCAL, { ...SESSION, version: 2 }, { previous }));
    expect(reoffer.media.map((m) => [m.type, m.port])).toEqual([["video", 0], ["audio", 40000]]);
  });

  it("keeps an accepted BFCP stream with the same TCP role and a=connection:existing, or disables it without BFCP", () => {
    const local = { ...LOCAL, bfcp: BFCP };
    const previous = answerOffer(peer.SIPP_RTPSTREAM_BFCP, local, SESSION).sdp;
    const kept = read(createOffer(local, { ...SESSION, version: 2 }, { previous }));
    expect(kept.media[0]!.label).toBe("audio");
    expect(kept.media[1]).toMatchObject({ port: 5070, protocol: "TCP/BFCP", setup: "passive", connectionType: "existing", bfcpFloorCtrl: "s-only" });
    const dropped = read(createOffer(LOCAL, { ...SESSION, version: 2 }, { previous }));
    expect(dropped.media.map((m) => [m.type, m.port])).toEqual([["audio", 40000], ["application", 0]]);
  });

  it("refuses a re-offer whose version does not go up or whose session id changed (TypeError)", () => {
    const previous = createOffer(LOCAL, SESSION);
    expect(() => createOffer(LOCAL, SESSION, { previous })).toThrow(/version must increase/);
    expect(() => createOffer(LOCAL, { id: "99", version: 5 }, { previous })).toThrow(TypeError);
  });
});

describe("parseAnswer", () => {
  const offer = createOffer(LOCAL, SESSION);
  const answer = (...media: string[]) => sdp("v=0", "o=peer 5 5 IN IP4 198.51.100.7", "s=-", "c=IN IP4 198.51.100.7", "t=0 0", ...media);

  it("reads sipp's uas answer (PCMU only)", () => {
    const a = parseAnswer(offer, answer("m=audio 6000 RTP/AVP 0", "a=rtpmap:0 PCMU/8000"));
    expect(a).toEqual({
      codec: "PCMU",
      payloadType: 0,
      clockRate: 8000,
      telephoneEvent: null,
      remote: { address: "198.51.100.7", port: 6000, rtcpPort: 6001, rtcpMux: false },
      direction: "sendrecv",
      onHold: false,
      ptime: 20,
    });
  });

  it("takes the answer's first codec we offered, and its telephone-event payload type", () => {
    const a = parseAnswer(offer, answer("m=audio 6000 RTP/AVP 18 8 96", "a=rtpmap:18 G729/8000", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-15", "a=ptime:40"));
    expect(a).toMatchObject({ codec: "PCMA", payloadType: 8, telephoneEvent: { payloadType: 96, clockRate: 8000, events: "0-15" }, ptime: 40 });
  });

  it.each([
    ["sendrecv", "a=sendonly", "recvonly", true],
    ["sendrecv", "a=recvonly", "sendonly", false],
    ["sendonly", "a=recvonly", "sendonly", false],
    ["sendonly", "a=inactive", "inactive", true],
    ["inactive", "a=inactive", "inactive", true],
  ])("our %s offer, answered with %s: we are %s", (ours, attr, direction, onHold) => {
    const o = createOffer(LOCAL, SESSION, { direction: ours as "sendrecv" });
    expect(parseAnswer(o, answer("m=audio 6000 RTP/AVP 0", attr))).toMatchObject({ direction, onHold });
  });

  it("round trip: our offer answered by answerOffer", () => {
    const reply = answerOffer(offer, { address: "198.51.100.9", audioPort: 30000 }, { id: "7", version: 1 });
    expect(parseAnswer(offer, reply.sdp)).toEqual({
      codec: "PCMU",
      payloadType: 0,
      clockRate: 8000,
      telephoneEvent: { payloadType: 101, clockRate: 8000, events: "0-16" },
      remote: { address: "198.51.100.9", port: 30000, rtcpPort: 30001, rtcpMux: false },
      direction: "sendrecv",
      onHold: false,
      ptime: 20,
    });
  });

  it.each([
    ["the audio stream rejected", "NO_AUDIO", answer("m=audio 0 RTP/AVP 0")],
    ["no codec we offered", "NO_COMMON_CODEC", answer("m=audio 6000 RTP/AVP 18", "a=rtpmap:18 G729/8000")],
    ["an extra m-line", "MALFORMED", answer("m=audio 6000 RTP/AVP 0", "m=video 0 RTP/AVP 96")],
    ["another media type", "MALFORMED", answer("m=video 6000 RTP/AVP 0")],
    ["another transport", "MALFORMED", answer("m=audio 6000 RTP/SAVP 0")],
    ["no c=", "MALFORMED", sdp("v=0", "o=peer 5 5 IN IP4 198.51.100.7", "s=-", "t=0 0", "m=audio 6000 RTP/AVP 0")],
    ["garbage", "MALFORMED", "<html>502 Bad Gateway</html>"],
  ])("%s -> %s", (_name, code, body) => {
    expect(codeOf(() => parseAnswer(offer, body))).toBe(code);
  });
});
