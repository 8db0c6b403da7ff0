"use client";
import Link from "next/link";
import { useEffect, useMemo, useReducer, useState } from "react";
import { ActionButton } from "@/components/action-button";
import { describeEvent, eventWho, initialLiveState, liveReducer, nameOf, type Connection, type LiveState } from "@/lib/live-state";
import type { ConferenceEvent, ConferenceState, Floor, FloorRequest, JoinState, LiveItem, User } from "@/lib/model";
import { LinkForm } from "@/app/islands/link-form";
import {
  admitUser, denyFloor, endConference, grantFloor, kickUser, lockConference, muteAll, muteUser, refuseUser, revokeFloor, unlockConference, unmuteUser,
} from "./actions";

interface Props {
  initial: ConferenceState;
  events: ConferenceEvent[];
  /** the zone the server rendered times in; the browser's own takes over once it runs */
  zone: string;
  sipHost: string;
  /** this focus' island, and the peers it federates with (none when federation is off) */
  island: string;
  peers: string[];
}

/** The live room: the conference as the focus streams it, and the moderator's controls. */
export function LiveRoom({ initial, events, zone: serverZone, sipHost, island, peers }: Props) {
  const [state, dispatch] = useReducer(liveReducer, undefined, () => initialLiveState(initial, events));
  const [zone, setZone] = useState(serverZone);
  const id = initial.conference.id;

  useEffect(() => {
    setZone(Intl.DateTimeFormat().resolvedOptions().timeZone || serverZone);
  }, [serverZone]);

  const deleted = state.deleted;
  useEffect(() => {
    // a deleted conference's stream would only fail again and again
    if (deleted) return;
    const source = new EventSource(`/conferences/${encodeURIComponent(id)}/live`);
    source.onopen = () => dispatch({ type: "open" });
    source.onmessage = (m: MessageEvent<string>) => {
      let item: LiveItem;
      try {
        item = JSON.parse(m.data) as LiveItem;
      } catch {
        return;
      }
      dispatch({ type: "item", item });
    };
    // EventSource retries by itself unless the portal refused the stream (signed out): then it is CLOSED.
    source.onerror = () => dispatch({ type: source.readyState === EventSource.CLOSED ? "closed" : "lost" });
    return () => source.close();
  }, [id, deleted]);

  const { conference, users } = state;
  const ended = conference.status === "ENDED" || state.deleted;
  const linkable = conference.homeIsland === island ? peers.filter((p) => !conference.islands.includes(p)) : [];
  const byId = useMemo(() => new Map(users.map((u) => [u.id, u])), [users]);

  return (
    <main className="stack live-room">
      <section className="card stack" aria-labelledby="room-title">
        <div className="spread">
          <h1 id="room-title">{conference.subject}</h1>
          <ConnectionBadge connection={state.connection} />
        </div>
        {state.error && (
          <p role="alert" className="error">The focus reported a problem with the live feed: {state.error}</p>
        )}
        {state.connection === "closed" && !state.deleted && (
          <p className="error">
            The live feed has stopped (the session may have ended). <a href={`/conferences/${id}`}>Reload the room</a> to try again.
          </p>
        )}
        {state.deleted && <p role="alert" className="error">This conference has been deleted.</p>}
        <div className="row">
          <StatusBadge status={conference.status} />
          {conference.locked ? <span className="badge warn">locked</span> : <span className="badge">unlocked</span>}
          {conference.floorControlled && <span className="badge">floor-controlled audio</span>}
        </div>
        <dl className="facts">
          <div>
            <dt>Dial in</dt>
            <dd><code>sip:{conference.dialInCode}@{sipHost}</code></dd>
          </div>
          <div>
            <dt>Joining</dt>
            <dd>{joinWords(conference.joinHandling, conference.hasPin)}</dd>
          </div>
          <div>
            <dt>Islands</dt>
            <dd>
              {conference.islands.map((i, n) => (
                <span key={i}>{n > 0 && ", "}{i}{i === conference.homeIsland && " (home)"}</span>
              ))}
            </dd>
          </div>
        </dl>
        <div className="row">
          <Link href={`/conferences/${id}/edit`}>Edit</Link>
          <a href={`/conferences/${id}/ics`} download>Download .ics</a>
        </div>
        {linkable.length > 0 && !ended && <LinkForm peers={linkable} conferenceId={id} compact />}
        {!ended && (
          <div className="row" role="group" aria-label="Conference controls">
            <ActionButton action={muteAll.bind(null, id)} label="Mute all" variant="secondary">Mute all</ActionButton>
            {conference.locked ? (
              <ActionButton action={unlockConference.bind(null, id)} label="Unlock the conference">Unlock</ActionButton>
            ) : (
              <ActionButton action={lockConference.bind(null, id)} label="Lock the conference">Lock</ActionButton>
            )}
            <ActionButton
              action={endConference.bind(null, id)}
              variant="danger"
              confirm={`End “${conference.subject}” for everyone? Every call is hung up and the conference is over for good.`}
              confirmLabel="End conference"
            >
              End conference
            </ActionButton>
          </div>
        )}
      </section>

      <LobbyAnnouncement state={state} />
      <Roster users={users} ended={ended} dialIn={`sip:${conference.dialInCode}@${sipHost}`} />
      <Floors floors={state.floors} byId={byId} ended={ended} floorControlled={conference.floorControlled} />
      <EventLog log={state.log} users={users} zone={zone} />
    </main>
  );
}

