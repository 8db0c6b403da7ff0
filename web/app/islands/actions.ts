"use server";
import { revalidatePath } from "next/cache";
import { gql, plainError } from "@/lib/focus";
import { requireSession } from "@/lib/session";

export interface LinkState {
  error: string | null;
  message: string | null;
}

/** linkConference: the conference (homed here) spans the chosen peer island from now on. */
export async function linkConference(_prev: LinkState, form: FormData): Promise<LinkState> {
  const s = await requireSession();
  const id = String(form.get("conferenceId") ?? "");
  const island = String(form.get("island") ?? "");
  if (!id) return { error: "Choose a conference to link.", message: null };
  if (!island) return { error: "Choose the island to link it to.", message: null };
  try {
    const r = await gql<{ linkConference: { subject: string; islands: string[] } }>(
      s.token,
      `mutation ($id: ID!, $island: String!) { linkConference(id: $id, island: $island) { subject islands } }`,
      { id, island },
    );
    revalidatePath("/islands");
    return { error: null, message: `“${r.linkConference.subject}” now spans ${r.linkConference.islands.join(", ")}.` };
  } catch (err) {
    return { error: plainError(err), message: null };
  }
}

export interface PeerConference {
  id: string;
  subject: string;
}

/** Discovery (XEP-0030 disco#items through the focus): what a peer island offers to link into. */
export async function discoverPeer(island: string): Promise<{ conferences: PeerConference[] } | { error: string }> {
  const s = await requireSession();
  try {
    const r = await gql<{ peerConferences: PeerConference[] }>(s.token, `query ($island: String!) { peerConferences(island: $island) { id subject } }`, { island });
    return { conferences: r.peerConferences };
  } catch (err) {
    return { error: plainError(err) };
  }
}
