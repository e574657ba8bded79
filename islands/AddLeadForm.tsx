// "Add lead": an agent types in a phoned-in, texted or walk-in lead; every dashboard shows it live.

import { useState } from "preact/hooks";

interface Props {
  /** The configured DEFAULT_PHONE_COUNTRY, shown as a hint; null when national numbers stay digits. */
  phoneCountry: string | null;
}

type Fields = Record<string, string>;

const SOURCES = [
  ["phone", "Phone call"],
  ["sms", "SMS"],
  ["walk-in", "Walk-in"],
  ["other", "Other"],
] as const;

/** A collapsible form posting to `POST /api/leads`; errors show next to their field. */
export default function AddLeadForm({ phoneCountry }: Props) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Fields>({});
  const [notice, setNotice] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const values = Object.fromEntries(new FormData(form)) as Fields;
    setBusy(true);
    setNotice(null);
    try {
      const res = await fetch("/api/leads", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(values),
      });
      const body = await res.json().catch(() => ({}));
      if (res.status === 201) {
        setErrors({});
        form.reset();
        setNotice(
          body.possibleDuplicateOf
            ? `Added ${body.fullName}. Possible duplicate of a recent Meta lead: check before calling.`
            : `Added ${body.fullName}.`,
        );
      } else {
        setErrors(body.fields ?? { form: body.error ?? `The server answered ${res.status}` });
      }
    } catch {
      setErrors({ form: "Cannot reach the server; try again." });
    } finally {
      setBusy(false);
    }
  }

  function field(name: string, label: string, input: preact.JSX.Element) {
    const error = errors[name];
    return (
      <label class={error ? "field field-invalid" : "field"}>
        <span>{label}</span>
        {input}
        {/* The server's reasons are whole sentences that name the field. */}
        {error && <span class="field-error" data-error-for={name}>{error}</span>}
      </label>
    );
  }

  return (
    <div class="add-lead">
      <button
        type="button"
        class="button"
        data-action="add-lead"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        {open ? "Close" : "Add lead"}
      </button>
      {notice && <p class="form-notice" role="status">{notice}</p>}
      {open && (
        <form class="add-lead-form" data-form="add-lead" onSubmit={submit} noValidate>
          {field("fullName", "Name", <input name="fullName" required maxLength={200} />)}
          {field(
            "phone",
            "Phone",
            <input
              name="phone"
              type="tel"
              placeholder={phoneCountry
                ? `National or +country (${phoneCountry})`
                : "+1 415 555 0100"}
            />,
          )}
          {field("email", "Email", <input name="email" type="email" />)}
          {field(
            "source",
            "Source",
            <select name="source">
              {SOURCES.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
            </select>,
          )}
          {field("notes", "Notes", <textarea name="notes" rows={2} maxLength={5000} />)}
          {errors.form && <p class="form-error" role="alert">{errors.form}</p>}
          {errors.body && <p class="form-error" role="alert">{errors.body}</p>}
          <button type="submit" class="button button-primary" disabled={busy} aria-busy={busy}>
            {busy ? "Adding…" : "Add"}
          </button>
        </form>
      )}
    </div>
  );
}
