import Link from "next/link";

export default function NotFound() {
  return (
    <main className="narrow stack">
      <h1>Not found</h1>
      <p>There is no such page or conference (it may have been deleted).</p>
      <p><Link href="/">Back to the portal</Link></p>
    </main>
  );
}