function ConnectionBadge({ connection }: { connection: Connection }) {
  const [cls, words] =
    connection === "live" ? ["ok", "live"] : connection === "connecting" ? ["", "connecting…"] : connection === "reconnecting" ? ["warn", "reconnecting…"] : ["danger", "disconnected"];
  return (
    <span role="status" className={`badge ${cls}`} data-connection={connection}>
      {words}
    </span>
  );
}

function StatusBadge({ status }: { status: string }) {
  if (status === "ACTIVE") return <span className="badge ok">in progress</span>;
  if (status === "SCHEDULED") return <span className="badge">scheduled</span>;
  return <span className="badge danger">ended</span>;
}

function joinWords(j: string, hasPin: boolean): string {
  if (j === "LOBBY") return "Callers wait in the lobby until a moderator admits them";
  if (j === "PIN") return hasPin ? "Callers key the conference PIN or their own" : "Callers key their own PIN";
  return "Anyone who dials in joins";
}

/** The live region for lobby arrivals; it says nothing once that caller has been dealt with. */
function LobbyAnnouncement({ state }: { state: LiveState }) {
  const a = state.announcement;
  const waiting = a && state.users.some((u) => u.id === a.userId && u.joinState === "LOBBY");
  return (
    <p role="status" aria-live="polite" className="notice lobby-note">
      {/* a trailing no-break space on every other arrival makes screen readers say the same words again */}
      {waiting ? `${a.text}${a.n % 2 ? "\u00a0" : ""}` : ""}
    </p>
  );
}

const STATE_WORDS: Record<JoinState, string> = { CONNECTED: "connected", LOBBY: "lobby", INVITED: "invited", DISCONNECTED: "disconnected" };
const STATE_CLASS: Record<JoinState, string> = { CONNECTED: "ok", LOBBY: "warn", INVITED: "", DISCONNECTED: "" };
/** who needs the moderator first: the lobby, then the people in the call */
const STATE_ORDER: Record<JoinState, number> = { LOBBY: 0, CONNECTED: 1, INVITED: 2, DISCONNECTED: 3 };

