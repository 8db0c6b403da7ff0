/**
 * SDP bodies of the peers we test against, for the unit tests. The baresip and linphone ones were
 * captured from the Debian packages (baresip 1.0.0, linphonec 5.1.65) calling a sipp UAS on loopback;
 * the sipp ones are the built-in `uac_pcap` / `uac` scenarios and peers/sipp/uac_rtpstream_reinvite.xml
 * with their keywords filled in as sipp fills them. The others are written after what such devices send.
 */
const sdp = (...lines: string[]) => lines.join("\r\n") + "\r\n";

/** sipp -sn uac_pcap: PCMA only, events 0-11,16. */
export const SIPP_UAC_PCAP = sdp(
  "v=0",
  "o=user1 53655765 2353687637 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 6000 RTP/AVP 8 101",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-11,16",
);

/** sipp -sn uac: PCMU, no telephone-event; sipp leaves a blank line after the body and uses LF. */
export const SIPP_UAC = ["v=0", "o=user1 53655765 2353687637 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0", "m=audio 6000 RTP/AVP 0", "a=rtpmap:0 PCMU/8000", "", ""].join("\n");

/** peers/sipp/uac_rtpstream_reinvite.xml, first INVITE: PCMU + telephone-event + a BFCP stream. */
export const SIPP_RTPSTREAM_BFCP = sdp(
  "v=0",
  "o=sipp 1 1 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 6000 RTP/AVP 0 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "m=application 9 TCP/BFCP *",
  "a=setup:active",
  "a=floorctrl:c-only",
);

/** The same scenario's re-INVITE: the peer holds the call with a=sendonly (RFC 3264 section 8.4). */
export const SIPP_RTPSTREAM_REINVITE_SENDONLY = sdp(
  "v=0",
  "o=sipp 1 2 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 6000 RTP/AVP 0 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=sendonly",
);

/** baresip 1.0.0 (g711, g722, opus, gsm modules, rtcp_mux yes): captured INVITE body. */
export const BARESIP = sdp(
  "v=0",
  "o=- 2149944492 1284613099 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "a=tool:baresip 1.0.0",
  "m=audio 30004 RTP/AVP 0 8 9 96 3 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:9 G722/8000",
  "a=rtpmap:96 opus/48000/2",
  "a=fmtp:96 stereo=1;sprop-stereo=1",
  "a=rtpmap:3 GSM/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "a=sendrecv",
  "a=label:1",
  "a=rtcp-rsize",
  "a=ssrc:362157307 cname:sip:lab@127.0.0.1:5080",
  "a=rtcp-mux",
  "a=minptime:20",
  "a=ptime:20",
);

/** baresip 1.0.0 holding the call: its re-INVITE keeps only the negotiated codec (captured). */
export const BARESIP_HOLD = sdp(
  "v=0",
  "o=- 1373337004 952429179 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "a=tool:baresip 1.0.0",
  "m=audio 30088 RTP/AVP 0",
  "a=rtpmap:0 PCMU/8000",
  "a=sendonly",
  "a=label:1",
  "a=rtcp-rsize",
  "a=ssrc:2915662444 cname:sip:lab@127.0.0.1:5080",
  "a=rtcp-mux",
  "a=minptime:20",
  "a=ptime:20",
);

/** baresip 1.0.0 with fakevideo + vp8: audio and video (captured). */
export const BARESIP_VIDEO = sdp(
  "v=0",
  "o=- 4123451070 1708953693 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "a=tool:baresip 1.0.0",
  "m=audio 30086 RTP/AVP 0 8 9 96 3 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:9 G722/8000",
  "a=rtpmap:96 opus/48000/2",
  "a=fmtp:96 stereo=1;sprop-stereo=1",
  "a=rtpmap:3 GSM/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "a=sendrecv",
  "a=label:1",
  "a=rtcp-rsize",
  "a=ssrc:3497039872 cname:sip:lab@127.0.0.1:5080",
  "a=rtcp-mux",
  "a=minptime:20",
  "a=ptime:20",
  "m=video 30048 RTP/AVP 96",
  "a=rtpmap:96 VP8/90000",
  "a=fmtp:96 max-fs=3600",
  "a=sendrecv",
  "a=label:2",
  "a=rtcp-rsize",
  "a=ssrc:4232246544 cname:sip:lab@127.0.0.1:5080",
  "a=rtcp-mux",
  "a=framerate:25.00",
  "a=rtcp-fb:* nack pli",
  "a=content:main",
);

