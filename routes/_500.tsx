import { define } from "../lib/app_state.ts";
import type { ErrorPageData } from "../lib/web/server.ts";

export default define.page<ErrorPageData | undefined>(function ServerError({ data, state }) {
  if (data) {
    // Refused on purpose (bad input, not found): the reason, which is safe to show.
    return (
      <section class="message-page">
        <h1>Cannot show this page</h1>
        <p>{data.message}</p>
        <p>
          <a href="/">Back to the dashboard</a>
        </p>
      </section>
    );
  }
  return (
    <section class="message-page">
      <h1>Something went wrong</h1>
      <p>
        The error has been logged. If it keeps happening, tell your administrator this reference:
      </p>
      <p>
        <code>{state.requestId}</code>
      </p>
      <p>
        <a href="/">Back to the dashboard</a>
      </p>
    </section>
  );
});
