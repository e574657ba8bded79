// Builds the Hono app: request state and logging, static assets, file routes with their access
// check (and the matched route, for middleware that reads a route's declarations), 404/405/500
// pages.

import { Hono } from "hono";
import type { Context } from "hono";
import { noStore } from "./cache_control.ts";
import type {
  Access,
  BaseState,
  HandlerFn,
  HonoEnv,
  PageComponent,
  RouteContext,
} from "./define.ts";
import { accessFor, allowedMethods, type LoadedRoute, type RouteTree } from "./fs_routes.ts";
import { errorAnswer, jsonResponse } from "./http_error.ts";
import type { PageRenderer } from "./render.ts";
import { isStaticPath, serveStatic, type StaticAssets } from "./static.ts";

/** Hono middleware that runs before the routes, on a request whose state exists, e.g. sessions. */
export type Middleware<State extends BaseState = BaseState> = (
  c: Context<HonoEnv<State>>,
  next: () => Promise<void>,
) => Promise<void | Response>;

/**
 * Middleware that runs first, before the request state exists (fresh.config.ts's plugins, e.g.
 * security headers): it sees the request and the response only, so it fits any app's state.
 */
export type Plugin = (
  // deno-lint-ignore no-explicit-any
  c: Context<any>,
  next: () => Promise<void>,
) => Promise<void | Response>;

/**
 * Decides whether the request may use a route that declares `access`: null lets it through, a
 * response turns it away. Called for the route the router matched, with `c.req.path` the decoded
 * path it matched on, so no second reading of the URL can disagree with the router.
 */
export type Authorizer<State extends BaseState = BaseState> = (
  c: Context<HonoEnv<State>>,
  access: Access,
) => Response | null | Promise<Response | null>;

/** Where the web app writes a line per request and the errors no route handled. */
export interface RequestLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What the web app is built from; `State` is what the app puts on every request. */
export interface WebAppOptions<State extends BaseState> {
  /** The state a request starts with (middleware may fill it in, e.g. the signed-in user). */
  initialState(requestId: string): State;
  log: RequestLogger;
  tree: RouteTree<State>;
  assets: StaticAssets;
  render: PageRenderer<State>;
  /**
   * Middleware every request passes through first, before anything else answers it (static
   * files, refusals, errors): fresh.config.ts's plugins, e.g. security headers.
   */
  plugins?: Plugin[];
  /** Middleware run for every request after the request state exists and before routing. */
  middleware?: Middleware<State>[];
  /** The access check run for every matched route (and, as `user`, for unknown paths). */
  authorize: Authorizer<State>;
}

// The route each request's path matched (by its Hono context), set before the app's middleware
// runs. Typed loosely here: each app reads back routes of its own state.
const matchedRoutes = new WeakMap<object, unknown>();

/**
 * The route the router matched for this request (the one its handler is), for middleware that
 * acts on a route's declarations (e.g. its `csrf`); null when no route matches (a 404).
 */
export function matchedRoute<State extends BaseState>(
  c: Context<HonoEnv<State>>,
): LoadedRoute<State> | null {
  return (matchedRoutes.get(c) as LoadedRoute<State> | undefined) ?? null;
}

/**
 * True for requests that want JSON answers (the API and the event stream). Give it the decoded
 * path the router matched (`c.req.path`), so `/%61pi/...` is answered like `/api/...`.
 */
export function isApiPath(path: string): boolean {
  return path === "/api" || path.startsWith("/api/");
}

/**
 * What the error page (`_500`) is given when a page request failed on purpose (a DomainError or
 * HttpError: bad input, not found, ...): its status and its message, safe to show. It is given
 * no data for a defect (500).
 */
export interface ErrorPageData {
  status: number;
  message: string;
}

