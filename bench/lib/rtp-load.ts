/**
 * The RTP load generator of the mixer benchmark: N plain-RTP G.711 (PCMU) participants on 127.0.0.1, each
 * with its own UDP socket, sending one 20 ms packet every 20 ms to the server under test and receiving the
 * mix the server sends back on the same socket.
 *
 * Participants are spread over four phases 5 ms apart (as independent phones would be, rather than every
 * packet of the load in one burst). A share of them talk (steady tones); the others send quiet noise.
 * A participant's socket is connected to the server's port once known (so sends need no address lookup,
 * and only the server's packets are received).
 *
 * During a measurement window every arrival is counted per participant and its gap since the same
 * participant's previous arrival goes into a histogram (0.1 ms bins): received vs expected packets and the
 * inter-arrival distribution are what the benchmark judges the server by. The generator also keeps its own
 * health: how late its send ticks run and how much CPU it uses, so a run limited by the generator itself
 * is recognised as such rather than blamed on the server.
 */
import dgram from "node:dgram";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { FrameClock, type FrameTick } from "../../media/src/audio/clock.ts";
import { CYCLE, FRAME_SAMPLES, noiseCycle, toneCycles } from "./g711-sources.ts";

const FRAME_MS = 20;
const PHASES = 4;
const BIN_MS = 0.1;
const BINS = 10_000; // 0 .. 1000 ms; longer gaps land in the last bin
/** a gap above this means the packet came more than one frame after it was due */
export const LATE_GAP_MS = 2 * FRAME_MS;

export interface LoadOptions {
  /** share of participants that talk (tones), spread evenly; default 0.3 */
  talking?: number;
  /** level of the others' noise (dBov); default -75 (below a silence floor, as phones send when nobody speaks) */
  quietDbov?: number;
}

export interface LoadLeg {
  readonly index: number;
  /** 0 until bound */
  readonly localPort: number;
}

interface Leg extends LoadLeg {
  localPort: number;
  socket: dgram.Socket;
  connected: boolean;
  frames: Uint8Array[];
  packet: Buffer;
  seq: number;
  timestamp: number;
  /** arrivals during the window */
  received: number;
  /** arrivals since the leg was connected */
  heard: number;
  last: number;
}

export interface WindowStats {
  participants: number;
  windowMs: number;
  expected: number;
  received: number;
  /** received / expected over all participants */
  deliveredShare: number;
  /** the participant with the smallest received / expected */
  worstParticipantShare: number;
  /** participants that received under 90 % of their expected packets */
  starved: number;
  gapMedianMs: number;
  gapP99Ms: number;
  gapMaxMs: number;
  /** share of gaps above LATE_GAP_MS */
  lateShare: number;
  /**
   * the generator: its event loop's delay (p99 and max, ms: how late it was to send or to read), the send
   * ticks it skipped (over 80 ms behind), its CPU (share of one core)
   */
  genLoopP99Ms: number;
  genLoopMaxMs: number;
  genSkipped: number;
  genCpu: number;
}

export class RtpLoad {
  private readonly legs: Leg[] = [];
  private readonly tones = toneCycles();
  private readonly quiet: ReturnType<typeof noiseCycle>[];
  private readonly talking: number;
  private readonly clock: FrameClock;
  private readonly gaps = new Uint32Array(BINS);
  private measuring = false;
  private skippedAtStart = 0;

  constructor(o: LoadOptions = {}) {
    this.talking = o.talking ?? 0.3;
    const dbov = o.quietDbov ?? -75;
    this.quiet = [noiseCycle(dbov, 1), noiseCycle(dbov, 2), noiseCycle(dbov, 3)];
    this.clock = new FrameClock({ periodMs: FRAME_MS / PHASES, maxLagFrames: 4 * PHASES, onTick: (t) => this.tick(t) });
  }

  get size(): number {
    return this.legs.length;
  }

