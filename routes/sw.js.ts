// The service worker at /sw.js (scope /): public, it holds no data (see lib/push/service_worker.js).

import { define } from "../lib/app_state.ts";

const SOURCE = await Deno.readTextFile(new URL("../lib/push/service_worker.js", import.meta.url));

/** Anyone may fetch it: browsers update workers without a session, and it holds no data. */
export const access = "public";

export const handler = define.handlers({
  GET() {
    return new Response(SOURCE, {
      headers: {
        "content-type": "text/javascript; charset=utf-8",
        // Browsers check for a new worker at each visit; no cache keeps an old one alive.
        "cache-control": "no-cache",
        "service-worker-allowed": "/",
      },
    });
  },
});
