// Builds the Hono app: request state and logging, static assets, file routes, 404/405/500 pages.

import { Hono } from "hono";
import type { Context } from "hono";
import type { AppServices } from "../services.ts";
import { noStore } from "./cache_control.ts";
import type { HandlerFn, HonoEnv, PageComponent, RouteContext, State } from "./define.ts";
import { allowedMethods, type LoadedRoute, type RouteTree } from "./fs_routes.ts";
import { HttpError, jsonResponse } from "./http_error.ts";
import type { PageRenderer } from "./render.ts";
import { serveStatic, type StaticAssets } from "./static.ts";

/** Hono middleware that runs before the routes, e.g. sessions or security headers. */
export type Middleware = (
  c: Context<HonoEnv>,
  next: () => Promise<void>,
) => Promise<void | Response>;

/** What the web app is built from. */
export interface WebAppOptions {
  services: AppServices;
  tree: RouteTree;
  assets: StaticAssets;
  render: PageRenderer;
  /** Middleware run for every request after the request state exists and before routing. */
  middleware?: Middleware[];
}

/** True for requests that want JSON answers (the API and the event stream). */
export function isApiPath(path: string): boolean {
  return path === "/api" || path.startsWith("/api/");
}

/** Builds the Hono app that serves every route in `tree`. */
export function createWebApp(options: WebAppOptions): Hono<HonoEnv> {
  const { services, tree, assets, render } = options;
  const app = new Hono<HonoEnv>();

  app.use(async (c, next) => {
    const started = performance.now();
    const requestId = crypto.randomUUID();
    c.set("state", { requestId, services, user: null });
    await next();
    c.res.headers.set("x-request-id", requestId);
    const path = new URL(c.req.url).pathname; // never the query: it can hold a verify token
    services.log.info("request", {
      requestId,
      method: c.req.method,
      path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    });
  });

  app.use(noStore({ paths: isApiPath }));

  app.use(async (c, next) => {
    const path = new URL(c.req.url).pathname;
    const res = serveStatic(assets, c.req.raw, path);
    if (res) return res;
    await next();
  });

  for (const mw of options.middleware ?? []) app.use(mw);

  for (const route of tree.routes) {
    app.all(route.pattern, (c) => handleRoute(c, route, render));
  }

  app.notFound((c) => {
    const state = c.get("state");
    const url = new URL(c.req.url);
    if (isApiPath(url.pathname) || !wantsHtml(c.req.raw)) {
      return jsonResponse({ error: "Not found", requestId: state.requestId }, 404);
    }
    return render(tree.notFound, { data: undefined, url, params: {}, state }, {
      status: 404,
      title: "Not found",
    });
  });

  app.onError((err, c) => {
    const state = c.get("state");
    const url = new URL(c.req.url);
    if (err instanceof HttpError) {
      return jsonResponse(
        { error: err.message, ...err.details, requestId: state?.requestId },
        err.status,
        err.headers,
      );
    }
    services.log.error("unhandled error", {
      requestId: state?.requestId,
      method: c.req.method,
      path: url.pathname,
      error: err,
    });
    if (isApiPath(url.pathname) || !wantsHtml(c.req.raw) || !state) {
      return jsonResponse({ error: "Internal server error", requestId: state?.requestId }, 500);
    }
    try {
      return render(tree.error, { data: undefined, url, params: {}, state }, {
        status: 500,
        title: "Something went wrong",
      });
    } catch {
      return new Response("Internal server error", { status: 500 });
    }
  });

  return app;
}

function wantsHtml(req: Request): boolean {
  return (req.headers.get("accept") ?? "").includes("text/html");
}

async function handleRoute(
  c: Context<HonoEnv>,
  route: LoadedRoute,
  render: PageRenderer,
): Promise<Response> {
  const method = c.req.method === "HEAD" ? "GET" : c.req.method;
  const mod = route.module;
  let fn: HandlerFn | undefined;
  if (typeof mod.handler === "function") fn = mod.handler;
  else fn = mod.handler?.[method as keyof typeof mod.handler] as HandlerFn | undefined;
  if (!fn && method === "GET" && mod.default) fn = (ctx) => ctx.render();
  if (!fn) {
    const allow = allowedMethods(mod).join(", ");
    return jsonResponse({ error: `Method ${c.req.method} is not allowed here` }, 405, { allow });
  }
  const state: State = c.get("state");
  const url = new URL(c.req.url);
  const params = c.req.param() as Record<string, string>;
  const ctx: RouteContext = {
    req: c.req.raw,
    url,
    params,
    state,
    hono: c,
    render(data, init) {
      if (!mod.default) throw new Error(`Route ${route.file} has no page component to render`);
      return Promise.resolve(
        render(mod.default as PageComponent, { data, url, params, state }, {
          status: init?.status,
          headers: init?.headers,
          title: mod.title,
        }),
      );
    },
  };
  const res = await fn(ctx);
  if (c.req.method !== "HEAD") return res;
  // Cancelling the unsent body ends whatever produces it (an event stream's subscription too).
  await res.body?.cancel();
  return new Response(null, res);
}
