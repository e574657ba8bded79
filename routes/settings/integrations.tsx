// Integrations (admins): outbound webhook destinations with their delivery logs, and the
// Conversions API's stage map. Plain forms: it works without JavaScript.

import { OutboundDeliveryLog } from "../../components/OutboundDeliveryLog.tsx";
import { readLimitedText } from "../../lib/web/body.ts";
import type { CapiReport } from "../../lib/capi/mod.ts";
import { type CapiSettings, checkCapiSettings } from "../../lib/capi/settings.ts";
import { LEAD_EVENT_TYPES } from "../../lib/lead_events/events.ts";
import { LEAD_STATUSES } from "../../lib/leads/model.ts";
import {
  addDestination,
  listDestinations,
  removeDestination,
  toDestinationJson,
  type WebhookDestinationJson,
} from "../../lib/outbound/destinations.ts";
import type { WebhookDelivery } from "../../lib/outbound/deliveries.ts";
import { define, type RouteContext } from "../../lib/app_state.ts";
import { errorAnswer } from "../../lib/web/http_error.ts";

interface IntegrationsData {
  destinations: { destination: WebhookDestinationJson; deliveries: WebhookDelivery[] }[];
  /** The secret of a destination just added: shown this once. */
  created: { id: string; secret: string } | null;
  fields: Record<string, string> | null;
  draft: { url: string; description: string; events: string[] } | null;
  capi: {
    datasetId: string | null;
    settings: CapiSettings;
    reports: CapiReport[];
    fields: Record<string, string> | null;
  };
  notice: string | null;
  now: number;
}

export const title = "Integrations";

/** Only admins send lead data to other systems. */
export const access = "admin";

const LOG_ROWS = 20;

export const handler = define.handlers<IntegrationsData>({
  async GET(ctx) {
    const resent = ctx.url.searchParams.get("resent");
    const done = ctx.url.searchParams.get("done");
    const notice = resent
      ? "Sent again: it goes after the lead's other pending events."
      : done === "removed"
      ? "Destination removed."
      : done === "stages"
      ? "Stage map saved."
      : null;
    return ctx.render(await pageData(ctx, { notice }), {
      headers: { "cache-control": "no-store" },
    });
  },

  async POST(ctx) {
    const { kv, log, capi } = ctx.state.services;
    const form = new URLSearchParams(await readLimitedText(ctx.req));
    const action = form.get("action");
    if (action === "remove") {
      const id = form.get("id") ?? "";
      if (await removeDestination(kv, id)) {
        log.info("webhook destination removed", { requestId: ctx.state.requestId, id });
      }
      return redirect("/settings/integrations?done=removed");
    }
    if (action === "stages") {
      const stages: Record<string, string> = {};
      for (const status of LEAD_STATUSES) stages[status] = form.get(`stage_${status}`) ?? "";
      const checked = checkCapiSettings({ stages });
      if (!checked.ok) {
        return ctx.render(await pageData(ctx, { capiFields: checked.fields }), { status: 400 });
      }
      await capi.saveSettings(checked.settings);
      return redirect("/settings/integrations?done=stages");
    }
    const draft = {
      url: form.get("url") ?? "",
      description: form.get("description") ?? "",
      events: form.getAll("events"),
    };
    try {
      const destination = await addDestination(kv, draft, { by: ctx.state.user!.name });
      log.info("webhook destination added", {
        requestId: ctx.state.requestId,
        destinationId: destination.id,
      });
      return ctx.render(
        await pageData(ctx, { created: { id: destination.id, secret: destination.secret } }),
        { status: 201, headers: { "cache-control": "no-store" } },
      );
    } catch (error) {
      // A refused destination shows the form again with the reasons, at the API's status.
      const refused = errorAnswer(error);
      if (refused === null) throw error;
      const fields = refused.details?.fields as Record<string, string> | undefined ??
        { url: (error as Error).message };
      return ctx.render(await pageData(ctx, { fields, draft }), { status: refused.status });
    }
  },
});

function redirect(location: string): Response {
  return new Response(null, { status: 303, headers: { location } });
}

async function pageData(
  ctx: RouteContext<IntegrationsData>,
  extra: {
    created?: IntegrationsData["created"];
    fields?: Record<string, string>;
    draft?: IntegrationsData["draft"];
    capiFields?: Record<string, string>;
    notice?: string | null;
  },
): Promise<IntegrationsData> {
  const { kv, outbound, capi } = ctx.state.services;
  const destinations = [];
  for (const destination of await listDestinations(kv)) {
    destinations.push({
      destination: toDestinationJson(destination),
      deliveries: await outbound.listDeliveries(destination.id, LOG_ROWS),
    });
  }
  return {
    destinations,
    created: extra.created ?? null,
    fields: extra.fields ?? null,
    draft: extra.draft ?? null,
    capi: {
      datasetId: capi.datasetId,
      settings: await capi.getSettings(),
      reports: await capi.listReports(LOG_ROWS),
      fields: extra.capiFields ?? null,
    },
    notice: extra.notice ?? null,
    now: Date.now(),
  };
}

