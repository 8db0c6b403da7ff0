/**
 * Audio across islands (DCON's focus-to-focus cascade): for each distributed conference this island holds
 * a replica of, this focus places one SIP call to the conference's home focus, dialling the home's dial-in
 * code (`INVITE sip:<home code>@<home SIP host:port>`, From `sip:focus@<this island>`). The home answers it
 * as a caller (a user with entity sip:focus@<this island> in its roster); here the leg joins the
 * replica's mixer without a domain user. Each mixer sends every leg its N-1 mix, so the home's callers
 * hear this island's callers through the leg and the reverse, with no echo. With several linked islands
 * the legs make a star around the home.
 *
 * One leg per conference, wanted while the replica exists, names this island among its links, is in
 * progress (the home's status, applied here), and the home's SIP address is configured. It is placed
 * when that becomes true (CONFERENCE_LINKED, CONFERENCE_STARTED, or at start for existing replicas),
 * retried with exponential backoff while the home does not answer or refuses for now (`retryable`), placed
 * again after the home hangs up or forgets the call (keepalive OPTIONS) while still wanted, and hung up
 * (BYE) on CONFERENCE_ENDED, CONFERENCE_DELETED and close().
 *
 * Leg states: "idle" (none; a retry timer may be pending), "calling" (INVITE out), "up" (2xx ACKed, in
 * the mix), "hanging-up" (our BYE out).
 *
 * The INVITE carries the `headers` the federation layer gives (X-Dcon-Island, an HMAC under the two
 * islands' secret), by which the home admits the leg as this island's focus: no PIN, no lobby, and never
 * gated by floor control (the floor is decided per participant, inside each island's mix).
 */
import type { ConferenceDomain, ConferenceEvent, ConferenceSummary } from "@dcon/core";
import type { SipEndpoint } from "../sip/endpoint.ts";
import type { Peer } from "../sip/transport.ts";
import { invite, SipCallError, type UacDialog, type UacEndReason } from "../sip/uac-dialog.ts";
import { createOffer, parseAnswer, SdpError } from "../sdp/index.ts";
import { RtpPort, type RtpPortRange } from "./rtp-port.ts";
import type { ConferenceSipService, SipServiceLogger } from "./sip-service.ts";
import type { AudioBridge } from "./audio-bridge.ts";

/** What the legs need of the focus' SIP face (ConferenceSipService): its mixer, and its routing of in-dialog requests. */
export interface CascadeHost {
  registerDialog: ConferenceSipService["registerDialog"];
  readonly mixer: Pick<AudioBridge, "open" | "mix" | "close">;
}

export interface CascadeOptions {
  /** the focus' SIP face: its mixer carries the legs, and it routes their in-dialog requests here */
  sip: CascadeHost;
  endpoint: SipEndpoint;
  domain: ConferenceDomain;
  /** where a peer island's focus takes SIP calls (FEDERATION_PEERS' `sip`); null when not configured */
  homeFocus: (island: string) => Peer | null;
  /** the address put in SDP and Contact */
  advertisedHost: string;
  /** the local address RTP sockets bind to */
  rtpHost: string;
  rtpPorts: RtpPortRange;
  log: SipServiceLogger;
  /** headers proving the leg to the home island (federation's X-Dcon-Island), for its Request-URI */
  headers?: (homeIsland: string, target: string) => [string, string][];
  /** backoff between attempts: the first delay, doubled up to the last (default 1 s to 30 s) */
  retry?: { firstMs?: number; maxMs?: number };
  /**
   * An in-dialog OPTIONS this often (default 30 s) tells a leg the home forgot (its focus restarted: 481,
   * or it is gone: no answer) from a live one; such a leg is dropped and placed again.
   */
  keepaliveMs?: number;
}

/** A leg's phase (see the top of this file). */
export type LegPhase =
  | { kind: "idle" }
  | { kind: "calling"; abort: AbortController }
  | { kind: "up"; dialog: UacDialog; rtp: RtpPort; unregister: () => void; keepalive: NodeJS.Timeout }
  | { kind: "hanging-up"; done: Promise<void> };

interface Cascade {
  conferenceId: string;
  home: string;
  phase: LegPhase;
  /** failed attempts in a row (the backoff's exponent) */
  failures: number;
  retry: NodeJS.Timeout | null;
}

