// Notifications for the signed-in user: switch them on for this device (the PushSettings island),
// see their devices, and set quiet hours.

import PushSettings from "../islands/PushSettings.tsx";
import { type Clock, formatTime } from "../lib/format/time.ts";
import { clockOf } from "../lib/local_time.ts";
import { getPushPreferences, type PushPreferences } from "../lib/push/preferences.ts";
import { listPushSubscriptions, type PushSubscriptionRecord } from "../lib/push/subscriptions.ts";
import { getTeamSettings } from "../lib/routing/settings.ts";
import { define } from "../lib/app_state.ts";

interface NotificationsData {
  publicKey: string;
  devices: PushSubscriptionRecord[];
  preferences: PushPreferences;
  clock: Clock;
  saved: boolean;
  error: string | null;
}

export const title = "Notifications";

export const handler = define.handlers<NotificationsData>({
  async GET(ctx) {
    const { kv, push } = ctx.state.services;
    const userId = ctx.state.user!.id;
    const clock = clockOf(ctx.req, (await getTeamSettings(kv)).timeZone);
    const preferences = await getPushPreferences(kv, userId);
    return ctx.render({
      publicKey: push.publicKey,
      devices: await listPushSubscriptions(kv, userId),
      // Until quiet hours are saved, the form offers the reader's own zone.
      preferences: preferences.quietHours
        ? preferences
        : { ...preferences, timeZone: clock.timeZone },
      clock,
      saved: ctx.url.searchParams.get("done") === "saved",
      error: ctx.url.searchParams.get("error")?.slice(0, 300) ?? null,
    }, { headers: { "cache-control": "no-store" } });
  },
});

export default define.page<NotificationsData>(function Notifications({ data }) {
  const quiet = data.preferences.quietHours;
  return (
    <section class="notifications-page">
      <h1>Notifications</h1>
      <p>
        Leadline tells you about a new lead on this phone or computer even with every Leadline tab
        closed: the lead's owner hears about it, or, while nobody owns it, everyone on shift
        (everyone who switched notifications on, when nobody is on shift). Tap it to open the lead.
      </p>
      <h2>This device</h2>
      <PushSettings publicKey={data.publicKey} />
      <h2>Your devices</h2>
      {data.devices.length === 0
        ? <p class="muted">Notifications are not on for any of your devices yet.</p>
        : (
          <ul class="device-list">
            {data.devices.map((device) => (
              <li key={device.id}>
                {device.device ?? "A browser"}, on since {formatTime(device.createdAt, data.clock)}
                {device.lastSuccessAt
                  ? `; last notified ${formatTime(device.lastSuccessAt, data.clock)}`
                  : ""}
              </li>
            ))}
          </ul>
        )}
      <h2>Quiet hours</h2>
      {data.saved && <p class="form-notice" role="status">Quiet hours saved.</p>}
      {data.error && <p class="form-error" role="alert">{data.error}</p>}
      <form method="post" action="/api/push/preferences" class="stacked-form quiet-hours-form">
        <label class="check">
          <input type="checkbox" name="quietHours" checked={quiet !== null} />{" "}
          No lead notifications during these hours (a test still comes through)
        </label>
        <label>
          From <input type="time" name="quietFrom" value={quiet?.from ?? "22:00"} required />
        </label>
        <label>
          Until <input type="time" name="quietUntil" value={quiet?.until ?? "07:00"} required />
        </label>
        <label>
          Time zone <input type="text" name="timeZone" value={data.preferences.timeZone} required />
        </label>
        <button type="submit" class="button">Save quiet hours</button>
      </form>
    </section>
  );
});
