/**
 * ComponentLink: an island's focus connected to its island's Prosody as an external component
 * (XEP-0114, Jabber Component Protocol), through @xmpp/component 0.13.
 *
 * Why a component: the focus is a server-side entity with its own domain (`focus.island-a.test`), not a
 * user. Prosody hands it every stanza addressed to that domain (any localpart), and carries what it sends to
 * other islands over s2s, where Prosody does the server-to-server work (name resolution, dialback or TLS).
 * The component authenticates with the handshake of XEP-0114 §3 (SHA-1 of the stream id and the shared
 * secret). The stream itself is plaintext, so the link belongs on loopback or another trusted network.
 *
 * What the link guarantees:
 *  - while online, stanzas given to send() are written to the stream to the local Prosody in call order;
 *    send() resolves once the serialized stanza is handed to the socket (not when anybody has received it);
 *  - stanzas from Prosody are emitted ("stanza") in the order they arrive;
 *  - when the stream or Prosody goes away the link says so ("offline") and tries again until it is back
 *    ("online"), until close(), or until Prosody refuses the credentials (`not-authorized`, `host-unknown`:
 *    fatal, the link closes). The first retry comes after about `reconnectDelayMs` (1 s); each failed one
 *    doubles the pause up to `reconnectMaxDelayMs` (4 s), with jitter, so that a Prosody flapping or many
 *    foci restarting at once meet a trickle of attempts rather than a storm in step;
 *  - no error of the library escapes as an exception or an unhandled rejection: each one is reported as a
 *    "problem" event and classified (LinkErrorCode) into retryable or fatal in one place, `classify`.
 *
 * What it does not:
 *  - no queue: send() while not online rejects with `not-online`, and nothing is resent;
 *  - no delivery guarantee (RFC 6120 has none across s2s): a stanza can come back as a bounce, a stanza of
 *    type "error" that carries the id but not the payload (remote Prosody down: cancel/remote-server-not-found;
 *    remote component down: wait/remote-server-timeout), or be lost silently (a Prosody crashing with it in
 *    flight, including ours after send() resolved). The federation layer above keeps an outbox, acks at
 *    application level, resends and drops duplicates;
 *  - no detection of a Prosody that hangs without closing the socket (no XEP-0199 pings);
 *  - iq get/set nobody handles are answered by the library with service-unavailable (RFC 6120 §8.4) while
 *    also being emitted here; the federation speaks <message>.
 */
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { component, xml, type Component, type Element, type XmppError } from "@xmpp/component";
import { guardConnectionParser, type GuardableConnection } from "./parser-guard.ts";

export { xml };
export type { Element };

/** Error codes of the link (public: match on `err.code`). */
export enum LinkErrorCode {
  /** send() while the link is not online (connecting, closed, not started) */
  NotOnline = "not-online",
  /** send() of something that is not a <message>, <presence> or <iq> with a `to` (XEP-0114 §3) */
  InvalidStanza = "invalid-stanza",
  /** the socket refused the write (it closed under the stanza) */
  WriteFailed = "write-failed",
  /** the link was closed by close() */
  Closed = "closed",
  /** Prosody did not complete the stream and handshake in time, or whenOnline() timed out */
  Timeout = "timeout",
  /** TCP-level failure (ECONNREFUSED, ECONNRESET, ...): `condition` is the errno code */
  Socket = "socket",
  /** a stream error from Prosody (RFC 6120 §4.9.3): `condition` is its name, e.g. not-authorized */
  StreamError = "stream-error",
  /** anything else the library reported (unexpected handshake answer, unparsable XML, ...) */
  Protocol = "protocol",
  /** a listener of this link threw (the link carries on) */
  ListenerFailed = "listener-failed",
}

export class ComponentLinkError extends Error {
  override readonly name = "ComponentLinkError";

