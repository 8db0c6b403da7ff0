/**
 * The GraphQL side of the soak: who is in the call conferences (from the followers' events), a kicker that
 * ends the "kicked" class of calls from the focus' side, and mutations at a steady rate: mute and unmute of
 * callers, and conferences created, locked, unlocked and deleted. Every mutation is counted when sent and
 * when answered, by kind and outcome.
 */
import type { HttpClient } from "../support/focus.ts";
import { uniform, type Range } from "./options.ts";
import type { StreamEvent } from "./subscribers.ts";

export interface Caller {
  userId: string;
  entity: string;
  conferenceId: string;
}

/** The callers connected now, from USER_JOINED and the events that end a presence. */
export class LiveRoster {
  private readonly callers = new Map<string, Caller>();

  constructor(private readonly onJoined: (c: Caller) => void = () => {}) {}

  event(conferenceId: string, e: StreamEvent): void {
    const user = e.payload.user;
    if (!user) return;
    if (e.type === "USER_JOINED") {
      const c = { userId: user.id, entity: user.entity, conferenceId };
      this.callers.set(user.id, c);
      this.onJoined(c);
    } else if (e.type === "USER_LEFT" || e.type === "USER_KICKED" || e.type === "USER_REFUSED") {
      this.callers.delete(user.id);
    }
  }

  get size(): number {
    return this.callers.size;
  }

  random(): Caller | null {
    if (this.callers.size === 0) return null;
    const all = [...this.callers.values()];
    return all[Math.floor(Math.random() * all.length)]!;
  }
}

export interface OpTally {
  sent: number;
  ok: number;
  failed: number;
}

export class MutationTally {
  readonly byKind: Record<string, OpTally> = {};
  readonly failures: string[] = [];
  private inflight = new Set<Promise<void>>();

  /** Sends one mutation and counts it; never throws (a failure is counted and kept for the report). */
  run(kind: string, api: HttpClient, query: string, variables: Record<string, unknown>): Promise<unknown> {
    const t = (this.byKind[kind] ??= { sent: 0, ok: 0, failed: 0 });
    t.sent++;
    let data: unknown = null;
    const p: Promise<void> = api.request(query, variables).then(
      (r) => {
        if (r.errors?.length || !r.data) {
          t.failed++;
          if (this.failures.length < 20) this.failures.push(`${kind}: ${JSON.stringify(r.errors)}`);
        } else {
          t.ok++;
          data = r.data;
        }
      },
      (err: Error) => {
        t.failed++;
        if (this.failures.length < 20) this.failures.push(`${kind}: ${err.message}`);
      },
    ).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
    return p.then(() => data);
  }

  get pending(): number {
    return this.inflight.size;
  }

  async settled(): Promise<void> {
    while (this.inflight.size) await Promise.all(this.inflight);
  }

  total(): OpTally {
    const sum = { sent: 0, ok: 0, failed: 0 };
    for (const t of Object.values(this.byKind)) {
      sum.sent += t.sent;
      sum.ok += t.ok;
      sum.failed += t.failed;
    }
    return sum;
  }
}

const KICK = `mutation($id: ID!) { kickUser(id: $id) { id } }`;
const MUTE = `mutation($id: ID!) { muteUser(id: $id) { id } }`;
const UNMUTE = `mutation($id: ID!) { unmuteUser(id: $id) { id } }`;
const CREATE = `mutation($input: ConferenceInput!) { createConference(input: $input) { id } }`;
const LOCK = `mutation($id: ID!) { lockConference(id: $id) { id } }`;
const UNLOCK = `mutation($id: ID!) { unlockConference(id: $id) { id } }`;
const DELETE = `mutation($id: ID!) { deleteConference(id: $id) }`;

/** Kicks each caller of the kicked class a random while after it joined. */
export class Kicker {
  private readonly timers = new Set<NodeJS.Timeout>();
  scheduled = 0;

  constructor(private readonly api: HttpClient, private readonly tally: MutationTally, private readonly namePrefix: string, private readonly delay: Range) {}

  joined(c: Caller): void {
    if (!c.entity.startsWith(`sip:${this.namePrefix}-`)) return;
    this.scheduled++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.tally.run("kick", this.api, KICK, { id: c.userId });
    }, uniform(this.delay));
    this.timers.add(timer);
  }

  /** kicks scheduled and not yet sent */
  get waiting(): number {
    return this.timers.size;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/**
 * One mutation per tick, in turn: mute, a conference step, unmute, a conference step. A conference step
 * moves the oldest churn conference on (created -> locked -> unlocked -> deleted), or creates one.
 */
export class MutationLoad {
  private timer: NodeJS.Timeout | null = null;
  private tick = 0;
  private serial = 0;
  private readonly muted: string[] = [];
  /** conferences of the churn, their next step (0 lock, 1 unlock, 2 delete), and whether a step is on the way */
  private readonly churn: { id: string; step: number; busy: boolean }[] = [];
  /** churn conferences created and deleted (answered without error) */
  created = 0;
  deleted = 0;

  constructor(private readonly api: HttpClient, private readonly tally: MutationTally, private readonly roster: LiveRoster, private readonly rate: number) {}

  start(): void {
    this.timer = setInterval(() => this.next(), 1000 / this.rate);
  }

  private next(): void {
    const kind = ["mute", "conference", "unmute", "conference"][this.tick++ % 4]!;
    if (kind === "mute") {
      const c = this.roster.random();
      if (c) {
        this.muted.push(c.userId);
        void this.tally.run("mute", this.api, MUTE, { id: c.userId });
        return;
      }
    } else if (kind === "unmute") {
      const id = this.muted.shift();
      if (id) {
        void this.tally.run("unmute", this.api, UNMUTE, { id });
        return;
      }
    }
    // no caller to mute or unmute now: the tick goes to the conferences
    this.conferenceStep();
  }

  private conferenceStep(): void {
    const c = this.churn.find((x) => !x.busy);
    if (!c || this.churn.length < 3) return void this.createOne();
    c.busy = true;
    const [kind, query] = c.step === 0 ? ["lock", LOCK] : c.step === 1 ? ["unlock", UNLOCK] : ["delete", DELETE];
    void this.tally.run(kind, this.api, query, { id: c.id }).then((data) => {
      c.busy = false;
      c.step++;
      if (kind === "delete") {
        if (data) this.deleted++;
        this.churn.splice(this.churn.indexOf(c), 1);
      }
    });
  }

  private createOne(): void {
    const n = ++this.serial;
    const input = { subject: `soak churn ${n}`, durationMin: 30, users: [{ entity: `sip:chair-${n}@soak.test`, role: "MODERATOR" }] };
    void this.tally.run("create", this.api, CREATE, { input }).then((data) => {
      const id = (data as { createConference?: { id: string } } | null)?.createConference?.id;
      if (!id) return;
      this.created++;
      this.churn.push({ id, step: 0, busy: false });
    });
  }

  /** Stops the ticks, waits for the answers, then deletes the churn conferences still there. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.tally.settled();
    for (const c of this.churn.splice(0)) {
      if (await this.tally.run("delete", this.api, DELETE, { id: c.id })) this.deleted++;
    }
  }
}
