// File-system routing (Fresh naming): maps files in routes/ to URL patterns and loads their modules.

import type { ComponentChildren } from "preact";
import {
  type Access,
  ACCESS_LEVELS,
  type AppProps,
  type BaseState,
  CSRF_POLICIES,
  type CsrfPolicy,
  type HandlerFn,
  type Handlers,
  type PageComponent,
  type PageProps,
  type ParamChecks,
} from "./define.ts";

/** What a route file may export. */
export interface RouteModule<State extends BaseState = BaseState> {
  handler?: Handlers<unknown, State> | HandlerFn<unknown, State>;
  default?: PageComponent<unknown, State>;
  /** The page's `<title>`, fixed or computed from the page's props. */
  title?: string | ((props: PageProps<unknown, State>) => string);
  /** Who may use the route; absent means any signed-in user. */
  access?: Access;
  /** Whether its state-changing requests need our origin; absent means they do. */
  csrf?: CsrfPolicy;
  /**
   * Who may use one method of the route when it differs from `access` (e.g.
   * `{ DELETE: "admin" }` beside a route every user may read).
   */
  methodAccess?: Partial<Record<string, Access>>;
  /** A check for each URL parameter of the route's pattern. */
  params?: ParamChecks;
}

/** One route file, loaded. */
export interface LoadedRoute<State extends BaseState = BaseState> {
  /** Path relative to routes/, with forward slashes, e.g. `api/leads/[id].ts`. */
  file: string;
  /** Hono URL pattern, e.g. `/api/leads/:id`. */
  pattern: string;
  module: RouteModule<State>;
  /** Who may use it: the module's `access`, or `user` when it declares none. */
  access: Access;
  /** Its CSRF policy: the module's `csrf`, or `checked` when it declares none. */
  csrf: CsrfPolicy;
  /** Methods whose access differs from `access` (the module's `methodAccess`, checked). */
  methodAccess?: Partial<Record<string, Access>>;
  /** The checks of its URL parameters (one for each `:name` in `pattern`). */
  params: ParamChecks;
}

/** The routes folder, loaded: routes plus the special `_app`, `_404` and `_500` pages. */
export interface RouteTree<State extends BaseState = BaseState> {
  routes: LoadedRoute<State>[];
  app: (props: AppProps<State>) => ComponentChildren;
  notFound: PageComponent<unknown, State>;
  error: PageComponent<unknown, State>;
}

const ROUTE_FILE = /\.(tsx?|jsx?)$/;

/**
 * Fresh names this router does not support, with what to do instead: a file with one of them is
 * refused at start-up, never skipped (it would silently do nothing) or served as a plain route.
 */
const UNSUPPORTED_FILES: Record<string, string> = {
  _middleware: "middleware is registered in main.ts (createWebApp's middleware), for every route",
  _layout: "every page renders inside routes/_app.tsx; put shared markup in components/",
  _error: "the error pages are routes/_404.tsx and routes/_500.tsx",
};

/** A file in routes/ uses a Fresh name or form this router does not support. */
export class RouteFileError extends Error {
  constructor(file: string, why: string) {
    super(`Cannot load routes/${file}: ${why}`);
    this.name = "RouteFileError";
  }
}

/**
 * The URL pattern a file in routes/ serves, or null when it is not a route (a `_`-prefixed helper
 * file or folder, the special pages `_app`, `_404` and `_500`, a test file). `index` is the folder
 * itself, `[id]` a parameter, `[...rest]` the rest of the path as the parameter `rest` (one or
 * more segments), `(group)` a folder that adds nothing to the URL. Throws RouteFileError for
 * Fresh names it does not support (`_middleware`, `_layout`, `_error`, `[[optional]]`, a
 * `(_islands)` folder, a bracket that is not a whole segment, `[...rest]` before the end).
 */