  constructor(
    readonly code: LinkErrorCode,
    message: string,
    /** the stream error condition or errno code, when there is one */
    readonly condition: string | null = null,
    /** true when retrying cannot help (the link closes) */
    readonly fatal = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The link's lifecycle; `connecting` covers the first attempt and every reconnection. */
export type LinkState =
  | { readonly phase: "idle" }
  | { readonly phase: "connecting"; readonly since: number; readonly attempts: number; readonly lastError: ComponentLinkError | null }
  | { readonly phase: "online"; readonly since: number }
  | { readonly phase: "closed"; readonly error: ComponentLinkError | null };

export type ComponentLinkEvents = {
  /** the stream is up and the handshake succeeded: send() works */
  online: [];
  /** the stream went away while online (the link reconnects by itself); the last error seen, if any */
  offline: [reason: ComponentLinkError | null];
  /** a stanza from Prosody */
  stanza: [stanza: Element];
  /** an error the library reported or a failed attempt: for logs and metrics, never thrown */
  problem: [error: ComponentLinkError];
  /** close() or a fatal error: the link will not come back */
  closed: [error: ComponentLinkError | null];
};

export interface ComponentLinkOptions {
  /** the component port of the island's Prosody, "xmpp://127.0.0.2:5347" */
  service: string;
  /** the component's JID (its domain), "focus.island-a.test" */
  componentJid: string;
  /** the component_secret shared with Prosody */
  secret: string;
  /** pause before the first reconnection attempt (ms); default 1000, @xmpp/reconnect's own */
  reconnectDelayMs?: number;
  /** the longest pause between attempts, however many failed (ms); default 4000 */
  reconnectMaxDelayMs?: number;
  /** an attempt that has not reached online this long after the TCP connect is torn down (ms); default 10 s */
  handshakeTimeoutMs?: number;
}

/**
 * A stanza of type "error" (RFC 6120 §8.3), such as the bounce of one we sent: Prosody returns it from the
 * addressee's JID with our stanza's id, and without our payload.
 */
export interface StanzaError {
  /** the id of the stanza it answers (what the sender must keep to correlate) */
  id: string | null;
  /** whom the failed stanza was addressed to */
  from: string | null;
  /** the stanza kind: message, presence, iq */
  stanza: string;
  /** RFC 6120 §8.3.2: cancel (do not retry as is), wait (retry later), modify, auth, continue */
  type: string;
  /** RFC 6120 §8.3.3 condition, e.g. remote-server-not-found, remote-server-timeout */
  condition: string;
  /** the human-readable text, when given (Prosody: "Server-to-server connection failed: connection refused") */
  text: string | null;
  /** who generated the error, when said (Prosody puts the sending island's JID for s2s failures) */
  by: string | null;
}

const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
/** Stream error conditions (RFC 6120 §4.9.3) that no retry can fix: the secret or the JID is wrong. */
const FATAL_CONDITIONS = new Set(["not-authorized", "host-unknown"]);
const STANZAS = new Set(["message", "presence", "iq"]);

/** The error a stanza of type "error" carries, or null for any other stanza (or one without a condition). */
export function stanzaError(stanza: Element): StanzaError | null {
  if (stanza.attrs.type !== "error" || !STANZAS.has(stanza.name)) return null;
  const error = stanza.getChild("error");
  const condition = error?.getChildElements().find((c) => c.name !== "text" && c.attrs.xmlns === NS_STANZAS);
  if (!error || !condition) return null;
  return {
    id: stanza.attrs.id ?? null,
    from: stanza.attrs.from ?? null,
    stanza: stanza.name,
    type: error.attrs.type ?? "cancel",
    condition: condition.name,
    text: error.getChildText("text", NS_STANZAS),
    by: error.attrs.by ?? null,
  };
}

export class ComponentLink extends EventEmitter<ComponentLinkEvents> {
  readonly componentJid: string;
  private readonly entity: Component;
  private readonly handshakeTimeoutMs: number;
  private linkState: LinkState = { phase: "idle" };
  private handshakeTimer: NodeJS.Timeout | null = null;
  /** the last error reported while online: the reason given with "offline" */
  private lastErrorWhileOnline: ComponentLinkError | null = null;
  private closing: Promise<void> | null = null;
  /** ids of sendTo(): unique per link instance, so that a bounce after a restart is not taken for a new stanza's */
  private readonly idPrefix = randomBytes(4).toString("hex");
  private sent = 0;
  private readonly reconnectDelayMs: number;
  private readonly reconnectMaxDelayMs: number;
  /** attempts since the link was last online that ended without getting there */
  private failedAttempts = 0;
  private attemptsTotal = 0;

  constructor(opts: ComponentLinkOptions) {
    super();
    this.componentJid = opts.componentJid;
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 10_000;
    this.entity = component({ service: opts.service, domain: opts.componentJid, password: opts.secret });
    // Malformed XML from the server must end the stream, not the process (see parser-guard.ts).
    guardConnectionParser(this.entity as unknown as GuardableConnection);
    this.reconnectDelayMs = opts.reconnectDelayMs ?? 1000;
    this.reconnectMaxDelayMs = Math.max(this.reconnectDelayMs, opts.reconnectMaxDelayMs ?? 4000);
    this.entity.reconnect.delay = this.reconnectDelayMs;

    // The library emits "error" for every failure (socket, stream, handshake): with no listener, Node's
    // EventEmitter would throw it. This one stays attached for the entity's whole life, even after close().
    this.entity.on("error", (err) => this.onLibraryError(err));
    this.entity.on("status", (status) => this.onStatus(status));
    this.entity.on("stanza", (stanza) => {
      if (this.linkState.phase === "online") this.safeEmit("stanza", stanza);
    });
  }

  get state(): LinkState {
    return this.linkState;
  }

  get isOnline(): boolean {
    return this.linkState.phase === "online";
  }

  /** connection attempts over the link's life, the first included (for metrics and tests) */
  get connectAttempts(): number {
    return this.attemptsTotal;
  }

  /**
   * Starts connecting; resolves once online the first time. Until then the link keeps trying (so Prosody may
   * come up after this call); rejects on a fatal error, on close(), or after `timeoutMs` (default: never) —
   * a timeout leaves the link trying in the background.
   */
  start(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.linkState.phase === "idle") {
      this.linkState = { phase: "connecting", since: Date.now(), attempts: 0, lastError: null };
      // Failures surface through "error" (and the reconnect loop retries): the rejection itself adds nothing.
      this.entity.start().catch(() => {});
    }
    return this.whenOnline(opts);
  }

  /** Resolves when the link is (or next becomes) online; rejects once it is closed, or after `timeoutMs`. */
  whenOnline(opts: { timeoutMs?: number } = {}): Promise<void> {
    const state = this.linkState;
    if (state.phase === "online") return Promise.resolve();
    if (state.phase === "closed") return Promise.reject(state.error ?? this.closedError());
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        this.off("online", onOnline);
        this.off("closed", onClosed);
      };
      const onOnline = () => {
        cleanup();
        resolve();
      };
      const onClosed = (error: ComponentLinkError | null) => {
        cleanup();
        reject(error ?? this.closedError());
      };
      const timer =
        opts.timeoutMs === undefined
          ? null
          : setTimeout(() => {
              cleanup();
              reject(new ComponentLinkError(LinkErrorCode.Timeout, `${this.componentJid}: not online within ${opts.timeoutMs} ms`));
            }, opts.timeoutMs);
      this.on("online", onOnline);
      this.on("closed", onClosed);
    });
  }

  /**
   * Writes one stanza to the local Prosody. `from` defaults to the component's JID; `to` is required.
   * Resolves when written to the socket; rejects (ComponentLinkError) when not online or the write fails.
   */
  async send(stanza: Element): Promise<void> {
    if (!STANZAS.has(stanza.name) || !stanza.attrs.to) {
      throw new ComponentLinkError(LinkErrorCode.InvalidStanza, `not a stanza with a 'to': <${stanza.name}>`);
    }
    if (this.linkState.phase !== "online") {
      throw new ComponentLinkError(LinkErrorCode.NotOnline, `${this.componentJid} is ${this.linkState.phase}, not online`);
    }
    try {
      await this.entity.send(stanza);
    } catch (err) {
      throw new ComponentLinkError(LinkErrorCode.WriteFailed, `${this.componentJid}: write failed: ${(err as Error).message}`, null, false, {
        cause: err,
      });
    }
  }

  /**
   * Sends `<message to=… type="normal" id=…>` with `payload` as its only child. A bounce carries the id back
   * (see stanzaError), so a sender that correlates passes its own; otherwise one unique to this link is used.
   */
  async sendTo(to: string, payload: Element, opts: { id?: string } = {}): Promise<void> {
    await this.send(xml("message", { to, type: "normal", id: opts.id ?? `${this.idPrefix}-${++this.sent}` }, payload));
  }

  /**
   * Answers iq get requests whose child is <name xmlns=ns> (e.g. XEP-0030 disco#items) with the handler's
   * element; a handler that returns nothing answers service-unavailable (RFC 6120 section 8.3.3.19).
   */
  onIqGet(ns: string, name: string, handler: (query: Element, from: string) => Promise<Element | undefined> | Element | undefined): void {
    this.entity.iqCallee.get(ns, name, (ctx) => handler(ctx.element, ctx.stanza.attrs.from ?? ""));
  }

  /** Sends an iq get with `query` to `to`; resolves with the result's child, rejects on an error or after `timeoutMs`. */
  async iqGet(to: string, query: Element, timeoutMs = 10_000): Promise<Element> {
    if (this.linkState.phase !== "online") {
      throw new ComponentLinkError(LinkErrorCode.NotOnline, `${this.componentJid} is ${this.linkState.phase}, not online`);
    }
    return this.entity.iqCaller.get(query, to, timeoutMs);
  }

  /** Closes the stream and stops reconnecting; safe to call twice. Pending whenOnline() calls reject with `closed`. */
  close(): Promise<void> {
    return (this.closing ??= this.shutDown(null));
  }

  // --- library events ----------------------------------------------------------------------------------

  private onStatus(status: Component["status"]): void {
    if (this.linkState.phase === "closed") {
      // an attempt that was in flight when the link closed: end it
      if (status === "online") this.entity.stop().catch(() => {});
      return;
    }
    switch (status) {
      case "connecting": {
        this.attemptsTotal++;
        const prev = this.linkState;
        this.linkState = {
          phase: "connecting",
          since: prev.phase === "connecting" ? prev.since : Date.now(),
          attempts: (prev.phase === "connecting" ? prev.attempts : 0) + 1,
          lastError: prev.phase === "connecting" ? prev.lastError : null,
        };
        return;
      }
      case "connect":
        // Nagle off: small stanzas otherwise wait for the previous segment's ACK (~40 ms on loopback)
        this.entity.socket?.setNoDelay(true);
        this.armHandshakeTimer();
        return;
      case "online":
        this.clearHandshakeTimer();
        this.linkState = { phase: "online", since: Date.now() };
        this.safeEmit("online");
        return;
      case "disconnect": {
        this.clearHandshakeTimer();
        const prev = this.linkState;
        // @xmpp/reconnect schedules the next attempt on the "disconnect" event, which follows this status
        // event: the pause set here is the one it waits.
        this.failedAttempts = prev.phase === "online" ? 0 : this.failedAttempts + 1;
        this.entity.reconnect.delay = this.nextDelay();
        if (prev.phase === "online") {
          this.linkState = { phase: "connecting", since: Date.now(), attempts: 0, lastError: this.lastErrorWhileOnline };
          this.safeEmit("offline", this.lastErrorWhileOnline);
        }
        this.lastErrorWhileOnline = null;
        return;
      }
      default:
        return;
    }
  }

  private onLibraryError(raw: unknown): void {
    if (this.linkState.phase === "closed") return; // late echoes of a finished connection
    const error = classify(raw, this.componentJid);
    if (this.linkState.phase === "online") this.lastErrorWhileOnline = error;
    else if (this.linkState.phase === "connecting") this.linkState = { ...this.linkState, lastError: error };
    this.safeEmit("problem", error);
    if (error.fatal) void (this.closing ??= this.shutDown(error));
  }

  /** Exponential backoff with "equal jitter": half the pause fixed, half random (never below half the base). */
  private nextDelay(): number {
    const ceiling = Math.min(this.reconnectMaxDelayMs, this.reconnectDelayMs * 2 ** Math.min(this.failedAttempts, 16));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  private armHandshakeTimer(): void {
    this.clearHandshakeTimer();
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = null;
      if (this.linkState.phase !== "connecting") return;
      this.onLibraryError(
        new ComponentLinkError(LinkErrorCode.Timeout, `${this.componentJid}: no handshake within ${this.handshakeTimeoutMs} ms`),
      );
      // closing the socket ends in "disconnect", on which @xmpp/reconnect tries again
      this.entity.socket?.destroy();
    }, this.handshakeTimeoutMs);
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }

  private async shutDown(error: ComponentLinkError | null): Promise<void> {
    const wasOnline = this.linkState.phase === "online";
    this.linkState = { phase: "closed", error };
    this.clearHandshakeTimer();
    this.entity.reconnect.stop();
    if (wasOnline) this.safeEmit("offline", error);
    this.safeEmit("closed", error);
    try {
      await this.entity.stop();
    } catch {
      // the socket is gone already: nothing left to close
    }
  }

  private closedError(): ComponentLinkError {
    return new ComponentLinkError(LinkErrorCode.Closed, `${this.componentJid}: link closed`);
  }

  /** A throwing listener must not break the link's state machine: report it and carry on. */
  private safeEmit<K extends keyof ComponentLinkEvents>(event: K, ...args: ComponentLinkEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: ComponentLinkEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      const error = new ComponentLinkError(LinkErrorCode.ListenerFailed, `a "${event}" listener threw: ${(err as Error)?.message}`, null, false, {
        cause: err,
      });
      if (event === "problem") process.emitWarning(error);
      else this.safeEmit("problem", error);
    }
  }
}

/** The one place that decides what a library error means, and whether retrying can help. */
function classify(raw: unknown, jid: string): ComponentLinkError {
  if (raw instanceof ComponentLinkError) return raw;
  const err = raw as XmppError & NodeJS.ErrnoException;
  const message = `${jid}: ${err?.message ?? String(raw)}`;
  if (err?.name === "StreamError" && err.condition) {
    const fatal = FATAL_CONDITIONS.has(err.condition);
    return new ComponentLinkError(LinkErrorCode.StreamError, message, err.condition, fatal, { cause: raw });
  }
  if (err?.name === "TimeoutError") return new ComponentLinkError(LinkErrorCode.Timeout, message, null, false, { cause: raw });
  if (typeof err?.code === "string" && err.syscall) return new ComponentLinkError(LinkErrorCode.Socket, message, err.code, false, { cause: raw });
  return new ComponentLinkError(LinkErrorCode.Protocol, message, null, false, { cause: raw });
}
