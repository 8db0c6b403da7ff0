import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { DateTime } from "luxon";
import { ActionButton } from "@/components/action-button";
import { ConferenceForm } from "@/components/conference-form";
import { FocusError, gql, plainError } from "@/lib/focus";
import { CONFERENCE_FIELDS, USER_FIELDS, type Conference, type User } from "@/lib/model";
import { describeRecurrence, parseRrule } from "@/lib/recurrence";
import { requireSession } from "@/lib/session";
import { displayZone, formatWhen } from "@/lib/time";
import { localStartOf, type ConferenceValues } from "@/app/conferences/new/form-values";
import { timeZoneChoices } from "@/app/conferences/new/time-zones";
import { deleteConference, updateConference } from "./actions";
import { CloneForm } from "./clone-form";
import { Invitees } from "./invitees";

export const metadata: Metadata = { title: "Edit conference" };

type Loaded = { conference: Conference & { users: User[]; blueprint: { name: string } | null }; federation: { island: string } };
const LOAD = `query ($id: ID!) { conference(id: $id) { ${CONFERENCE_FIELDS} blueprint { name } users { ${USER_FIELDS} } } federation { island } }`;

export default async function EditConferencePage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ saved?: string }> }) {
  const [{ id }, { saved }, session, zone] = await Promise.all([params, searchParams, requireSession(), displayZone()]);
  let data: Loaded;
  try {
    data = await gql<Loaded>(session.token, LOAD, { id });
  } catch (err) {
    if (err instanceof FocusError && err.code === "NOT_FOUND") notFound();
    if (err instanceof FocusError && err.code === "FORBIDDEN") {
      return (
        <main className="narrow stack">
          <h1>Edit conference</h1>
          <p role="alert" className="error">You may not edit this conference with this sign-in: {err.message}.</p>
          {session.conferenceId && <p><Link href={`/conferences/${session.conferenceId}/edit`}>Edit your own conference</Link></p>}
        </main>
      );
    }
    throw new Error(plainError(err));
  }
  const c = data.conference;
  const home = `/conferences/${encodeURIComponent(c.id)}`;
  const header = (
    <div className="stack tight">
      <p className="muted"><Link href={home}>← {c.subject}</Link></p>
      <h1>Edit “{c.subject}”</h1>
      <p className="muted">
        {formatWhen(c.startAt, zone)} ({zone.replaceAll("_", " ")}) · {c.durationMin} min · {describeRecurrence(parseRrule(c.rrule, { date: "", time: "00:00", timezone: c.timezone }))}
        {" · "}<a href={`${home}/ics`} download>Download .ics</a>
      </p>
    </div>
  );
  if (c.homeIsland !== data.federation.island) {
    return (
      <main className="stack narrow">
        {header}
        <p role="status" className="card">
          This conference is a replica: it is homed on <strong>{c.homeIsland}</strong>, and only its home island may change its settings,
          invitees or schedule. Edit it on {c.homeIsland}&apos;s portal; the changes reach this island by federation.
        </p>
      </main>
    );
  }
  const start = localStartOf(c.startAt, c.timezone);
  const [date = "", time = "00:00"] = start.split("T");
  const initial: ConferenceValues = {
    blueprintId: "",
    subject: c.subject,
    description: c.description,
    start,
    durationMin: String(c.durationMin),
    timezone: c.timezone,
    recurrence: parseRrule(c.rrule, { date, time, timezone: c.timezone }),
    joinHandling: c.joinHandling,
    pin: "",
    removePin: false,
    maxUsers: String(c.maxUsers),
    floorControlled: c.floorControlled,
    invitees: [],
  };
  const mayCloneAndDelete = !session.conferenceId;
  const cloneStart = DateTime.now().setZone(c.timezone).startOf("hour").plus({ hours: 1 }).toFormat("yyyy-MM-dd'T'HH:mm");
  return (
    <main className="stack form-page">
      {header}
      {saved && <p role="status" className="notice">Saved.</p>}
      {c.status === "ENDED" && <p className="muted">This conference has ended; changes to it are kept but nobody can join.</p>}
      <section className="stack" aria-labelledby="settings-heading">
        <h2 id="settings-heading">Settings</h2>
        {c.blueprint && <p className="muted">Made from the blueprint “{c.blueprint.name}”.</p>}
        <ConferenceForm key={c.version} mode="edit" initial={initial} action={updateConference.bind(null, c.id)} timezones={timeZoneChoices(c.timezone)} hasPin={c.hasPin} submitLabel="Save changes" />
      </section>
      <section className="stack" aria-labelledby="invitees-heading">
        <h2 id="invitees-heading">Invitees</h2>
        <Invitees conferenceId={c.id} users={data.conference.users} />
      </section>
      {mayCloneAndDelete && (
        <section className="card stack" aria-labelledby="clone-heading">
          <h2 id="clone-heading">Clone</h2>
          <p className="muted">A new conference with these settings, floors and invitees (with their PINs).</p>
          <CloneForm id={c.id} timezone={c.timezone} subject={`${c.subject} (copy)`} start={cloneStart} />
        </section>
      )}
      {mayCloneAndDelete && (
        <section className="card stack" aria-labelledby="delete-heading">
          <h2 id="delete-heading">Delete</h2>
          <p className="muted">Removes the conference with its invitees, sidebars and event log. Anyone connected is cut off.</p>
          <div>
            <ActionButton action={deleteConference.bind(null, c.id)} variant="danger"
              confirm={`Delete the conference “${c.subject}”? This cannot be undone.`} confirmLabel="Delete conference">
              Delete conference…
            </ActionButton>
          </div>
        </section>
      )}
    </main>
  );
}
