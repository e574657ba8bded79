// Shared fixtures for the auth_web tests: anonymous form posts and cookie parsing.

/** Posts form fields to `url` without a session, from the page's own origin unless told. */
export function postForm(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: new URL(url).origin,
      ...headers,
    },
    body: new URLSearchParams(fields),
  });
}

/** The `Set-Cookie` value for the session cookie, or undefined. */
export function sessionSetCookie(res: Response): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith("leadline_session="));
}

/** The session id in a `Set-Cookie` value. */
export function cookieValue(setCookie: string): string {
  return setCookie.split(";")[0].split("=").slice(1).join("=");
}
