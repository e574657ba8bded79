import { define } from "../lib/app_state.ts";

export default define.page(function NotFound({ url }) {
  return (
    <section class="message-page">
      <h1>Page not found</h1>
      <p>
        There is nothing at <code>{url.pathname}</code>.
      </p>
      <p>
        <a href="/">Back to the dashboard</a>
      </p>
    </section>
  );
});
