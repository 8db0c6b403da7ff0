/**
 * SIP transactions, RFC 3261 section 17, with the RFC 6026 "Accepted" states for 2xx to INVITE. Each
 * transaction is an explicit state machine; states and timers are named as in the RFC's figures 5-8 and
 * RFC 6026 figures 3-4. Retransmission timers run only over UDP (RFC 3261 section 17.1.1.2: a reliable
 * transport retransmits for us), and the "wait" timers are zero over TCP.
 */
import type { SipMessage, SipRequest, SipResponse } from "./message.ts";
import type { Peer } from "./transport.ts";
import type { SipTimers } from "./timers.ts";

/** What a transaction needs from the layer below: send bytes to a peer. */
export type SendFn = (msg: SipMessage, to: Peer) => void;

class Timers {
  private readonly handles = new Set<NodeJS.Timeout>();
  start(ms: number, fn: () => void): NodeJS.Timeout {
    const h = setTimeout(() => {
      this.handles.delete(h);
      fn();
    }, ms);
    this.handles.add(h);
    return h;
  }
  stop(h: NodeJS.Timeout | null): void {
    if (!h) return;
    clearTimeout(h);
    this.handles.delete(h);
  }
  clear(): void {
    for (const h of this.handles) clearTimeout(h);
    this.handles.clear();
  }
  get size(): number {
    return this.handles.size;
  }
}

// ---------------------------------------------------------------------------------------------------
// Server transactions

/** RFC 3261 figure 7 + RFC 6026 figure 3 (INVITE server transaction). */
export type InviteServerState = "proceeding" | "accepted" | "completed" | "confirmed" | "terminated";
/** RFC 3261 figure 8 (non-INVITE server transaction). */
export type NonInviteServerState = "trying" | "proceeding" | "completed" | "terminated";

export interface ServerTransactionOptions {
  request: SipRequest;
  /** where responses go (RFC 3261 section 18.2.2, computed by the endpoint) */
  responseTo: Peer;
  send: SendFn;
  timers: SipTimers;
  onTerminated: () => void;
  /** INVITE: the transaction user did not answer in 200 ms, so a 100 Trying went out (section 17.2.1) */
  autoTrying?: (req: SipRequest) => SipResponse;
  /** INVITE: no ACK came for a non-2xx final response within Timer H (section 17.2.1) */
  onAckTimeout?: () => void;
}

export class InviteServerTransaction {
  state: InviteServerState = "proceeding";
  private last: SipResponse | null = null;
  private readonly timers = new Timers();
  private tryingTimer: NodeJS.Timeout | null = null;
  private timerG: NodeJS.Timeout | null = null;
  private readonly reliable: boolean;

  constructor(private readonly o: ServerTransactionOptions) {
    this.reliable = o.responseTo.transport !== "udp";
    if (o.autoTrying) this.tryingTimer = this.timers.start(200, () => this.respond(o.autoTrying!(o.request)));
  }

  get request(): SipRequest {
    return this.o.request;
  }

  /** The last response sent (100 Trying included), for its To tag. */
  get lastResponse(): SipResponse | null {
    return this.last;
  }

  /** The transaction user's response. */
  respond(res: SipResponse): void {
    if (this.state !== "proceeding") {
      // RFC 6026 section 8.7: in Accepted, further 2xx (retransmissions by the TU) pass through.
      if (this.state === "accepted" && res.status >= 200 && res.status < 300) this.o.send(res, this.o.responseTo);
      return;
    }
    this.timers.stop(this.tryingTimer);
    this.last = res;
    this.o.send(res, this.o.responseTo);
    if (res.status < 200) return;
    if (res.status < 300) {
      // RFC 6026 section 7.1: Accepted, Timer L = 64*T1 absorbs retransmitted INVITEs; the TU retransmits the 2xx.
      this.state = "accepted";
      this.timers.start(64 * this.o.timers.T1, () => this.terminate());
      return;
    }
    this.state = "completed";
    if (!this.reliable) this.scheduleG(this.o.timers.T1);
    this.timers.start(64 * this.o.timers.T1, () => {
      // Timer H: the ACK never came.
      this.o.onAckTimeout?.();
      this.terminate();
    });
  }

  private scheduleG(interval: number): void {
    this.timerG = this.timers.start(interval, () => {
      if (this.state !== "completed" || !this.last) return;
      this.o.send(this.last, this.o.responseTo);
      this.scheduleG(Math.min(2 * interval, this.o.timers.T2));
    });
  }

