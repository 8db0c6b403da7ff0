"use client";
import { useActionState, useId } from "react";
import { linkConference, type LinkState } from "./actions";

interface Props {
  /** peer islands one may link to */
  peers: string[];
  /** conferences to choose from (the islands page), or the one conference (the live room) */
  conferences?: { id: string; subject: string }[];
  conferenceId?: string;
  /** "compact" sits in the live room's header */
  compact?: boolean;
}

const initial: LinkState = { error: null, message: null };

/** "Link a conference to an island": linkConference on the conference's home island. */
export function LinkForm({ peers, conferences, conferenceId, compact }: Props) {
  const [state, action, pending] = useActionState(linkConference, initial);
  const headingId = useId();
  return (
    <form action={action} className={compact ? "row" : "card stack"} aria-labelledby={compact ? undefined : headingId} aria-label={compact ? "Link this conference to another island" : undefined}>
      {!compact && <h2 id={headingId}>Link a conference to an island</h2>}
      {conferenceId ? (
        <input type="hidden" name="conferenceId" value={conferenceId} />
      ) : (
        <label>
          Conference
          <select name="conferenceId" required defaultValue="">
            <option value="" disabled>Choose one of this island&apos;s conferences</option>
            {(conferences ?? []).map((c) => (
              <option key={c.id} value={c.id}>{c.subject}</option>
            ))}
          </select>
        </label>
      )}
      <label className={compact ? "inline" : undefined}>
        {compact ? "Link to island" : "Peer island"}
        <select name="island" required defaultValue="">
          <option value="" disabled>Choose an island</option>
          {peers.map((p) => (
            <option key={p} value={p}>{p}</option>
          ))}
        </select>
      </label>
      <div>
        <button type="submit" disabled={pending}>{pending ? "Linking…" : "Link"}</button>
      </div>
      {state.error && <p role="alert" className="error">{state.error}</p>}
      {state.message && <p role="status" className="notice">{state.message}</p>}
    </form>
  );
}
