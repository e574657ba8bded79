// The lead table's headings that sort on the server (Age, Waiting): links keeping the list's filter.

import type { LeadFilter } from "../wire.ts";

/** The heading links, and the sort the list has now. */
export interface SortLinks {
  age: string;
  waiting: string;
  current: LeadFilter["sort"];
}

/** The links of the server's sorts, keeping the filter (`query`): Age flips newest/oldest first. */
export function sortLinks(query: string, sort: LeadFilter["sort"]): SortLinks {
  const link = (value: string | null) => {
    const params = new URLSearchParams(query);
    if (value) params.set("sort", value);
    else params.delete("sort");
    const text = params.toString();
    return text ? `/?${text}` : "/?view=all";
  };
  return {
    age: link(sort === "-created" ? "created" : null),
    waiting: link("waiting"),
    current: sort,
  };
}
