"use client";
import { useState, useTransition } from "react";
import { discoverPeer, type PeerConference } from "./actions";

/** Discovery on demand: asking a peer goes over XMPP and may take a while or fail, so it waits for a click. */
export function PeerConferences({ island }: { island: string }) {
  const [pending, start] = useTransition();
  const [result, setResult] = useState<{ conferences: PeerConference[] } | { error: string } | null>(null);
  const ask = () =>
    start(async () => {
      setResult(await discoverPeer(island));
    });
  return (
    <div className="stack">
      <div>
        <button type="button" className="secondary" onClick={ask} disabled={pending}>
          {pending ? "Asking…" : result ? "Ask again" : "Show its conferences"}
          <span className="sr-only"> ({island})</span>
        </button>
      </div>
      <div aria-live="polite">
        {result && "error" in result && <p className="error">{result.error}</p>}
        {result && "conferences" in result &&
          (result.conferences.length === 0 ? (
            <p className="empty">{island} offers no conferences now.</p>
          ) : (
            <ul>
              {result.conferences.map((c) => (
                <li key={c.id}>
                  {c.subject} <span className="muted small">{c.id}</span>
                </li>
              ))}
            </ul>
          ))}
      </div>
    </div>
  );
}
