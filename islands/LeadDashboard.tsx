// The live lead dashboard: server-rendered rows kept current by the event stream and its fallbacks.

import { useEffect, useMemo, useRef } from "preact/hooks";
import { AlertList } from "./dashboard/AlertList.tsx";
import { loadPrefs, savePrefs } from "./dashboard/alert_prefs.ts";
import { type Connection, type Feed, startFeed } from "./dashboard/feed.ts";
import { type ColumnKey, LeadList, type TableSort } from "./dashboard/LeadList.tsx";
import type { SortLinks } from "../lib/format/sort_links.ts";
import { useTableKeys } from "./dashboard/keys.ts";
import { useSignal } from "./dashboard/signal.ts";
import {
  compareFollowUps,
  displayName,
  formLabel,
  ownerLabel,
  toLeadRow,
} from "../lib/format/lead_row.ts";
import {
  compareForSort,
  type FilterableLead,
  matchesConditions,
} from "../lib/format/lead_filter.ts";
import { timeZoneCookie } from "../lib/format/time.ts";
import {
  type Alert,
  type ClockThresholds,
  LEAD_PAGE_SIZE,
  type LeadFilter,
  type LeadRow,
  type TeamMember,
} from "../lib/wire.ts";
import type { Dashboard } from "./dashboard/actions.ts";
import type { Toast } from "./dashboard/Toasts.tsx";
import { leadToastText } from "./dashboard/toast_text.ts";
import { once, useLazy } from "./lazy.ts";

/** The island's props: JSON from the server. */
export interface LeadDashboardProps {
  rows: LeadRow[];
  /** Where "Load more" continues; null when the list is complete. */
  nextCursor: string | null;
  /** The change cursor the rows were read at. */
  cursor: string;
  demo: boolean;
  /** Dashboard-wide alerts at render time; the event stream and polling keep them current. */
  alerts: Alert[];
  /** ms since epoch when the server rendered, so relative times hydrate unchanged. */
  renderedAt: number;
  heartbeatMs: number;
  pollMs: number;
  resyncMs: number;
  /** The signed-in user's id. */
  me: string;
  /** The view listed (mine and unassigned, all, the follow-ups due), or null for a filter. */
  view: "mine" | "all" | "due" | null;
  /** When the waiting clock on rows still new turns amber and red. */
  clock: ClockThresholds;
  /** The list's filter: a live lead joins the list only when it matches. */
  filter: LeadFilter;
  /** The list's URL parameters (no `?`): reloads, "Load more" and sorting keep them. */
  query: string;
  /** The headings' links to the server's sorts (none in the Due view). */
  sortLinks: SortLinks | null;
  /** The answers each form's rows show (form id -> question names). */
  columns: Record<string, string[]>;
  /** Who this user may assign leads to (an agent: themselves). */
  members: TeamMember[];
}

const LABELS: Record<Connection, string> = {
  connecting: "Connecting…",
  live: "Live",
  polling: "Polling",
  offline: "Offline",
};
const HINTS: Record<Connection, string> = {
  connecting: "Opening the live stream…",
  live: "New leads appear the moment they arrive.",
  polling: "The live stream is down: checking for new leads every few seconds.",
  offline: "Cannot reach the server; retrying.",
};
const FRESH_MS = 6_000;
/**
 * Rows drawn at first, and added each time the list's end comes within LIST_END_MARGIN of the
 * window, so what is drawn fills the window and a little more (30 rows at 768 px, 60 in a window
 * twice as tall): a rep's list that grew all day stays cheap to redraw, so a new lead shows at
 * once. Each new lead moves every row drawn, and the browser lays out and paints them all again:
 * 0.3 ms a row on a slow machine, for each lead (issue 16).
 */
