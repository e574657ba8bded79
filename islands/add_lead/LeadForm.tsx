// The add-lead form itself, loaded the first time "Add lead" opens it (islands/AddLeadForm.tsx),
// with the phone country list: neither is needed before then.

import { useMemo } from "preact/hooks";
import { callingCodeOf, PHONE_COUNTRIES } from "../../lib/format/phone.ts";

/** The form's fields, keyed by name. */
export type Fields = Record<string, string>;

/** The state the island keeps while the form is closed, and what the form tells it. */
export interface LeadFormProps {
  country: string;
  setCountry(country: string): void;
  errors: Fields;
  setErrors(errors: Fields): void;
  busy: boolean;
  setBusy(busy: boolean): void;
  setNotice(notice: string | null): void;
}

/** "United Kingdom (+44)" for "GB". */
function countryLabel(country: string, names: Intl.DisplayNames | null): string {
  return `${names?.of(country) ?? country} (+${callingCodeOf(country)})`;
}

/** What happens to a number typed without +, said before the agent saves it. */
function phoneHint(country: string, names: Intl.DisplayNames | null): string {
  if (!country) {
    return "No country chosen: a number without + is stored as typed, without a country " +
      "code. Type + and the country code, or choose the country.";
  }
  return `A number without + gets the country code +${callingCodeOf(country)} (${
    names?.of(country) ?? country
  }).`;
}

const SOURCES = [
  ["phone", "Phone call"],
  ["sms", "SMS"],
  ["walk-in", "Walk-in"],
  ["other", "Other"],
] as const;

/** The form posting to `POST /api/leads`; errors show next to their field. */
export function LeadForm(
  { country, setCountry, errors, setErrors, busy, setBusy, setNotice }: LeadFormProps,
) {
  const names = useMemo(() => {
    try {
      return new Intl.DisplayNames(["en"], { type: "region" });
    } catch {
      return null;
    }
  }, []);
  const countries = useMemo(
    () =>
      [...PHONE_COUNTRIES]
        .map((code) => ({ code, label: countryLabel(code, names) }))
        .sort((a, b) => a.label.localeCompare(b.label)),
    [names],
  );

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
        // The next lead most likely has a number from the same country.
        (form.elements.namedItem("phoneCountry") as HTMLSelectElement).value = country;
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
    <form class="add-lead-form" data-form="add-lead" onSubmit={submit} noValidate>
      {field("fullName", "Name", <input name="fullName" required maxLength={200} />)}
      {field(
        "phone",
        "Phone",
        <input
          name="phone"
          type="tel"
          // No "+1" here unless that is the country: the example must not mislead.
          placeholder={country
            ? `National number, or + and country code`
            : "+ country code, then the number"}
          aria-describedby="phone-hint"
        />,
      )}
      {field(
        "phoneCountry",
        "Country of the phone number",
        <select
          name="phoneCountry"
          value={country}
          onChange={(event) => setCountry((event.currentTarget as HTMLSelectElement).value)}
          aria-describedby="phone-hint"
        >
          <option value="">None: keep numbers as typed</option>
          {countries.map(({ code, label }) => <option key={code} value={code}>{label}</option>)}
        </select>,
      )}
      <p class="field-hint" id="phone-hint" data-phone-hint>{phoneHint(country, names)}</p>
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
  );
}
