import type { Metadata } from "next";
import Link from "next/link";
import { gql } from "@/lib/focus";
import { requireSession } from "@/lib/session";
import { displayZone, formatWhen } from "@/lib/time";
import { LinkForm } from "./link-form";
import { PeerConferences } from "./peer-conferences";

export const metadata: Metadata = { title: "Islands" };
export const dynamic = "force-dynamic";

interface Peer {
  island: string;
  component: string;
  unacknowledged: number;
  conferences: number;
  lastAckAt: string | null;
}

interface FederationStatus {
  island: string;
  enabled: boolean;
  online: boolean;
  peers: Peer[];
}

interface HomeConference {
  id: string;
  subject: string;
  homeIsland: string;
  islands: string[];
}

const FEDERATION = `federation { island enabled online peers { island component unacknowledged conferences lastAckAt } }`;
const CONFS = `nodes { id subject homeIsland islands }`;

export default async function IslandsPage() {
  const s = await requireSession();
  if (s.conferenceId) {
    return (
      <main className="narrow stack">
        <h1>Islands</h1>
        <p>Federation is managed by admins and integrators. <Link href={`/conferences/${s.conferenceId}`}>Back to your conference</Link>.</p>
      </main>
    );
  }
  const { federation: f } = await gql<{ federation: FederationStatus }>(s.token, `query { ${FEDERATION} }`);
  const zone = await displayZone();

  if (!f.enabled) {
    return (
      <main className="stack">
        <h1>Islands</h1>
        <section className="card stack" aria-labelledby="fed-off">
          <h2 id="fed-off">Federation is off</h2>
          <p>
            This focus is the island <strong>{f.island}</strong> on its own: it links with no other island. Its conferences
            stay here until an operator configures federation (the island&apos;s XMPP server component: <code>XMPP_SERVICE</code>,{" "}
            <code>XMPP_COMPONENT_JID</code>, <code>XMPP_COMPONENT_SECRET</code>, and the peers in <code>FEDERATION_PEERS</code>).
          </p>
        </section>
      </main>
    );
  }

  // The conferences one may link are this island's own, not ended: the two other statuses, at most 100 each.
  const { active, scheduled } = await gql<{ active: { nodes: HomeConference[] }; scheduled: { nodes: HomeConference[] } }>(
    s.token,
    `query { active: conferences(first: 100, filter: { status: ACTIVE }) { ${CONFS} } scheduled: conferences(first: 100, filter: { status: SCHEDULED }) { ${CONFS} } }`,
  );
  const home = [...active.nodes, ...scheduled.nodes].filter((c) => c.homeIsland === f.island);
  const peers = f.peers.map((p) => p.island);

  return (
    <main className="stack">
      <h1>Islands</h1>
      <p className="row">
        <span>This island: <strong>{f.island}</strong></span>
        {f.online ? <span className="badge ok">online</span> : <span className="badge danger">offline</span>}
        <span className="muted">{f.online ? "connected to its XMPP server" : "not connected to its XMPP server: no island hears from it now"}</span>
      </p>
      <section className="card stack" aria-labelledby="peers-title">
        <h2 id="peers-title">Peer islands</h2>
        {f.peers.length === 0 ? (
          <p className="empty">No peer islands are configured (FEDERATION_PEERS is empty).</p>
        ) : (
          <div className="table-wrap">
            <table className="stacked">
              <thead>
                <tr>
                  <th scope="col">Island</th>
                  <th scope="col">Link</th>
                  <th scope="col">Lag</th>
                  <th scope="col">Last acknowledgement</th>
                  <th scope="col">Shared conferences</th>
                  <th scope="col">Discovery</th>
                </tr>
              </thead>
              <tbody>
                {f.peers.map((p) => (
                  <tr key={p.island}>
                    <td data-label="Island">
                      <span className="who-cell">
                        <strong>{p.island}</strong>
                        <span className="muted small">{p.component}</span>
                      </span>
                    </td>
                    <td data-label="Link">
                      {/* every peer's traffic goes through this island's one XMPP connection: its state is the link's */}
                      {!f.online ? <span className="badge danger">offline</span> : p.unacknowledged > 0 ? <span className="badge warn">catching up</span> : <span className="badge ok">online</span>}
                    </td>
                    <td data-label="Lag" className="lag">
                      {p.unacknowledged > 0
                        ? `${p.unacknowledged} event${p.unacknowledged === 1 ? "" : "s"} not yet acknowledged`
                        : p.conferences === 0
                          ? "nothing shared yet"
                          : "in step"}
                    </td>
                    <td data-label="Last ack">{p.lastAckAt ? <time dateTime={p.lastAckAt}>{formatWhen(p.lastAckAt, zone)}</time> : <span className="muted">never</span>}</td>
                    <td data-label="Shared">{p.conferences}</td>
                    <td data-label="Discovery">
                      <PeerConferences island={p.island} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {peers.length > 0 &&
        (home.length === 0 ? (
          <section className="card">
            <h2>Link a conference to an island</h2>
            <p className="empty">This island has no scheduled or running conference of its own to link.</p>
          </section>
        ) : (
          <LinkForm peers={peers} conferences={home.map((c) => ({ id: c.id, subject: c.islands.length > 1 ? `${c.subject} (spans ${c.islands.join(", ")})` : c.subject }))} />
        ))}
    </main>
  );
}
