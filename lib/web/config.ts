// The framework's own settings (what a project's fresh.config.ts declares), typed, with defaults.

import { BUNDLE_DIR } from "../islands/bundles.ts";
import type { Plugin } from "./server.ts";

/** What plugins are made with: facts known only once the app starts. */
export interface PluginContext {
  /** Whether a trusted reverse proxy's `X-Forwarded-*` headers describe the connection. */
  trustProxy: boolean;
}

/** The framework's settings as fresh.config.ts declares them; folders are relative to `root`. */
export interface FrameworkConfig {
  /** The project's root folder. */
  root: URL;
  /** File-system routes. Default `routes/`. */
  routesDir?: string;
  /** Islands: PascalCase modules hydrated in the browser. Default `islands/`. */
  islandsDir?: string;
  /** Files served as they are under `/static/`. Default `static/`. */
  staticDir?: string;
  /** How `deno task build` bundles the islands. */
  build?: {
    /** Where the bundles and their manifest go. Default `_build/islands/`. */
    outDir?: string;
    /** Also write source maps, served beside the bundles. Default false. */
    sourceMaps?: boolean;
  };
  /**
   * Middleware every request passes through first, static files and refusals included, in this
   * order (e.g. security headers).
   */
  plugins?: (context: PluginContext) => Plugin[];
}

/** {@linkcode FrameworkConfig} with its defaults filled in and its folders as URLs. */
export interface ResolvedFrameworkConfig {
  root: URL;
  routesDir: URL;
  islandsDir: URL;
  staticDir: URL;
  build: { outDir: URL; sourceMaps: boolean };
  plugins: (context: PluginContext) => Plugin[];
}

/** Types fresh.config.ts and fills in the defaults (Fresh's `defineConfig`). */
export function defineConfig(config: FrameworkConfig): ResolvedFrameworkConfig {
  const folder = (path: string | undefined, fallback: string) =>
    new URL(path ?? fallback, config.root);
  return {
    root: config.root,
    routesDir: folder(config.routesDir, "routes/"),
    islandsDir: folder(config.islandsDir, "islands/"),
    staticDir: folder(config.staticDir, "static/"),
    build: {
      outDir: config.build?.outDir ? new URL(config.build.outDir, config.root) : BUNDLE_DIR,
      sourceMaps: config.build?.sourceMaps ?? false,
    },
    plugins: config.plugins ?? (() => []),
  };
}
