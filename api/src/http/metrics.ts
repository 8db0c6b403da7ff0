/** Prometheus metrics (text exposition format) of the focus. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { EventBus } from "@dcon/core";

export class FocusMetrics {
  readonly registry = new Registry();
  readonly operations = new Counter({ name: "focus_graphql_operations_total", help: "GraphQL operations by type and outcome", labelNames: ["type", "outcome"] as const, registers: [this.registry] });
  readonly operationSeconds = new Histogram({ name: "focus_graphql_operation_seconds", help: "GraphQL operation duration", labelNames: ["type"] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [this.registry] });
  readonly events = new Counter({ name: "focus_conference_events_total", help: "Conference events published, by type", labelNames: ["type"] as const, registers: [this.registry] });
  readonly wsConnections = new Gauge({ name: "focus_websocket_connections", help: "Open GraphQL WebSocket connections", registers: [this.registry] });
  readonly subscriptions = new Gauge({ name: "focus_subscriptions", help: "Active GraphQL subscriptions", registers: [this.registry] });
  readonly rateLimited = new Counter({ name: "focus_rate_limited_total", help: "Attempts refused by a rate limit, by limit", labelNames: ["limit"] as const, registers: [this.registry] });

  constructor(bus: EventBus) {
    collectDefaultMetrics({ register: this.registry });
    bus.subscribeAll((e) => this.events.inc({ type: e.type }));
  }
}
