// Keeps server-rendered parts of the page fresh: every element with `data-live-src` is fetched
// again as HTML and updated in place, on the schedule its `data-live-*` attributes give (the
// contract is in lib/web/fragments.ts). Rendering stays on the server: this is all the code a live
// part costs the page, written small (issue 16: 15 KB gzip for all of a page's JS). A page with
// live parts renders this island once.

import { useEffect } from "preact/hooks";

/**
 * Makes `old` look like `next`: a node whose kind, own attributes, text or number of children
 * changed is replaced whole; the others stay and their children are compared in turn, so focus,
 * selection and scroll positions survive where nothing changed around them; `open` stays as the
 * reader left it. Returns the node now in `old`'s place.
 */
function morph(old: Node, next: Node): Node {
  (next as HTMLDetailsElement).open = (old as HTMLDetailsElement).open;
  if (
    old.childNodes.length !== next.childNodes.length ||
    !old.cloneNode().isEqualNode(next.cloneNode())
  ) {
    (old as ChildNode).replaceWith(next);
    return next;
  }
  [...next.childNodes].forEach((child, i) => morph(old.childNodes[i], child));
  return old;
}

/** Renders nothing; refreshes every live element on the page. */
export default function LiveFragments() {
  useEffect(() => {
    for (const start of document.querySelectorAll<HTMLElement>("[data-live-src]")) {
      let element = start;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let fastUntil = 0;
      let stopped = false;
      const schedule = (ms: string | undefined) => {
        clearTimeout(timer);
        // Never without a delay: a part that lost its `data-live-every` is left as it is.
        if (!stopped && +ms! > 0) timer = setTimeout(refresh, +ms!);
      };
      const refresh = () =>
        fetch(element.dataset.liveSrc!, { redirect: "manual" }).then(async (res) => {
          if (res.ok) {
            const template = document.createElement("template");
            template.innerHTML = await res.text();
            element = morph(element, template.content.firstElementChild!) as HTMLElement;
          } else {
            // Refused or redirected (signed out): the part stays as it is, quietly.
            stopped = res.status < 500;
          }
        }).catch(() => {
          // Offline: the part keeps what it showed; the next refresh tries again.
        }).then(() =>
          schedule(element.dataset[Date.now() < fastUntil ? "liveBoostEvery" : "liveEvery"])
        );
      document.addEventListener("click", (event) => {
        const { liveBoost, liveBoostFor } = element.dataset;
        if (liveBoost && (event.target as Element).closest(liveBoost)) {
          fastUntil = Date.now() + +liveBoostFor!;
          // Soon, not at once: the click's own request (e.g. starting a sync) goes first.
          schedule("300");
        }
      });
      schedule(element.dataset.liveEvery);
    }
  }, []);
  return null;
}
