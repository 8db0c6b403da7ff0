/**
 * Commands that belong to another island. In a distributed conference the home island is the single
 * writer of conference-wide state (lock, end, floors) and each island the single writer of its own
 * participants (mute, kick, admission); a command given on another island is forwarded to the owner,
 * which runs it and answers. The answer comes back to the caller; the change itself arrives on the
 * normal path, as the owner's event. The transport (federation) plugs in as the `Forwarder`.
 */
import type { Actor } from "./events.ts";
import { DomainError, ErrorCode, ErrorReason } from "./errors.ts";

export type RemoteCommand =
  | { op: "setLocked"; conferenceId: string; locked: boolean }
  | { op: "end"; conferenceId: string }
  | { op: "floorRequest"; floorId: string; userId: string; priority: number }
  | { op: "floorRelease" | "floorGrant" | "floorDeny" | "floorRevoke"; requestId: string }
  | { op: "setMuted"; userId: string; muted: boolean }
  | { op: "kick" | "admit" | "refuse"; userId: string };

export const REMOTE_OPS = ["setLocked", "end", "floorRequest", "floorRelease", "floorGrant", "floorDeny", "floorRevoke", "setMuted", "kick", "admit", "refuse"] as const satisfies readonly RemoteCommand["op"][];

/** Sends a command to the island that owns its object and resolves with that island's answer. */
export type Forwarder = (island: string, command: RemoteCommand, actor: Actor | null) => Promise<unknown>;

export const homeUnreachable = (island: string) =>
  new DomainError(ErrorCode.CONFLICT, `${island} owns this and cannot be reached now: try again`, ErrorReason.OWNER_UNREACHABLE);
