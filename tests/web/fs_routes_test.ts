import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Hono } from "hono";
import { loadRouteTree, RouteFileError, routePattern } from "../../lib/web/fs_routes.ts";

Deno.test("[fs_routes] Fresh names the router does not support stop start-up, saying what to do", () => {
  const refused: [string, RegExp][] = [
    ["_middleware.ts", /_middleware is not supported here: middleware is registered in main\.ts/],
    ["api/_middleware.ts", /_middleware is not supported/],
    ["leads/_layout.tsx", /_layout is not supported here: every page renders inside/],
    ["_error.tsx", /_error is not supported here: the error pages are routes\/_404\.tsx/],
    ["files/[[page]].tsx", /the optional parameter \[\[page\]\] is not supported/],
    ["leads/lead-[id].tsx", /lead-\[id\] mixes a parameter with text/],
    ["docs/[...rest]/edit.tsx", /\[\.\.\.rest\] must be the last part of the path/],
    ["(_islands)/Counter.tsx", /route-local islands are not supported/],
  ];
  for (const [file, why] of refused) {
    assert.throws(() => routePattern(file), RouteFileError, file);
    assert.throws(() => routePattern(file), why, file);
    assert.throws(() => routePattern(file), new RegExp(`Cannot load routes/${escape(file)}: `));
  }
  // Private helpers and the special pages are no routes, and no error either.
  assert.equal(routePattern("_app.tsx"), null);
  assert.equal(routePattern("_components/Card.tsx"), null);
});

Deno.test("[fs_routes] a routes folder holding _layout.tsx fails to load rather than being skipped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "leadline-routes-" });
  try {
    for (const name of ["_app.tsx", "_404.tsx", "_500.tsx", "index.tsx"]) {
      await Deno.writeTextFile(
        join(dir, name),
        "export default function Page() { return null; }\n",
      );
    }
    await loadRouteTree(pathToFileURL(dir + "/"));
    await Deno.writeTextFile(
      join(dir, "_layout.tsx"),
      "export default function L() { return null; }\n",
    );
    await assert.rejects(
      () => loadRouteTree(pathToFileURL(dir + "/")),
      /Cannot load routes\/_layout\.tsx: Fresh's _layout is not supported/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[fs_routes] [...rest] keeps its name: the router hands the rest of the path to `rest`", async () => {
  const pattern = routePattern("files/[...path].ts")!;
  const app = new Hono();
  app.get(pattern, (c) => c.json({ path: c.req.param("path") }));
  for (const [url, path] of [["/files/a", "a"], ["/files/a/b/c.txt", "a/b/c.txt"]]) {
    const res = await app.request(url);
    assert.equal(res.status, 200, url);
    assert.deepEqual(await res.json(), { path });
  }
  const empty = await app.request("/files/");
  await empty.body?.cancel();
  assert.equal(empty.status, 404, "one segment or more");
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
