// The sign-in throttle holds under a burst: simultaneous wrong guesses over HTTP get at most the
// account limit of password checks (401) and 429 for the rest, and the right password then waits.

import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app.ts";
import { postForm, sessionSetCookie } from "./_helpers.ts";

Deno.test("[e2e] 15 simultaneous wrong guesses: at most 5 are checked, the rest and then the right password get 429", async () => {
  const server = await startTestServer();
  try {
    const answers = await Promise.all(Array.from({ length: 15 }, async (_, i) => {
      const res = await postForm(server.url + "/login", {
        email: server.user.email,
        password: `wrong guess ${i}`,
      });
      await res.body?.cancel();
      return res.status;
    }));
    const wrong = answers.filter((s) => s === 401).length;
    const throttled = answers.filter((s) => s === 429).length;
    assert.ok(wrong <= 5, `${wrong} guesses were checked: ${answers.join(",")}`);
    assert.equal(wrong + throttled, 15, `only 401 and 429: ${answers.join(",")}`);

    const right = await postForm(server.url + "/login", {
      email: server.user.email,
      password: server.user.password,
    });
    await right.body?.cancel();
    assert.equal(right.status, 429);
    assert.equal(sessionSetCookie(right), undefined, "no session");
    assert.ok(Number(right.headers.get("retry-after")) > 0);
  } finally {
    await server.close();
  }
});
