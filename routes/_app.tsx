import type { AppProps } from "../lib/app_state.ts";

/** The layout every page renders inside. */
export default function App({ Component, title, asset, state }: AppProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title ? `${title} · Leadline` : "Leadline"}</title>
        <link rel="stylesheet" href={asset("/static/styles.css")} />
        <link rel="icon" href={asset("/static/favicon.svg")} type="image/svg+xml" />
        <link rel="manifest" href="/manifest.webmanifest" />
        <link rel="apple-touch-icon" href={asset("/static/icons/icon-192.png")} />
        <meta name="theme-color" content="#1f5eff" />
        <meta name="color-scheme" content="light dark" />
      </head>
      <body>
        <header class="topbar">
          <a class="brand" href="/">
            <span class="brand-mark" aria-hidden="true">▲</span> Leadline
          </a>
          {state.user && (
            <nav class="account" aria-label="Pages and account">
              <a href="/">Leads</a>
              <a href="/reports">Reports</a>
              {state.user.role === "admin" && <a href="/team">Team</a>}
              {state.user.role === "admin" && <a href="/settings">Settings</a>}
              <a href="/notifications">Notifications</a>
              <span class="account-name">Signed in as {state.user.name}</span>
              <form method="post" action="/logout" class="signout">
                <button type="submit" class="link-button">Sign out</button>
              </form>
            </nav>
          )}
        </header>
        <main class="page">
          <Component />
        </main>
      </body>
    </html>
  );
}
