// Server-sent events: every lead change after the browser's cursor, then live, and the dashboard's
// alerts (with `ready`, then on every change), from the live hub.

import { streamSSE } from "hono/streaming";
import { findEndedSessions, sessionIdHash } from "../../lib/auth/sessions.ts";
import { readSessionCookie } from "../../lib/auth_web/cookies.ts";
import type { LiveCloseReason } from "../../lib/leads/live.ts";
import { toLeadJson } from "../../lib/leads/model.ts";
import { define } from "../../lib/app_state.ts";
import { HttpError, jsonResponse } from "../../lib/web/http_error.ts";

/** What the browser waits before reconnecting after the stream ends (EventSource `retry:`). */
const RECONNECT_MS = 2_000;
/** After a shutdown hint, a stream whose client does not read is cut off after this. */
const SHUTDOWN_GRACE_MS = 1_000;
/** Why the hub ended a stream that must stop at once, with nothing more written to it. */
const CUT_OFF: LiveCloseReason[] = ["overflow", "revoked"];

/** A change seq from `Last-Event-ID` or `?since=`; null when absent. */
function parseCursor(raw: string | null, name: string): number | null {
  if (raw === null || raw.trim() === "") return null;
  if (!/^\d{1,15}$/.test(raw.trim())) {
    throw new HttpError(400, `Cannot open the event stream: ${name} must be a change cursor`);
  }
  return Number(raw.trim());
}

export const handler = define.handlers({
  async GET(ctx) {
    const { live, config, log } = ctx.state.services;
    // A reconnecting EventSource sends Last-Event-ID; `?since=` is the first connect's cursor.
    const since = parseCursor(ctx.req.headers.get("last-event-id"), "Last-Event-ID") ??
      parseCursor(ctx.url.searchParams.get("since"), "since");
    // The session middleware let us in, so the cookie holds a live session; the stream keeps only
    // its digest, which the hub checks whenever a session ends and every few seconds.
    const owner = await sessionIdHash(readSessionCookie(ctx.req)) ?? undefined;
    let abortStream: (() => void) | null = null;
    // Every slot taken, or the server stopping: 503 with Retry-After (the hub's errors say so).
    const sub = await live.subscribe({
      since,
      owner,
      // A stalled browser is cut off at once (it resumes by cursor), and so is one whose session
      // ended: not one more event goes out. A shutdown or a replaced stream ends gracefully.
      onClose: (reason) => CUT_OFF.includes(reason) && abortStream?.(),
    });
    // The session was checked before the stream was registered with the hub; a sign-out in
    // between would have slipped past both checks. From here on the hub sees every revocation,
    // so one more read closes that gap.
    if (owner !== undefined && (await findEndedSessions(ctx.state.services.kv, [owner])).size > 0) {
      sub.close();
      return jsonResponse({ error: "Sign in required" }, 401, { "cache-control": "no-store" });
    }
    ctx.hono.header("x-accel-buffering", "no"); // nginx: do not buffer the stream
    return streamSSE(ctx.hono, async (stream) => {
      abortStream = () => stream.abort();
      stream.onAbort(() => sub.close());
      if (sub.closedReason !== null) stream.abort(); // ended before the stream existed
      let stalled = false;
      // A client that stopped reading blocks a write once the socket's buffers are full (about
      // 4 MB on loopback); cutting it off then frees its slot. A reading client never waits this.
      const send = async (write: () => Promise<void>) => {
        const deadline = setTimeout(() => {
          stalled = true;
          stream.abort();
        }, config.live.writeTimeoutMs);
        try {
          await write();
        } finally {
          clearTimeout(deadline);
        }
      };
      await send(() =>
        stream.writeSSE({
          event: "ready",
          id: String(sub.cursor),
          // The alerts as the hub last read them; later changes follow as `alerts` events.
          data: JSON.stringify({ cursor: String(sub.cursor), alerts: live.alerts }),
          retry: RECONNECT_MS,
        })
      );
      while (!stream.aborted) {
        const event = await sub.next(config.live.heartbeatMs);
        if (event === null) break;
        if (event === "idle") {
          // The comment keeps proxies from closing an idle stream; the event lets the page see it.
          await send(() => stream.write(": heartbeat\nevent: heartbeat\ndata: {}\n\n").then());
        } else if (event.type === "alerts") {
          await send(() =>
            stream.writeSSE({ event: "alerts", data: JSON.stringify(event.alerts) })
          );
        } else if (event.type === "reset") {
          await send(() =>
            stream.writeSSE({
              event: "reset",
              id: String(event.head),
              data: JSON.stringify({ cursor: String(event.head) }),
            })
          );
        } else if (event.type === "removed") {
          // Erased or purged: every dashboard drops the row; nothing of the lead but its id.
          await send(() =>
            stream.writeSSE({
              event: "lead_removed",
              id: String(event.removal.seq),
              data: JSON.stringify({ id: event.removal.leadId }),
            })
          );
        } else {
          await send(() =>
            stream.writeSSE({
              event: "lead",
              id: String(event.change.seq),
              data: JSON.stringify(toLeadJson(event.change.lead)),
            })
          );
        }
      }
      const reason = sub.closedReason;
      if ((reason === "shutdown" || reason === "replaced") && !stream.aborted) {
        // `replaced`: this session opened a newer stream; the page falls back to polling for a
        // while rather than taking the slot straight back from its own other tab.
        const cutOff = setTimeout(() => stream.abort(), SHUTDOWN_GRACE_MS);
        await stream.writeSSE({ event: reason, data: "", retry: RECONNECT_MS });
        clearTimeout(cutOff);
      }
      if (stalled || reason === "overflow" || reason === "revoked") {
        log.info("event stream ended by the server", {
          requestId: ctx.state.requestId,
          reason: stalled ? "client stopped reading" : reason,
        });
      }
      sub.close();
    });
  },
});