/** The events after which a replica's leg may be wanted or not any more. */
const RECONCILE_ON = new Set<ConferenceEvent["type"]>(["CONFERENCE_CREATED", "CONFERENCE_LINKED", "CONFERENCE_STARTED", "CONFERENCE_UPDATED", "CONFERENCE_ENDED"]);

/**
 * Whether a refusal is worth retrying after the backoff: no answer (408), unavailable or busy for now (480,
 * 486: e.g. our previous leg is still there after a restart), a server failure (5xx). Anything else (403,
 * 404, 488, 6xx) will not change by itself: the leg waits for the conference's next change instead.
 */
export function retryable(status: number): boolean {
  return status === 408 || status === 480 || status === 486 || (status >= 500 && status < 600);
}

export class CascadeLegs {
  private readonly legs = new Map<string, Cascade>();
  /** the home's dial-in code of each replica, from the home's events (each island has codes of its own) */
  private readonly homeCodes = new Map<string, string>();
  /** one reconciliation at a time per conference */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly unsubscribe: () => void;
  private readonly firstMs: number;
  private readonly maxMs: number;
  private readonly keepaliveMs: number;
  private closed = false;

  constructor(private readonly o: CascadeOptions) {
    this.firstMs = o.retry?.firstMs ?? 1_000;
    this.maxMs = o.retry?.maxMs ?? 30_000;
    this.keepaliveMs = o.keepaliveMs ?? 30_000;
    this.unsubscribe = o.domain.bus.subscribeAll((e) => this.onEvent(e));
  }

  /** Places the legs of the replicas that exist already (a focus restarting with linked conferences). */
  async start(): Promise<void> {
    const distributed = await this.o.domain.federation.distributed();
    for (const d of distributed) this.reconcile(d.conferenceId);
  }

  /** Legs in the mix now. */
  get upCount(): number {
    return [...this.legs.values()].filter((c) => c.phase.kind === "up").length;
  }

  /** The state of a conference's leg ("none" when there is no cascade for it). */
  phase(conferenceId: string): LegPhase["kind"] | "none" {
    return this.legs.get(conferenceId)?.phase.kind ?? "none";
  }

  /** Failed attempts in a row for a conference's leg (0 once it is up). */
  failures(conferenceId: string): number {
    return this.legs.get(conferenceId)?.failures ?? 0;
  }

  private get island(): string {
    return this.o.domain.island;
  }

  private onEvent(e: ConferenceEvent): void {
    if (this.closed) return;
    if (e.type === "CONFERENCE_DELETED") {
      this.reconcile(e.conferenceId, { gone: true });
      return;
    }
    if (!RECONCILE_ON.has(e.type)) return;
    const conference = (e.payload as { conference: ConferenceSummary }).conference;
    if (conference.homeIsland === this.island) return; // a conference of ours: the peers call us
    if (e.origin === conference.homeIsland) this.homeCodes.set(e.conferenceId, conference.dialInCode);
    if (e.type === "CONFERENCE_ENDED" && e.payload.final) {
      this.reconcile(e.conferenceId, { gone: true });
      return;
    }
    this.reconcile(e.conferenceId);
  }

  /** Decides, from the replica as stored, whether the leg is wanted, and places or hangs it up. */
  private reconcile(conferenceId: string, opts: { gone?: boolean } = {}): void {
    const previous = this.queues.get(conferenceId) ?? Promise.resolve();
    const next = previous
      .then(() => this.settle(conferenceId, opts.gone ?? false))
      .catch((err) => this.o.log.warn({ err, conferenceId }, "cascade leg: reconciliation failed"))
      .finally(() => {
        if (this.queues.get(conferenceId) === next) this.queues.delete(conferenceId);
      });
    this.queues.set(conferenceId, next);
  }

  private async settle(conferenceId: string, gone: boolean): Promise<void> {
    if (this.closed) return;
    const want = gone ? null : await this.wanted(conferenceId);
    let c = this.legs.get(conferenceId);
    if (!want) {
      if (!c) return;
      this.clearRetry(c);
      await this.hangUp(c, gone ? "the conference ended" : "the conference is not in progress");
      if (gone || c.phase.kind === "idle") this.legs.delete(conferenceId);
      return;
    }
    if (!c) {
      c = { conferenceId, home: want.home, phase: { kind: "idle" }, failures: 0, retry: null };
      this.legs.set(conferenceId, c);
    }
    if (c.phase.kind === "idle" && !c.retry) this.place(c, want.target, want.code);
  }

