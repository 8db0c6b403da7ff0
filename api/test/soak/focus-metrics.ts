/**
 * Reads the focus' /metrics (Prometheus text format) into the figures the soak asserts on: live SIP
 * dialogs and transactions, RTP sessions, GraphQL WebSocket connections and subscriptions, active
 * handles and timers by type, heap used, and the counters calls and events are accounted with.
 */
import http from "node:http";

export interface FocusSnapshot {
  /** when it was read (ms, performance.now() of the driver) */
  at: number;
  callDialogs: number;
  subscriptionDialogs: number;
  serverTransactions: number;
  clientTransactions: number;
  rtpSessions: number;
  wsConnections: number;
  subscriptions: number;
  /** process.getActiveResourcesInfo() of the focus, counted by type */
  resources: Record<string, number>;
  heapUsed: number;
  /** users who joined over SIP since the focus started (focus_users_joined_total{via="sip"}) */
  sipJoins: number;
  /** events published since the focus started, by type */
  events: Record<string, number>;
  /** GraphQL operations over HTTP since the focus started, by outcome */
  operations: { ok: number; error: number };
}

export class MetricsError extends Error {
  override readonly name = "MetricsError";
}

/** `name{labels} value` lines; comments and blank lines skipped. */
export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** Every series of one metric, by the value of one of its labels. */
function byLabel(series: Map<string, number>, metric: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`^${metric}\\{(?:.*,)?${label}="([^"]*)"`);
  for (const [key, value] of series) {
    const m = re.exec(key);
    if (m) out[m[1]!] = (out[m[1]!] ?? 0) + value;
  }
  return out;
}

/**
 * One GET on a connection of its own, closed after (agent: false): a kept-alive scrape socket would be
 * one more TCP handle in the counts it reads.
 */
function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new MetricsError(`/metrics answered ${res.statusCode}`))));
    });
    req.on("timeout", () => req.destroy(new MetricsError("/metrics: no answer in 10 s")));
    req.on("error", reject);
  });
}

export async function scrape(focusUrl: string): Promise<FocusSnapshot> {
  const s = parseExposition(await get(`${focusUrl}/metrics`));
  const one = (key: string) => s.get(key) ?? 0;
  const ops = byLabel(s, "focus_graphql_operations_total", "outcome");
  return {
    at: performance.now(),
    callDialogs: one('focus_sip_dialogs{kind="call"}'),
    subscriptionDialogs: one('focus_sip_dialogs{kind="subscription"}'),
    serverTransactions: one('focus_sip_transactions{side="server"}'),
    clientTransactions: one('focus_sip_transactions{side="client"}'),
    rtpSessions: one("focus_rtp_sessions"),
    wsConnections: one("focus_websocket_connections"),
    subscriptions: one("focus_subscriptions"),
    resources: byLabel(s, "focus_active_resources", "type"),
    heapUsed: one("nodejs_heap_size_used_bytes"),
    sipJoins: one('focus_users_joined_total{via="sip"}'),
    events: byLabel(s, "focus_conference_events_total", "type"),
    operations: { ok: ops.ok ?? 0, error: ops.error ?? 0 },
  };
}
