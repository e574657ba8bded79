import assert from "node:assert/strict";
import { compareRoutes, listRouteFiles, routePattern } from "../../lib/web/fs_routes.ts";
import { startTestServer } from "../_helpers/app.ts";

const ROUTES_DIR = new URL("../../routes/", import.meta.url);

Deno.test("[routes] file names map to Fresh-style URL patterns", () => {
  assert.equal(routePattern("index.tsx"), "/");
  assert.equal(routePattern("health.ts"), "/health");
  assert.equal(routePattern("api/leads/index.ts"), "/api/leads");
  assert.equal(routePattern("api/leads/[id].ts"), "/api/leads/:id");
  assert.equal(routePattern("api/leads/[id]/retry.ts"), "/api/leads/:id/retry");
  // The rest keeps its name: a handler reads `params.path` (was an anonymous `*`).
  assert.equal(routePattern("files/[...path].ts"), "/files/:path{.+}");
  assert.equal(routePattern("(marketing)/about.tsx"), "/about");
  assert.equal(routePattern("_app.tsx"), null);
  assert.equal(routePattern("_components/x.tsx"), null);
  assert.equal(routePattern("notes.md"), null);
});

Deno.test("[routes] static segments win over parameters, catch-alls come last", () => {
  const sorted = ["/api/leads/:id", "/:rest{.+}", "/api/leads/sync", "/api/leads"].sort(
    compareRoutes,
  );
  assert.deepEqual(sorted, ["/api/leads", "/api/leads/sync", "/api/leads/:id", "/:rest{.+}"]);
});

/** A concrete URL for a pattern: parameters become a sample value. */
function sampleUrl(pattern: string): string {
  return pattern.replace(/:\w+/g, "1").replace("*", "x");
}

Deno.test("[routes] every file in routes/ is served and unknown methods get 405 with Allow", async (t) => {
  const server = await startTestServer();
  try {
    const files = (await listRouteFiles(ROUTES_DIR)).filter((f) => routePattern(f) !== null);
    assert.ok(files.length >= 2, "routes/ holds route files");
    const registered = new Set(server.app.hono.routes.map((r) => r.path));
    for (const file of files) {
      const pattern = routePattern(file)!;
      await t.step(`${file} -> ${pattern}`, async () => {
        assert.ok(registered.has(pattern), `${file} is registered as ${pattern}`);
        const res = await server.fetch(sampleUrl(pattern), { method: "PURGE" });
        await res.body?.cancel();
        assert.equal(res.status, 405, `${file} answers an unknown method with 405`);
        const allow = res.headers.get("allow") ?? "";
        assert.match(
          allow,
          /\b(GET|POST|PUT|PATCH|DELETE)\b/,
          `${file} lists its methods in Allow`,
        );
      });
    }
    const res = await server.fetch("/definitely-not-a-route", { method: "PURGE" });
    await res.body?.cancel();
    assert.equal(res.status, 404, "a path with no file is not found");
  } finally {
    await server.close();
  }
});
