// A lead's timeline (received, details fetched, status changes, ...) as KV records of their own, so
// a lead takes any number of events and its own record stays small.

import { InvalidCursorError } from "../errors.ts";
import { isUlid, ulid } from "../ids.ts";
import { leadTimelineKey, leadTimelinePrefix } from "./keys.ts";
import { type Lead, type LeadTimelineEvent, toLeadJson } from "./model.ts";

/** Events one page of a timeline holds unless asked otherwise (the lead page, the lead's JSON). */
export const TIMELINE_PAGE_SIZE = 100;
/** The most events one page may hold. */
export const TIMELINE_PAGE_MAX = 500;
/** Longest `detail` kept on an event (a Meta error message can be long); the rest is cut. */
export const TIMELINE_DETAIL_MAX = 2_000;

/** A page of a lead's timeline. */
export interface LeadTimelinePage {
  /** Oldest first: the newest `limit` events before the cursor that was asked for. */
  events: LeadTimelineEvent[];
  /** Pass back as `before` for the events older than these; null when there are none. */
  before: string | null;
}

/** Options of `listTimelineEvents`. */
export interface ListTimelineOptions {
  /** Events per page (default TIMELINE_PAGE_SIZE, at most TIMELINE_PAGE_MAX). */
  limit?: number;
  /** A `before` cursor from an earlier page; absent for the newest events. */
  before?: string | null;
}

/** A timeline cursor was not one `listTimelineEvents` gave out. */
export class TimelineCursorError extends InvalidCursorError {
  /** Make the error for `cursor`. */
  constructor(cursor: string) {
    super(`Cannot list the timeline: cursor "${cursor.slice(0, 40)}" is not one we gave out`);
  }
}

/**
 * Adds one record per event to `op`, in their order, and returns the new event ids. Meant for the
 * commit that makes the change the events describe, so a change and its timeline line land
 * together or not at all. Ids are ULIDs made in this process (strictly increasing), so a lead's
 * records list in the order they were written.
 */
export function addTimelineEvents(
  op: Deno.AtomicOperation,
  leadId: string,
  events: readonly LeadTimelineEvent[],
  now: number = Date.now(),
): string[] {
  return events.map((event) => {
    const id = ulid(now);
    op.set(leadTimelineKey(leadId, id), boundedEvent(event));
    return id;
  });
}

/**
 * One page of a lead's timeline, newest events first across pages and oldest first within one.
 * `stored` is the lead's record as read from KV: a lead stored before the timeline had records of
 * its own may still hold older events inline, and those come before every record (pass a lead as
 * read, not one a write returned, whose `timeline` holds the events just recorded).
 * Throws TimelineCursorError for a cursor it did not give out.
 */
export async function listTimelineEvents(
  kv: Deno.Kv,
  stored: Pick<Lead, "id" | "timeline">,
  options: ListTimelineOptions = {},
): Promise<LeadTimelinePage> {
  const limit = Math.max(
    1,
    Math.min(Math.floor(options.limit ?? TIMELINE_PAGE_SIZE), TIMELINE_PAGE_MAX),
  );
  const inline = stored.timeline ?? [];
  const before = options.before ?? null;
  let inlineEnd = inline.length;
  const newestFirst: LeadTimelineEvent[] = [];
  if (before !== null && before.startsWith("inline:")) {
    const end = Number(before.slice("inline:".length));
    if (!/^inline:\d{1,9}$/.test(before) || end > inline.length) {
      throw new TimelineCursorError(before);
    }
    inlineEnd = end;
  } else {
    if (before !== null && !isUlid(before)) throw new TimelineCursorError(before);
    const prefix = leadTimelinePrefix(stored.id);
    const selector: Deno.KvListSelector = before === null
      ? { prefix }
      : { prefix, end: leadTimelineKey(stored.id, before) };
    const ids: string[] = [];
    for await (
      const entry of kv.list<LeadTimelineEvent>(selector, { reverse: true, limit: limit + 1 })
    ) {
      newestFirst.push(entry.value);
      ids.push(entry.key[2] as string);
    }
    if (newestFirst.length > limit) {
      return { events: newestFirst.slice(0, limit).reverse(), before: ids[limit - 1] };
    }
  }
  // The records are exhausted: fill the page with the inline events, which are older.
  const start = Math.max(0, inlineEnd - (limit - newestFirst.length));
  return {
    events: [...inline.slice(start, inlineEnd), ...newestFirst.reverse()],
    before: start > 0 ? `inline:${start}` : null,
  };
}

/** A lead as its own endpoints serve it: with a page of its timeline and the cursor of the rest. */
export type LeadDetailJson = Lead & {
  /** Pass as `before` to `GET /api/leads/:id/timeline` for older events; null when none. */
  timelineBefore: string | null;
};

/**
 * The JSON of one lead with a page of its timeline (GET and PATCH /api/leads/:id): every field of
 * `toLeadJson`, `timeline` the page (oldest first), then `timelineBefore`.
 */
export function toLeadDetailJson(lead: Lead, page: LeadTimelinePage): LeadDetailJson {
  return { ...toLeadJson({ ...lead, timeline: page.events }), timelineBefore: page.before };
}

/** The event as stored: only its known fields, its detail cut to TIMELINE_DETAIL_MAX. */
function boundedEvent(event: LeadTimelineEvent): LeadTimelineEvent {
  const bounded: LeadTimelineEvent = { at: event.at, event: event.event.slice(0, 200) };
  if (event.detail !== undefined) {
    const extra = event.detail.length - TIMELINE_DETAIL_MAX;
    bounded.detail = extra > 0
      ? `${event.detail.slice(0, TIMELINE_DETAIL_MAX)}… [${extra} more characters]`
      : event.detail;
  }
  if (event.by) bounded.by = event.by.slice(0, 200);
  if (event.followUpAt && !Number.isNaN(Date.parse(event.followUpAt))) {
    bounded.followUpAt = new Date(event.followUpAt).toISOString();
  }
  return bounded;
}
