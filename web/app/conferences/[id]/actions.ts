"use server";
/**
 * The live room's moderation, as server actions: each one calls the focus with the session's token. They
 * revalidate nothing, since the room learns the outcome from its own event stream like everyone else.
 */
import type { ActionResult } from "@/lib/action-result";
import { gql } from "@/lib/focus";
import { runAction } from "@/lib/run-action";
import { requireSession } from "@/lib/session";

async function call(mutation: string, vars: Record<string, unknown>): Promise<ActionResult> {
  const s = await requireSession();
  return runAction(async () => {
    await gql(s.token, mutation, vars);
  });
}

export async function muteUser(userId: string): Promise<ActionResult> {
  return call(`mutation ($id: ID!) { muteUser(id: $id) { id } }`, { id: userId });
}

export async function unmuteUser(userId: string): Promise<ActionResult> {
  return call(`mutation ($id: ID!) { unmuteUser(id: $id) { id } }`, { id: userId });
}

export async function kickUser(userId: string): Promise<ActionResult> {
  return call(`mutation ($id: ID!) { kickUser(id: $id) { id } }`, { id: userId });
}

export async function admitUser(userId: string): Promise<ActionResult> {
  return call(`mutation ($id: ID!) { admitUser(id: $id) { id } }`, { id: userId });
}

export async function refuseUser(userId: string): Promise<ActionResult> {
  return call(`mutation ($id: ID!) { refuseUser(id: $id) { id } }`, { id: userId });
}

export async function muteAll(conferenceId: string): Promise<ActionResult> {
  return call(`mutation ($id: ID!) { muteAll(conferenceId: $id) }`, { id: conferenceId });
}

export async function lockConference(conferenceId: string): Promise<ActionResult> {
  return call(`mutation ($id: ID!) { lockConference(id: $id) { id } }`, { id: conferenceId });
}

export async function unlockConference(conferenceId: string): Promise<ActionResult> {
  return call(`mutation ($id: ID!) { unlockConference(id: $id) { id } }`, { id: conferenceId });
}

export async function endConference(conferenceId: string): Promise<ActionResult> {
  return call(`mutation ($id: ID!) { endConference(id: $id) { id } }`, { id: conferenceId });
}

export async function grantFloor(requestId: string): Promise<ActionResult> {
  return call(`mutation ($id: ID!) { grantFloor(requestId: $id) { id } }`, { id: requestId });
}

export async function denyFloor(requestId: string): Promise<ActionResult> {
  return call(`mutation ($id: ID!) { denyFloor(requestId: $id) { id } }`, { id: requestId });
}

export async function revokeFloor(requestId: string): Promise<ActionResult> {
  return call(`mutation ($id: ID!) { revokeFloor(requestId: $id) { id } }`, { id: requestId });
}
