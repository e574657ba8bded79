// The framework's own settings, typed (as Fresh's fresh.config.ts): where routes, islands and
// static files live, how the islands are built, and the plugins every request passes through
// first. The app's configuration (the environment) is lib/config.ts.

import { defineConfig } from "./lib/web/config.ts";
import { securityHeaders } from "./lib/web/security_headers.ts";

export default defineConfig({
  root: new URL("./", import.meta.url),
  routesDir: "routes/",
  islandsDir: "islands/",
  staticDir: "static/",
  build: { sourceMaps: false },
  plugins: ({ trustProxy }) => [
    // First, so static files, refusals and error pages carry the headers too.
    securityHeaders({
      trustProxy,
      // Only our own scripts, styles and connections; no inline script, no framing.
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
      },
      // Notifications and the chime stay allowed: the dashboard uses them.
      deniedFeatures: [
        "accelerometer",
        "camera",
        "displayCapture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
      ],
    }),
  ],
});
