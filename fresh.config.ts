// The framework's own settings, typed (as Fresh's fresh.config.ts): where routes, islands and
// static files live, how the islands are built, and the plugins every request passes through
// first. The app's configuration (the environment) is lib/config.ts.

import { defineConfig } from "./lib/web/config.ts";

export default defineConfig({
  root: new URL("./", import.meta.url),
  routesDir: "routes/",
  islandsDir: "islands/",
  staticDir: "static/",
  build: { sourceMaps: false },
});
