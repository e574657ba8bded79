// Renders pages: the page inside the `_app` layout, plus the script tags of the islands it used.

import { h } from "preact";
import { renderWithIslands } from "../islands/ssr.ts";
import type { IslandBuild } from "../islands/bundles.ts";
import { BUNDLE_PREFIX, scriptsFor } from "../islands/bundles.ts";
import type { BaseState, PageComponent, PageProps } from "./define.ts";
import type { RouteModule, RouteTree } from "./fs_routes.ts";
import type { StaticAssets } from "./static.ts";

/** Renders a page component with its props to a full HTML response. */
export type PageRenderer<State extends BaseState = BaseState> = (
  page: PageComponent<unknown, State>,
  props: PageProps<unknown, State>,
  options?: { status?: number; headers?: HeadersInit; title?: RouteModule<State>["title"] },
) => Response;

/** Builds the page renderer for one app. */
export function createPageRenderer<State extends BaseState>(
  tree: RouteTree<State>,
  assets: StaticAssets,
  bundles: IslandBuild,
): PageRenderer<State> {
  return (page, props, options = {}) => {
    const title = typeof options.title === "function" ? options.title(props) : options.title;
    const { html, islands } = renderWithIslands(
      h(tree.app, {
        Component: () => h(page, props),
        state: props.state,
        url: props.url,
        title,
        asset: assets.url,
      }),
    );
    const used = scriptsFor(bundles, islands);
    // Preloading the shared chunks saves a round trip before the islands can hydrate.
    const chunks = [...new Set(used.flatMap((b) => b.chunks))];
    const scripts = chunks
      .map((file) => `<link rel="modulepreload" href="${BUNDLE_PREFIX}${file}">`)
      .concat(used.map((b) => `<script type="module" src="${BUNDLE_PREFIX}${b.file}"></script>`))
      .join("");
    const body = "<!DOCTYPE html>" +
      (scripts ? html.replace("</head>", `${scripts}</head>`) : html);
    const headers = new Headers(options.headers);
    headers.set("content-type", "text/html; charset=utf-8");
    headers.set("cache-control", "no-store");
    return new Response(body, { status: options.status ?? 200, headers });
  };
}
