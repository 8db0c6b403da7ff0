/**
 * A fleet of graphql-ws subscribers of one conference's events, spread over a few worker processes
 * (ws-fleet-worker.ts) so that thousands of WebSockets neither crowd the benchmark's own event loop nor
 * delay each other's receive timestamps behind one loop. The benchmark arms a round, sends a mutation and
 * collects when every subscriber had the resulting EVENT; times are on the machine-wide monotonic clock
 * (ws-fleet-protocol.ts), so a worker's receive time minus the parent's send time is the latency.
 */
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { processCpuSeconds, processRssMiB } from "./focus.ts";
import { monotonicMs, type FleetReply, type FleetRequest, type FleetSetup } from "./ws-fleet-protocol.ts";

export { monotonicMs };

export class FleetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FleetError";
  }
}

/** a request without its id (one Omit per member of the union) */
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;
type Request = WithoutId<FleetRequest>;
type Ok = Extract<FleetReply, { ok: true }>;

class FleetWorker {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Ok) => void; reject: (e: Error) => void }>();
  subscribers = 0;
  exited = false;

  constructor(readonly child: ChildProcess) {
    child.on("message", (r: FleetReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r);
      else p.reject(new FleetError(r.error));
    });
    child.once("exit", (code, signal) => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new FleetError(`fleet worker ${child.pid} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  request(msg: Request): Promise<Ok> {
    if (this.exited) return Promise.reject(new FleetError(`fleet worker ${this.child.pid} has exited`));
    const id = this.nextId++;
    return new Promise<Ok>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...msg, id } as FleetRequest);
    });
  }
}

export interface FleetOptions {
  url: string;
  token: string;
  query: string;
  variables: Record<string, unknown>;
  /** worker processes (each holds about 1/workers of the subscribers) */
  workers: number;
  readyTimeoutMs?: number;
}

export interface RoundResult {
  seq: number | null;
  /** monotonic receive times (ms) of every subscriber, NaN where it never came */
  arrivals: Float64Array;
}

export class SubscriberFleet {
  private readonly workers: FleetWorker[];
  private closed: Promise<string[]> | null = null;

  constructor(opts: FleetOptions) {
    const setup: FleetSetup = { url: opts.url, token: opts.token, query: opts.query, variables: opts.variables, readyTimeoutMs: opts.readyTimeoutMs ?? 60_000 };
    this.workers = Array.from({ length: Math.max(1, opts.workers) }, () => {
      // the same loader flags as this process (tsx), and structured clone so arrivals travel as Float64Array
      const child = fork(join(import.meta.dirname, "ws-fleet-worker.ts"), [], {
        env: { ...process.env, DCON_FLEET_SETUP: JSON.stringify(setup) },
        serialization: "advanced",
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      return new FleetWorker(child);
    });
  }

  /** Resolves once every worker process is up (loading TypeScript takes a second or two), so growTo times only subscribing. */
  async started(): Promise<void> {
    await Promise.all(this.workers.map((w) => withTimeout(w.request({ op: "ping" }), 60_000)));
  }

  get size(): number {
    return this.workers.reduce((n, w) => n + w.subscribers, 0);
  }

  get pids(): number[] {
    return this.workers.map((w) => w.child.pid!);
  }

  /** CPU seconds of all worker processes together */
  cpuSeconds(): number {
    return this.pids.reduce((s, pid) => s + processCpuSeconds(pid), 0);
  }

  rssMiB(): number {
    return this.pids.reduce((s, pid) => s + processRssMiB(pid), 0);
  }

  /**
   * Adds subscribers until there are `total`, filling the emptiest workers first, with at most
   * `concurrency` connecting at once over the whole fleet; resolves when each has its FULL_STATE. With a
   * budget, none is started after `budgetMs`: the fleet may then stay short of `total` (see `size`).
   */
  async growTo(total: number, concurrency: number, budgetMs = Number.POSITIVE_INFINITY): Promise<{ added: number; seconds: number }> {
    const t0 = monotonicMs();
    const add = new Array<number>(this.workers.length).fill(0);
    const planned = this.workers.map((w) => w.subscribers);
    for (let left = total - this.size; left > 0; left--) {
      let k = 0;
      for (let i = 1; i < planned.length; i++) if (planned[i]! < planned[k]!) k = i;
      planned[k]!++;
      add[k]!++;
    }
    const before = this.size;
    const busy = add.filter((n) => n > 0).length;
    const deadline = t0 + budgetMs;
    await Promise.all(
      this.workers.map(async (w, i) => {
        if (!add[i]) return;
        const r = await w.request({ op: "grow", count: add[i]!, concurrency: Math.max(1, Math.round(concurrency / busy)), deadline });
        w.subscribers = r.subscribers ?? w.subscribers + add[i]!;
      }),
    );
    return { added: this.size - before, seconds: (monotonicMs() - t0) / 1000 };
  }

  /** Every worker ready for the first EVENT of `type` with a seq above `afterSeq`: call before sending the mutation. */
  async arm(type: string, afterSeq: number): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request({ op: "arm", type, afterSeq })));
  }

  /** The armed round's receive times, once every subscriber has it or after `timeoutMs`. */
  async collect(timeoutMs: number): Promise<RoundResult> {
    const parts = await Promise.all(this.workers.map((w) => w.request({ op: "collect", timeoutMs })));
    const arrivals = new Float64Array(parts.reduce((n, p) => n + (p.arrivals?.length ?? 0), 0));
    let at = 0, seq: number | null = null;
    for (const p of parts) {
      if (p.arrivals) arrivals.set(p.arrivals, at);
      at += p.arrivals?.length ?? 0;
      seq ??= p.seq ?? null;
    }
    return { seq, arrivals };
  }

  /** Takes every subscriber's EVENT count as the baseline of the next `drain`. */
  async mark(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request({ op: "mark" })));
  }

  /**
   * Waits until every subscriber has `extra` EVENTs beyond its baseline: the monotonic time the last one got
   * there (NaN on timeout) and how many events were still missing then.
   */
  async drain(extra: number, timeoutMs: number): Promise<{ doneAt: number; undelivered: number }> {
    const parts = await Promise.all(this.workers.map((w) => w.request({ op: "drain", extra, timeoutMs })));
    return {
      doneAt: parts.reduce((m, p) => Math.max(m, p.doneAt ?? Number.NaN), Number.NEGATIVE_INFINITY),
      undelivered: parts.reduce((s, p) => s + (p.undelivered ?? 0), 0),
    };
  }

  /** Closes every subscriber and ends the workers; resolves to the problems they saw (failed or completed subscriptions). */
  close(): Promise<string[]> {
    this.closed ??= (async () => {
      const problems: string[] = [];
      await Promise.all(
        this.workers.map(async (w) => {
          try {
            const r = await withTimeout(w.request({ op: "close" }), 30_000);
            problems.push(...(r.problems ?? []));
          } catch {
            // an exited or stuck worker is killed below
          }
          if (!w.exited) {
            const exited = new Promise<void>((r) => w.child.once("exit", () => r()));
            w.child.kill("SIGKILL");
            await exited;
          }
        }),
      );
      return problems;
    })();
    return this.closed;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new FleetError(`no answer in ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}
