// What every request of this app carries (its id, the services, the signed-in user), and the
// framework's route types and `define` helpers made for it (Fresh's `utils.ts`).

import type { Context } from "hono";
import type { AppServices } from "./services.ts";
import {
  type AppProps as WebAppProps,
  createDefine,
  type HonoEnv as WebHonoEnv,
  type PageProps as WebPageProps,
  type RouteContext as WebRouteContext,
} from "./web/define.ts";
import type { Middleware as WebMiddleware } from "./web/server.ts";

/** The signed-in user, as the session middleware puts it on the state. */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: "admin" | "agent";
}

/** What every request carries: the framework's request id, the app's services, the user. */
export interface State {
  requestId: string;
  services: AppServices;
  /** Null until the session middleware finds a signed-in user. */
  user: SessionUser | null;
}

/** Hono's environment for this app. */
export type HonoEnv = WebHonoEnv<State>;

/** Hono's context of one of this app's requests. */
export type AppContext = Context<HonoEnv>;

/** Middleware of this app (sessions, the drain). */
export type Middleware = WebMiddleware<State>;

/** What this app's route handlers receive. */
export type RouteContext<Data = unknown> = WebRouteContext<Data, State>;

/** What this app's page components receive. */
export type PageProps<Data = unknown> = WebPageProps<Data, State>;

/** What this app's `_app` layout receives. */
export type AppProps = WebAppProps<State>;

/** Identity helpers that give this app's route files their types: `define.handlers`, `define.page`. */
export const define = createDefine<State>();
