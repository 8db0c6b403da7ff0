/** The test's own RTP endpoint: a UDP socket a sipp caller's SDP points at, decoding what the focus sends it. */
import dgram from "node:dgram";
import { decodeUlaw, dominantFrequency, telephoneEventTrain, type DtmfDigit } from "../../src/audio/index.ts";
import { parseRtp, serializeRtp } from "../../src/rtp/packet.ts";

export interface Heard {
  packets: number;
  /** where the focus sends this leg's RTP from: its RTP port for the call */
  focus: { address: string; port: number } | null;
  /** per 20 ms PCMU frame: the dominant candidate frequency, or null for silence */
  frames: (number | null)[];
}

export interface RtpEar {
  socket: dgram.Socket;
  port: number;
  heard: Heard;
  close(): void;
}

/** A socket on 127.0.0.1 that decodes PCMU frames and notes the dominant one of `candidatesHz` in each. */
export async function rtpEar(candidatesHz: readonly number[]): Promise<RtpEar> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
  const heard: Heard = { packets: 0, focus: null, frames: [] };
  const pcm = new Int16Array(160);
  socket.on("message", (buf, rinfo) => {
    heard.focus = { address: rinfo.address, port: rinfo.port };
    const p = parseRtp(buf);
    if (p.payloadType !== 0 || p.payload.length !== 160) return;
    heard.packets++;
    decodeUlaw(p.payload, pcm);
    heard.frames.push(dominantFrequency(pcm, candidatesHz));
  });
  return { socket, port: socket.address().port, heard, close: () => socket.close() };
}

/** Waits until `pred` holds, polling every 50 ms; throws with `what` after `ms`. */
export async function until(pred: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let nextTimestamp = 50_000;

/** Presses keys as RFC 4733 telephone-event packet trains (payload type 101, as the callers' SDP offers). */
export async function pressKeys(socket: dgram.Socket, to: { address: string; port: number }, keys: string): Promise<void> {
  let seq = 1000;
  const out = new Uint8Array(64);
  for (const digit of keys as Iterable<DtmfDigit>) {
    const start = Date.now();
    for (const p of telephoneEventTrain({ digit, timestamp: nextTimestamp, seq, ssrc: 0x1234 })) {
      await new Promise((r) => setTimeout(r, Math.max(0, start + p.sendAtMs - Date.now())));
      const n = serializeRtp(p, out);
      socket.send(out.subarray(0, n), to.port, to.address);
      seq = (p.seq + 1) & 0xffff;
    }
    nextTimestamp += 8000;
  }
}

/** One PCMU packet of silence: enough for the focus to see that this caller sends early media. */
export function sendSilence(socket: dgram.Socket, to: { address: string; port: number }): void {
  const out = new Uint8Array(12 + 160);
  const n = serializeRtp({ payloadType: 0, seq: 1, timestamp: 1, ssrc: 0x1234, payload: new Uint8Array(160).fill(0xff) }, out);
  socket.send(out.subarray(0, n), to.port, to.address);
}
