/**
 * SPACE, DCON's federation layer: spreads every event of a distributed conference to the other islands
 * that take part in it, and applies theirs to the local replica.
 *
 * What XMPP does not give, this does (see FEDERATION.md in the design notes): a stanza to a peer whose
 * server or focus is down bounces or is silently lost, so nothing is sent "once". The outbox is the event
 * log itself; per (conference, peer) the last seq the peer acknowledged is kept in the database. Events
 * after it go out in order, a window at a time; an acknowledgement moves the window; without progress for
 * `retryMs` everything unacknowledged goes again (and at once when the link comes back, or the peer asks
 * with a replay). The receiver applies strictly in seq order per origin, drops duplicates, asks for a
 * replay when it sees a gap, and acknowledges the highest seq it has applied. So a restart of either focus,
 * or of either XMPP server, loses nothing and applies nothing twice.
 *
 * Trust: a stanza is read only when its sender is a configured peer's component, each event must be of
 * the sender's own island, and its HMAC must verify under the secret shared with that peer.
 *
 * Commands about what another island owns (core's forwarding.ts) travel as signed <request>/<response>
 * pairs: the owner runs them and answers; no answer within `callTimeoutMs` is OWNER_UNREACHABLE.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { DomainError, ErrorCode, REMOTE_OPS, homeUnreachable, type Actor, type ConferenceDomain, type ConferenceEvent, type RemoteCommand } from "@dcon/core";
import type { IslandDirectory, PeerIsland } from "./directory.ts";
import { ThrottledWarn } from "./log-throttle.ts";
import { decodeWire, encodeWire, eventToWire, FEDERATION_NS, signCall, verifyCall, verifyEvent, WireError, wireToEvent, type WireMessage, type XmlBuilder, type XmlElementLike } from "./wire.ts";

/** What the service needs of the XMPP side (ComponentLink provides it). */
export interface FederationLink<E> {
  readonly isOnline: boolean;
  /** sends `<message to=… type="normal">` with `payload` as its child */
  sendTo(to: string, payload: E): Promise<unknown>;
}

export interface FederationLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface FederationOptions<E> {
  domain: ConferenceDomain;
  directory: IslandDirectory;
  link: FederationLink<E>;
  xml: XmlBuilder<E>;
  log: FederationLogger;
  /** events in flight per (conference, peer); default 100 */
  window?: number;
  /** resend what is unacknowledged after this long without progress; default 1000 ms */
  retryMs?: number;
  /** how long a forwarded command waits for its owner's answer; default 10 s */
  callTimeoutMs?: number;
  /** how long the receiver gathers applied events into one acknowledgement; default 20 ms */
  ackDelayMs?: number;
}

/** Per peer island: how delivery stands (for the API and the portal). */
export interface PeerStatus {
  island: string;
  component: string;
  /** events of this island not yet acknowledged by the peer, over all conferences */
  unacknowledged: number;
  conferences: number;
  lastAckAt: Date | null;
}

const CallSchema = z.object({
  command: z.object({ op: z.enum(REMOTE_OPS) }).passthrough().refine(
    (c) => Object.entries(c).every(([k, v]) => k === "op" || (typeof v === "string" && v.length <= 100) || typeof v === "boolean" || (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 4)),
    "command fields are ids, flags or a priority",
  ),
  actor: z.object({ kind: z.enum(["admin", "integrator", "user", "system"]), id: z.string().max(200) }).strict().nullable(),
}).strict();

const AnswerSchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), code: z.enum(["NOT_FOUND", "BAD_USER_INPUT", "CONFLICT", "FORBIDDEN"]), reason: z.string().nullable().optional(), message: z.string().max(2000) }),
]);

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Early events held per (conference, origin) while a hole is repaired. */
const MAX_HELD = 10_000;

class Outbox {
  acked = 0;
  /** highest seq sent since the last (re)start from `acked` */
  sent = 0;
  /** highest seq of this island known to exist for the conference */
  latest = 0;
  loaded = false;
  busy = false;
  again = false;
  timer: NodeJS.Timeout | null = null;
  lastAckAt: Date | null = null;

