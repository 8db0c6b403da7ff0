import type { Metadata } from "next";
import Link from "next/link";
import { DateTime } from "luxon";
import { ConferenceForm, type BlueprintOption } from "@/components/conference-form";
import { FocusError, gql, plainError } from "@/lib/focus";
import { requireSession } from "@/lib/session";
import { displayZone } from "@/lib/time";
import { createConference } from "./actions";
import { emptyValues } from "./form-values";
import { timeZoneChoices } from "./time-zones";

export const metadata: Metadata = { title: "New conference" };

const BLUEPRINTS = `query { blueprints { id name description maxUsers joinHandling durationMin } }`;

export default async function NewConferencePage() {
  const session = await requireSession();
  const zone = await displayZone();
  let blueprints: BlueprintOption[];
  try {
    blueprints = (await gql<{ blueprints: BlueprintOption[] }>(session.token, BLUEPRINTS)).blueprints;
  } catch (err) {
    // A conference token may not list blueprints nor create conferences: say so instead of a form that cannot work.
    if (err instanceof FocusError && err.code === "FORBIDDEN") {
      return (
        <main className="narrow stack">
          <h1>New conference</h1>
          <p role="alert" className="error">You cannot schedule conferences with this sign-in: {err.message}.</p>
          {session.conferenceId && <p><Link href={`/conferences/${session.conferenceId}`}>Go to your conference</Link></p>}
        </main>
      );
    }
    throw new Error(plainError(err));
  }
  // The next full hour where the moderator is: a sensible first guess that is never in the past.
  const start = DateTime.now().setZone(zone).startOf("hour").plus({ hours: 1 }).toFormat("yyyy-MM-dd'T'HH:mm");
  return (
    <main className="stack form-page">
      <h1>New conference</h1>
      <ConferenceForm mode="create" initial={emptyValues(start, zone)} action={createConference} timezones={timeZoneChoices(zone)} blueprints={blueprints} submitLabel="Schedule conference" />
    </main>
  );
}
