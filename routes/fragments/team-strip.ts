// The team strip alone, as HTML: what the dashboard and Reports fetch to refresh it in place.

import { TeamStrip } from "../../components/TeamStrip.tsx";
import { readTeamStrip } from "../../lib/stats/team_strip.ts";
import { define } from "../../lib/app_state.ts";
import { fragmentResponse } from "../../lib/web/fragments.ts";

export const access = "user";

export const handler = define.handlers({
  async GET({ state }) {
    return fragmentResponse(TeamStrip, await readTeamStrip(state.services.kv, { now: Date.now() }));
  },
});