  constructor(
    readonly conferenceId: string,
    readonly peer: PeerIsland,
  ) {}
}

export class FederationService<E> {
  private readonly outboxes = new Map<string, Outbox>();
  /** per (conference, origin): applies one at a time, in arrival order */
  private readonly applying = new Map<string, Promise<unknown>>();
  /** per (conference, origin): the last seq applied (once read) and events that came early, held for their turn */
  private readonly inbound = new Map<string, { last: number | null; held: Map<number, ConferenceEvent> }>();
  private readonly pendingAcks = new Map<string, { seq: number; timer: NodeJS.Timeout }>();
  private readonly lastReplayAsk = new Map<string, number>();
  private unsubscribe: (() => void) | null = null;
  private readonly window: number;
  private readonly retryMs: number;
  private readonly ackDelayMs: number;
  private readonly callTimeoutMs: number;
  private closed = false;
  /** warnings a broken database repeats for every stanza: once a minute per kind */
  private readonly repeating: ThrottledWarn;
  /** stanzas refused (unknown sender, bad signature, malformed): for metrics and tests */
  refused = 0;
  /** forwarded commands waiting for their answer, by request id */
  private readonly calls = new Map<string, { island: string; resolve: (v: unknown) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }>();

  constructor(private readonly o: FederationOptions<E>) {
    this.window = o.window ?? 100;
    this.retryMs = o.retryMs ?? 1000;
    this.ackDelayMs = o.ackDelayMs ?? 20;
    this.callTimeoutMs = o.callTimeoutMs ?? 10_000;
    this.repeating = new ThrottledWarn(o.log);
  }

  private get island(): string {
    return this.o.domain.island;
  }

  async start(): Promise<void> {
    this.unsubscribe = this.o.domain.bus.subscribeAll((e) => this.onEvent(e));
    this.o.domain.store.forwarder = (island, command, actor) => this.forward(island, command, actor);
    for (const { conferenceId, peers } of await this.o.domain.federation.distributed()) {
      for (const p of peers) this.outbox(conferenceId, p);
    }
    this.kickAll();
  }

  /** The link is up (again): send what waits. */
  linkOnline(): void {
    this.kickAll();
  }

  status(): PeerStatus[] {
    return this.o.directory.peers.map((p) => {
      const mine = [...this.outboxes.values()].filter((b) => b.peer.island === p.island);
      const acks = mine.map((b) => b.lastAckAt).filter((d): d is Date => d !== null);
      return {
        island: p.island,
        component: p.component,
        unacknowledged: mine.reduce((n, b) => n + Math.max(0, b.latest - b.acked), 0),
        conferences: mine.length,
        lastAckAt: acks.length ? new Date(Math.max(...acks.map((d) => d.getTime()))) : null,
      };
    });
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    if (this.o.domain.store.forwarder) this.o.domain.store.forwarder = null;
    for (const [id, c] of this.calls) {
      clearTimeout(c.timer);
      c.reject(homeUnreachable(c.island));
      this.calls.delete(id);
    }
    for (const b of this.outboxes.values()) if (b.timer) clearTimeout(b.timer);
    for (const a of this.pendingAcks.values()) clearTimeout(a.timer);
  }

  // ---- sending ------------------------------------------------------------------------------

  private outbox(conferenceId: string, island: string): Outbox | null {
    const peer = this.o.directory.island(island);
    if (!peer) {
      this.o.log.warn({ conferenceId, island }, "a distributed conference names an island that is not in the directory");
      return null;
    }
    const key = `${conferenceId}|${island}`;
    let b = this.outboxes.get(key);
    if (!b) {
      b = new Outbox(conferenceId, peer);
      this.outboxes.set(key, b);
    }
    return b;
  }

  private kickAll(): void {
    for (const b of this.outboxes.values()) void this.pump(b);
  }

