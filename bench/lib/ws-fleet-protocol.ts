/**
 * The messages between a subscriber fleet (bench/lib/ws-fleet.ts, in the benchmark's process) and its worker
 * processes (bench/lib/ws-fleet-worker.ts). Every request carries an id that its reply repeats.
 *
 * Times are milliseconds of CLOCK_MONOTONIC (`process.hrtime`): on Linux that clock is one per machine, not
 * per process, so a receive time taken in a worker and a send time taken in the parent are directly
 * comparable without synchronising clocks.
 */

export interface FleetSetup {
  /** the focus' base URL (http://host:port) */
  url: string;
  token: string;
  query: string;
  variables: Record<string, unknown>;
  readyTimeoutMs: number;
}

export type FleetRequest =
  /** answered as soon as the worker runs: the fleet is up */
  | { op: "ping"; id: number }
  /** add `count` subscribers, none started after `deadline` (monotonic ms) */
  | { op: "grow"; id: number; count: number; concurrency: number; deadline: number }
  /** expect the first EVENT of `type` with a seq above `afterSeq` on every subscriber */
  | { op: "arm"; id: number; type: string; afterSeq: number }
  /** reply once every subscriber has the armed event, or after `timeoutMs` */
  | { op: "collect"; id: number; timeoutMs: number }
  /** remember every subscriber's EVENT count as the baseline of the next drain */
  | { op: "mark"; id: number }
  /** reply once every subscriber has `extra` EVENTs beyond its baseline, or after `timeoutMs` */
  | { op: "drain"; id: number; extra: number; timeoutMs: number }
  | { op: "close"; id: number };

export type FleetReply =
  | { id: number; ok: true; subscribers?: number; seq?: number | null; arrivals?: Float64Array; doneAt?: number; undelivered?: number; problems?: string[] }
  | { id: number; ok: false; error: string };

/** milliseconds on the machine-wide monotonic clock */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
