"use client";

/** Any page that fails shows what happened in plain words and lets the moderator try again. */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="narrow stack" role="alert">
      <h1>That did not work</h1>
      <p>{error.message && !error.digest ? error.message : "The portal could not load this page. The focus may be down; its log says more."}</p>
      <div><button onClick={reset}>Try again</button></div>
    </main>
  );
}
