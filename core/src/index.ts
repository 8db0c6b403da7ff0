// The public surface of the conference domain.
export { ConferenceDomain, type DomainOptions } from "./domain.ts";
export { EventBus, type EventListener } from "./event-bus.ts";
export { ConferenceEventStream, type StreamItem, type StreamOptions } from "./event-stream.ts";
export { DomainError, ErrorCode, ErrorReason } from "./errors.ts";
export { EVENT_TYPES, type Actor, type ConferenceEvent, type EventPayloads, type EventType } from "./events.ts";
export type * from "./state.ts";
export { CHAIR_ROLES } from "./state.ts";
export { LIMITS, type BlueprintInput, type ConferenceInput, type ConferencePatch, type FloorSpec, type ListFilter, type Page, type UserSpec } from "./conferences.ts";
export type { JoinRequest, UserPatch } from "./roster.ts";
export { occurrencesBetween, type Occurrence, type Schedule } from "./schedule/recurrence.ts";
export { verifyPin } from "./pin.ts";
export { Federation, type ApplyResult } from "./federation.ts";
export { REMOTE_OPS, homeUnreachable, type Forwarder, type RemoteCommand } from "./forwarding.ts";
