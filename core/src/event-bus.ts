/**
 * In-memory fan-out of committed events to the transports (GraphQL subscriptions, SIP NOTIFY, BFCP,
 * federation). A throwing listener is logged and skipped: it must never break another consumer or the
 * command that published. Ordering and completeness are the consumer's job (see EventStream), because
 * commits of concurrent transactions can reach `publish` out of order.
 */
import type { ConferenceEvent } from "./events.ts";

export type EventListener = (event: ConferenceEvent) => void;

export class EventBus {
  private readonly byConference = new Map<string, Set<EventListener>>();
  private readonly global = new Set<EventListener>();

  constructor(private readonly onListenerError: (err: unknown, event: ConferenceEvent) => void = () => {}) {}

  /** Listen to one conference's events; returns the unsubscribe function. */
  subscribe(conferenceId: string, listener: EventListener): () => void {
    let set = this.byConference.get(conferenceId);
    if (!set) this.byConference.set(conferenceId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.byConference.get(conferenceId) === set) this.byConference.delete(conferenceId);
    };
  }

  /** Listen to every conference (federation, metrics). */
  subscribeAll(listener: EventListener): () => void {
    this.global.add(listener);
    return () => this.global.delete(listener);
  }

  publish(event: ConferenceEvent): void {
    for (const l of this.global) this.safeCall(l, event);
    const set = this.byConference.get(event.conferenceId);
    if (set) for (const l of [...set]) this.safeCall(l, event);
  }

  listenerCount(conferenceId?: string): number {
    if (conferenceId === undefined) {
      let n = this.global.size;
      for (const s of this.byConference.values()) n += s.size;
      return n;
    }
    return this.byConference.get(conferenceId)?.size ?? 0;
  }

  private safeCall(listener: EventListener, event: ConferenceEvent): void {
    try {
      listener(event);
    } catch (err) {
      this.onListenerError(err, event);
    }
  }
}
