import ConnectionBadge from "../islands/ConnectionBadge.tsx";
import { define } from "../lib/web/define.ts";

export const title = "Dashboard";

export default define.page(function Home({ state }) {
  const demo = state.services.config.meta === null;
  return (
    <section>
      {demo && (
        <p class="banner banner-demo" role="note">
          Demo mode: no Meta credentials are set, so a built-in Graph API simulator stands in for
          Meta.
        </p>
      )}
      <div class="toolbar">
        <h1>Leads</h1>
        <ConnectionBadge />
      </div>
      <p class="empty">
        No leads yet. Leads arrive here the moment Meta calls the webhook.
      </p>
    </section>
  );
});
