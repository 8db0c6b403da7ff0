"use client";
import { startTransition, useActionState, useId, useState } from "react";
import type { JoinHandling, Role } from "@/lib/model";
import { describeRecurrence, WEEKDAY_NAMES, WEEKDAYS, type Frequency, type Recurrence, type RecurrenceEnd, type Weekday } from "@/lib/recurrence";
import { ROLES, validateValues, valuesFromForm, type ConferenceValues, type FieldError, type FormState, type InviteeValues } from "@/app/conferences/new/form-values";

export interface BlueprintOption {
  id: string;
  name: string;
  description: string;
  maxUsers: number;
  joinHandling: JoinHandling;
  durationMin: number;
}

interface Props {
  mode: "create" | "edit";
  initial: ConferenceValues;
  action: (prev: FormState, form: FormData) => Promise<FormState>;
  timezones: string[];
  blueprints?: BlueprintOption[];
  /** edit: the conference has a PIN now */
  hasPin?: boolean;
  submitLabel: string;
}

const FREQ_LABEL: Record<Frequency, string> = { NONE: "Does not repeat", DAILY: "Daily", WEEKLY: "Weekly", MONTHLY: "Monthly", CUSTOM: "Custom rule (RRULE)" };
const UNIT: Record<string, string> = { DAILY: "days", WEEKLY: "weeks", MONTHLY: "months" };
const JOIN_LABEL: Record<JoinHandling, [string, string]> = {
  ALLOW: ["Open", "anyone who knows the address may join"],
  PIN: ["PIN", "callers enter the conference PIN or their own"],
  LOBBY: ["Lobby", "a moderator admits each caller"],
};
const ROLE_LABEL: Record<Role, string> = { ADMINISTRATOR: "Administrator", MODERATOR: "Moderator", PARTICIPANT: "Participant", OBSERVER: "Observer" };

const blankInvitee = (): InviteeValues => ({ entity: "", displayName: "", role: "PARTICIPANT", pin: "" });

