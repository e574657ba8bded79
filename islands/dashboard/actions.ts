// What the dashboard's buttons ask of the server (Sync, Load more, Retry, a status, Claim, bulk
// changes, the demo's test lead): loaded with the first of them (issue 16: the page's first
// script stays small), since none runs before the user (or the resync timer) asks.

// Types only from lib/wire.ts: a value from it would make the bundler split off an empty chunk
// (its constants are inlined) that the page then loads for nothing.
import type { BulkAnswer, LeadRow } from "../../lib/wire.ts";
import type { Signal } from "./signal.ts";
import { type SyncAnswer, syncMessage } from "./sync_message.ts";
import type { Toast } from "./Toasts.tsx";

/** The dashboard's state and helpers the actions use (islands/LeadDashboard.tsx). */
export interface Dashboard {
  rows: Signal<LeadRow[]>;
  selected: Signal<Set<string>>;
  nextCursor: Signal<string | null>;
  syncing: Signal<boolean>;
  loadingMore: Signal<boolean>;
  sending: Signal<boolean>;
  bulkBusy: Signal<boolean>;
  retrying: Signal<Set<string>>;
  marking: Signal<Set<string>>;
  claiming: Signal<Set<string>>;
  /** Shows a toast. */
  toast(entry: Omit<Toast, "key">): void;
  /** Puts leads into the list; returns the ones new to it. */
  merge(incoming: LeadRow[]): LeadRow[];
  /** Reloads the visible part of the list. */
  reloadList(): Promise<void>;
  /** Asks the event stream's fallback to poll now. */
  pollNow(): Promise<void>;
  /** The list's parameters for the API. */
  listQuery(): string;
  /** Rows a page of the list has (lib/wire.ts's LEAD_PAGE_SIZE). */
  pageSize: number;
}

/** Asks the server to sync with Meta now; a failed request answers with `error`. */
export async function requestSync(): Promise<SyncAnswer> {
  const res = await fetch("/api/leads/sync", {
    method: "POST",
    headers: { accept: "application/json" },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) return { error: body.error ?? `the server answered ${res.status}` };
  return body;
}

/** The Sync button: a sync, a poll and a reload, then what the sync did, as a toast. */
export async function syncNow(d: Dashboard) {
  if (d.syncing.value) return;
  d.syncing.value = true;
  try {
    const answer = await requestSync();
    await d.pollNow();
    await d.reloadList();
    // A skipped request looked at nothing: the message says when the last sweep ran instead.
    d.toast(syncMessage(answer));
  } catch {
    d.toast({ text: "Sync failed: cannot reach the server", tone: "error" });
  } finally {
    d.syncing.value = false;
  }
}

/** "Load more": the next page of the list, after the rows shown. */
export async function loadMore(d: Dashboard) {
  const cursor = d.nextCursor.value;
  if (!cursor || d.loadingMore.value) return;
  d.loadingMore.value = true;
  try {
    const res = await fetch(
      `/api/leads?limit=${d.pageSize}&${d.listQuery()}&cursor=${encodeURIComponent(cursor)}`,
      { cache: "no-store" },
    );
    if (!res.ok) throw new Error(String(res.status));
    const page: { leads: LeadRow[]; cursor: string | null } = await res.json();
    d.merge(page.leads);
    d.nextCursor.value = page.cursor;
  } catch {
    d.toast({ text: "Could not load more leads; try again.", tone: "error" });
  } finally {
    d.loadingMore.value = false;
  }
}

/** Retries fetching a lead's details from Meta. */
export async function retry(d: Dashboard, id: string) {
  d.retrying.value = new Set(d.retrying.value).add(id);
  try {
    const res = await fetch(`/api/leads/${encodeURIComponent(id)}/retry`, { method: "POST" });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      d.toast({ text: `Retry failed: ${body.error ?? res.status}`, tone: "error" });
    }
  } catch {
    d.toast({ text: "Retry failed: cannot reach the server", tone: "error" });
  } finally {
    const next = new Set(d.retrying.value);
    next.delete(id);
    d.retrying.value = next;
  }
}

/** Records a status change (e.g. "contacted"); every dashboard, this one too, gets it pushed. */
export async function setStatus(d: Dashboard, id: string, status: string) {
  d.marking.value = new Set(d.marking.value).add(id);
  try {
    const res = await fetch(`/api/leads/${encodeURIComponent(id)}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status }),
    });
    const body = await res.json().catch(() => ({}));
    // Shown at once; the pushed change that follows is merged in place.
    if (res.ok) d.merge([body]);
    else d.toast({ text: `Could not save: ${body.error ?? res.status}`, tone: "error" });
  } catch {
    d.toast({ text: "Could not save: cannot reach the server", tone: "error" });
  } finally {
    const next = new Set(d.marking.value);
    next.delete(id);
    d.marking.value = next;
  }
}

/** Claims a lead; the one who lost a race learns who got it. Pushed to every dashboard. */
export async function claim(d: Dashboard, id: string) {
  d.claiming.value = new Set(d.claiming.value).add(id);
  try {
    const res = await fetch(`/api/leads/${encodeURIComponent(id)}/claim`, {
      method: "POST",
      headers: { accept: "application/json" },
    });
    const body = await res.json().catch(() => ({}));
    if (res.ok) d.merge([body]);
    else {
      d.toast({
        text: res.status === 409
          ? `${body.owner?.name} claimed this lead first`
          : `Could not claim: ${body.error ?? res.status}`,
        tone: "error",
      });
      d.reloadList().catch(() => {});
    }
  } catch {
    d.toast({ text: "Could not claim: cannot reach the server", tone: "error" });
  } finally {
    const next = new Set(d.claiming.value);
    next.delete(id);
    d.claiming.value = next;
  }
}

/** Applies a bulk change to the selected rows and says what happened to them. */
export async function bulk(
  d: Dashboard,
  change: { action: "assign"; ownerId: string | null } | { action: "status"; status: string },
) {
  const ids = d.rows.value.filter((row) => d.selected.value.has(row.id)).map((row) => row.id);
  if (ids.length === 0 || d.bulkBusy.value) return;
  d.bulkBusy.value = true;
  try {
    const res = await fetch("/api/leads/bulk", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...change, ids }),
    });
    const body: BulkAnswer & { error?: string } = await res.json().catch(() => ({}));
    if (!res.ok) {
      d.toast({ text: `Could not change the leads: ${body.error ?? res.status}`, tone: "error" });
    } else {
      d.toast({ text: body.summary, tone: body.failed.length ? "error" : "info" });
      // What failed stays selected, to try again or look at.
      d.selected.value = new Set(body.failed.map((f) => f.id));
    }
    await d.reloadList();
  } catch {
    d.toast({ text: "Could not change the leads: cannot reach the server", tone: "error" });
  } finally {
    d.bulkBusy.value = false;
  }
}

/** The demo's button: one test lead through the real webhook path. */
export async function sendTestLead(d: Dashboard) {
  d.sending.value = true;
  try {
    const res = await fetch("/api/demo/leads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ count: 1 }),
    });
    if (!res.ok) d.toast({ text: `Could not send a test lead (${res.status})`, tone: "error" });
  } catch {
    d.toast({ text: "Could not send a test lead: cannot reach the server", tone: "error" });
  } finally {
    d.sending.value = false;
  }
}
