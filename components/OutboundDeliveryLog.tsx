// One webhook destination's delivery log: each event's status, attempts and last error, with Resend.

import type { WebhookDelivery } from "../lib/outbound/deliveries.ts";
import { describeTime } from "../lib/meta_health/format.ts";

const STATUS_TEXT: Record<WebhookDelivery["status"], string> = {
  pending: "Retrying",
  delivered: "Delivered",
  failed: "Failed",
};

/** Newest first; every row can be sent again. */
export function OutboundDeliveryLog(
  { destinationId, deliveries, now }: {
    destinationId: string;
    deliveries: WebhookDelivery[];
    now: Date;
  },
) {
  if (deliveries.length === 0) {
    return <p class="empty">Nothing sent yet: new lead events will show here.</p>;
  }
  return (
    <table class="team-table health-table" data-outbound-log={destinationId}>
      <thead>
        <tr>
          <th>Event</th>
          <th>Lead</th>
          <th>Status</th>
          <th>Attempts</th>
          <th>Last error</th>
          <th>
            <span class="visually-hidden">Resend</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((delivery) => (
          <tr key={delivery.id} data-delivery={delivery.id} data-status={delivery.status}>
            <td>
              {delivery.type}
              <div class="health-detail">{describeTime(delivery.eventAt, now)}</div>
            </td>
            <td>
              <a href={`/leads/${delivery.leadId}`}>Open lead</a>
            </td>
            <td>
              {STATUS_TEXT[delivery.status]}
              {delivery.status === "pending" && delivery.nextAttemptAt && (
                <div class="health-detail">
                  next try {describeTime(delivery.nextAttemptAt, now)}
                </div>
              )}
              {delivery.resendOf && <div class="health-detail">resent</div>}
            </td>
            <td>{delivery.attempts}</td>
            <td>{delivery.lastError ?? "-"}</td>
            <td>
              <form
                method="post"
                action={`/api/admin/webhooks/${destinationId}/deliveries/${delivery.id}/resend`}
              >
                <button type="submit" class="button">Resend</button>
              </form>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
