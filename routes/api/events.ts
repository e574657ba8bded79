// Server-sent events: every lead change after the browser's cursor, then live, and the dashboard's
// alerts (with `ready`, then on every change), from the live hub. Each event is encoded once and
// the same bytes go to every open stream; one timer per app sends the heartbeats.

import { findEndedSessions, sessionIdHash } from "../../lib/auth/sessions.ts";
import { readSessionCookie } from "../../lib/auth_web/cookies.ts";
import type { LiveCloseReason, LiveEvent, LiveHub } from "../../lib/leads/live.ts";
import { toLeadJson } from "../../lib/leads/model.ts";
import { define } from "../../lib/app_state.ts";
import { HttpError, jsonResponse } from "../../lib/web/http_error.ts";
import type { Logger } from "../../lib/log.ts";
import {
  createSseGroup,
  createSseStream,
  encodeSseFrame,
  type SseGroup,
  type SseStream,
} from "../../lib/web/sse.ts";

/** What the browser waits before reconnecting after the stream ends (EventSource `retry:`). */
const RECONNECT_MS = 2_000;
/** After a shutdown hint, a stream whose client does not read is cut off after this. */
const SHUTDOWN_GRACE_MS = 1_000;
/** Events that may wait for a slow client before it is dropped (it resumes by cursor). */
const MAX_QUEUED_EVENTS = 2_000;
/** The comment keeps proxies from closing an idle stream; the event lets the page see it. */
const HEARTBEAT = encodeSseFrame({ comment: "heartbeat", event: "heartbeat", data: "{}" });
/** The last frame of a stream the server ends gracefully, by why it ended. */
const GOODBYE: Partial<Record<LiveCloseReason, Uint8Array>> = {
  shutdown: encodeSseFrame({ event: "shutdown", data: "", retry: RECONNECT_MS }),
  replaced: encodeSseFrame({ event: "replaced", data: "", retry: RECONNECT_MS }),
};

/** The bytes of each event, made once for all streams (the hub hands each the same object). */
const frames = new WeakMap<LiveEvent, Uint8Array>();

function frameOf(event: LiveEvent): Uint8Array {
  let bytes = frames.get(event);
  if (bytes) return bytes;
  if (event.type === "alerts") {
    bytes = encodeSseFrame({ event: "alerts", data: JSON.stringify(event.alerts) });
  } else if (event.type === "reset") {
    bytes = encodeSseFrame({
      event: "reset",
      id: String(event.head),
      data: JSON.stringify({ cursor: String(event.head) }),
    });
  } else if (event.type === "preview") {
    // Shown before its commit is durable: no id, so the browser's cursor stays where it was.
    bytes = encodeSseFrame({ event: "lead_preview", data: event.json });
  } else if (event.type === "removed") {
    // Erased or purged: every dashboard drops the row; nothing of the lead but its id.
    bytes = encodeSseFrame({
      event: "lead_removed",
      id: String(event.removal.seq),
      data: JSON.stringify({ id: event.removal.leadId }),
    });
  } else {
    bytes = encodeSseFrame({
      event: "lead",
      id: String(event.change.seq),
      data: JSON.stringify(toLeadJson(event.change.lead)),
    });
  }
  frames.set(event, bytes);
  return bytes;
}

/** Each app's streams share one heartbeat and stall timer (one hub per app). */
const groups = new WeakMap<LiveHub, SseGroup>();

function groupOf(live: LiveHub, config: { heartbeatMs: number; writeTimeoutMs: number }) {
  let group = groups.get(live);
  if (!group) {
    group = createSseGroup({
      heartbeatMs: config.heartbeatMs,
      writeTimeoutMs: config.writeTimeoutMs,
      heartbeat: HEARTBEAT,
      // A client that stopped reading blocks its socket once the buffers are full (about 4 MB on
      // loopback); cutting it off frees its slot. A reading client never waits this long.
      onStalled: (stream) => stalledStreams.get(stream)?.(),
    });
    groups.set(live, group);
  }
  return group;
}