  private onEvent(e: ConferenceEvent): void {
    if (this.closed) return;
    if (e.type === "CONFERENCE_LINKED" || e.type === "CONFERENCE_CREATED") {
      // New peers (a link made here, or one learnt from the home island).
      void this.o.domain.federation.peersOf(e.conferenceId).then((peers) => {
        for (const p of peers) {
          const b = this.outbox(e.conferenceId, p);
          if (b) void this.pump(b);
        }
      });
    }
    if (e.type === "CONFERENCE_DELETED") {
      for (const [key, b] of this.outboxes) {
        if (b.conferenceId !== e.conferenceId) continue;
        if (b.timer) clearTimeout(b.timer);
        this.outboxes.delete(key);
      }
      return;
    }
    if (e.origin !== this.island) return;
    for (const b of this.outboxes.values()) {
      if (b.conferenceId !== e.conferenceId) continue;
      b.latest = Math.max(b.latest, e.seq);
      void this.pump(b);
    }
  }

  /** Sends the next events of the window; one pump per outbox at a time. */
  private async pump(b: Outbox): Promise<void> {
    if (b.busy) {
      b.again = true;
      return;
    }
    b.busy = true;
    try {
      do {
        b.again = false;
        if (this.closed || !this.o.link.isOnline) return;
        if (!b.loaded) {
          b.acked = await this.o.domain.federation.ackedSeq(b.conferenceId, b.peer.island);
          b.sent = b.acked;
          b.loaded = true;
        }
        const room = b.acked + this.window - b.sent;
        if (room <= 0) continue;
        const events = await this.o.domain.federation.ownEventsAfter(b.conferenceId, b.sent, room);
        for (const e of events) {
          await this.o.link.sendTo(b.peer.component, encodeWire(eventToWire(e, b.peer.secret), this.o.xml));
          b.sent = e.seq;
          b.latest = Math.max(b.latest, e.seq);
        }
        if (b.sent > b.acked) this.armRetry(b);
      } while (b.again);
    } catch (err) {
      // The link went down under us: the retry (or the link coming back) sends again.
      this.o.log.debug({ err, peer: b.peer.island }, "federation send failed");
      this.armRetry(b);
    } finally {
      b.busy = false;
    }
  }

  private armRetry(b: Outbox): void {
    if (b.timer || this.closed) return;
    b.timer = setTimeout(() => {
      b.timer = null;
      if (b.sent > b.acked) {
        // No acknowledgement for a while: the stanzas may have bounced or been lost. Start again after the acked.
        b.sent = b.acked;
        void this.pump(b);
      }
    }, this.retryMs);
  }

  private async onAck(peer: PeerIsland, conferenceId: string, seq: number): Promise<void> {
    const b = this.outboxes.get(`${conferenceId}|${peer.island}`);
    if (!b || seq <= b.acked) return;
    b.acked = seq;
    if (b.sent < seq) b.sent = seq;
    b.lastAckAt = new Date();
    if (b.timer) {
      clearTimeout(b.timer);
      b.timer = null;
    }
    await this.o.domain.federation.acknowledge(conferenceId, peer.island, seq);
    void this.pump(b);
  }

  // ---- forwarded commands ---------------------------------------------------------------------

