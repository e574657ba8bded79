// Fresh-style route types and identity helpers, generic over the app's per-request state:
// `createDefine<State>()` gives route files their types (as Fresh's does).

import type { Context } from "hono";
import type { ComponentChildren, VNode } from "preact";

/**
 * Who may use a route, declared beside it (`export const access = "admin"`): `public` is anyone,
 * `user` any signed-in user (the default, so a new route is private), `admin` admins only.
 */
export type Access = "public" | "user" | "admin";

/** Every {@linkcode Access} level, for checking a route's declaration. */
export const ACCESS_LEVELS: readonly Access[] = ["public", "user", "admin"];

/**
 * Whether a route's state-changing requests must come from our own origin, declared beside it
 * (`export const csrf = "exempt"`): `checked` (the default, so a new route is protected) or
 * `exempt`, for a machine endpoint with no session that checks its callers itself (a signed
 * webhook).
 */
export type CsrfPolicy = "checked" | "exempt";

/** Every {@linkcode CsrfPolicy}, for checking a route's declaration. */
export const CSRF_POLICIES: readonly CsrfPolicy[] = ["checked", "exempt"];

/**
 * Checks for a route's URL parameters (`export const params = { id: isUlid }`): a value that fails
 * its check is answered 404 before the handler runs, so malformed or oversized ids never reach KV.
 */
export type ParamChecks = Record<string, (value: string) => boolean>;

/**
 * What the framework itself needs of every request's state: the id it logs, sets as
 * `X-Request-Id` and puts in error answers. The app's state extends it (lib/app_state.ts).
 */
export interface BaseState {
  requestId: string;
}

/** Hono's environment for an app whose requests carry `State`. */
export interface HonoEnv<State extends BaseState = BaseState> {
  Variables: { state: State };
}

/** What a route handler receives. */
export interface RouteContext<Data = unknown, State extends BaseState = BaseState> {
  req: Request;
  /** `Deno.serve`'s handler info (the client's address); absent when called in-process. */
  info: Deno.ServeHandlerInfo | undefined;
  url: URL;
  params: Record<string, string>;
  state: State;
  /** Renders the route's page component with `data`, inside the app layout. */
  render(data?: Data, init?: ResponseInit): Promise<Response>;
  /** The underlying Hono context, for streaming helpers such as `streamSSE`. */
  hono: Context<HonoEnv<State>>;
}

/** A function answering one HTTP method. */
export type HandlerFn<Data = unknown, State extends BaseState = BaseState> = (
  ctx: RouteContext<Data, State>,
) => Response | Promise<Response>;

/** HTTP methods a route may answer. */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A route's `handler` export: one function per method. */
export type Handlers<Data = unknown, State extends BaseState = BaseState> = Partial<
  Record<Method, HandlerFn<Data, State>>
>;

/** What a page component receives. */
export interface PageProps<Data = unknown, State extends BaseState = BaseState> {
  data: Data;
  url: URL;
  params: Record<string, string>;
  state: State;
}

/** A page component. */
export type PageComponent<Data = unknown, State extends BaseState = BaseState> = (
  props: PageProps<Data, State>,
) => VNode | null;

/** What the `_app` layout receives. */
export interface AppProps<State extends BaseState = BaseState> {
  Component: () => ComponentChildren;
  state: State;
  url: URL;
  /** The `<title>` the page asked for. */
  title?: string;
  /** The cache-busting URL of a file in static/, e.g. `asset("/static/styles.css")`. */
  asset(path: string): string;
}

/** Identity helpers that type route files for one state (what {@linkcode createDefine} returns). */
export interface Define<State extends BaseState> {
  /** Types a route's `handler` export. */
  handlers<Data = unknown>(handlers: Handlers<Data, State>): Handlers<Data, State>;
  /** Types a page component. */
  page<Data = unknown>(page: PageComponent<Data, State>): PageComponent<Data, State>;
}

/**
 * The identity helpers for an app whose requests carry `State` (Fresh's `createDefine`): the app
 * makes them once (`export const define = createDefine<State>()`) and its route files use them.
 */
export function createDefine<State extends BaseState>(): Define<State> {
  return {
    handlers: (handlers) => handlers,
    page: (page) => page,
  };
}
