// Fresh-style route types and identity helpers: handlers, pages and the per-request state.

import type { Context } from "hono";
import type { ComponentChildren, VNode } from "preact";
import type { AppServices } from "../services.ts";

/** The signed-in user, as middleware puts it on the state. */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: "admin" | "agent";
}

/**
 * Who may use a route, declared beside it (`export const access = "admin"`): `public` is anyone,
 * `user` any signed-in user (the default, so a new route is private), `admin` admins only.
 */
export type Access = "public" | "user" | "admin";

/** Every {@linkcode Access} level, for checking a route's declaration. */
export const ACCESS_LEVELS: readonly Access[] = ["public", "user", "admin"];

/**
 * Checks for a route's URL parameters (`export const params = { id: isUlid }`): a value that fails
 * its check is answered 404 before the handler runs, so malformed or oversized ids never reach KV.
 */
export type ParamChecks = Record<string, (value: string) => boolean>;

/** What middleware puts on every request. */
export interface State {
  requestId: string;
  services: AppServices;
  user: SessionUser | null;
}

/** Hono's environment for this app. */
export interface HonoEnv {
  Variables: { state: State };
}

/** What a route handler receives. */
export interface RouteContext<Data = unknown> {
  req: Request;
  /** `Deno.serve`'s handler info (the client's address); absent when called in-process. */
  info: Deno.ServeHandlerInfo | undefined;
  url: URL;
  params: Record<string, string>;
  state: State;
  /** Renders the route's page component with `data`, inside the app layout. */
  render(data?: Data, init?: ResponseInit): Promise<Response>;
  /** The underlying Hono context, for streaming helpers such as `streamSSE`. */
  hono: Context<HonoEnv>;
}

/** A function answering one HTTP method. */
export type HandlerFn<Data = unknown> = (ctx: RouteContext<Data>) => Response | Promise<Response>;

/** HTTP methods a route may answer. */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A route's `handler` export: one function per method. */
export type Handlers<Data = unknown> = Partial<Record<Method, HandlerFn<Data>>>;

/** What a page component receives. */
export interface PageProps<Data = unknown> {
  data: Data;
  url: URL;
  params: Record<string, string>;
  state: State;
}

/** A page component. */
export type PageComponent<Data = unknown> = (props: PageProps<Data>) => VNode | null;

/** What the `_app` layout receives. */
export interface AppProps {
  Component: () => ComponentChildren;
  state: State;
  url: URL;
  /** The `<title>` the page asked for. */
  title?: string;
  /** The cache-busting URL of a file in static/, e.g. `asset("/static/styles.css")`. */
  asset(path: string): string;
}

/** Identity helpers that give route files their types without ceremony (Fresh's `createDefine`). */
export const define = {
  /** Types a route's `handler` export. */
  handlers<Data = unknown>(handlers: Handlers<Data>): Handlers<Data> {
    return handlers;
  },
  /** Types a page component. */
  page<Data = unknown>(page: PageComponent<Data>): PageComponent<Data> {
    return page;
  },
};
