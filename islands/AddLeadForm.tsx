// "Add lead": an agent types in a phoned-in, texted or walk-in lead; every dashboard shows it live.

import { useState } from "preact/hooks";
import { useLazy } from "./lazy.ts";
import type { Fields } from "./add_lead/LeadForm.tsx";

interface Props {
  /** The configured DEFAULT_PHONE_COUNTRY: the country chosen at first; null chooses none. */
  phoneCountry: string | null;
}

const loadForm = () => import("./add_lead/LeadForm.tsx");

/**
 * A collapsible form posting to `POST /api/leads`. The form and its country list load the first
 * time it opens; what it holds (country, errors) stays here, so closing it keeps them.
 */
export default function AddLeadForm({ phoneCountry }: Props) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Fields>({});
  const [notice, setNotice] = useState<string | null>(null);
  const [country, setCountry] = useState(phoneCountry ?? "");
  const form = useLazy(loadForm, open);

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
      {open && form && (
        <form.LeadForm
          country={country}
          setCountry={setCountry}
          errors={errors}
          setErrors={setErrors}
          busy={busy}
          setBusy={setBusy}
          setNotice={setNotice}
        />
      )}
    </div>
  );
}