/**
 * linphonec 5.1.65 (captured): IPv6 media address, opus and speex before G.711, G.729 (18) with only an
 * fmtp, and telephone-event at 48000, 16000 and 8000 without fmtp.
 */
export const LINPHONE = sdp(
  "v=0",
  "o=lin 2444 1885 IN IP6 fd00::2",
  "s=Talk",
  "c=IN IP6 fd00::2",
  "t=0 0",
  "a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics",
  "m=audio 7078 RTP/AVP 96 97 98 0 8 18 99 100 101",
  "a=rtpmap:96 opus/48000/2",
  "a=fmtp:96 useinbandfec=1",
  "a=rtpmap:97 speex/16000",
  "a=fmtp:97 vbr=on",
  "a=rtpmap:98 speex/8000",
  "a=fmtp:98 vbr=on",
  "a=fmtp:18 annexb=yes",
  "a=rtpmap:99 telephone-event/48000",
  "a=rtpmap:100 telephone-event/16000",
  "a=rtpmap:101 telephone-event/8000",
  "a=rtcp-fb:* trr-int 5000",
  "a=rtcp-fb:* ccm tmmbr",
);

/** linphonec 5.1.65 "pause": its captured re-INVITE is the initial offer plus a=sendonly after the rtpmaps,
 *  with the o= version bumped; built from LINPHONE so the two differ only there. */
export const LINPHONE_HOLD = LINPHONE.replace("o=lin 2444 1885", "o=lin 2444 1886").replace("a=rtpmap:101 telephone-event/8000\r\n", "a=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n");

/** linphone on an IPv4 network, preferring PCMA (its codec order is configurable). */
export const LINPHONE_IPV4_PCMA_FIRST = LINPHONE.replace(/IP6 fd00::2/g, "IP4 192.0.2.10").replace("RTP/AVP 96 97 98 0 8 18", "RTP/AVP 96 97 98 8 0 18");

/** A G.729-only desk phone (annexb=no is how Cisco/Yealink configs usually appear). */
export const G729_ONLY = sdp(
  "v=0",
  "o=- 1700000000 1700000000 IN IP4 192.0.2.20",
  "s=SIP Call",
  "c=IN IP4 192.0.2.20",
  "t=0 0",
  "m=audio 16384 RTP/AVP 18 101",
  "a=rtpmap:18 G729/8000",
  "a=fmtp:18 annexb=no",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "a=sendrecv",
);

/** An old RFC 2543 stack's hold: c=0.0.0.0 and no direction attribute. */
export const OLD_HOLD_ZERO_ADDRESS = sdp(
  "v=0",
  "o=- 3000 3001 IN IP4 192.0.2.30",
  "s=-",
  "c=IN IP4 0.0.0.0",
  "t=0 0",
  "m=audio 49170 RTP/AVP 0 101",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
);

/** A phone holding a call that was recvonly: a=inactive, direction at session level. */
export const HOLD_INACTIVE = sdp(
  "v=0",
  "o=- 3000 3002 IN IP4 192.0.2.30",
  "s=-",
  "c=IN IP4 192.0.2.30",
  "t=0 0",
  "a=inactive",
  "m=audio 49170 RTP/AVP 0 8 101",
  "a=rtpmap:101 telephone-event/8000",
);

/** Listen-only offer (recvonly), with a=rtcp on a separate port and 30 ms packets. */
export const RECVONLY_RTCP_PTIME30 = sdp(
  "v=0",
  "o=- 4000 4000 IN IP4 192.0.2.40",
  "s=-",
  "t=0 0",
  "m=audio 20000 RTP/AVP 8",
  "c=IN IP4 192.0.2.40",
  "a=rtcp:20011",
  "a=ptime:30",
  "a=recvonly",
);
