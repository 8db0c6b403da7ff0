import { redirect } from "next/navigation";
import { requireSession } from "@/lib/session";

/** Moderators of one conference land in its room; admins and integrators on the schedule. */
export default async function Home() {
  const s = await requireSession();
  redirect(s.conferenceId ? `/conferences/${s.conferenceId}` : "/schedule");
}
