import { EventBus } from "./event-bus.ts";
import type { ConferenceEvent } from "./events.ts";

const event = (conferenceId: string, seq: number): ConferenceEvent => ({
  conferenceId, origin: "a", seq, type: "CONFERENCE_LOCKED", at: new Date(0), actor: null,
  payload: { conference: {} as never },
});

describe("EventBus", () => {
  it("delivers to the conference's listeners and to global ones, not to others", () => {
    const bus = new EventBus();
    const got: string[] = [];
    bus.subscribe("c1", (e) => got.push(`c1:${e.seq}`));
    bus.subscribe("c2", (e) => got.push(`c2:${e.seq}`));
    bus.subscribeAll((e) => got.push(`all:${e.conferenceId}:${e.seq}`));
    bus.publish(event("c1", 1));
    expect(got).toEqual(["all:c1:1", "c1:1"]);
  });

  it("a throwing listener is reported and does not stop the others", () => {
    const errors: unknown[] = [];
    const bus = new EventBus((err) => errors.push(err));
    const got: number[] = [];
    bus.subscribe("c", () => {
      throw new Error("boom");
    });
    bus.subscribe("c", (e) => got.push(e.seq));
    bus.publish(event("c", 7));
    expect(got).toEqual([7]);
    expect(errors).toHaveLength(1);
  });

  it("unsubscribing removes the listener and forgets empty conferences", () => {
    const bus = new EventBus();
    const off = bus.subscribe("c", () => {});
    expect(bus.listenerCount("c")).toBe(1);
    off();
    off();
    expect(bus.listenerCount("c")).toBe(0);
    expect(bus.listenerCount()).toBe(0);
  });
});
