export default function Loading() {
  return (
    <main className="stack schedule">
      <h1>Schedule</h1>
      <p className="muted" role="status">Loading the calendar…</p>
    </main>
  );
}
