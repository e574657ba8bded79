// The lead table's answers per form (admins): which of a form's questions its rows show, at most
// three (by default its first two custom questions). Plain forms: works without JavaScript.

import { isContactQuestion } from "../../lib/format/lead_search.ts";
import { questionLabel } from "../../lib/format/lead_row.ts";
import {
  FORM_COLUMNS_MAX,
  formColumnsByForm,
  listFormQuestions,
  NO_FORM,
  setFormColumns,
} from "../../lib/leads/dimensions.ts";
import { listKnownForms } from "../../lib/leads/forms.ts";
import { readFormParams } from "../../lib/web/body.ts";
import { define, type RouteContext } from "../../lib/app_state.ts";
import { errorAnswer } from "../../lib/web/http_error.ts";

interface TableData {
  forms: { id: string; name: string; questions: string[]; chosen: string[] }[];
  notice: string | null;
  error: { formId: string; message: string } | null;
}

export const title = "Lead table";

/** Only admins choose what everyone's table shows. */
export const access = "admin";

async function pageData(
  ctx: RouteContext,
  extra: Partial<TableData> = {},
): Promise<TableData> {
  const { kv } = ctx.state.services;
  const names = new Map((await listKnownForms(kv)).map((form) => [form.id, form.name]));
  const chosen = await formColumnsByForm(kv);
  const forms = [...(await listFormQuestions(kv)).entries()]
    .filter(([id]) => id !== NO_FORM)
    .map(([id, questions]) => ({
      id,
      name: names.get(id) ?? `Form ${id}`,
      questions: questions.filter((name) => !isContactQuestion(name)),
      chosen: chosen[id] ?? [],
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { forms, notice: null, error: null, ...extra };
}

export const handler = define.handlers<TableData>({
  async GET(ctx) {
    return ctx.render(
      await pageData(ctx, {
        notice: ctx.url.searchParams.get("saved") === "1"
          ? "Saved: the table shows these now."
          : null,
      }),
    );
  },

  async POST(ctx) {
    const form = await readFormParams(ctx.req);
    const formId = form.get("formId") ?? "";
    try {
      await setFormColumns(ctx.state.services.kv, formId, form.getAll("question"));
    } catch (error) {
      const answer = errorAnswer(error);
      if (!answer || !(error instanceof Error)) throw error;
      return ctx.render(
        await pageData(ctx, { error: { formId, message: error.message } }),
        { status: answer.status },
      );
    }
    return new Response(null, { status: 303, headers: { location: "/settings/table?saved=1" } });
  },
});

export default define.page<TableData>(function LeadTableSettings({ data }) {
  return (
    <section class="settings">
      <h1>Lead table</h1>
      <p>
        Each lead's row on the dashboard shows up to {FORM_COLUMNS_MAX}{" "}
        answers of its form. Choose them per form; with none chosen, a form shows its first two
        questions.
      </p>
      {data.notice && <p class="form-notice" role="status">{data.notice}</p>}
      {data.forms.length === 0 && <p class="muted">No form has sent a lead with answers yet.</p>}
      {data.forms.map((form) => (
        <form key={form.id} method="post" class="routing-form" data-form-columns={form.id}>
          <fieldset>
            <legend>{form.name}</legend>
            <input type="hidden" name="formId" value={form.id} />
            {form.questions.length === 0 && <p class="muted">No custom questions.</p>}
            {form.questions.map((name) => (
              <label key={name} class="check">
                <input
                  type="checkbox"
                  name="question"
                  value={name}
                  checked={form.chosen.includes(name)}
                />{" "}
                {questionLabel(name)}
              </label>
            ))}
            {data.error?.formId === form.id && (
              <p class="form-error" role="alert">{data.error.message}</p>
            )}
            <button type="submit" class="button-small">Save</button>
          </fieldset>
        </form>
      ))}
    </section>
  );
});