/** What to do when a stream's client stopped reading (set per stream, gone with it). */
const stalledStreams = new WeakMap<SseStream, () => void>();

/** A change seq from `Last-Event-ID` or `?since=`; null when absent. */
function parseCursor(raw: string | null, name: string): number | null {
  if (raw === null || raw.trim() === "") return null;
  if (!/^\d{1,15}$/.test(raw.trim())) {
    throw new HttpError(400, `Cannot open the event stream: ${name} must be a change cursor`);
  }
  return Number(raw.trim());
}

/** Logs why the server ended a stream the client did not end. */
function logEnded(log: Logger, requestId: string, reason: string) {
  log.info("event stream ended by the server", { requestId, reason });
}

export const handler = define.handlers({
  async GET(ctx) {
    const { live, config, log, kv } = ctx.state.services;
    const requestId = ctx.state.requestId;
    // A reconnecting EventSource sends Last-Event-ID; `?since=` is the first connect's cursor.
    const since = parseCursor(ctx.req.headers.get("last-event-id"), "Last-Event-ID") ??
      parseCursor(ctx.url.searchParams.get("since"), "since");
    // The session middleware let us in, so the cookie holds a live session; the stream keeps only
    // its digest, which the hub checks whenever a session ends and every few seconds.
    const owner = await sessionIdHash(readSessionCookie(ctx.req)) ?? undefined;
    let stream: SseStream | null = null;
    // Every slot taken, or the server stopping: 503 with Retry-After (the hub's errors say so).
    const sub = await live.subscribe({
      since,
      owner,
      // A list with a search asks the store whether a new lead matches: it takes leads as stored.
      previews: ctx.url.searchParams.get("previews") !== "0",
      onClose(reason) {
        if (!stream) return;
        if (reason === "overflow" || reason === "revoked") {
          // A stalled browser is cut off at once (it resumes by cursor), and so is one whose
          // session ended: not one more event goes out.
          if (reason === "overflow") stream.abort();
          else stream.cutOff();
          logEnded(log, requestId, reason);
          return;
        }
        // `replaced`: this session opened a newer stream; the page falls back to polling for a
        // while rather than taking the slot straight back from its own other tab.
        const goodbye = GOODBYE[reason];
        if (goodbye) stream.write(goodbye);
        stream.close(SHUTDOWN_GRACE_MS);
      },
    });
    // The session was checked before the stream was registered with the hub; a sign-out in
    // between would have slipped past both checks. From here on the hub sees every revocation,
    // so one more read closes that gap.
    if (owner !== undefined && (await findEndedSessions(kv, [owner])).size > 0) {
      sub.close();
      return jsonResponse({ error: "Sign in required" }, 401, { "cache-control": "no-store" });
    }
    stream = createSseStream({ maxQueued: MAX_QUEUED_EVENTS, onCancel: () => sub.close() });
    const mine = stream;
    stalledStreams.set(mine, () => {
      mine.abort();
      sub.close();
      logEnded(log, requestId, "client stopped reading");
    });
    mine.write(encodeSseFrame({
      event: "ready",
      id: String(sub.cursor),
      // The alerts as the hub last read them; later changes follow as `alerts` events.
      data: JSON.stringify({ cursor: String(sub.cursor), alerts: live.alerts }),
      retry: RECONNECT_MS,
    }));
    if (sub.closedReason !== null) mine.close(); // ended before the stream existed
    else {
      groupOf(live, config.live).add(mine);
      sub.listen((event) => mine.write(frameOf(event))).catch((error) => {
        log.error("event stream could not catch up", { requestId, error });
        sub.close();
        mine.close();
      });
    }
    return new Response(mine.body, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        "x-accel-buffering": "no", // nginx: do not buffer the stream
      },
    });
  },
});
