"use client";
import { useId, useRef, useState, useTransition } from "react";
import type { ActionResult } from "@/lib/action-result";

interface Props {
  /** a server action bound to its arguments */
  action: () => Promise<ActionResult>;
  children: React.ReactNode;
  /** asks first, in a modal dialog, when set: destructive actions */
  confirm?: string;
  /** the confirming button's words, e.g. "Kick" */
  confirmLabel?: string;
  variant?: "primary" | "secondary" | "danger";
  /** accessible name when the visible label is short or shared by rows */
  label?: string;
}

/** A button that runs a server action, shows its progress, and says in words when it failed. */
export function ActionButton({ action, children, confirm, confirmLabel, variant = "secondary", label }: Props) {
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const run = () =>
    start(async () => {
      setError(null);
      const r = await action();
      if ("error" in r) setError(r.error);
    });
  return (
    <span className="action">
      <button
        type="button"
        className={variant === "primary" ? undefined : variant}
        disabled={pending}
        aria-label={label}
        onClick={() => (confirm ? dialog.current?.showModal() : run())}
      >
        {children}
      </button>
      {confirm && (
        <dialog ref={dialog} aria-labelledby={titleId}>
          <form method="dialog" className="stack">
            <p id={titleId}>{confirm}</p>
            <div className="row">
              <button type="submit" className="danger" onClick={run} autoFocus={false}>{confirmLabel ?? "Yes"}</button>
              <button type="submit" className="secondary" autoFocus>Cancel</button>
            </div>
          </form>
        </dialog>
      )}
      {error && <span role="alert" className="error"> {error}</span>}
    </span>
  );
}
