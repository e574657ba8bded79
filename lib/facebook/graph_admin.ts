// Graph API calls about the wiring rather than the leads: token debugging, page tokens, webhook subscriptions.

import { GraphApiError } from "./graph_errors.ts";
import { createGraphRequest, type GraphHttpOptions } from "./graph_http.ts";
import { assertId, type GraphForm, nextCursor, toForm } from "./graph_client.ts";

/** What `GET /debug_token` says about a token. Times are unix seconds; 0 means never. */
export interface TokenDebugInfo {
  appId: string | null;
  /** "USER", "PAGE", "SYSTEM_USER", "APP" … as Meta writes it; null when Meta did not say. */
  type: string | null;
  /** The app's name. */
  application: string | null;
  isValid: boolean;
  /** Unix seconds; 0 never expires; null when Meta did not say. */
  expiresAt: number | null;
  /** Unix seconds when the app's access to the person's data ends; 0 never; null unknown. */
  dataAccessExpiresAt: number | null;
  scopes: string[];
  /** The page of a page token. */
  profileId: string | null;
  /** Why the token is not valid, as Meta says. */
  error: { code: number | null; subcode: number | null; message: string } | null;
}

/** A page as its token sees it; `accessToken` is a secret and must never be logged or shown. */
export interface PageAccess {
  id: string;
  name: string | null;
  /** The page's own token, or null when Meta gave none (the token cannot manage the page). */
  accessToken: string | null;
}

/** One app subscribed to a page's webhooks. */
export interface SubscribedApp {
  id: string;
  name: string | null;
  subscribedFields: string[];
}

/** Calls about tokens and pages; each takes the token to use explicitly. */
export interface GraphAdminClient {
  /** `GET /debug_token?input_token=…` asked with `accessToken` (an app token `<app_id>|<secret>`). */
  debugToken(inputToken: string, accessToken: string): Promise<TokenDebugInfo>;
  /** `GET /{page_id}?fields=id,name,access_token`: the page's name and its page token. */
  getPageAccess(pageId: string, token: string): Promise<PageAccess>;
  /** `GET /me/accounts`: pages a user or system-user token manages (at most `limit`, default 100). */
  listAccounts(
    token: string,
    options?: { limit?: number },
  ): Promise<{ id: string; name: string | null }[]>;
  /** `GET /{page_id}/subscribed_apps` with the page's token. */
  listSubscribedApps(pageId: string, pageToken: string): Promise<SubscribedApp[]>;
  /** `POST /{page_id}/subscribed_apps?subscribed_fields=…` with the page's token; true on success. */
  subscribeApp(pageId: string, pageToken: string, fields: string[]): Promise<boolean>;
  /** `GET /{page_id}/leadgen_forms`, every page of it (at most `limit` forms, default 500). */
  listPageForms(pageId: string, token: string, options?: { limit?: number }): Promise<GraphForm[]>;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** Reads `debug_token`'s `data` into TokenDebugInfo; tolerant of missing fields. */
export function toTokenDebugInfo(body: Record<string, unknown>): TokenDebugInfo {
  const data = (body.data ?? {}) as Record<string, unknown>;
  const error = data.error as Record<string, unknown> | undefined;
  return {
    appId: stringOrNull(data.app_id),
    type: stringOrNull(data.type),
    application: stringOrNull(data.application),
    isValid: data.is_valid === true,
    expiresAt: numberOrNull(data.expires_at),
    dataAccessExpiresAt: numberOrNull(data.data_access_expires_at),
    scopes: Array.isArray(data.scopes)
      ? data.scopes.filter((scope): scope is string => typeof scope === "string")
      : [],
    profileId: stringOrNull(data.profile_id),
    error: error
      ? {
        code: numberOrNull(error.code),
        subcode: numberOrNull(error.subcode),
        message: typeof error.message === "string" ? error.message : "no reason given",
      }
      : null,
  };
}

/** Creates the client; the same options as the lead client, without a token lookup. */
export function createGraphAdminClient(options: GraphHttpOptions): GraphAdminClient {
  const request = createGraphRequest(options);

  async function pages<T>(
    token: string,
    path: string,
    params: Record<string, string>,
    limit: number,
    map: (item: unknown) => T,
  ): Promise<T[]> {
    const items: T[] = [];
    let after: string | null = null;
    do {
      const body: Record<string, unknown> = await request(token, path, {
        ...params,
        ...(after ? { after } : {}),
      });
      const data = Array.isArray(body.data) ? body.data : [];
      for (const item of data) if (items.length < limit) items.push(map(item));
      after = nextCursor(body);
    } while (after !== null && items.length < limit);
    return items;
  }

  return {
    async debugToken(inputToken, accessToken) {
      const body = await request(accessToken, "debug_token", { input_token: inputToken });
      return toTokenDebugInfo(body);
    },

    async getPageAccess(pageId, token) {
      assertId(pageId, "page id");
      const body = await request(token, pageId, { fields: "id,name,access_token" });
      return {
        id: String(body.id ?? pageId),
        name: stringOrNull(body.name),
        accessToken: stringOrNull(body.access_token),
      };
    },

    async listAccounts(token, listOptions = {}) {
      return await pages(
        token,
        "me/accounts",
        { fields: "id,name", limit: "100" },
        listOptions.limit ?? 100,
        (item) => {
          const page = (item ?? {}) as Record<string, unknown>;
          return { id: String(page.id ?? ""), name: stringOrNull(page.name) };
        },
      );
    },

    async listSubscribedApps(pageId, pageToken) {
      assertId(pageId, "page id");
      const body = await request(pageToken, `${pageId}/subscribed_apps`);
      const data = Array.isArray(body.data) ? body.data : [];
      return data.map((item) => {
        const app = (item ?? {}) as Record<string, unknown>;
        return {
          id: String(app.id ?? ""),
          name: stringOrNull(app.name),
          subscribedFields: Array.isArray(app.subscribed_fields)
            ? app.subscribed_fields.filter((field): field is string => typeof field === "string")
            : [],
        };
      });
    },

    async subscribeApp(pageId, pageToken, fields) {
      assertId(pageId, "page id");
      if (fields.length === 0 || fields.some((field) => !/^[a-z_]+$/.test(field))) {
        throw new GraphApiError({
          kind: "bad_request",
          message: "Cannot subscribe: fields must be webhook field names such as leadgen",
        });
      }
      const body = await request(
        pageToken,
        `${pageId}/subscribed_apps`,
        { subscribed_fields: fields.join(",") },
        "POST",
      );
      return body.success === true;
    },

    async listPageForms(pageId, token, listOptions = {}) {
      assertId(pageId, "page id");
      return await pages(
        token,
        `${pageId}/leadgen_forms`,
        { fields: "id,name,status", limit: "100" },
        listOptions.limit ?? 500,
        toForm,
      );
    },
  };
}