const DRAWN = 30;
const LIST_END_MARGIN = "400px";
// Parts the page needs only once the user (or a new lead) asks for them: loaded on first use.
const loadToasts = () => import("./dashboard/Toasts.tsx");
const loadBulkBar = () => import("./dashboard/BulkBar.tsx");
type Actions = typeof import("./dashboard/actions.ts");
// One load shared by every action asked for meanwhile, so they run in the order asked.
const loadActions = once(() => import("./dashboard/actions.ts"));
// Notifications and the chime load once the user has turned one on (now or in an earlier visit).
const loadAlerts = once(() => import("./dashboard/alerts.ts"));
const TOAST_MS = 10_000;
/** Toasts on screen at once: new leads share one, so this is the lead toast and two messages. */
const MAX_TOASTS = 3;
/** Longest a desktop notification waits for a new lead's name (details fetched from Meta). */
const NOTIFY_WAIT_MS = 8_000;

/** The dashboard: toolbar (badge, Sync, alert choices), toasts, the list and "Load more". */
export default function LeadDashboard(props: LeadDashboardProps) {
  const rows = useSignal<LeadRow[]>(props.rows);
  const alerts = useSignal<Alert[]>(props.alerts);
  const nextCursor = useSignal<string | null>(props.nextCursor);
  const connection = useSignal<Connection>("connecting");
  // When each lead new to this visit joined the list: its row is marked for FRESH_MS, and the
  // clocks' tick ends the mark, so no lead costs a timer, a render and a frame of its own to
  // unmark it (with a lead every few ms, those frames kept the page from the next lead; issue 16).
  const freshAt = useRef(new Map<string, number>());
  const retrying = useSignal<Set<string>>(new Set());
  const marking = useSignal<Set<string>>(new Set());
  const claiming = useSignal<Set<string>>(new Set());
  const toasts = useSignal<Toast[]>([]);
  const syncing = useSignal(false);
  const loadingMore = useSignal(false);
  const sending = useSignal(false);
  const unseen = useSignal(0);
  const now = useSignal(props.renderedAt);
  const hydrated = useSignal(false);
  const prefs = useSignal({ notify: false, sound: false });
  const selected = useSignal<Set<string>>(new Set());
  const focused = useSignal<string | null>(null);
  const tableSort = useSignal<TableSort | null>(null);
  const bulkBusy = useSignal(false);
  const drawn = useSignal(DRAWN);
  // Until the page's script runs, every row the server sent is drawn: a page read without
  // JavaScript shows its whole page of leads (its "Load more" goes on from the last of them).
  const drawnRows = () => hydrated.value ? drawn.value : rows.value.length;
  const listEnd = useRef<HTMLDivElement>(null);
  // Leads counted as arrived (the unseen count), whether or not they match the list.
  const arrived = useRef(new Set<string>());
  const due = props.view === "due";
  const searching = props.filter.q.trim() !== "";
  const asking = useRef<Promise<void> | null>(null);
  const askAgain = useRef(false);
  const order = due ? compareFollowUps : compareForSort(props.filter.sort);
  const feed = useRef<Feed | null>(null);
  const toastKey = useRef(0);
  const toastTimers = useRef(new Map<number, ReturnType<typeof setTimeout>>());
  // New leads whose notification waits for their details, with the timer that gives up waiting.
  const notifyLater = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const empty = rows.value.length === 0;
  const toastList = useLazy(loadToasts, toasts.value.length > 0);
  const bulkBar = useLazy(loadBulkBar, selected.value.size > 0);
  const baseTitle = useMemo(() => typeof document === "undefined" ? "" : document.title, []);

  /** Shows a toast on top (replacing the one of `key`, when given) for TOAST_MS from now. */
  function toast(entry: Omit<Toast, "key">, key = ++toastKey.current) {
    const others = toasts.value.filter((t) => t.key !== key);
    toasts.value = [{ ...entry, key }, ...others].slice(0, MAX_TOASTS);
    clearTimeout(toastTimers.current.get(key));
    toastTimers.current.set(key, setTimeout(() => dismiss(key), TOAST_MS));
  }

  /** New leads join the lead toast on screen, so a burst reads "5 new leads", not 5 toasts. */
  function toastLeads(ids: string[]) {
    const current = toasts.value.find((t) => t.leadIds);
    toast({ leadIds: [...ids, ...(current?.leadIds ?? [])] }, current?.key);
  }

  function dismiss(key: number) {
    clearTimeout(toastTimers.current.get(key));
    toastTimers.current.delete(key);
    toasts.value = toasts.value.filter((t) => t.key !== key);
  }

  function markFresh(id: string) {
    freshAt.current.set(id, Date.now());
  }

  /** The leads still fresh by the clocks' time (the mark ends with their tick). */
  function freshNow(): Set<string> {
    const ids = new Set<string>();
    for (const [id, at] of freshAt.current) {
      if (now.value - at < FRESH_MS) ids.add(id);
      else freshAt.current.delete(id);
    }
    return ids;
  }

  /**
   * Puts leads into the list: changed ones in place, new ones in order; returns the new ones. A
   * lead new to the list joins it only when it matches the list's filter and falls within the
   * pages loaded (the Due view takes none live); one already shown stays, changed, until the list
   * is reloaded.
   */
  function merge(incoming: LeadRow[]): LeadRow[] {
    const byId = new Map(rows.value.map((row) => [row.id, row]));
    const last = rows.value.at(-1);
    const added: LeadRow[] = [];
    for (const lead of incoming) {
      const row = toLeadRow(lead, props.columns);
      if (!byId.has(row.id)) {
        if (due || !matchesConditions(lead as unknown as FilterableLead, props.filter)) continue;
        // Past the last row loaded, it belongs to a page not shown yet.
        if (nextCursor.value && last && order(row, last) > 0) continue;
        added.push(row);
      }
      byId.set(row.id, row);
    }
    rows.value = [...byId.values()].sort(order);
    return added;
  }

  /** The desktop notification of a new lead, with what is known of it now. */
  function notifyLead(id: string) {
    clearTimeout(notifyLater.current.get(id));
    notifyLater.current.delete(id);
    const row = rows.value.find((r) => r.id === id);
    if (!row || !prefs.value.notify) return;
    const [title, body] = [leadToastText(row), formLabel(row)];
    const url = `/leads/${encodeURIComponent(row.id)}`;
    loadAlerts().then((alerts) => alerts.notify(title, body, url), () => {});
  }

  /** A lead erased (or purged) anywhere: its row, its selection and its toast mention go at once. */
  function onRemoved(id: string) {
    rows.value = rows.value.filter((row) => row.id !== id);
    if (selected.value.has(id)) {
      const next = new Set(selected.value);
      next.delete(id);
      selected.value = next;
    }
    clearTimeout(notifyLater.current.get(id));
    notifyLater.current.delete(id);
    toasts.value = toasts.value.flatMap((t) => {
      if (!t.leadIds?.includes(id)) return [t];
      const leadIds = t.leadIds.filter((other) => other !== id);
      return leadIds.length > 0 ? [{ ...t, leadIds }] : [];
    });
  }

  function onLead(lead: LeadRow & { receivedAt?: string }) {
    // A lead new to a list with a search: whether the words match is the server's to say (it
    // makes the search terms), so the list reloads rather than carry a copy of that code.
    const ask = searching && !rows.value.some((row) => row.id === lead.id);
    if (ask && !due && matchesConditions(lead as unknown as FilterableLead, props.filter)) {
      askServer();
    }
    const added = ask ? [] : merge([lead]);
    // A webhook lead arrives as a stub; its name follows once Meta answers.
    if (notifyLater.current.has(lead.id) && lead.details !== "pending") notifyLead(lead.id);
    // Unseen until the user comes back to the tab or touches the page: every lead that arrived
    // since the page was drawn, whether or not the list shows it.
    const received = Date.parse(lead.receivedAt ?? "");
    if (!arrived.current.has(lead.id) && received >= props.renderedAt - 1_000) {
      arrived.current.add(lead.id);
      unseen.value++;
    }
    for (const row of added) announce(row);
  }

  /** A lead new to the list: marked, in the lead toast, and with the chime and notification on. */
  function announce(row: LeadRow) {
    markFresh(row.id);
    toastLeads([row.id]);
    if (prefs.value.sound) loadAlerts().then((alerts) => alerts.chime(), () => {});
    if (!prefs.value.notify) return;
    // A notification cannot change once shown: wait (briefly) for the name, not "New lead".
    if (row.details !== "pending") notifyLead(row.id);
    else notifyLater.current.set(row.id, setTimeout(() => notifyLead(row.id), NOTIFY_WAIT_MS));
  }

  /** One reload for live leads in a search at a time; leads arriving meanwhile ask one more. */
  function askServer() {
    if (asking.current) {
      askAgain.current = true;
      return;
    }
    asking.current = reloadList(true).catch(() => {}).finally(() => {
      asking.current = null;
      if (askAgain.current) {
        askAgain.current = false;
        askServer();
      }
    });
  }

  /**
   * Reloads the visible part of the list from the server (every resync, after a reset, and for
   * live leads in a search, which `announce`s the leads it brings).
   */
  async function reloadList(fromLive = false) {
    const limit = Math.min(Math.max(rows.value.length, LEAD_PAGE_SIZE), 500);
    const res = await fetch(`/api/leads?limit=${limit}&${listQuery()}`, { cache: "no-store" });
    if (!res.ok) return;
    const page: { leads: LeadRow[] } = await res.json();
    for (const row of merge(page.leads)) {
      if (fromLive) announce(row);
      else markFresh(row.id);
    }
  }

  /** The list's parameters for the API: the Due view, or the filter. */
  function listQuery(): string {
    // No filter is the "All" view (no parameter at all would be the default view, mine).
    return due ? "view=due" : props.query || "view=all";
  }

  const dashboard: Dashboard = {
    rows,
    selected,
    nextCursor,
    syncing,
    loadingMore,
    sending,
    bulkBusy,
    retrying,
    marking,
    claiming,
    toast,
    merge,
    reloadList,
    pollNow: async () => await feed.current?.pollNow(),
    listQuery,
    pageSize: LEAD_PAGE_SIZE,
  };

  /** Runs a server action, loading them with the first one the user asks for. */
  function act(run: (actions: Actions) => Promise<unknown>): Promise<unknown> {
    return loadActions().then(
      run,
      () => toast({ text: "Cannot reach the server; try again.", tone: "error" }),
    );
  }
  const syncNow = () => act((a) => a.syncNow(dashboard));
  const retry = (id: string) => act((a) => a.retry(dashboard, id));
  const setStatus = (id: string, status: string) => act((a) => a.setStatus(dashboard, id, status));
  const claim = (id: string) => act((a) => a.claim(dashboard, id));
  const bulk = (change: Parameters<Actions["bulk"]>[1]) => act((a) => a.bulk(dashboard, change));
  const sendTestLead = () => act((a) => a.sendTestLead(dashboard));

  /** "Load more" stays a link without script; with it, the next page joins the list. */
  function loadMore(event: Event) {
    if (!nextCursor.value || loadingMore.value) return;
    event.preventDefault();
    act((a) => a.loadMore(dashboard));
  }

  function select(id: string, on: boolean) {
    const next = new Set(selected.value);
    if (on) next.add(id);
    else next.delete(id);
    selected.value = next;
  }

  function sortBy(key: ColumnKey) {
    const current = tableSort.value;
    tableSort.value = current?.key === key
      ? (current.descending ? null : { key, descending: true })
      : { key, descending: false };
  }

  useTableKeys({
    rows: () => shown().slice(0, drawnRows()),
    focused,
    open: (id) => location.assign(`/leads/${encodeURIComponent(id)}`),
    contacted: (id) => {
      const row = rows.value.find((r) => r.id === id);
      if (row?.status === "new") setStatus(id, "contacted");
    },
    toggle: (id) => select(id, !selected.value.has(id)),
  });

  /** The rows in the order shown: the server's, or a column's the user chose. */
  function shown(): LeadRow[] {
    const sort = tableSort.value;
    if (!sort) return rows.value;
    const text = (row: LeadRow): string =>
      sort.key === "name"
        ? displayName(row)
        : sort.key === "form"
        ? formLabel(row)
        : sort.key === "owner"
        ? ownerLabel(row, props.me)
        : sort.key === "campaign"
        ? row.campaignName ?? ""
        : sort.key === "answers"
        ? (row.highlights ?? []).map(([, answer]) => answer).join(" ")
        : (row[sort.key] ?? "");
    const sorted = [...rows.value].sort((a, b) => text(a).localeCompare(text(b)));
    return sort.descending ? sorted.reverse() : sorted;
  }

  async function toggleNotify() {
    // The box shows the choice at once (a render while the browser is asked would otherwise undo
    // the click); it goes back off when the browser refuses. Nothing is shown without permission.
    const turningOn = !prefs.value.notify;
    prefs.value = { ...prefs.value, notify: turningOn };
    const on = turningOn &&
      await loadAlerts().then((alerts) => alerts.askNotifyPermission(), () => null);
    if (on === null) toast({ text: "Cannot reach the server; try again.", tone: "error" });
    else if (turningOn && !on) {
      toast({ text: "Notifications are blocked in this browser's settings.", tone: "error" });
    }
    prefs.value = { ...prefs.value, notify: on === true };
    savePrefs(prefs.value);
  }

  function toggleSound() {
    prefs.value = { ...prefs.value, sound: !prefs.value.sound };
    savePrefs(prefs.value);
    if (prefs.value.sound) loadAlerts().then((alerts) => alerts.chime(), () => {});
  }

  useEffect(() => {
    hydrated.value = true;
    now.value = Date.now();
    // Lets the lead page show times in this zone without a script of its own.
    const zone = timeZoneCookie(Intl.DateTimeFormat().resolvedOptions().timeZone);
    if (zone) document.cookie = zone;
    prefs.value = loadPrefs();
    if (prefs.value.notify || prefs.value.sound) loadAlerts().catch(() => {});
    feed.current = startFeed({
      cursor: props.cursor,
      heartbeatMs: props.heartbeatMs,
      pollMs: props.pollMs,
      // Whether a new lead matches the search is the store's to say, once its answers are in.
      previews: !searching,
      onLead,
      onRemoved,
      onReset: () => void reloadList(),
      onAlerts: (next) => alerts.value = next,
      onConnection: (next) => connection.value = next,
    });
    // Every second: the waiting clocks on rows still new run.
    const clock = setInterval(() => now.value = Date.now(), 1_000);
    // Whatever the stream's state: refresh the list, and let the server decide whether to ask Meta.
    const resync = setInterval(() => {
      reloadList().catch(() => {});
      loadActions().then((a) => a.requestSync()).catch(() => {});
    }, props.resyncMs);
    const seen = () => {
      if (!document.hidden) unseen.value = 0;
      // Audio starts only after a click or key press; a remembered "Sound" needs one after reload.
      if (prefs.value.sound) loadAlerts().then((alerts) => alerts.unlockSound(), () => {});
    };
    document.addEventListener("visibilitychange", seen);
    addEventListener("focus", seen);
    addEventListener("pointerdown", seen);
    addEventListener("keydown", seen);
    return () => {
      feed.current?.stop();
      for (const timer of notifyLater.current.values()) clearTimeout(timer);
      for (const timer of toastTimers.current.values()) clearTimeout(timer);
      clearInterval(clock);
      clearInterval(resync);
      document.removeEventListener("visibilitychange", seen);
      removeEventListener("focus", seen);
      removeEventListener("pointerdown", seen);
      removeEventListener("keydown", seen);
    };
  }, []);

  // While rows wait undrawn, the list's end (within LIST_END_MARGIN) draws more; observing anew
  // after each step reports it again, so a short list keeps drawing until the end moves away.
  const undrawn = rows.value.length > drawnRows();
  useEffect(() => {
    if (!undrawn) return;
    const observer = new IntersectionObserver(([end]) => {
      if (end.isIntersecting) drawn.value += DRAWN;
    }, { rootMargin: LIST_END_MARGIN });
    observer.observe(listEnd.current!);
    return () => observer.disconnect();
  }, [undrawn, drawn.value]);

  useEffect(() => {
    if (!hydrated.value) return;
    document.title = unseen.value > 0 ? `(${unseen.value}) ${baseTitle}` : baseTitle;
  }, [hydrated.value, unseen.value]);

  const state = connection.value;
  return (
    <div class="dashboard">
      <AlertList alerts={alerts.value} />
      <div class="toolbar">
        <h1>Leads</h1>
        <span
          class={`badge badge-${state}`}
          data-connection={state}
          title={HINTS[state]}
          role="img"
          aria-label={`Connection: ${LABELS[state]}`}
        >
          <span class="badge-dot" aria-hidden="true" />
          {LABELS[state]}
        </span>
        <button
          type="button"
          class="button-primary"
          data-action="sync"
          onClick={syncNow}
          disabled={syncing.value}
          aria-busy={syncing.value}
        >
          {syncing.value ? "Syncing…" : "Sync"}
        </button>
        <div class="alert-prefs">
          <label>
            <input type="checkbox" checked={prefs.value.notify} onChange={toggleNotify} />{" "}
            Desktop alerts
          </label>
          <label>
            <input type="checkbox" checked={prefs.value.sound} onChange={toggleSound} /> Sound
          </label>
        </div>
      </div>
      <div class="toasts" role="status" aria-live="polite">
        {toastList && (
          <toastList.ToastList
            toasts={toasts}
            rows={rows}
            dismiss={dismiss}
            onClaim={claim}
            text={leadToastText}
            name={displayName}
          />
        )}
      </div>
      {selected.value.size > 0 && bulkBar && (
        <bulkBar.BulkBar
          ids={[...selected.value]}
          members={props.members}
          me={props.me}
          busy={bulkBusy.value}
          onAssign={(ownerId) => bulk({ action: "assign", ownerId })}
          onStatus={(status) => bulk({ action: "status", status })}
          onClear={() => selected.value = new Set()}
        />
      )}
      {empty && due
        ? (
          <p class="empty" data-empty>
            No follow-ups due today. <a href="/?view=all">See all leads</a>
          </p>
        )
        : empty && props.query !== "" && props.view !== "mine"
        ? (
          <p class="empty" data-empty>
            No leads match this filter. <a href="/?view=all">See all leads</a>
          </p>
        )
        : empty
        ? (
          <div class="empty" data-empty>
            <p>
              No leads yet. They appear here the moment someone submits one of your Meta lead forms:
              Meta calls our webhook, and every open dashboard shows the lead within a second.
            </p>
            {props.demo && (
              <p>
                In demo mode, send a test lead through the real webhook path with the button below,
                or from a terminal with the command in the banner above.{" "}
                <button
                  type="button"
                  data-action="send-test-lead"
                  onClick={sendTestLead}
                  disabled={sending.value}
                >
                  {sending.value ? "Sending…" : "Send a test lead"}
                </button>
              </p>
            )}
          </div>
        )
        : (
          <LeadList
            rows={shown().slice(0, drawnRows())}
            selected={selected.value}
            focused={focused.value}
            sort={tableSort.value}
            sortLinks={props.sortLinks ?? undefined}
            onSelect={select}
            onSelectAll={(on) =>
              selected.value = on ? new Set(rows.value.map((r) => r.id)) : new Set()}
            onSort={sortBy}
            fresh={freshNow()}
            retrying={retrying.value}
            marking={marking.value}
            claiming={claiming.value}
            now={now.value}
            local={hydrated.value}
            me={props.me}
            clock={props.clock}
            onRetry={retry}
            onStatus={setStatus}
            onClaim={claim}
          />
        )}
      {undrawn && <div ref={listEnd} data-list-end />}
      {nextCursor.value && (
        <p class="load-more">
          <a
            class="button"
            href={`/?${listQuery()}&cursor=${encodeURIComponent(nextCursor.value)}`}
            onClick={loadMore}
            aria-busy={loadingMore.value}
          >
            {loadingMore.value ? "Loading…" : "Load more"}
          </a>
        </p>
      )}
    </div>
  );
}
