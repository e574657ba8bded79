// Plain HTML form posts (pages that work without JavaScript): telling them from JSON clients, and where to send them back.

/** A browser's form submission (works without JavaScript), not a JSON client. */
export function isFormPost(req: Request): boolean {
  const type = req.headers.get("content-type") ?? "";
  return /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type) ||
    (req.headers.get("accept") ?? "").includes("text/html");
}

/** The dashboard's list parameters a form post keeps when it goes back: its filter and sort. */
const LIST_PARAMS = [
  "q",
  "status",
  "owner",
  "formId",
  "campaignId",
  "source",
  "from",
  "to",
  "sort",
];

/**
 * Where a form post goes back to (303): the dashboard when the `referer` is our own dashboard
 * (`origin` + `/`, keeping its `?view=`, `?cursor=` and filter), else `fallback`. Nothing else
 * from the Referer is trusted, so this cannot redirect to another site or an arbitrary page.
 */
export function formReturnPath(referer: string | null, origin: string, fallback: string): string {
  if (!referer) return fallback;
  let url: URL;
  try {
    url = new URL(referer);
  } catch {
    return fallback;
  }
  if (url.origin.toLowerCase() !== origin.toLowerCase() || url.pathname !== "/") return fallback;
  const query: string[] = [];
  const view = url.searchParams.get("view");
  if (view && /^[a-z]{1,10}$/.test(view)) query.push(`view=${view}`);
  const cursor = url.searchParams.get("cursor");
  if (cursor) query.push(`cursor=${encodeURIComponent(cursor)}`);
  for (const name of LIST_PARAMS) {
    for (const value of url.searchParams.getAll(name).slice(0, 20)) {
      if (value.length <= 200) query.push(`${name}=${encodeURIComponent(value)}`);
    }
  }
  return query.length ? `/?${query.join("&")}` : "/";
}
