// The dashboard's line on the last sync with Meta alone, as HTML, for the page to refresh it in
// place; times in the reader's zone (the cookie the dashboard sets), as on the page.

import { SyncStatus } from "../../components/SyncStatus.tsx";
import { clockOf } from "../../lib/local_time.ts";
import { getTeamSettings } from "../../lib/routing/settings.ts";
import { define } from "../../lib/app_state.ts";
import { fragmentResponse } from "../../lib/web/fragments.ts";

export const access = "user";

export const handler = define.handlers({
  async GET({ req, state }) {
    const { kv, reconciler } = state.services;
    return fragmentResponse(SyncStatus, {
      status: await reconciler.status(),
      now: Date.now(),
      clock: clockOf(req, (await getTeamSettings(kv)).timeZone),
    });
  },
});
