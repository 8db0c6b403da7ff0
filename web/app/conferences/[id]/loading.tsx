export default function Loading() {
  return (
    <main className="stack" aria-busy="true">
      <p className="muted" role="status">Opening the live room…</p>
    </main>
  );
}
