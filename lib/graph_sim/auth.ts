// The simulator's app and tokens: validity, expiry, scopes, page tokens and each page's app subscriptions.

import type { SimError } from "./faults.ts";
import type { SimRandom } from "./random.ts";

/** The kinds of access token `debug_token` reports. */
export type SimTokenType = "USER" | "PAGE" | "SYSTEM_USER";

/** What a token is and may do; page tokens derived from another token follow that token's state. */
export interface SimTokenState {
  type: SimTokenType;
  /** False once revoked (a password change, a removed app): every call answers 190. */
  isValid: boolean;
  /** Unix seconds; 0 means it never expires. */
  expiresAt: number;
  /** Unix seconds; 0 means never. */
  dataAccessExpiresAt: number;
  scopes: string[];
  /** The page a PAGE token belongs to; null for other types. */
  pageId: string | null;
}

/** One app subscribed to a page's webhooks (`GET /{page_id}/subscribed_apps`). */
export interface SimAppSubscription {
  id: string;
  name: string;
  subscribedFields: string[];
}

/** Every permission a lead ads app asks for; the default token holds them all. */
export const SIM_DEFAULT_SCOPES: readonly string[] = [
  "leads_retrieval",
  "pages_show_list",
  "pages_read_engagement",
  "pages_manage_metadata",
  "pages_manage_ads",
  "ads_management",
];

interface StoredToken {
  /** Own state, or null for a page token that follows `parent`. */
  own: SimTokenState | null;
  parent: string | null;
  pageId: string | null;
}

/** The app the simulator plays, the tokens it accepts and the pages' webhook subscriptions. */
export class SimAuth {
  readonly appId: string;
  readonly appName: string;
  readonly #random: SimRandom;
  readonly #tokens = new Map<string, StoredToken>();
  readonly #subscriptions = new Map<string, SimAppSubscription[]>();

  /** The main token is a never-expiring system-user token with every scope; every page is subscribed. */
  constructor(random: SimRandom, mainToken: string, pageIds: string[], appId?: string) {
    this.#random = random;
    this.appId = appId ?? `1${random.digits(14)}`;
    this.appName = "Leadline (simulated)";
    this.#tokens.set(mainToken, {
      own: {
        type: "SYSTEM_USER",
        isValid: true,
        expiresAt: 0,
        dataAccessExpiresAt: 0,
        scopes: [...SIM_DEFAULT_SCOPES],
        pageId: null,
      },
      parent: null,
      pageId: null,
    });
    for (const pageId of pageIds) this.subscribe(pageId, this.appId, ["leadgen"]);
  }

  /** A token's effective state (a derived page token's comes from its parent), or null when unknown. */
  state(token: string): SimTokenState | null {
    const stored = this.#tokens.get(token);
    if (!stored) return null;
    if (stored.own) return stored.own;
    const parent = stored.parent === null ? null : this.state(stored.parent);
    return parent ? { ...parent, type: "PAGE", pageId: stored.pageId } : null;
  }

  /** Adds a token, or changes the given fields of a known one (a derived page token gets its own state). */
  setToken(token: string, patch: Partial<SimTokenState>): SimTokenState {
    const current = this.state(token);
    const stored = this.#tokens.get(token);
    const next: SimTokenState = {
      type: "USER",
      isValid: true,
      expiresAt: 0,
      dataAccessExpiresAt: 0,
      scopes: [...SIM_DEFAULT_SCOPES],
      pageId: null,
      ...current,
      ...patch,
    };
    this.#tokens.set(token, {
      own: next,
      parent: null,
      pageId: next.pageId ?? stored?.pageId ?? null,
    });
    return next;
  }

  /** Why a call with `token` is refused (Meta's error), or null when the token may be used now. */
  refusal(token: string, nowSeconds: number): SimError | null {
    const state = this.state(token);
    if (state === null) {
      return oauthError(190, "Invalid OAuth access token - Cannot parse access token");
    }
    if (!state.isValid) {
      return oauthError(
        190,
        "Error validating access token: The session has been invalidated because the user " +
          "changed their password or Facebook has changed the session for security reasons.",
        460,
      );
    }
    if (state.expiresAt !== 0 && state.expiresAt <= nowSeconds) {
      return oauthError(
        190,
        `Error validating access token: Session has expired on ${
          new Date(state.expiresAt * 1000).toUTCString()
        }.`,
        463,
      );
    }
    return null;
  }

  /** The page token a user token gets for `pageId` (`GET /{page_id}?fields=access_token`); stable per pair. */
  pageToken(pageId: string, parentToken: string): string {
    const state = this.state(parentToken);
    if (state?.type === "PAGE") return parentToken;
    for (const [token, stored] of this.#tokens) {
      if (stored.parent === parentToken && stored.pageId === pageId) return token;
    }
    const token = `EAAsimpage${pageId}x${this.#random.digits(12)}`;
    this.#tokens.set(token, { own: null, parent: parentToken, pageId });
    return token;
  }

  /** The apps subscribed to a page's webhooks. */
  subscribedApps(pageId: string): SimAppSubscription[] {
    return (this.#subscriptions.get(pageId) ?? []).map((app) => ({
      ...app,
      subscribedFields: [...app.subscribedFields],
    }));
  }

  /** Subscribes an app (default ours) to `fields` of a page; fields add to those it had. */
  subscribe(pageId: string, appId: string, fields: string[], name?: string): void {
    const apps = this.#subscriptions.get(pageId) ?? [];
    const existing = apps.find((app) => app.id === appId);
    if (existing) {
      existing.subscribedFields = [...new Set([...existing.subscribedFields, ...fields])];
    } else {
      apps.push({
        id: appId,
        name: name ?? (appId === this.appId ? this.appName : `App ${appId}`),
        subscribedFields: [...new Set(fields)],
      });
    }
    this.#subscriptions.set(pageId, apps);
  }

  /** Removes an app's subscription to a page (what "remove app" in the page settings does). */
  unsubscribe(pageId: string, appId: string): boolean {
    const apps = this.#subscriptions.get(pageId) ?? [];
    const kept = apps.filter((app) => app.id !== appId);
    this.#subscriptions.set(pageId, kept);
    return kept.length !== apps.length;
  }

  /** True when our app gets `leadgen` webhooks for the page. */
  deliversLeadgen(pageId: string): boolean {
    return this.subscribedApps(pageId).some((app) =>
      app.id === this.appId && app.subscribedFields.includes("leadgen")
    );
  }
}

/** A Meta OAuthException (190 token, 10/200-299 permission). */
export function oauthError(code: number, message: string, subcode?: number): SimError {
  return {
    status: code === 10 || (code >= 200 && code <= 299) ? 403 : 400,
    code,
    subcode,
    type: "OAuthException",
    isTransient: false,
    message,
  };
}
