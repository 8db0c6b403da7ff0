import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentSession } from "@/lib/session";
import { SignInForms } from "./sign-in-forms";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage() {
  if (await currentSession()) redirect("/");
  return (
    <main className="narrow">
      <h1>Sign in</h1>
      <p className="muted">The portal is for moderators: an admin, an integrator, or a conference&apos;s moderator.</p>
      <SignInForms />
    </main>
  );
}
