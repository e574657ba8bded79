// The leads API: a page of leads (filtered by `q`, `status`, `owner`, `formId`, `campaignId`,
// `source`, `from`, `to`, in `sort` order; or a view), the changes after a cursor with the current
// alerts (the polling fallback), and POST for a lead entered by hand.

import { readJsonObject } from "../../../lib/web/body.ts";
import { addManualLead } from "../../../lib/leads/manual_entry.ts";
import { toLeadJson } from "../../../lib/leads/model.ts";
import { searchLeads } from "../../../lib/leads/search.ts";
import { lastListedSeq } from "../../../lib/leads/store.ts";
import {
  endOfToday,
  LEAD_VIEWS,
  listDueLeads,
  resolveListRequest,
} from "../../../lib/leads/views.ts";
import { clockOf } from "../../../lib/local_time.ts";
import { getTeamSettings } from "../../../lib/routing/settings.ts";
import { define } from "../../../lib/app_state.ts";
import { CHANGES_PAGE_SIZE, LEAD_PAGE_SIZE } from "../../../lib/wire.ts";
import { HttpError, jsonResponse } from "../../../lib/web/http_error.ts";

function wholeNumber(raw: string, name: string, max: number): number {
  if (!/^\d{1,16}$/.test(raw) || Number(raw) > max) {
    throw new HttpError(400, `Cannot list leads: ${name} must be a whole number up to ${max}`);
  }
  return Number(raw);
}

export const handler = define.handlers({
  async GET({ req, url, state }) {
    const { leads, alerts } = state.services;
    const since = url.searchParams.get("since");
    if (since !== null) {
      const seq = wholeNumber(since, "since", Number.MAX_SAFE_INTEGER);
      const page = await leads.listChangesSince(seq, CHANGES_PAGE_SIZE);
      const last = lastListedSeq(page);
      const listed = page.changes.length + (page.removed?.length ?? 0);
      // A full page may have more behind it: hand back where it stopped, not the head.
      const cursor = listed >= CHANGES_PAGE_SIZE && last !== undefined
        ? last
        : Math.max(page.head, last ?? 0);
      return jsonResponse(
        {
          changes: page.changes.map((change) => ({
            seq: change.seq,
            kind: change.kind,
            lead: toLeadJson(change.lead),
          })),
          // Leads erased or purged since: the dashboard drops their rows.
          removed: (page.removed ?? []).map((removal) => ({
            seq: removal.seq,
            id: removal.leadId,
          })),
          cursor: String(cursor),
          // The log no longer reaches back to `since` (or `since` is from another store): reload all.
          reset: page.gap || seq > page.head,
          // The dashboard's alert area, kept current while the event stream is down.
          alerts: await alerts.listAlerts(),
        },
        200,
        { "cache-control": "no-store" },
      );
    }

    const limitRaw = url.searchParams.get("limit");
    const limit = limitRaw === null ? LEAD_PAGE_SIZE : wholeNumber(limitRaw, "limit", 500);
    if (limit < 1) throw new HttpError(400, "Cannot list leads: limit must be at least 1");
    const viewRaw = url.searchParams.get("view");
    if (viewRaw !== null && !(LEAD_VIEWS as readonly string[]).includes(viewRaw)) {
      throw new HttpError(400, `Cannot list leads: view must be one of ${LEAD_VIEWS.join(", ")}`);
    }
    const user = state.user!;
    const settings = await getTeamSettings(state.services.kv);
    // No view and no filter: every lead (as before views existed).
    const request = resolveListRequest(url.searchParams, {
      me: user.id,
      timeZone: clockOf(req, settings.timeZone).timeZone,
      defaultView: "all",
    });
    if (request.kind === "due") {
      const due = await listDueLeads(state.services.kv, leads, {
        until: endOfToday(Date.now(), settings.timeZone),
        ownerId: user.role === "admin" ? null : user.id,
        limit,
      });
      return jsonResponse({ leads: due.map(toLeadJson), cursor: null }, 200, {
        "cache-control": "no-store",
      });
    }
    const page = await searchLeads(state.services.kv, leads, request.filter, {
      limit,
      cursor: url.searchParams.get("cursor") || null,
    });
    return jsonResponse(
      { leads: page.leads.map(toLeadJson), cursor: page.cursor },
      200,
      { "cache-control": "no-store" },
    );
  },

  /** A lead entered by hand (phone, SMS, walk-in): 201 with the lead, or 400 with `fields`. */
  async POST({ req, state }) {
    const { kv, leads, config, log } = state.services;
    const body = await readJsonObject(req);
    const result = await addManualLead(
      { kv, store: leads, defaultCountry: config.defaultPhoneCountry },
      body,
    );
    if (!result.ok) {
      throw new HttpError(400, "Cannot add lead: some fields are not right", {
        details: { fields: result.fields },
      });
    }
    log.info("lead added by hand", {
      requestId: state.requestId,
      leadId: result.lead.id,
      source: result.lead.source,
      possibleDuplicateOf: result.lead.possibleDuplicateOf,
      by: state.user?.id ?? null,
    });
    return jsonResponse(toLeadJson(result.lead), 201, {
      "cache-control": "no-store",
      location: `/api/leads/${result.lead.id}`,
    });
  },
});
