/**
 * One worker process of a subscriber fleet (see ws-fleet.ts): holds a share of the subscribers, each a real
 * graphql-ws client with its own WebSocket, and stamps every EVENT with the machine-wide monotonic clock the
 * moment its callback runs. Spreading 10,000 sockets over a few processes keeps one event loop's backlog from
 * delaying every subscriber's timestamp, and keeps the benchmark's own process free to time the mutations.
 */
import WebSocket from "ws";
import { createClient, type Client } from "graphql-ws";
import { monotonicMs, type FleetReply, type FleetRequest, type FleetSetup } from "./ws-fleet-protocol.ts";

const setup = JSON.parse(process.env.DCON_FLEET_SETUP ?? "null") as FleetSetup | null;
if (!setup || !process.send) throw new Error("ws-fleet-worker: start it with fork() from ws-fleet.ts");
const reply = (r: FleetReply): void => {
  process.send!(r);
};

interface Sub {
  client: Client;
  stop: () => void;
  /** EVENT items since subscribing */
  events: number;
  baseline: number;
}

interface Round {
  type: string;
  afterSeq: number;
  seq: number | null;
  arrivals: Float64Array;
  remaining: number;
  /** set while a collect request waits */
  finish: (() => void) | null;
}

const subs: Sub[] = [];
const problems: string[] = [];
let round: Round | null = null;
let drainWaiter: { extra: number; finish: () => void } | null = null;
let closing = false;

const problem = (msg: string) => {
  if (problems.length < 20) problems.push(msg);
};

function onEvent(index: number, sub: Sub, event: { seq: number; type: string }, t: number): void {
  sub.events++;
  const r = round;
  if (r && event.type === r.type && event.seq > r.afterSeq && index < r.arrivals.length && (r.seq === null || event.seq === r.seq) && Number.isNaN(r.arrivals[index]!)) {
    r.seq = event.seq;
    r.arrivals[index] = t;
    if (--r.remaining === 0) r.finish?.();
  }
  if (drainWaiter && sub.events - sub.baseline === drainWaiter.extra && subs.every((s) => s.events - s.baseline >= drainWaiter!.extra)) drainWaiter.finish();
}

/** One client subscribed; resolves at its FULL_STATE (or its first item of another kind). */
function subscribeOne(): Promise<void> {
  const index = subs.length;
  const client = createClient({
    url: `${setup!.url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${setup!.token}` },
    retryAttempts: 0,
    lazy: true,
  });
  const sub: Sub = { client, stop: () => {}, events: 0, baseline: 0 };
  subs.push(sub);
  return new Promise<void>((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      if (!ready) reject(new Error(`subscriber ${index}: no FULL_STATE in ${setup!.readyTimeoutMs} ms`));
    }, setup!.readyTimeoutMs);
    sub.stop = client.subscribe<any>({ query: setup!.query, variables: setup!.variables }, {
      next: (r) => {
        const t = monotonicMs();
        const item = r.data?.conferenceEvents;
        if (r.errors?.length || !item) {
          problem(`subscriber ${index}: ${JSON.stringify(r.errors)}`);
          return;
        }
        if (item.kind === "EVENT") onEvent(index, sub, item.event, t);
        else if (!ready) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      },
      error: (err) => {
        const msg = err instanceof Error ? err.message : (err as { reason?: string }).reason ?? JSON.stringify(err);
        if (!ready) {
          clearTimeout(timer);
          reject(new Error(`subscriber ${index}: ${msg}`));
        } else if (!closing) problem(`subscriber ${index} failed: ${msg}`);
      },
      complete: () => {
        if (ready && !closing) problem(`subscriber ${index} completed unexpectedly`);
      },
    });
  });
}

async function grow(count: number, concurrency: number, deadline: number): Promise<void> {
  let left = count;
  const lane = async () => {
    while (left > 0 && monotonicMs() < deadline) {
      left--;
      await subscribeOne();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, lane));
}

function collect(id: number, timeoutMs: number): void {
  const r = round;
  if (!r) return reply({ id, ok: false, error: "collect without arm" });
  const send = () => {
    clearTimeout(timer);
    round = null;
    reply({ id, ok: true, seq: r.seq, arrivals: r.arrivals });
  };
  const timer = setTimeout(send, timeoutMs);
  if (r.remaining === 0) send();
  else r.finish = send;
}

function drain(id: number, extra: number, timeoutMs: number): void {
  const undelivered = () => subs.reduce((sum, s) => sum + Math.max(0, s.baseline + extra - s.events), 0);
  const send = (doneAt: number) => {
    clearTimeout(timer);
    drainWaiter = null;
    reply({ id, ok: true, doneAt, undelivered: undelivered() });
  };
  const timer = setTimeout(() => send(Number.NaN), timeoutMs);
  if (undelivered() === 0) send(monotonicMs());
  else drainWaiter = { extra, finish: () => send(monotonicMs()) };
}

async function close(): Promise<void> {
  closing = true;
  await Promise.all(
    subs.map(async (s) => {
      try {
        s.stop();
        await s.client.dispose();
      } catch {
        // already closed
      }
    }),
  );
  subs.length = 0;
}

process.on("message", (m: FleetRequest) => {
  switch (m.op) {
    case "ping":
      return reply({ id: m.id, ok: true });
    case "grow":
      grow(m.count, m.concurrency, m.deadline).then(
        () => reply({ id: m.id, ok: true, subscribers: subs.length }),
        (err: unknown) => reply({ id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
      return;
    case "arm":
      round = { type: m.type, afterSeq: m.afterSeq, seq: null, arrivals: new Float64Array(subs.length).fill(Number.NaN), remaining: subs.length, finish: null };
      return reply({ id: m.id, ok: true });
    case "collect":
      return collect(m.id, m.timeoutMs);
    case "mark":
      for (const s of subs) s.baseline = s.events;
      return reply({ id: m.id, ok: true });
    case "drain":
      return drain(m.id, m.extra, m.timeoutMs);
    case "close":
      void close().finally(() => reply({ id: m.id, ok: true, problems }));
      return;
  }
});

// The parent gone (crashed or killed) must not leave this process holding sockets.
process.on("disconnect", () => process.exit(0));
