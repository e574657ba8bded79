import { define } from "../lib/app_state.ts";

export default define.page(function ServerError({ state }) {
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