  /** Runs `command` on the island that owns its object and resolves with its answer (forwarding.ts in core). */
  private forward(island: string, command: RemoteCommand, actor: Actor | null): Promise<unknown> {
    const peer = this.o.directory.island(island);
    if (!peer || !this.o.link.isOnline || this.closed) return Promise.reject(homeUnreachable(island));
    const id = randomBytes(12).toString("base64url");
    const body = JSON.stringify({ command, actor });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(homeUnreachable(island));
      }, this.callTimeoutMs);
      this.calls.set(id, { island, resolve, reject, timer });
      this.o.link.sendTo(peer.component, encodeWire({ kind: "request", origin: this.island, id, body, sig: signCall(peer.secret, "request", this.island, id, body) }, this.o.xml)).catch(() => {
        clearTimeout(timer);
        this.calls.delete(id);
        reject(homeUnreachable(island));
      });
    });
  }

  /** A peer asks this island to run a command on something it owns; the answer goes back signed. */
  private async serve(peer: PeerIsland, id: string, body: string): Promise<void> {
    let answer: unknown;
    const parsed = CallSchema.safeParse(safeJson(body));
    if (!parsed.success) {
      answer = { ok: false, code: ErrorCode.BAD_USER_INPUT, message: "malformed command" };
    } else {
      try {
        answer = { ok: true, result: await this.o.domain.execute(parsed.data.command as RemoteCommand, parsed.data.actor) };
      } catch (err) {
        answer = err instanceof DomainError
          ? { ok: false, code: err.code, reason: err.reason ?? null, message: err.message }
          : { ok: false, code: ErrorCode.CONFLICT, reason: null, message: "the command failed on its owner" };
        if (!(err instanceof DomainError)) this.o.log.warn({ err, from: peer.island }, "a forwarded command failed");
      }
    }
    const text = JSON.stringify(answer);
    await this.o.link.sendTo(peer.component, encodeWire({ kind: "response", origin: this.island, id, body: text, sig: signCall(peer.secret, "response", this.island, id, text) }, this.o.xml)).catch(() => {});
  }

  private answered(peer: PeerIsland, id: string, body: string): void {
    const call = this.calls.get(id);
    if (!call || call.island !== peer.island) return;
    this.calls.delete(id);
    clearTimeout(call.timer);
    const a = AnswerSchema.safeParse(safeJson(body));
    if (!a.success) return call.reject(new DomainError(ErrorCode.CONFLICT, `${peer.island} gave a malformed answer`));
    if (a.data.ok) return call.resolve(a.data.result);
    call.reject(new DomainError(a.data.code, a.data.message, (a.data.reason ?? undefined) as never));
  }

  // ---- receiving ----------------------------------------------------------------------------

  /**
   * One stanza from the XMPP server. `from` is its sender JID; `children` the elements it carries.
   * Returns how many federation payloads were refused (for tests).
   */
  receive(from: string, children: readonly XmlElementLike[]): number {
    const peer = this.o.directory.fromJid(from);
    const ours = children.filter((c) => c.attrs.xmlns === FEDERATION_NS);
    if (ours.length === 0) return 0;
    if (!peer) {
      this.refused += ours.length;
      this.o.log.warn({ from }, "federation stanza from an island that is not in the directory: refused");
      return ours.length;
    }
    let refused = 0;
    for (const el of ours) {
      let msg: WireMessage;
      try {
        msg = decodeWire(el);
      } catch (err) {
        refused++;
        this.o.log.warn({ from, code: err instanceof WireError ? err.code : "ERROR" }, "malformed federation payload: dropped");
        continue;
      }
      if (!this.accept(peer, msg)) refused++;
    }
    this.refused += refused;
    return refused;
  }

  private accept(peer: PeerIsland, msg: WireMessage): boolean {
    switch (msg.kind) {
      case "request":
      case "response": {
        if (msg.origin !== peer.island || !verifyCall(peer.secret, msg)) {
          this.o.log.warn({ from: peer.island, kind: msg.kind }, "forwarded command with a bad signature or origin: refused");
          return false;
        }
        if (msg.kind === "request") void this.serve(peer, msg.id, msg.body);
        else this.answered(peer, msg.id, msg.body);
        return true;
      }
      case "event": {
        if (msg.origin !== peer.island) {
          this.o.log.warn({ from: peer.island, origin: msg.origin }, "an island sent another island's event: refused");
          return false;
        }
        if (!verifyEvent(peer.secret, msg)) {
          this.o.log.warn({ from: peer.island, conferenceId: msg.conference, seq: msg.seq }, "federation event with a bad signature: refused");
          return false;
        }
        let event: ConferenceEvent;
        try {
          event = wireToEvent(msg);
        } catch (err) {
          this.o.log.warn({ from: peer.island, code: err instanceof WireError ? err.code : "ERROR" }, "federation event body refused");
          return false;
        }
        this.serially(`${msg.conference}|${msg.origin}`, () => this.apply(peer, event));
        return true;
      }
      case "ack":
      case "replay": {
        // Both are about this island's own events.
        if (msg.origin !== this.island) return false;
        if (msg.kind === "ack") void this.onAck(peer, msg.conference, msg.seq).catch((err) => this.repeating.warn({ err }, "federation ack failed"));
        else {
          const b = this.outboxes.get(`${msg.conference}|${peer.island}`);
          if (b && msg.since >= b.acked) {
            b.sent = Math.min(b.sent, msg.since);
            void this.pump(b);
          }
        }
        return true;
      }
    }
  }

  private serially(key: string, fn: () => Promise<void>): void {
    const prev = this.applying.get(key) ?? Promise.resolve();
    // a database outage fails every stanza the peer resends: logged once a minute (the resends go on)
    const next = prev.then(fn).catch((err) => this.repeating.warn({ err }, "applying a federation event failed"));
    this.applying.set(key, next);
    void next.then(() => {
      if (this.applying.get(key) === next) this.applying.delete(key);
    });
  }

  /**
   * Applies `e` if it is next; holds it if it came early (a stanza before it was lost) and asks for a
   * replay; drops it if it was applied before. Held events are applied as soon as the hole is filled, so
   * one replay round repairs every loss of a window.
   */
  private async apply(peer: PeerIsland, e: ConferenceEvent): Promise<void> {
    const key = `${e.conferenceId}|${e.origin}`;
    let st = this.inbound.get(key);
    if (!st) this.inbound.set(key, (st = { last: null, held: new Map() }));
    st.last ??= await this.o.domain.federation.lastApplied(e.conferenceId, e.origin);
    if (e.seq <= st.last) {
      // Sent again because our acknowledgement was lost: acknowledge again.
      this.ackSoon(peer, e.conferenceId, st.last);
      return;
    }
    if (e.seq > st.last + 1) {
      if (st.held.size < MAX_HELD) st.held.set(e.seq, e);
      await this.askReplay(peer, e.conferenceId, e.origin, st.last);
      return;
    }
    let next: ConferenceEvent | undefined = e;
    while (next) {
      const r = await this.o.domain.federation.applyRemote(peer.island, next);
      if (r.kind === "refused") {
        // A trusted peer sent something this replica must not take (e.g. conference-wide state from an island
        // that does not own it): it changes nothing and is logged; the stream goes on after it (acknowledged,
        // so it is not sent again), or every later event of that island would be held up behind it.
        this.refused++;
        this.o.log.warn({ from: peer.island, conferenceId: next.conferenceId, seq: next.seq, type: next.type, reason: r.reason }, "federation event refused");
      }
      if (r.kind === "gap") {
        // The database knows better (another path applied events meanwhile): start over from it.
        st.last = r.last;
        st.held.set(next.seq, next);
        await this.askReplay(peer, e.conferenceId, e.origin, r.last);
        return;
      }
      st.last = r.kind === "duplicate" ? Math.max(r.last, next.seq) : next.seq; // applied or refused: past it
      st.held.delete(next.seq);
      next = st.held.get(st.last + 1);
    }
    for (const seq of st.held.keys()) if (seq <= st.last) st.held.delete(seq);
    this.ackSoon(peer, e.conferenceId, st.last);
  }

  private async askReplay(peer: PeerIsland, conferenceId: string, origin: string, since: number): Promise<void> {
    const key = `${conferenceId}|${origin}`;
    const now = Date.now();
    if (now - (this.lastReplayAsk.get(key) ?? 0) < this.retryMs / 2) return;
    this.lastReplayAsk.set(key, now);
    await this.o.link.sendTo(peer.component, encodeWire({ kind: "replay", origin, conference: conferenceId, since }, this.o.xml)).catch(() => {});
  }

  /** One acknowledgement for what was applied within `ackDelayMs`: the highest seq applied in order. */
  private ackSoon(peer: PeerIsland, conferenceId: string, seq: number): void {
    const key = `${conferenceId}|${peer.island}`;
    const pending = this.pendingAcks.get(key);
    if (pending) {
      pending.seq = Math.max(pending.seq, seq);
      return;
    }
    const entry = {
      seq,
      timer: setTimeout(() => {
        this.pendingAcks.delete(key);
        void this.o.link.sendTo(peer.component, encodeWire({ kind: "ack", origin: peer.island, conference: conferenceId, seq: entry.seq }, this.o.xml)).catch(() => {});
      }, this.ackDelayMs),
    };
    this.pendingAcks.set(key, entry);
  }
}
