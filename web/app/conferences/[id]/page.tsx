import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache } from "react";
import { FOCUS_URL, FocusError, gql } from "@/lib/focus";
import { EVENT_FIELDS, STATE_FIELDS, type ConferenceEvent, type ConferenceState } from "@/lib/model";
import { requireSession } from "@/lib/session";
import { displayZone } from "@/lib/time";
import { LOG_LIMIT } from "@/lib/live-state";
import { LiveRoom } from "./live-room";

export const dynamic = "force-dynamic";

interface Loaded {
  state: ConferenceState;
  federation: { island: string; enabled: boolean; peers: { island: string }[] };
  events: ConferenceEvent[];
}

type Outcome = { ok: Loaded } | { refused: string };

/** The room's state, federation and recent log, once per request (the page and its title share it). */
const load = cache(async (id: string): Promise<Outcome> => {
  const s = await requireSession();
  try {
    const { conferenceState: state, federation } = await gql<{ conferenceState: ConferenceState; federation: Loaded["federation"] }>(
      s.token,
      `query ($id: ID!) { conferenceState(conferenceId: $id) { ${STATE_FIELDS} } federation { island enabled peers { island } } }`,
      { id },
    );
    // `version` is the seq of this island's last event: the log's tail is the LOG_LIMIT events up to it.
    const { events } = await gql<{ events: ConferenceEvent[] }>(
      s.token,
      `query ($id: ID!, $after: Int!, $limit: Int!) { events(conferenceId: $id, afterSeq: $after, limit: $limit) { ${EVENT_FIELDS} } }`,
      { id, after: Math.max(0, state.version - LOG_LIMIT), limit: LOG_LIMIT },
    );
    return { ok: { state, federation, events } };
  } catch (err) {
    if (err instanceof FocusError && err.code === "NOT_FOUND") notFound();
    if (err instanceof FocusError && err.code === "FORBIDDEN") return { refused: err.message };
    throw err;
  }
});

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const r = await load((await params).id);
  return { title: "ok" in r ? r.ok.state.conference.subject : "Not yours to moderate" };
}

/** Where callers dial: the focus' SIP domain when configured, else the host the portal reaches it at. */
function sipHost(): string {
  return process.env.FOCUS_SIP_DOMAIN || new URL(FOCUS_URL).hostname;
}

export default async function LiveRoomPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const r = await load(id);
  if ("refused" in r) {
    return (
      <main className="narrow stack">
        <h1>Not yours to moderate</h1>
        <p>{r.refused}</p>
        <p className="muted">Sign in with a token of this conference&apos;s moderator, or an admin or integrator token.</p>
      </main>
    );
  }
  const { state, federation, events } = r.ok;
  return (
    // keyed by the conference: moving between rooms starts a fresh state and stream
    <LiveRoom
      key={id}
      initial={state}
      events={events}
      zone={await displayZone()}
      sipHost={sipHost()}
      island={federation.island}
      peers={federation.enabled ? federation.peers.map((p) => p.island) : []}
    />
  );
}