export default define.page<IntegrationsData>(function Integrations({ data }) {
  const now = new Date(data.now);
  const fields = data.fields ?? {};
  const error = (name: string) => fields[name] && <span class="field-error">{fields[name]}</span>;
  const chosen = data.draft?.events ?? LEAD_EVENT_TYPES;
  return (
    <section class="settings integrations">
      <p>
        <a href="/settings">← Settings</a>
      </p>
      <h1>Integrations</h1>
      {data.notice && <p class="form-notice" role="status">{data.notice}</p>}

      <h2>Outbound webhooks</h2>
      <p class="health-detail">
        Leadline POSTs each lead event as JSON to these addresses (a Zapier, Make or n8n catch hook,
        or your CRM), signed with the destination's own secret in{" "}
        <code>X-Leadline-Signature-256</code>, one lead's events in order, retried for up to a day.
      </p>
      {data.created && (
        <div class="form-notice" role="status" data-created-secret>
          <p>
            Destination added. Its signing secret is shown only now; copy it into the receiving
            system:
          </p>
          <p>
            <code>{data.created.secret}</code>
          </p>
        </div>
      )}
      {data.destinations.length === 0 && <p class="empty">No destination yet.</p>}
      {data.destinations.map(({ destination, deliveries }) => (
        <article key={destination.id} id={destination.id} class="destination" data-destination>
          <h3>
            <code>{destination.url}</code>
          </h3>
          {destination.description && <p>{destination.description}</p>}
          {destination.warning && <p class="field-error">{destination.warning}</p>}
          <p class="health-detail">
            Events: {destination.events.join(", ")}. Added{" "}
            {new Date(destination.createdAt).toISOString().slice(0, 10)}
            {destination.createdBy ? ` by ${destination.createdBy}` : ""}.
          </p>
          <OutboundDeliveryLog
            destinationId={destination.id}
            deliveries={deliveries}
            now={now}
          />
          <form method="post" action="/settings/integrations">
            <input type="hidden" name="action" value="remove" />
            <input type="hidden" name="id" value={destination.id} />
            <button type="submit" class="link-button">Remove this destination</button>
          </form>
        </article>
      ))}

      <h3>Add a destination</h3>
      <form method="post" action="/settings/integrations" class="stacked-form">
        <input type="hidden" name="action" value="add" />
        <label>
          URL (https://)
          <input type="url" name="url" value={data.draft?.url ?? ""} required />
        </label>
        {error("url")}
        <label>
          What it is for (optional)
          <input type="text" name="description" value={data.draft?.description ?? ""} />
        </label>
        {error("description")}
        <fieldset>
          <legend>Events</legend>
          {LEAD_EVENT_TYPES.map((type) => (
            <label key={type} class="check">
              <input type="checkbox" name="events" value={type} checked={chosen.includes(type)} />
              {" "}
              {type}
            </label>
          ))}
        </fieldset>
        {error("events")}
        <button type="submit" class="button button-primary">Add destination</button>
      </form>

      <h2>Lead quality back to Meta</h2>
      {data.capi.datasetId
        ? (
          <p class="health-detail">
            On: when a Meta lead reaches a stage named below, Leadline reports it once to the
            Conversions API (dataset{" "}
            <code>{data.capi.datasetId}</code>) so Meta can optimise the ads for leads that turn
            into customers. The lead's timeline shows each report.
          </p>
        )
        : (
          <p class="health-detail">
            Off. Set <code>META_DATASET_ID</code>{" "}
            (the dataset of your ads' pixel, Events Manager) to report the stages below to Meta's
            Conversions API for CRM.
          </p>
        )}
      {data.capi.fields && (
        <p class="form-error" role="alert">{Object.values(data.capi.fields).join(" ")}</p>
      )}
      <form method="post" action="/settings/integrations" class="stacked-form">
        <input type="hidden" name="action" value="stages" />
        {LEAD_STATUSES.map((status) => (
          <label key={status}>
            Event name for {status} (empty: not reported)
            <input
              type="text"
              name={`stage_${status}`}
              value={data.capi.settings.stages[status] ?? ""}
              maxLength={50}
            />
          </label>
        ))}
        <button type="submit" class="button">Save stage map</button>
      </form>
      {data.capi.reports.length > 0 && (
        <table class="team-table health-table" data-capi-reports>
          <thead>
            <tr>
              <th>Lead</th>
              <th>Stage</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {data.capi.reports.map((report) => (
              <tr key={`${report.leadId}:${report.status}`}>
                <td>
                  <a href={`/leads/${report.leadId}`}>Open lead</a>
                </td>
                <td>{report.eventName}</td>
                <td>
                  {report.state}
                  {report.error && <div class="health-detail">{report.error}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
});
