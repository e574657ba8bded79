// A webhook receiver on 127.0.0.1, as a CRM or a Zapier catch hook would be: it checks each
// delivery's signature and timestamp (its own code, following the README), can refuse the first
// attempts of each event or be down, and records what it accepted, per lead, in arrival order.

import { hmacSha256Hex } from "../../lib/crypto.ts";

/** One request the receiver got. */
export interface ReceivedWebhook {
  eventId: string;
  type: string;
  leadId: string;
  attempt: number;
  /** The status it answered. */
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** A running receiver. */
export interface WebhookReceiver {
  url: string;
  /** Set once the destination exists: the secret signatures are checked with. */
  secret: string;
  /** Every request, in arrival order. */
  requests: ReceivedWebhook[];
  /** Events accepted (2xx), per lead, in order; a repeat of an accepted event id is not added. */
  accepted: Map<string, ReceivedWebhook[]>;
  /** Requests whose signature or timestamp did not verify. */
  forged: { reason: string }[];
  /** Refuse (503) the first `n` attempts of each event. */
  failFirst: number;
  /** While true, every request gets 503. */
  down: boolean;
  /** How many events were accepted in all. */
  acceptedCount(): number;
  close(): Promise<void>;
}

/** Starts the receiver. */
export function startWebhookReceiver(): WebhookReceiver {
  const attempts = new Map<string, number>();
  const seen = new Set<string>();
  const receiver: WebhookReceiver = {
    url: "",
    secret: "",
    requests: [],
    accepted: new Map(),
    forged: [],
    failFirst: 0,
    down: false,
    acceptedCount: () => seen.size,
    close: () => server.shutdown(),
  };
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const raw = await req.text();
    const timestamp = req.headers.get("x-leadline-timestamp") ?? "";
    const signature = req.headers.get("x-leadline-signature-256") ?? "";
    const expected = `sha256=${await hmacSha256Hex(receiver.secret, `${timestamp}.${raw}`)}`;
    if (signature !== expected) {
      receiver.forged.push({ reason: "signature" });
      return new Response("bad signature", { status: 401 });
    }
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) {
      receiver.forged.push({ reason: "old timestamp" });
      return new Response("too old", { status: 401 });
    }
    const body = JSON.parse(raw);
    const eventId = req.headers.get("x-leadline-event-id")!;
    const tries = (attempts.get(eventId) ?? 0) + 1;
    attempts.set(eventId, tries);
    const status = receiver.down || tries <= receiver.failFirst ? 503 : 200;
    const record: ReceivedWebhook = {
      eventId,
      type: req.headers.get("x-leadline-event")!,
      leadId: body.data.leadId,
      attempt: Number(req.headers.get("x-leadline-attempt")),
      status,
      body,
      headers: req.headers,
    };
    receiver.requests.push(record);
    if (status === 200 && !seen.has(eventId)) {
      seen.add(eventId);
      const list = receiver.accepted.get(record.leadId) ?? [];
      list.push(record);
      receiver.accepted.set(record.leadId, list);
    }
    return new Response(status === 200 ? "ok" : "try later", { status });
  });
  receiver.url = `http://127.0.0.1:${server.addr.port}/hooks/catch`;
  return receiver;
}