export function routePattern(file: string): string | null {
  if (!ROUTE_FILE.test(file) || /_test\.[jt]sx?$/.test(file)) return null;
  const segments = file.replace(ROUTE_FILE, "").split("/");
  const name = segments.at(-1)!;
  if (Object.hasOwn(UNSUPPORTED_FILES, name)) {
    throw new RouteFileError(
      file,
      `Fresh's ${name} is not supported here: ${UNSUPPORTED_FILES[name]}`,
    );
  }
  if (segments.includes("(_islands)")) {
    throw new RouteFileError(
      file,
      "route-local islands are not supported: islands live in islands/",
    );
  }
  if (segments.some((s) => s.startsWith("_"))) return null;
  if (segments.at(-1) === "index") segments.pop();
  const parts = segments
    .filter((s) => !/^\(.*\)$/.test(s))
    .map((s, i, all) => {
      if (/\[\[/.test(s)) {
        throw new RouteFileError(
          file,
          `the optional parameter ${s} is not supported: add a route for each form of the URL`,
        );
      }
      const rest = /^\[\.\.\.(\w+)\]$/.exec(s);
      if (rest) {
        if (i !== all.length - 1) {
          throw new RouteFileError(file, `${s} must be the last part of the path`);
        }
        return `:${rest[1]}{.+}`;
      }
      const param = /^\[(\w+)\]$/.exec(s);
      if (param) return `:${param[1]}`;
      if (/[[\]]/.test(s)) {
        throw new RouteFileError(
          file,
          `${s} mixes a parameter with text: a parameter must be a whole segment ([id])`,
        );
      }
      return s;
    });
  return "/" + parts.join("/");
}

/** Lists every file under `dir`, as forward-slash paths relative to it, sorted. */
export async function listRouteFiles(dir: URL): Promise<string[]> {
  const files: string[] = [];
  async function walk(sub: string) {
    for await (const entry of Deno.readDir(new URL(sub, dir))) {
      const rel = sub + entry.name;
      if (entry.isDirectory) await walk(rel + "/");
      else if (entry.isFile) files.push(rel);
    }
  }
  await walk("");
  return files.sort();
}

/** Orders patterns so static segments win over parameters and catch-alls come last. */
export function compareRoutes(a: string, b: string): number {
  const rank = (p: string) =>
    p.split("/")
      .map((s) => (s === "*" || s.endsWith("{.+}") ? "2" : s.startsWith(":") ? "1" : "0"))
      .join("");
  const ra = rank(a), rb = rank(b);
  return ra === rb ? a.localeCompare(b) : ra < rb ? -1 : 1;
}

/**
 * Imports every route module under `dir` and the special pages. `State` is what the app's
 * middleware puts on every request; the route files are typed for it by the app's `define`.
 */
export async function loadRouteTree<State extends BaseState = BaseState>(
  dir: URL,
): Promise<RouteTree<State>> {
  const files = await listRouteFiles(dir);
  const routes: LoadedRoute<State>[] = [];
  for (const file of files) {
    const pattern = routePattern(file);
    if (pattern === null) continue;
    const module = await import(new URL(file, dir).href) as RouteModule<State>;
    if (!module.handler && !module.default) {
      throw new Error(`Route ${file} exports neither a handler nor a page component`);
    }
    routes.push({
      file,
      pattern,
      module,
      access: routeAccess(file, module),
      csrf: routeCsrf(file, module),
      methodAccess: routeMethodAccess(file, module),
      params: routeParams(file, pattern, module),
    });
  }
  routes.sort((a, b) => compareRoutes(a.pattern, b.pattern));
  const special = async (name: string) => {
    const file = files.find((f) => f.replace(ROUTE_FILE, "") === name);
    if (!file) throw new Error(`routes/${name}.tsx is missing`);
    return (await import(new URL(file, dir).href)).default;
  };
  return {
    routes,
    app: await special("_app"),
    notFound: await special("_404"),
    error: await special("_500"),
  };
}

/**
 * A route's declared access, `user` when it declares none. A value that is not an access level
 * stops the server, rather than guessing what a typo meant.
 */
export function routeAccess<State extends BaseState>(
  file: string,
  module: RouteModule<State>,
): Access {
  return declared(file, "access", module.access, ACCESS_LEVELS, "user");
}

/**
 * A route's declared CSRF policy, `checked` when it declares none. A value that is not a policy
 * stops the server: a typo must not leave a route unprotected, nor protect a webhook by mistake.
 */
export function routeCsrf<State extends BaseState>(
  file: string,
  module: RouteModule<State>,
): CsrfPolicy {
  return declared(file, "csrf", module.csrf, CSRF_POLICIES, "checked");
}

// A route's declaration `name`: `fallback` when absent; anything not `allowed` stops start-up.
function declared<T extends string>(
  file: string,
  name: string,
  value: T | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  const chosen = value ?? fallback;
  if (!allowed.includes(chosen)) {
    throw new Error(
      `Route ${file} exports ${name} ${JSON.stringify(chosen)}: it must be one of ` +
        allowed.join(", "),
    );
  }
  return chosen;
}

/**
 * A route's per-method access (`methodAccess`), checked: each names a method the route answers
 * and an access level, so a typo never leaves a method open.
 */
export function routeMethodAccess<State extends BaseState>(
  file: string,
  module: RouteModule<State>,
): Partial<Record<string, Access>> {
  const perMethod = module.methodAccess ?? {};
  const methods = allowedMethods(module);
  for (const [method, access] of Object.entries(perMethod)) {
    if (!methods.includes(method) || method === "HEAD") {
      throw new Error(`Route ${file} declares access for ${method}, a method it does not answer`);
    }
    if (access === undefined || !ACCESS_LEVELS.includes(access)) {
      throw new Error(
        `Route ${file} declares access ${JSON.stringify(access)} for ${method}: it must be one ` +
          `of ${ACCESS_LEVELS.join(", ")}`,
      );
    }
  }
  return { ...perMethod };
}

/** Who may use `method` (HEAD as GET) of `route`. */
export function accessFor<State extends BaseState>(
  route: Pick<LoadedRoute<State>, "access" | "methodAccess">,
  method: string,
): Access {
  return route.methodAccess?.[method === "HEAD" ? "GET" : method] ?? route.access;
}

/**
 * A route's parameter checks. Every `:name` in the pattern needs one, so no route hands an
 * unchecked id (of any length) to KV; a check for a name the pattern lacks is a mistake too.
 */
export function routeParams<State extends BaseState>(
  file: string,
  pattern: string,
  module: RouteModule<State>,
): ParamChecks {
  const names = [...pattern.matchAll(/:(\w+)/g)].map((m) => m[1]);
  const checks = module.params ?? {};
  for (const name of names) {
    if (typeof checks[name] !== "function") {
      throw new Error(
        `Route ${file} has the URL parameter "${name}" but no check for it: export ` +
          `\`params = { ${name}: (value) => boolean }\``,
      );
    }
  }
  for (const name of Object.keys(checks)) {
    if (!names.includes(name)) {
      throw new Error(`Route ${file} checks the parameter "${name}" that ${pattern} does not have`);
    }
  }
  return checks;
}

/** The methods a route module answers, for the `Allow` header. */
export function allowedMethods<State extends BaseState>(module: RouteModule<State>): string[] {
  if (typeof module.handler === "function") {
    return ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
  }
  const methods = new Set(Object.keys(module.handler ?? {}));
  if (!module.handler && module.default) methods.add("GET");
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods];
}
