// Routing settings (admins): automatic round robin on or off, working hours, re-assignment after N
// minutes, the team's time zone and the speed-to-lead clock's thresholds; and who is on shift.

import { readLimitedText } from "../../lib/web/body.ts";
import {
  checkTeamSettings,
  getTeamSettings,
  saveTeamSettings,
  type SettingsFieldErrors,
  type TeamSettings,
  type TeamSettingsInput,
} from "../../lib/routing/settings.ts";
import { listOnShift } from "../../lib/routing/shift.ts";
import { define, type RouteContext } from "../../lib/app_state.ts";

/** What the page shows. */
interface RoutingData {
  settings: TeamSettings;
  onShift: { id: string; name: string }[];
  saved: boolean;
  fields?: SettingsFieldErrors;
  /** What was typed, put back after an error. */
  draft?: Record<string, string | string[]>;
}

export const title = "Routing";

/** Only admins change how leads are routed. */
export const access = "admin";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

export const handler = define.handlers<RoutingData>({
  async GET(ctx) {
    return ctx.render(await pageData(ctx, { saved: ctx.url.searchParams.get("done") === "saved" }));
  },

  async POST(ctx) {
    const { kv, log } = ctx.state.services;
    const form = new URLSearchParams(await readLimitedText(ctx.req));
    // Unticked boxes send nothing: a form post always says every field.
    const input: TeamSettingsInput = {
      timeZone: form.get("timeZone") ?? "",
      amberMinutes: form.get("amberMinutes") ?? "",
      redMinutes: form.get("redMinutes") ?? "",
      routingEnabled: form.get("routingEnabled") ?? "off",
      workingHoursEnabled: form.get("workingHoursEnabled") ?? "off",
      workingDays: form.getAll("workingDays"),
      workStart: form.get("workStart") ?? "",
      workEnd: form.get("workEnd") ?? "",
      reassignAfterMinutes: form.get("reassignAfterMinutes") ?? "",
    };
    const current = await getTeamSettings(kv);
    if (input.workingHoursEnabled === "off") {
      // Hidden hours keep what was set; only the switch turns them off.
      delete input.workingDays;
      delete input.workStart;
      delete input.workEnd;
    }
    const checked = checkTeamSettings(input, current, new Date());
    if (!checked.ok) {
      const draft: Record<string, string | string[]> = {};
      for (const [name, value] of form) {
        draft[name] = name === "workingDays" ? form.getAll(name) : value;
      }
      return ctx.render(await pageData(ctx, { saved: false, fields: checked.fields, draft }), {
        status: 400,
      });
    }
    await saveTeamSettings(kv, checked.settings);
    log.info("team settings changed", {
      requestId: ctx.state.requestId,
      by: ctx.state.user!.id,
      routing: checked.settings.routing.enabled,
    });
    return new Response(null, { status: 303, headers: { location: "/team/routing?done=saved" } });
  },
});

async function pageData(
  ctx: RouteContext<RoutingData>,
  extra: Partial<RoutingData>,
): Promise<RoutingData> {
  const { kv } = ctx.state.services;
  return {
    settings: await getTeamSettings(kv),
    onShift: await listOnShift(kv),
    saved: false,
    ...extra,
  };
}

export default define.page<RoutingData>(function Routing({ data }) {
  const s = data.settings;
  const hours = s.routing.workingHours ?? { days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" };
  const d = data.draft;
  const text = (name: string, fallback: string) =>
    typeof d?.[name] === "string" ? d[name] as string : fallback;
  const checked = (name: string, fallback: boolean) => d ? d[name] === "on" : fallback;
  const days = d ? (d.workingDays as string[] | undefined ?? []).map(Number) : hours.days;
  const fields = data.fields ?? {};
  const error = (name: string) => fields[name] && <span class="field-error">{fields[name]}</span>;
  return (
    <section class="routing-page">
      <p>
        <a href="/team">← Team</a>
      </p>
      <h1>Routing and the speed-to-lead clock</h1>
      {data.saved && <p class="form-notice" role="status">Settings saved.</p>}
      {data.fields && (
        <p class="form-error" role="alert">Some settings are not right; see below.</p>
      )}
      <form method="post" action="/team/routing" class="stacked-form routing-form">
        <fieldset>
          <legend>Automatic routing</legend>
          <label class="check">
            <input
              type="checkbox"
              name="routingEnabled"
              checked={checked("routingEnabled", s.routing.enabled)}
            />{" "}
            Give each new lead to the next agent on shift (round robin)
          </label>
          <p class="muted">
            Agents switch themselves on shift on the dashboard. Leads that came in before routing
            was switched on stay as they are.
          </p>
          <label class="check">
            <input
              type="checkbox"
              name="workingHoursEnabled"
              checked={checked("workingHoursEnabled", s.routing.workingHours !== null)}
            />{" "}
            Only within working hours
          </label>
          <div class="routing-days" role="group" aria-label="Working days">
            {DAYS.map((day, i) => (
              <label key={day} class="check">
                <input
                  type="checkbox"
                  name="workingDays"
                  value={String(i)}
                  checked={days.includes(i)}
                />{" "}
                {day}
              </label>
            ))}
          </div>
          {error("workingDays")}
          <label>
            From <input type="time" name="workStart" value={text("workStart", hours.start)} />
            {error("workStart")}
          </label>
          <label>
            Until <input type="time" name="workEnd" value={text("workEnd", hours.end)} />
            {error("workEnd")}
          </label>
          <label>
            Re-assign a lead nobody contacted after this many minutes (empty: never)
            <input
              type="number"
              name="reassignAfterMinutes"
              min="1"
              max="1440"
              value={text("reassignAfterMinutes", s.routing.reassignAfterMinutes?.toString() ?? "")}
            />
            {error("reassignAfterMinutes")}
          </label>
        </fieldset>
        <fieldset>
          <legend>Team</legend>
          <label>
            Time zone (for "today" and working hours; lead pages show each reader's own zone once
            their dashboard has told it, this one until then)
            <input type="text" name="timeZone" value={text("timeZone", s.timeZone)} required />
            {error("timeZone")}
          </label>
          <label>
            Waiting clock turns amber after (minutes)
            <input
              type="number"
              name="amberMinutes"
              min="0.05"
              step="any"
              value={text("amberMinutes", String(s.clock.amberMinutes))}
            />
            {error("amberMinutes")}
          </label>
          <label>
            …and red after (minutes)
            <input
              type="number"
              name="redMinutes"
              min="0.05"
              step="any"
              value={text("redMinutes", String(s.clock.redMinutes))}
            />
            {error("redMinutes")}
          </label>
        </fieldset>
        <button type="submit" class="button button-primary">Save</button>
      </form>
      <h2>On shift now</h2>
      {data.onShift.length === 0
        ? <p class="muted" data-on-shift>Nobody is on shift.</p>
        : (
          <ul data-on-shift>
            {data.onShift.map((agent) => <li key={agent.id}>{agent.name}</li>)}
          </ul>
        )}
    </section>
  );
});
