// Saved views: a user's named filters of the dashboard (`["saved_views", userId, id]`), and the
// built-in views everyone has.

import { DomainError } from "../errors.ts";
import { leadQueryParams } from "../format/lead_filter.ts";
import { ulid } from "../ids.ts";
import { commitAtomic } from "../kv_commit.ts";
import { zonedParts } from "../time_zone.ts";
import type { SavedView } from "../wire.ts";
import { parseLeadQuery } from "./filter.ts";

/** `["saved_views", userId, id]` -> StoredView. */
export function savedViewKey(userId: string, id: string): Deno.KvKey {
  return ["saved_views", userId, id];
}

/** A saved view as kept in KV. */
interface StoredView {
  id: string;
  name: string;
  query: string;
  /** ISO 8601. */
  createdAt: string;
}

/** The most views one user keeps. */
export const SAVED_VIEWS_MAX = 50;
const NAME_MAX = 60;

/** A view could not be saved as asked (a name or filter that breaks a rule), or is not there. */
export class SavedViewError extends DomainError {}

/**
 * The built-in views for a user in `timeZone` at `now`: mine and unassigned, new and waiting
 * (longest first), the follow-ups due today, and the leads won that were created this month.
 */
export function builtInViews(now: number, timeZone: string): SavedView[] {
  const p = zonedParts(now, timeZone);
  const month = `${p.year}-${String(p.month).padStart(2, "0")}-01`;
  return [
    { id: "mine", name: "Mine and unassigned", query: "owner=me&owner=none", builtIn: true },
    { id: "waiting", name: "New, waiting", query: "status=new&sort=waiting", builtIn: true },
    { id: "due", name: "Due today", query: "view=due", builtIn: true },
    { id: "won-month", name: "Won this month", query: `status=won&from=${month}`, builtIn: true },
  ];
}

/** The user's own views, in the order they were saved. */
export async function listSavedViews(kv: Deno.Kv, userId: string): Promise<SavedView[]> {
  const views: SavedView[] = [];
  for await (const entry of kv.list<StoredView>({ prefix: ["saved_views", userId] })) {
    views.push({
      id: entry.value.id,
      name: entry.value.name,
      query: entry.value.query,
      builtIn: false,
    });
  }
  return views;
}

/**
 * Saves a view for the user: `name` (1 to 60 characters, unique among theirs) and `query` (the
 * dashboard's filter parameters; anything else in it is dropped). Throws SavedViewError.
 */
export async function createSavedView(
  kv: Deno.Kv,
  userId: string,
  input: { name: unknown; query: unknown },
  now: Date = new Date(),
): Promise<SavedView> {
  const { name, query } = checkView(input);
  const existing = await listSavedViews(kv, userId);
  if (existing.length >= SAVED_VIEWS_MAX) {
    throw new SavedViewError(
      "invalid_input",
      `Cannot save the view: you have ${SAVED_VIEWS_MAX} already; delete one first`,
    );
  }
  if (existing.some((view) => view.name.toLowerCase() === name.toLowerCase())) {
    throw new SavedViewError("conflict", `Cannot save the view: you have one named "${name}"`);
  }
  const view: StoredView = { id: ulid(now.getTime()), name, query, createdAt: now.toISOString() };
  const key = savedViewKey(userId, view.id);
  const result = await commitAtomic(kv.atomic().check({ key, versionstamp: null }).set(key, view));
  if (!result.ok) throw new SavedViewError("conflict", "Cannot save the view: try again");
  return { id: view.id, name, query, builtIn: false };
}

/** Renames a view or changes its filter (either may be left out). Throws SavedViewError. */
export async function updateSavedView(
  kv: Deno.Kv,
  userId: string,
  id: string,
  input: { name?: unknown; query?: unknown },
): Promise<SavedView> {
  const entry = await kv.get<StoredView>(savedViewKey(userId, id));
  if (entry.value === null) throw new SavedViewError("not_found", `You have no view ${id}`);
  const checked = checkView({
    name: input.name ?? entry.value.name,
    query: input.query ?? entry.value.query,
  });
  if (checked.name.toLowerCase() !== entry.value.name.toLowerCase()) {
    const others = await listSavedViews(kv, userId);
    if (others.some((view) => view.name.toLowerCase() === checked.name.toLowerCase())) {
      throw new SavedViewError(
        "conflict",
        `Cannot rename the view: you have one named "${checked.name}"`,
      );
    }
  }
  const next = { ...entry.value, ...checked };
  const result = await commitAtomic(kv.atomic().check(entry).set(entry.key, next));
  if (!result.ok) throw new SavedViewError("conflict", "Cannot change the view: try again");
  return { id, name: next.name, query: next.query, builtIn: false };
}

/** Deletes one of the user's views; throws SavedViewError when they have no such view. */
export async function deleteSavedView(kv: Deno.Kv, userId: string, id: string): Promise<void> {
  const entry = await kv.get<StoredView>(savedViewKey(userId, id));
  if (entry.value === null) throw new SavedViewError("not_found", `You have no view ${id}`);
  await commitAtomic(kv.atomic().check(entry).delete(entry.key));
}

function checkView(input: { name: unknown; query: unknown }): { name: string; query: string } {
  if (typeof input.name !== "string" || input.name.trim() === "") {
    throw new SavedViewError("invalid_input", "Cannot save the view: give it a name");
  }
  const name = input.name.trim().replace(/\s+/g, " ");
  if (name.length > NAME_MAX) {
    throw new SavedViewError(
      "invalid_input",
      `Cannot save the view: the name is longer than ${NAME_MAX} characters`,
    );
  }
  if (typeof input.query !== "string" || input.query.length > 2_000) {
    throw new SavedViewError(
      "invalid_input",
      "Cannot save the view: query must be the filter's URL parameters",
    );
  }
  const params = new URLSearchParams(input.query.replace(/^\?/, ""));
  // Checked as the dashboard will read it (a wrong status is refused now, not when opened).
  const query = leadQueryParams(parseLeadQuery(params)).toString();
  return { name, query };
}