  /** A retransmission of the INVITE: resend the last provisional or final response (section 17.2.1). */
  retransmission(): void {
    if ((this.state === "proceeding" || this.state === "completed") && this.last) this.o.send(this.last, this.o.responseTo);
  }

  /** The ACK for a non-2xx final response (section 17.2.1): Confirmed, Timer I absorbs ACK retransmissions. */
  ack(): void {
    if (this.state !== "completed") return;
    this.state = "confirmed";
    this.timers.stop(this.timerG);
    this.timers.start(this.reliable ? 0 : this.o.timers.T4, () => this.terminate());
  }

  terminate(): void {
    if (this.state === "terminated") return;
    this.state = "terminated";
    this.timers.clear();
    this.o.onTerminated();
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}

export class NonInviteServerTransaction {
  state: NonInviteServerState = "trying";
  private last: SipResponse | null = null;
  private readonly timers = new Timers();

  constructor(private readonly o: ServerTransactionOptions) {}

  get request(): SipRequest {
    return this.o.request;
  }

  /** The last response sent, for its To tag. */
  get lastResponse(): SipResponse | null {
    return this.last;
  }

  respond(res: SipResponse): void {
    if (this.state === "completed" || this.state === "terminated") return;
    this.last = res;
    this.o.send(res, this.o.responseTo);
    if (res.status < 200) {
      this.state = "proceeding";
      return;
    }
    this.state = "completed";
    // Timer J: 64*T1 over UDP to absorb request retransmissions, zero over a reliable transport.
    this.timers.start(this.o.responseTo.transport === "udp" ? 64 * this.o.timers.T1 : 0, () => this.terminate());
  }

  retransmission(): void {
    if ((this.state === "proceeding" || this.state === "completed") && this.last) this.o.send(this.last, this.o.responseTo);
  }

  terminate(): void {
    if (this.state === "terminated") return;
    this.state = "terminated";
    this.timers.clear();
    this.o.onTerminated();
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}

export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

// ---------------------------------------------------------------------------------------------------
// Client transactions

/** RFC 3261 figure 5 + RFC 6026 figure 4 (INVITE client transaction). */
export type InviteClientState = "calling" | "proceeding" | "accepted" | "completed" | "terminated";
/** RFC 3261 figure 6 (non-INVITE client transaction). */
export type NonInviteClientState = "trying" | "proceeding" | "completed" | "terminated";

export interface ClientTransactionOptions {
  request: SipRequest;
  to: Peer;
  send: SendFn;
  timers: SipTimers;
  onTerminated: () => void;
  onProvisional?: (res: SipResponse) => void;
  /** INVITE: makes the ACK for a non-2xx final response (section 17.1.1.3) */
  ackFor?: (res: SipResponse) => SipRequest;
  /** INVITE: 2xx responses after the first (retransmissions, forks), for the TU to ACK (RFC 6026 section 8.4) */
  onExtra2xx?: (res: SipResponse) => void;
}

/** Thrown (as the promise's rejection) when Timer B or F fires: the peer never answered. */
export class TransactionTimeout extends Error {
  override readonly name = "TransactionTimeout";
  readonly status = 408;
}

/** Thrown when the transport could not send the request (RFC 3261 section 17.1.4: treat as 503). */
export class TransportError extends Error {
  override readonly name = "TransportError";
  readonly status = 503;
}

abstract class ClientTransactionBase<S extends string> {
  abstract state: S;
  protected readonly timers = new Timers();
  protected readonly reliable: boolean;
  readonly final: Promise<SipResponse>;
  protected settle!: { ok: (r: SipResponse) => void; fail: (e: Error) => void };
  protected settled = false;

  constructor(protected readonly o: ClientTransactionOptions) {
    this.reliable = o.to.transport !== "udp";
    this.final = new Promise<SipResponse>((ok, fail) => (this.settle = { ok, fail }));
    // Nobody may be awaiting yet; the rejection is still observed through `final`.
    this.final.catch(() => {});
  }

  get request(): SipRequest {
    return this.o.request;
  }

  protected resolve(res: SipResponse): void {
    if (this.settled) return;
    this.settled = true;
    this.settle.ok(res);
  }

  protected reject(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.settle.fail(err);
  }

  protected transmit(msg: SipMessage): void {
    try {
      this.o.send(msg, this.o.to);
    } catch (err) {
      this.reject(new TransportError((err as Error).message));
      this.terminate();
    }
  }

