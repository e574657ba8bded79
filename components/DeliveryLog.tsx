// The Settings page's deliveries log: the last webhook deliveries, each kept one with a Replay button.

import type { DeliveryLogEntry } from "../lib/leads/deliveries.ts";
import { describeTime } from "../lib/meta_health/format.ts";

const SIGNATURE_TEXT: Record<DeliveryLogEntry["signature"], string> = {
  ok: "ok",
  missing: "bad: missing",
  malformed: "bad: malformed",
  mismatch: "bad: does not match",
  too_large: "unread: too large",
};

/** One row per delivery, newest first; refused ones show metadata only and cannot be replayed. */
export function DeliveryLog({ entries, now }: { entries: DeliveryLogEntry[]; now: Date }) {
  if (entries.length === 0) {
    return (
      <p class="empty" data-deliveries-empty>No webhook delivery has arrived in the last 7 days.</p>
    );
  }
  return (
    <table class="team-table health-table" data-deliveries>
      <thead>
        <tr>
          <th>Time</th>
          <th>Signature</th>
          <th>Leads</th>
          <th>Outcome</th>
          <th>Request id</th>
          <th>
            <span class="visually-hidden">Replay</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => {
          const last = entry.replays.at(-1);
          return (
            <tr
              key={`${entry.at}:${entry.requestId ?? ""}:${entry.deliveryId ?? ""}`}
              data-delivery-id={entry.deliveryId ?? undefined}
              data-signature={entry.signature}
            >
              <td>{describeTime(entry.at, now)}</td>
              <td>{SIGNATURE_TEXT[entry.signature]}</td>
              <td>{entry.leads ?? "-"}</td>
              <td>
                {entry.outcome}
                {entry.reason && <div class="health-detail">{entry.reason}</div>}
                {last && (
                  <div class="health-detail" data-replayed>
                    {`Replayed ${
                      entry.replays.length === 1 ? "once" : `${entry.replays.length} times`
                    }, last ${describeTime(last.at, now)}${
                      last.by ? ` by ${last.by}` : ""
                    }: ${last.inserted} new, ${last.duplicates} already stored.`}
                  </div>
                )}
              </td>
              <td>
                <code>{entry.requestId ?? "-"}</code>
              </td>
              <td>
                {entry.deliveryId && (
                  <form
                    method="post"
                    action={`/api/admin/deliveries/${entry.deliveryId}/replay`}
                    class="retry-form-inline"
                  >
                    <button type="submit" class="button button-small">Replay</button>
                  </form>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