/** The create and edit form of a conference: schedule, repetition, joining and (on create) invitees. */
export function ConferenceForm({ mode, initial, action, timezones, blueprints = [], hasPin = false, submitLabel }: Props) {
  const [state, formAction, pending] = useActionState(action, { errors: [] });
  const [v, setV] = useState(initial);
  // Invitee rows need stable keys while rows are removed from the middle.
  const [rowKeys, setRowKeys] = useState(() => initial.invitees.map((_, i) => i));
  const [nextKey, setNextKey] = useState(initial.invitees.length);
  const [clientErrors, setClientErrors] = useState<FieldError[] | null>(null);
  const uid = useId();
  const errors = clientErrors ?? state.errors;
  const errorOf = (field: string) => errors.findIndex((e) => e.field === field);
  const invalid = (field: string) => {
    const i = errorOf(field);
    return i < 0 ? {} : { "aria-invalid": true as const, "aria-describedby": `${uid}-err-${i}` };
  };
  const set = <K extends keyof ConferenceValues>(key: K, value: ConferenceValues[K]) => setV((old) => ({ ...old, [key]: value }));
  const setR = <K extends keyof Recurrence>(key: K, value: Recurrence[K]) => setV((old) => ({ ...old, recurrence: { ...old.recurrence, [key]: value } }));
  const setInvitee = (i: number, patch: Partial<InviteeValues>) =>
    setV((old) => ({ ...old, invitees: old.invitees.map((u, j) => (j === i ? { ...u, ...patch } : u)) }));
  const r = v.recurrence;

  const chooseBlueprint = (id: string) => {
    const bp = blueprints.find((b) => b.id === id);
    setV((old) => ({
      ...old,
      blueprintId: id,
      // The blueprint's settings are shown and sent as chosen values, so what the form says is what is made.
      ...(bp ? { durationMin: String(bp.durationMin), maxUsers: String(bp.maxUsers), joinHandling: bp.joinHandling, description: old.description || bp.description } : {}),
    }));
  };

  const onSubmit = (e: React.FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const found = validateValues(valuesFromForm(data), mode, hasPin);
    if (found.length) {
      setClientErrors(found);
      return;
    }
    setClientErrors(null);
    // Dispatched by hand (React then leaves <form action> alone): an action run by the form would reset the
    // fields afterwards, and a failed save must keep what was typed. `action` stays so that a submit before
    // hydration still posts, and the server's own checks answer it.
    startTransition(() => formAction(data));
  };

  return (
    <form action={formAction} onSubmit={onSubmit} noValidate className="stack conference-form" aria-describedby={errors.length ? `${uid}-errors` : undefined}>
      <fieldset className="stack">
        <legend>Conference</legend>
        {mode === "create" && (
          <label>
            Blueprint
            <select name="blueprintId" value={v.blueprintId} onChange={(e) => chooseBlueprint(e.target.value)}>
              <option value="">None</option>
              {blueprints.map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}
            </select>
          </label>
        )}
        <label>
          Subject
          <input name="subject" value={v.subject} onChange={(e) => set("subject", e.target.value)} required aria-required maxLength={200} {...invalid("subject")} />
        </label>
        <label>
          Description
          <textarea name="description" rows={3} value={v.description} onChange={(e) => set("description", e.target.value)} {...invalid("description")} />
        </label>
      </fieldset>

      <fieldset className="stack">
        <legend>When</legend>
        <div className="form-grid">
          <label>
            Start
            <input type="datetime-local" name="start" value={v.start} onChange={(e) => set("start", e.target.value)} required aria-required {...invalid("start")} />
          </label>
          <label>
            Duration (minutes)
            <input type="number" name="durationMin" min={1} max={10080} inputMode="numeric" value={v.durationMin} onChange={(e) => set("durationMin", e.target.value)} {...invalid("durationMin")} />
          </label>
          <label>
            Time zone
            <select name="timezone" value={v.timezone} onChange={(e) => set("timezone", e.target.value)} {...invalid("timezone")}>
              {timezones.map((z) => <option key={z} value={z}>{z.replaceAll("_", " ")}</option>)}
            </select>
          </label>
        </div>
        <p className="muted hint">The start is a time in the chosen time zone; repetitions keep that wall-clock time across daylight-saving changes.</p>
      </fieldset>

      <fieldset className="stack">
        <legend>Repeats</legend>
        <div className="form-grid">
          <label>
            Repetition
            <select name="freq" value={r.freq} onChange={(e) => setR("freq", e.target.value as Frequency)}>
              {(Object.keys(FREQ_LABEL) as Frequency[]).map((f) => <option key={f} value={f}>{FREQ_LABEL[f]}</option>)}
            </select>
          </label>
          {(r.freq === "DAILY" || r.freq === "WEEKLY" || r.freq === "MONTHLY") && (
            <label>
              Every ({UNIT[r.freq]})
              <input type="number" name="interval" min={1} max={99} inputMode="numeric" value={Number.isNaN(r.interval) ? "" : r.interval}
                onChange={(e) => setR("interval", e.target.value === "" ? NaN : Number(e.target.value))} {...invalid("interval")} />
            </label>
          )}
        </div>
        {r.freq === "WEEKLY" && (
          <fieldset {...invalid("byDay")}>
            <legend>On</legend>
            <div className="row">
              {WEEKDAYS.map((d) => (
                <label key={d} className="inline">
                  <input type="checkbox" name="byDay" value={d} checked={r.byDay.includes(d)}
                    onChange={(e) => setR("byDay", e.target.checked ? [...r.byDay, d] : r.byDay.filter((x: Weekday) => x !== d))} />
                  {WEEKDAY_NAMES[d]}
                </label>
              ))}
            </div>
          </fieldset>
        )}
        {(r.freq === "DAILY" || r.freq === "WEEKLY" || r.freq === "MONTHLY") && (
          <fieldset>
            <legend>Ends</legend>
            <div className="stack tight">
              {(["NEVER", "COUNT", "UNTIL"] as RecurrenceEnd[]).map((end) => (
                <label key={end} className="inline">
                  <input type="radio" name="end" value={end} checked={r.end === end} onChange={() => setR("end", end)} />
                  {end === "NEVER" ? "Never" : end === "COUNT" ? "After a number of occurrences" : "On a date"}
                </label>
              ))}
              {r.end === "COUNT" && (
                <label>
                  Number of occurrences
                  <input type="number" name="count" min={1} max={1000} inputMode="numeric" value={Number.isNaN(r.count) ? "" : r.count}
                    onChange={(e) => setR("count", e.target.value === "" ? NaN : Number(e.target.value))} {...invalid("count")} />
                </label>
              )}
              {r.end === "UNTIL" && (
                <label>
                  Last day
                  <input type="date" name="until" value={r.until} onChange={(e) => setR("until", e.target.value)} {...invalid("until")} />
                </label>
              )}
            </div>
          </fieldset>
        )}
        {r.freq === "CUSTOM" && (
          <label>
            Custom RRULE
            <input name="customRrule" value={r.custom} onChange={(e) => setR("custom", e.target.value)} spellCheck={false} autoComplete="off"
              placeholder="FREQ=MONTHLY;BYDAY=1MO" className="mono" {...invalid("customRrule")} />
          </label>
        )}
        <p className="muted hint" aria-live="polite">{describeRecurrence(r)}</p>
      </fieldset>

      <fieldset className="stack">
        <legend>Joining</legend>
        <fieldset>
          <legend>Join handling</legend>
          <div className="stack tight">
            {(Object.keys(JOIN_LABEL) as JoinHandling[]).map((j) => (
              <label key={j} className="inline">
                <input type="radio" name="joinHandling" value={j} checked={v.joinHandling === j} onChange={() => set("joinHandling", j)} />
                <span>{JOIN_LABEL[j][0]} <span className="muted">({JOIN_LABEL[j][1]})</span></span>
              </label>
            ))}
          </div>
        </fieldset>
        {v.joinHandling === "PIN" && (
          <div className="stack tight">
            <label htmlFor={`${uid}-pin`}>{mode === "edit" && hasPin ? "New conference PIN" : "Conference PIN"}</label>
            <input id={`${uid}-pin`} name="pin" value={v.pin} onChange={(e) => set("pin", e.target.value)} inputMode="numeric" autoComplete="off" maxLength={12} disabled={v.removePin}
              {...invalid("pin")} aria-describedby={[`${uid}-pin-hint`, invalid("pin")["aria-describedby"]].filter(Boolean).join(" ")} />
            <span id={`${uid}-pin-hint`} className="muted hint">4 to 12 digits{mode === "edit" && hasPin ? "; leave empty to keep the current PIN" : ""}</span>
          </div>
        )}
        {mode === "edit" && hasPin && (
          <label className="inline">
            <input type="checkbox" name="removePin" checked={v.removePin} onChange={(e) => set("removePin", e.target.checked)} />
            Remove the conference PIN
          </label>
        )}
        <div className="form-grid">
          <label>
            Max users
            <input type="number" name="maxUsers" min={1} max={10000} inputMode="numeric" value={v.maxUsers} onChange={(e) => set("maxUsers", e.target.value)} {...invalid("maxUsers")} />
          </label>
        </div>
        <label className="inline">
          <input type="checkbox" name="floorControlled" checked={v.floorControlled} onChange={(e) => set("floorControlled", e.target.checked)} />
          Floor-controlled audio <span className="muted">(participants are heard only while they hold the floor)</span>
        </label>
      </fieldset>

      {mode === "create" && (
        <fieldset className="stack">
          <legend>Invitees</legend>
          {v.invitees.length === 0 && <p className="empty">No invitees yet; people can also be added later.</p>}
          {v.invitees.map((u, i) => (
            <fieldset key={rowKeys[i]} className="invitee">
              <legend>Invitee {i + 1}</legend>
              <div className="form-grid">
                <label>
                  Entity (SIP URI)
                  <input name="invitee.entity" value={u.entity} placeholder="sip:alice@example.com" autoComplete="off" spellCheck={false}
                    onChange={(e) => setInvitee(i, { entity: e.target.value })} {...invalid(`invitee.${i}.entity`)} />
                </label>
                <label>
                  Display name
                  <input name="invitee.displayName" value={u.displayName} onChange={(e) => setInvitee(i, { displayName: e.target.value })} {...invalid(`invitee.${i}.displayName`)} />
                </label>
                <label>
                  Role
                  <select name="invitee.role" value={u.role} onChange={(e) => setInvitee(i, { role: e.target.value as Role })}>
                    {ROLES.map((role) => <option key={role} value={role}>{ROLE_LABEL[role]}</option>)}
                  </select>
                </label>
                <label>
                  PIN (optional)
                  <input name="invitee.pin" value={u.pin} inputMode="numeric" autoComplete="off" maxLength={12} onChange={(e) => setInvitee(i, { pin: e.target.value })} {...invalid(`invitee.${i}.pin`)} />
                </label>
              </div>
              <div>
                <button type="button" className="secondary" disabled={pending} aria-label={`Remove invitee ${i + 1}`}
                  onClick={() => {
                    setV((old) => ({ ...old, invitees: old.invitees.filter((_, j) => j !== i) }));
                    setRowKeys((keys) => keys.filter((_, j) => j !== i));
                  }}>
                  Remove
                </button>
              </div>
            </fieldset>
          ))}
          <div>
            <button type="button" className="secondary" disabled={pending}
              onClick={() => {
                setV((old) => ({ ...old, invitees: [...old.invitees, blankInvitee()] }));
                setRowKeys((keys) => [...keys, nextKey]);
                setNextKey((k) => k + 1);
              }}>
              Add invitee
            </button>
          </div>
        </fieldset>
      )}

      {errors.length > 0 && (
        <div role="alert" id={`${uid}-errors`} className="form-errors">
          <p className="error"><strong>{errors.length === 1 ? "This needs fixing:" : `These ${errors.length} things need fixing:`}</strong></p>
          <ul>
            {errors.map((e, i) => <li key={i} id={`${uid}-err-${i}`} className="error">{e.message}</li>)}
          </ul>
        </div>
      )}
      <div className="row">
        <button type="submit" disabled={pending}>{pending ? "Saving…" : submitLabel}</button>
      </div>
    </form>
  );
}