  /** Where to call for a conference's leg, or null when no leg is wanted. */
  private async wanted(conferenceId: string): Promise<{ home: string; target: Peer; code: string } | null> {
    let conference: ConferenceSummary;
    try {
      conference = await this.o.domain.conferences.get(conferenceId);
    } catch {
      return null; // deleted
    }
    const home = conference.homeIsland;
    if (home === this.island || conference.parentId || conference.status !== "ACTIVE") return null;
    if (!(await this.o.domain.federation.islandsOf(conferenceId)).includes(this.island)) return null;
    const target = this.o.homeFocus(home);
    if (!target) {
      this.o.log.debug({ conferenceId, home }, "cascade leg: no SIP address configured for the home island");
      return null;
    }
    const code = this.homeCodes.get(conferenceId) ?? (await this.homeCodeFromLog(conferenceId, home));
    if (!code) return null;
    return { home, target, code };
  }

  /** The home's dial-in code as its latest conference-wide event here says (after a restart, from the log). */
  private async homeCodeFromLog(conferenceId: string, home: string): Promise<string | null> {
    let after = 0;
    let code: string | null = null;
    for (;;) {
      const page = await this.o.domain.store.eventsAfter(conferenceId, home, after, 500);
      for (const e of page) {
        const conference = (e.payload as { conference?: ConferenceSummary }).conference;
        if (conference?.dialInCode) code = conference.dialInCode;
        after = e.seq;
      }
      if (page.length < 500) break;
    }
    if (code) this.homeCodes.set(conferenceId, code);
    return code;
  }

  private place(c: Cascade, target: Peer, code: string): void {
    const abort = new AbortController();
    c.phase = { kind: "calling", abort };
    void this.call(c, target, code, abort).catch((err) => this.o.log.warn({ err, conferenceId: c.conferenceId }, "cascade leg failed"));
  }

  private async call(c: Cascade, target: Peer, code: string, abort: AbortController): Promise<void> {
    const { o } = this;
    const host = target.address.includes(":") ? `[${target.address}]` : target.address;
    const rtp = await RtpPort.open(o.rtpHost, o.rtpPorts);
    if (abort.signal.aborted) {
      rtp.close(); // hung up (or closing) while the port was opened
      return;
    }
    const offer = createOffer({ address: o.advertisedHost, audioPort: rtp.port }, { id: String(Date.now()), version: 1 });
    let dialog: UacDialog;
    try {
      const uri = `sip:${code}@${host}:${target.port}`;
      dialog = await invite({
        endpoint: o.endpoint,
        target: uri,
        headers: o.headers?.(c.home, uri) ?? [],
        via: target,
        from: `sip:focus@${this.island}`,
        displayName: this.island,
        contact: this.contact(),
        sdp: offer,
        signal: abort.signal,
        onEnded: (d, why) => this.onEnded(c, d, why),
      });
    } catch (err) {
      rtp.close();
      if (c.phase.kind === "calling" && c.phase.abort === abort) c.phase = { kind: "idle" };
      if (abort.signal.aborted) return;
      if (!(err instanceof SipCallError)) throw err;
      if (retryable(err.sipStatusCode)) this.failed(c, `${err.sipStatusCode} ${err.reason}`);
      else this.o.log.warn({ conferenceId: c.conferenceId, home: c.home, status: err.sipStatusCode, reason: err.reason }, "cascade leg refused for good: placed again on the conference's next change");
      return;
    }
    let audio;
    try {
      audio = parseAnswer(offer, dialog.answer.body.toString("utf8"));
    } catch (err) {
      if (!(err instanceof SdpError)) throw err;
      rtp.close();
      c.phase = { kind: "idle" };
      await dialog.bye([["Reason", `SIP ;cause=488 ;text="${err.message.replace(/"/g, "'")}"`]]);
      this.failed(c, `unusable SDP answer: ${err.message}`);
      return;
    }
    const unregister = o.sip.registerDialog(dialog.key, (req, res) => dialog.receive(req, res));
    const keepalive = setInterval(() => void this.probe(c, dialog), this.keepaliveMs);
    keepalive.unref?.();
    c.phase = { kind: "up", dialog, rtp, unregister, keepalive };
    c.failures = 0;
    o.sip.mixer.open(dialog.key, rtp, audio);
    o.sip.mixer.mix(dialog.key, c.conferenceId, { muted: false });
    o.log.info({ conferenceId: c.conferenceId, home: c.home, codec: audio.codec }, "cascade leg to the home focus up");
    if (this.closed || abort.signal.aborted) await this.hangUp(c, "no longer wanted");
  }