function Roster({ users, ended, dialIn }: { users: User[]; ended: boolean; dialIn: string }) {
  const sorted = [...users].sort((a, b) => STATE_ORDER[a.joinState] - STATE_ORDER[b.joinState] || nameOf(a).localeCompare(nameOf(b)));
  const talkers = users.filter((u) => u.talking && u.joinState === "CONNECTED").map(nameOf);
  const here = users.filter((u) => u.joinState === "CONNECTED").length;
  return (
    <section className="card stack" aria-labelledby="roster-title">
      <h2 id="roster-title">
        People <span className="muted">({here} connected, {users.length} in all)</span>
      </h2>
      <p className="sr-only" aria-live="polite">
        {talkers.length ? `Talking: ${talkers.join(", ")}` : ""}
      </p>
      {users.length === 0 ? (
        <p className="empty">Nobody is here yet. Callers dial {dialIn}.</p>
      ) : (
        <div className="table-wrap">
          <table className="stacked roster">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">State</th>
                <th scope="col">Via</th>
                <th scope="col">Island</th>
                <th scope="col">Audio</th>
                <th scope="col"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((u) => (
                <RosterRow key={u.id} user={u} ended={ended} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function RosterRow({ user: u, ended }: { user: User; ended: boolean }) {
  const name = nameOf(u);
  const connected = u.joinState === "CONNECTED";
  return (
    <tr data-user={u.entity}>
      <td data-label="Name">
        <span className="who-cell">
          <strong>{name}</strong>
          {u.displayName && <span className="muted small">{u.entity}</span>}
        </span>
      </td>
      <td data-label="Role">{u.role.toLowerCase()}</td>
      <td data-label="State">
        <span className={`badge ${STATE_CLASS[u.joinState]}`}>{STATE_WORDS[u.joinState]}</span>
      </td>
      <td data-label="Via">{u.via ?? <span className="muted">—</span>}</td>
      <td data-label="Island">{u.island}</td>
      <td data-label="Audio">
        <span className="row tight">
          {u.muted ? <span className="badge danger">muted</span> : connected ? <span className="badge">open</span> : <span className="muted">—</span>}
          {u.talking && connected && <span className="badge ok talking">talking</span>}
        </span>
      </td>
      <td data-label="Actions">
        {!ended && (
          <span className="row tight">
            {connected && (u.muted ? (
              <ActionButton action={unmuteUser.bind(null, u.id)} label={`Unmute ${name}`}>Unmute</ActionButton>
            ) : (
              <ActionButton action={muteUser.bind(null, u.id)} label={`Mute ${name}`} variant="secondary">Mute</ActionButton>
            ))}
            {connected && (
              <ActionButton action={kickUser.bind(null, u.id)} label={`Kick ${name}`} variant="danger" confirm={`Kick ${name} out of the conference? Their call is hung up.`} confirmLabel="Kick">
                Kick
              </ActionButton>
            )}
            {u.joinState === "LOBBY" && (
              <ActionButton action={admitUser.bind(null, u.id)} label={`Admit ${name}`}>Admit</ActionButton>
            )}
            {u.joinState === "LOBBY" && (
              <ActionButton action={refuseUser.bind(null, u.id)} label={`Refuse ${name}`} variant="danger" confirm={`Refuse ${name}? They are turned away from the lobby.`} confirmLabel="Refuse">
                Refuse
              </ActionButton>
            )}
          </span>
        )}
      </td>
    </tr>
  );
}

const PRIORITY_WORDS = ["lowest", "low", "normal", "high", "highest"];
const REQUEST_STATUS_CLASS: Record<string, string> = { GRANTED: "ok", PENDING: "warn", ACCEPTED: "warn" };

function Floors({ floors, byId, ended, floorControlled }: { floors: Floor[]; byId: Map<string, User>; ended: boolean; floorControlled: boolean }) {
  if (floors.length === 0) return null;
  return (
    <section className="card stack" aria-labelledby="floors-title">
      <h2 id="floors-title">Floors</h2>
      {floorControlled && <p className="muted">Audio is floor-controlled: participants are heard only while they hold the audio floor (chairs always are).</p>}
      {floors.map((f) => (
        <div key={f.id} className="stack floor" aria-labelledby={`floor-${f.id}`}>
          <h3 id={`floor-${f.id}`}>
            {f.label} floor{" "}
            <span className="muted small">
              {f.policy === "FCFS" ? "first come, first served" : "moderated: a chair grants each request"} · {f.maxHolders === 1 ? "one holder" : `${f.maxHolders} holders`} at a time
            </span>
          </h3>
          {f.queue.length === 0 ? (
            <p className="empty">No one is asking for the floor.</p>
          ) : (
            <ol className="queue">
              {f.queue.map((r) => (
                <FloorRow key={r.id} floor={f} request={r} user={byId.get(r.userId)} ended={ended} />
              ))}
            </ol>
          )}
        </div>
      ))}
    </section>
  );
}

function FloorRow({ floor, request: r, user, ended }: { floor: Floor; request: FloorRequest; user: User | undefined; ended: boolean }) {
  const name = user ? nameOf(user) : "someone who has left";
  return (
    <li className="spread">
      <span className="row tight">
        <strong>{name}</strong>
        <span className={`badge ${REQUEST_STATUS_CLASS[r.status] ?? ""}`}>{r.status === "GRANTED" ? "holds the floor" : r.status.toLowerCase()}</span>
        <span className="muted small">priority {PRIORITY_WORDS[r.priority] ?? r.priority}</span>
      </span>
      {!ended && (
        <span className="row tight">
          {(r.status === "PENDING" || r.status === "ACCEPTED") && (
            <>
              <ActionButton action={grantFloor.bind(null, r.id)} label={`Grant ${floor.label} floor to ${name}`}>Grant</ActionButton>
              <ActionButton action={denyFloor.bind(null, r.id)} label={`Deny ${floor.label} floor to ${name}`} variant="secondary">Deny</ActionButton>
            </>
          )}
          {r.status === "GRANTED" && (
            <ActionButton action={revokeFloor.bind(null, r.id)} label={`Revoke ${floor.label} floor from ${name}`} variant="danger">Revoke</ActionButton>
          )}
        </span>
      )}
    </li>
  );
}

function EventLog({ log, users, zone }: { log: ConferenceEvent[]; users: User[]; zone: string }) {
  const format = useMemo(() => {
    try {
      return new Intl.DateTimeFormat("en-GB", { timeZone: zone, day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    } catch {
      return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    }
  }, [zone]);
  return (
    <section className="card stack" aria-labelledby="log-title">
      <h2 id="log-title">
        What happened <span className="muted small">(newest first, times in {zone})</span>
      </h2>
      {log.length === 0 ? (
        <p className="empty">Nothing has happened yet.</p>
      ) : (
        <ol className="event-log">
          {log.map((e) => {
            const who = eventWho(e, users);
            return (
              <li key={`${e.origin}:${e.seq}`}>
                {/* the server and the browser may word a date a little differently (their ICU versions) */}
                <time dateTime={e.at} suppressHydrationWarning>{format.format(new Date(e.at))}</time>
                <span>{describeEvent(e)}</span>
                {who && <span className="muted">{who}</span>}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