  /**
   * A new participant: its socket bound on 127.0.0.1 (any free port). Whether it talks follows its index,
   * so talkers stay spread evenly as participants are added (participant i talks when floor((i+1)s) > floor(is)).
   */
  async add(): Promise<LoadLeg> {
    // the leg takes its index (and place) before the bind, so concurrent adds never share one
    const index = this.legs.length;
    const socket = dgram.createSocket({ type: "udp4" });
    const s = this.talking;
    const talks = Math.floor((index + 1) * s) > Math.floor(index * s);
    const leg: Leg = {
      index, localPort: 0, socket, connected: false,
      frames: (talks ? this.tones[index % this.tones.length]! : this.quiet[index % this.quiet.length]!).PCMU,
      packet: Buffer.alloc(12 + FRAME_SAMPLES), seq: (index * 7919) & 0xffff, timestamp: (index * 104_729) >>> 0,
      received: 0, heard: 0, last: Number.NaN,
    };
    this.legs.push(leg);
    leg.packet[0] = 0x80; // RTP version 2, no padding, extension or CSRC
    leg.packet[1] = 0; // PCMU (RFC 3551)
    leg.packet.writeUInt32BE((0x5000_0000 + index) >>> 0, 8);
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, "127.0.0.1", () => {
        socket.off("error", reject);
        resolve();
      });
    });
    leg.localPort = socket.address().port;
    socket.on("error", () => {
      // ICMP port unreachable after the server closed a leg: nothing to do
    });
    socket.on("message", () => this.arrival(leg));
    return leg;
  }

  /** Starts sending to (and receiving from) the server's RTP port for this participant. */
  async connect(l: LoadLeg, serverPort: number, host = "127.0.0.1"): Promise<void> {
    const leg = this.legs[l.index]!;
    await new Promise<void>((resolve, reject) => {
      leg.socket.once("error", reject);
      leg.socket.connect(serverPort, host, () => {
        leg.socket.off("error", reject);
        resolve();
      });
    });
    leg.connected = true;
  }

  /** Participants that have received at least one packet since they were connected. */
  get hearing(): number {
    let n = 0;
    for (const l of this.legs) if (l.heard > 0) n++;
    return n;
  }

  start(): void {
    this.clock.start();
  }

  private tick(t: Readonly<FrameTick>): void {
    const phase = t.index % PHASES;
    for (let i = phase; i < this.legs.length; i += PHASES) {
      const leg = this.legs[i]!;
      if (!leg.connected) continue;
      const p = leg.packet;
      p.writeUInt16BE(leg.seq, 2);
      p.writeUInt32BE(leg.timestamp, 4);
      p.set(leg.frames[(leg.timestamp / FRAME_SAMPLES) % CYCLE | 0]!, 12);
      leg.seq = (leg.seq + 1) & 0xffff;
      leg.timestamp = (leg.timestamp + FRAME_SAMPLES) >>> 0;
      leg.socket.send(p);
    }
  }

  private arrival(leg: Leg): void {
    const t = performance.now();
    leg.heard++;
    if (this.measuring) {
      leg.received++;
      if (leg.last === leg.last) {
        const bin = Math.min(BINS - 1, Math.floor((t - leg.last) / BIN_MS));
        this.gaps[bin]!++;
      }
    }
    leg.last = t;
  }

  /** Measures for `ms` milliseconds of wall time, then returns what the participants received. */
  async measure(ms: number): Promise<WindowStats> {
    for (const l of this.legs) l.received = 0;
    this.gaps.fill(0);
    this.skippedAtStart = this.clock.stats.skipped;
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    this.measuring = true;
    await new Promise((r) => setTimeout(r, ms));
    this.measuring = false;
    delay.disable();
    const windowMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const active = this.legs.filter((l) => l.connected);
    const perLeg = windowMs / FRAME_MS;
    let received = 0;
    let worst = Number.POSITIVE_INFINITY;
    let starved = 0;
    for (const l of active) {
      received += l.received;
      const share = l.received / perLeg;
      if (share < worst) worst = share;
      if (share < 0.9) starved++;
    }
    const gapCount = this.gaps.reduce((a, b) => a + b, 0);
    const q = (p: number): number => {
      if (gapCount === 0) return Number.NaN;
      const rank = Math.max(1, Math.ceil(p * gapCount));
      let seen = 0;
      for (let b = 0; b < BINS; b++) {
        seen += this.gaps[b]!;
        if (seen >= rank) return (b + 0.5) * BIN_MS;
      }
      return BINS * BIN_MS;
    };
    let maxBin = -1;
    for (let b = BINS - 1; b >= 0; b--) if (this.gaps[b]! > 0) { maxBin = b; break; }
    let late = 0;
    for (let b = Math.ceil(LATE_GAP_MS / BIN_MS); b < BINS; b++) late += this.gaps[b]!;
    return {
      participants: active.length,
      windowMs,
      expected: active.length * perLeg,
      received,
      deliveredShare: active.length ? received / (active.length * perLeg) : Number.NaN,
      worstParticipantShare: active.length ? worst : Number.NaN,
      starved,
      gapMedianMs: q(0.5),
      gapP99Ms: q(0.99),
      gapMaxMs: maxBin < 0 ? Number.NaN : (maxBin + 1) * BIN_MS,
      lateShare: gapCount ? late / gapCount : Number.NaN,
      genLoopP99Ms: delay.percentile(99) / 1e6,
      genLoopMaxMs: delay.max / 1e6,
      genSkipped: this.clock.stats.skipped - this.skippedAtStart,
      genCpu: (cpu.user + cpu.system) / 1000 / windowMs,
    };
  }

  /** Stops sending and closes every socket. */
  close(): void {
    this.clock.stop();
    for (const l of this.legs) {
      try {
        l.socket.close();
      } catch {
        // closed already
      }
    }
    this.legs.length = 0;
  }
}
