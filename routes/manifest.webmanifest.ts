// The web app manifest: what makes the dashboard installable on desktops and phones. Public.

import { define } from "../lib/app_state.ts";

/** Browsers fetch the manifest without credentials; it holds no data. */
export const access = "public";

const MANIFEST = JSON.stringify({
  name: "Leadline",
  short_name: "Leadline",
  description: "New leads from Meta Lead Ads, the moment they arrive.",
  id: "/",
  start_url: "/",
  scope: "/",
  display: "standalone",
  background_color: "#ffffff",
  theme_color: "#1f5eff",
  icons: [
    { src: "/static/icons/icon-192.png", sizes: "192x192", type: "image/png" },
    { src: "/static/icons/icon-512.png", sizes: "512x512", type: "image/png" },
    {
      src: "/static/icons/maskable-512.png",
      sizes: "512x512",
      type: "image/png",
      purpose: "maskable",
    },
    { src: "/static/favicon.svg", sizes: "any", type: "image/svg+xml" },
  ],
});

export const handler = define.handlers({
  GET() {
    return new Response(MANIFEST, {
      headers: {
        "content-type": "application/manifest+json; charset=utf-8",
        "cache-control": "public, no-cache",
      },
    });
  },
});