  abstract receive(res: SipResponse): void;
  abstract terminate(): void;

  get pendingTimers(): number {
    return this.timers.size;
  }
}

export class NonInviteClientTransaction extends ClientTransactionBase<NonInviteClientState> {
  state: NonInviteClientState = "trying";
  private timerE: NodeJS.Timeout | null = null;

  constructor(o: ClientTransactionOptions) {
    super(o);
    this.transmit(o.request);
    if (!this.reliable) this.scheduleE(o.timers.T1);
    // Timer F: the transaction times out.
    this.timers.start(64 * o.timers.T1, () => {
      if (this.state !== "trying" && this.state !== "proceeding") return;
      this.reject(new TransactionTimeout(`no final response to ${o.request.method} in ${64 * o.timers.T1} ms`));
      this.terminate();
    });
  }

  private scheduleE(interval: number): void {
    this.timerE = this.timers.start(interval, () => {
      if (this.state !== "trying" && this.state !== "proceeding") return;
      this.transmit(this.o.request);
      // In Proceeding, retransmissions go every T2 (section 17.1.2.2).
      this.scheduleE(this.state === "proceeding" ? this.o.timers.T2 : Math.min(2 * interval, this.o.timers.T2));
    });
  }

  receive(res: SipResponse): void {
    if (this.state === "completed" || this.state === "terminated") return;
    if (res.status < 200) {
      this.state = "proceeding";
      this.o.onProvisional?.(res);
      return;
    }
    this.state = "completed";
    this.timers.stop(this.timerE);
    this.resolve(res);
    // Timer K: absorb response retransmissions.
    this.timers.start(this.reliable ? 0 : this.o.timers.T4, () => this.terminate());
  }

  terminate(): void {
    if (this.state === "terminated") return;
    this.state = "terminated";
    this.timers.clear();
    this.reject(new TransactionTimeout("transaction terminated without a final response"));
    this.o.onTerminated();
  }
}

export class InviteClientTransaction extends ClientTransactionBase<InviteClientState> {
  state: InviteClientState = "calling";
  private timerA: NodeJS.Timeout | null = null;
  private timerB: NodeJS.Timeout | null = null;
  private ack: SipRequest | null = null;

  constructor(o: ClientTransactionOptions) {
    super(o);
    this.transmit(o.request);
    if (!this.reliable) this.scheduleA(o.timers.T1);
    // Timer B: no response at all.
    this.timerB = this.timers.start(64 * o.timers.T1, () => {
      if (this.state !== "calling") return;
      this.reject(new TransactionTimeout(`no response to INVITE in ${64 * o.timers.T1} ms`));
      this.terminate();
    });
  }

  private scheduleA(interval: number): void {
    this.timerA = this.timers.start(interval, () => {
      if (this.state !== "calling") return;
      this.transmit(this.o.request);
      this.scheduleA(2 * interval);
    });
  }

  receive(res: SipResponse): void {
    switch (this.state) {
      case "calling":
      case "proceeding":
        this.timers.stop(this.timerA);
        if (res.status < 200) {
          this.state = "proceeding";
          this.timers.stop(this.timerB);
          this.o.onProvisional?.(res);
        } else if (res.status < 300) {
          // RFC 6026 section 8.4: Accepted; Timer M = 64*T1 lets retransmitted or forked 2xx reach the TU.
          this.state = "accepted";
          this.timers.stop(this.timerB);
          this.resolve(res);
          this.timers.start(64 * this.o.timers.T1, () => this.terminate());
        } else {
          this.state = "completed";
          this.timers.stop(this.timerB);
          this.ack = this.o.ackFor?.(res) ?? null;
          if (this.ack) this.transmit(this.ack);
          this.resolve(res);
          // Timer D: absorb final response retransmissions (at least 32 s over UDP: 64*T1 with the default T1).
          this.timers.start(this.reliable ? 0 : 64 * this.o.timers.T1, () => this.terminate());
        }
        return;
      case "accepted":
        if (res.status >= 200 && res.status < 300) this.o.onExtra2xx?.(res);
        return;
      case "completed":
        if (res.status >= 300 && this.ack) this.transmit(this.ack);
        return;
      case "terminated":
        return;
    }
  }

  terminate(): void {
    if (this.state === "terminated") return;
    this.state = "terminated";
    this.timers.clear();
    this.reject(new TransactionTimeout("transaction terminated without a final response"));
    this.o.onTerminated();
  }
}

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
