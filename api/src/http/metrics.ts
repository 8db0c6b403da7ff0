/** Prometheus metrics (text exposition format) of the focus. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { EventBus } from "@dcon/core";

/**
 * What the SIP face holds right now, read at each scrape. With no call up and the RFC 3261 wait timers
 * (J, K, L, M: up to 64*T1) run out, every count is 0: a count that stays above 0 is a leak.
 */
export interface SipLiveState {
  readonly endpoint: { readonly transactionCount: { server: number; client: number } };
  readonly service: { readonly callCount: number; readonly subscriptionCount: number; readonly mixer: { readonly legCount: number } };
}

export class FocusMetrics {
  readonly registry = new Registry();
  readonly operations = new Counter({ name: "focus_graphql_operations_total", help: "GraphQL operations by type and outcome", labelNames: ["type", "outcome"] as const, registers: [this.registry] });
  readonly operationSeconds = new Histogram({ name: "focus_graphql_operation_seconds", help: "GraphQL operation duration", labelNames: ["type"] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [this.registry] });
  readonly events = new Counter({ name: "focus_conference_events_total", help: "Conference events published, by type", labelNames: ["type"] as const, registers: [this.registry] });
  readonly wsConnections = new Gauge({ name: "focus_websocket_connections", help: "Open GraphQL WebSocket connections", registers: [this.registry] });
  readonly subscriptions = new Gauge({ name: "focus_subscriptions", help: "Active GraphQL subscriptions", registers: [this.registry] });
  readonly rateLimited = new Counter({ name: "focus_rate_limited_total", help: "Attempts refused by a rate limit, by limit", labelNames: ["limit"] as const, registers: [this.registry] });
  /** joins by transport ("sip", "api", ...): the calls the SIP face let in are the joins via "sip" */
  readonly usersJoined = new Counter({ name: "focus_users_joined_total", help: "Users who joined a conference (not into the lobby), by the transport they came over", labelNames: ["via"] as const, registers: [this.registry] });
  private sip: SipLiveState | null = null;

  constructor(bus: EventBus) {
    collectDefaultMetrics({ register: this.registry });
    bus.subscribeAll((e) => {
      this.events.inc({ type: e.type });
      if (e.type === "USER_JOINED") this.usersJoined.inc({ via: e.payload.user.via ?? "unknown" });
    });
    const sip = () => this.sip;
    new Gauge({
      name: "focus_sip_dialogs", help: "Live SIP dialogs: calls (placed ones included) and conference event package subscriptions", labelNames: ["kind"] as const, registers: [this.registry],
      collect() {
        const s = sip();
        this.set({ kind: "call" }, s?.service.callCount ?? 0);
        this.set({ kind: "subscription" }, s?.service.subscriptionCount ?? 0);
      },
    });
    new Gauge({
      name: "focus_sip_transactions", help: "Open SIP transactions (RFC 3261 section 17), by side", labelNames: ["side"] as const, registers: [this.registry],
      collect() {
        const t = sip()?.endpoint.transactionCount ?? { server: 0, client: 0 };
        this.set({ side: "server" }, t.server);
        this.set({ side: "client" }, t.client);
      },
    });
    new Gauge({
      name: "focus_rtp_sessions", help: "Call legs with media open in the audio bridge", registers: [this.registry],
      collect() {
        this.set(sip()?.service.mixer.legCount ?? 0);
      },
    });
    new Gauge({
      // Timers, sockets, servers, file requests: what keeps the event loop alive. A type whose count keeps
      // rising under a steady load is a leak of that kind of handle.
      name: "focus_active_resources", help: "Active libuv handles and requests and timers (process.getActiveResourcesInfo()), by type", labelNames: ["type"] as const, registers: [this.registry],
      collect() {
        const counts = new Map<string, number>();
        for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
        this.reset(); // a type with none left must read as gone, not as its last count
        for (const [type, n] of counts) this.set({ type }, n);
      },
    });
  }

  /** The SIP face to report on, once it has started. */
  watchSip(sip: SipLiveState): void {
    this.sip = sip;
  }
}