/** Builds the Hono app that serves every route in `tree`. */
export function createWebApp<State extends BaseState>(
  options: WebAppOptions<State>,
): Hono<HonoEnv<State>> {
  const { log, tree, assets, render, authorize } = options;
  const app = new Hono<HonoEnv<State>>();

  for (const plugin of options.plugins ?? []) app.use(plugin);

  app.use(async (c, next) => {
    const started = performance.now();
    const requestId = crypto.randomUUID();
    c.set("state", options.initialState(requestId));
    await next();
    c.res.headers.set("x-request-id", requestId);
    const path = new URL(c.req.url).pathname; // never the query: it can hold a verify token
    log.info("request", {
      requestId,
      method: c.req.method,
      path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    });
  });

  app.use(noStore({ paths: isApiPath }));

  app.use(async (c, next) => {
    // The path as it arrived: serveStatic decodes it once itself.
    const res = serveStatic(assets, c.req.raw, new URL(c.req.url).pathname);
    if (res) return res;
    await next();
  });

  // Before the middleware, so it knows the route the router matched (see matchedRoute): when
  // several patterns match, the first in the tree's order is the one that answers.
  for (const route of tree.routes) {
    app.all(route.pattern, async function matchRouteMiddleware(c, next) {
      if (!matchedRoutes.has(c)) matchedRoutes.set(c, route);
      await next();
    });
  }
  for (const mw of options.middleware ?? []) app.use(mw);

  const notFound = (c: Context<HonoEnv<State>>) => notFoundResponse(c, tree, render);
  for (const route of tree.routes) {
    app.all(route.pattern, (c) => handleRoute(c, route, { render, authorize, notFound }));
  }

  app.notFound(async (c) => {
    // An unknown path is private too: anonymous visitors learn nothing about which paths exist.
    // Misses under the static prefixes stay plain 404s for everyone.
    const denied = isStaticPath(c.req.path) ? null : await authorize(c, "user");
    return denied ?? notFound(c);
  });

  app.onError((err, c) => {
    const state = c.get("state");
    const url = new URL(c.req.url);
    const path = c.req.path;
    const answer = errorAnswer(err);
    if (answer && !isApiPath(path) && wantsHtml(c.req.raw) && state) {
      // A page asked for by a person (a hand-edited link, a form): the reason on a page of the
      // app, with the same status an API caller gets.
      try {
        const data: ErrorPageData = { status: answer.status, message: err.message };
        return render(tree.error, { data, url, params: {}, state }, {
          status: answer.status,
          headers: answer.headers,
          title: "Cannot show this page",
        });
      } catch {
        // The JSON answer below says the same.
      }
    }
    if (answer) {
      return jsonResponse(
        { error: err.message, ...answer.details, requestId: state?.requestId },
        answer.status,
        answer.headers,
      );
    }
    log.error("unhandled error", {
      requestId: state?.requestId,
      method: c.req.method,
      path: url.pathname,
      error: err,
    });
    if (isApiPath(path) || !wantsHtml(c.req.raw) || !state) {
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

function notFoundResponse<State extends BaseState>(
  c: Context<HonoEnv<State>>,
  tree: RouteTree<State>,
  render: PageRenderer<State>,
): Response {
  const state = c.get("state");
  const url = new URL(c.req.url);
  if (isApiPath(c.req.path) || !wantsHtml(c.req.raw)) {
    return jsonResponse({ error: "Not found", requestId: state.requestId }, 404);
  }
  return render(tree.notFound, { data: undefined, url, params: {}, state }, {
    status: 404,
    title: "Not found",
  });
}

interface RouteDeps<State extends BaseState> {
  render: PageRenderer<State>;
  authorize: Authorizer<State>;
  notFound: (c: Context<HonoEnv<State>>) => Response;
}

async function handleRoute<State extends BaseState>(
  c: Context<HonoEnv<State>>,
  route: LoadedRoute<State>,
  { render, authorize, notFound }: RouteDeps<State>,
): Promise<Response> {
  // The access check belongs to the handler itself: whatever spelling of the URL the router
  // matched to this route, the route's own declaration decides, before anything else answers.
  const denied = await authorize(c, accessFor(route, c.req.method));
  if (denied) return denied;
  const method = c.req.method === "HEAD" ? "GET" : c.req.method;
  const mod = route.module;
  let fn: HandlerFn<unknown, State> | undefined;
  if (typeof mod.handler === "function") fn = mod.handler;
  else {
    fn = mod.handler?.[method as keyof typeof mod.handler] as HandlerFn<unknown, State> | undefined;
  }
  if (!fn && method === "GET" && mod.default) fn = (ctx) => ctx.render();
  if (!fn) {
    const allow = allowedMethods(mod).join(", ");
    return jsonResponse({ error: `Method ${c.req.method} is not allowed here` }, 405, { allow });
  }
  const params = c.req.param() as Record<string, string>;
  for (const [name, check] of Object.entries(route.params)) {
    const value = params[name];
    if (typeof value !== "string" || !check(value)) return notFound(c);
  }
  const state: State = c.get("state");
  const url = new URL(c.req.url);
  const ctx: RouteContext<unknown, State> = {
    req: c.req.raw,
    info: c.env as Deno.ServeHandlerInfo | undefined,
    url,
    params,
    state,
    hono: c,
    render(data, init) {
      if (!mod.default) throw new Error(`Route ${route.file} has no page component to render`);
      return Promise.resolve(
        render(mod.default as PageComponent<unknown, State>, { data, url, params, state }, {
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