  /** An attempt failed: try again after the backoff (the retry re-reads whether the leg is still wanted). */
  private failed(c: Cascade, why: string): void {
    if (this.closed || this.legs.get(c.conferenceId) !== c) return;
    const delay = Math.min(this.firstMs * 2 ** c.failures, this.maxMs);
    c.failures++;
    this.o.log.info({ conferenceId: c.conferenceId, home: c.home, why, retryInMs: delay }, "cascade leg: trying again later");
    this.clearRetry(c);
    c.retry = setTimeout(() => {
      c.retry = null;
      this.reconcile(c.conferenceId);
    }, delay);
    c.retry.unref?.();
  }

  private clearRetry(c: Cascade): void {
    if (c.retry) clearTimeout(c.retry);
    c.retry = null;
  }

  /** The dialog ended (our BYE answered, the home's BYE, or abandoned): out of the mix; again later if still wanted. */
  private onEnded(c: Cascade, dialog: UacDialog, why: UacEndReason): void {
    const phase = c.phase;
    if ((phase.kind !== "up" && phase.kind !== "hanging-up") || (phase.kind === "up" && phase.dialog !== dialog)) return;
    c.phase = { kind: "idle" };
    if (phase.kind !== "up") return; // our BYE's answer: hangUp goes on
    this.release(phase);
    if (why === "remote-bye") this.failed(c, "the home focus hung up");
  }

  /**
   * The keepalive: OPTIONS in the dialog. A 481 (the home does not know the dialog) or no answer at all
   * ends the leg without a BYE; it is placed again after the backoff if still wanted. Any other answer
   * (200, 405, ...) shows the dialog is alive.
   */
  private async probe(c: Cascade, dialog: UacDialog): Promise<void> {
    const res = await dialog.request("OPTIONS").final.catch(() => null);
    if (res && res.status !== 481 && res.status !== 408) return;
    if (c.phase.kind !== "up" || c.phase.dialog !== dialog) return;
    this.o.log.info({ conferenceId: c.conferenceId, home: c.home, status: res?.status ?? null }, "cascade leg: the home focus lost the call");
    dialog.abandon(); // onEnded releases the leg
    this.failed(c, "the home focus lost the call");
  }

  private release(phase: Extract<LegPhase, { kind: "up" }>): void {
    clearInterval(phase.keepalive);
    phase.unregister();
    this.o.sip.mixer.close(phase.dialog.key);
    phase.rtp.close();
  }

  private async hangUp(c: Cascade, why: string): Promise<void> {
    const phase = c.phase;
    switch (phase.kind) {
      case "idle":
        return;
      case "calling":
        phase.abort.abort(new Error(why));
        c.phase = { kind: "idle" };
        return;
      case "hanging-up":
        return phase.done;
      case "up": {
        this.release(phase);
        const done = phase.dialog.bye();
        c.phase = { kind: "hanging-up", done };
        await done;
        if (c.phase.kind === "hanging-up" && c.phase.done === done) c.phase = { kind: "idle" };
        this.o.log.info({ conferenceId: c.conferenceId, home: c.home, why }, "cascade leg hung up");
        return;
      }
    }
  }

  private contact(): string {
    const h = this.o.advertisedHost;
    return `<sip:focus@${h.includes(":") ? `[${h}]` : h}:${this.o.endpoint.port}>`;
  }

  /** Hangs every leg up (BYE), waiting at most `graceMs` for the answers. Safe to call twice. */
  async close(graceMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    const byes = [...this.legs.values()].map((c) => {
      this.clearRetry(c);
      return this.hangUp(c, "focus shutting down");
    });
    await Promise.race([Promise.allSettled(byes), new Promise((r) => setTimeout(r, graceMs).unref())]);
    for (const c of this.legs.values()) {
      if (c.phase.kind === "hanging-up") c.phase = { kind: "idle" };
    }
    this.legs.clear();
  }
}
