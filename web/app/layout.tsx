import type { Metadata, Viewport } from "next";
import Link from "next/link";
import "./globals.css";
import { currentSession } from "@/lib/session";
import { signOut } from "./sign-in/actions";
import { TimeZoneCookie } from "./time-zone-cookie";

export const metadata: Metadata = { title: { default: "DCON portal", template: "%s · DCON portal" } };
export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const session = await currentSession().catch(() => null);
  return (
    <html lang="en">
      <body>
        <a className="skip" href="#content">Skip to content</a>
        <header className="top">
          <Link href="/" className="brand">DCON portal</Link>
          {session && (
            <nav aria-label="Main">
              {!session.conferenceId && <Link href="/schedule">Schedule</Link>}
              {!session.conferenceId && <Link href="/conferences/new">New conference</Link>}
              {session.conferenceId && <Link href={`/conferences/${session.conferenceId}`}>My conference</Link>}
              {!session.conferenceId && <Link href="/islands">Islands</Link>}
              {session.role === "ADMIN" && <Link href="/accounts">Accounts</Link>}
            </nav>
          )}
          {session && (
            <form action={signOut} className="who">
              <span className="muted">{session.userName ?? session.role.toLowerCase()}</span>
              <button type="submit" className="link">Sign out</button>
            </form>
          )}
        </header>
        <TimeZoneCookie />
        <div id="content">{children}</div>
      </body>
    </html>
  );
}
