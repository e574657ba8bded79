import assert from "node:assert/strict";
import { h } from "preact";
import { IslandPropsError, registerIsland, renderWithIslands } from "../../lib/islands/ssr.ts";
import { createLogger } from "../../lib/log.ts";
import type { RouteTree } from "../../lib/web/fs_routes.ts";
import { createPageRenderer } from "../../lib/web/render.ts";
import { createWebApp } from "../../lib/web/server.ts";
import { createTestApp } from "../_helpers/app.ts";

Deno.test("[pages] GET / renders the layout, stylesheet, the dashboard island and its live parts", async () => {
  const { app, fetch, close } = await createTestApp();
  try {
    const res = await fetch("/");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    const html = await res.text();
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<title>[^<]*Leadline<\/title>/);
    assert.match(html, /<link rel="stylesheet" href="\/static\/styles\.css\?v=[0-9a-f]+"/);
    const marker = /<div data-island="LeadDashboard" data-island-id="(\d+)">/.exec(html);
    assert.ok(marker, "the dashboard island is rendered inside its marker");
    assert.match(
      html,
      new RegExp(`<script type="application/json" data-island-props="${marker[1]}">\\{"rows":`),
    );
    // The islands the dashboard route renders together are one script, which boots them all.
    const scripts = [...html.matchAll(/<script type="module" src="([^"]+)">/g)].map((m) => m[1]);
    assert.equal(scripts.length, 1, `one script for the page's islands: ${scripts.join(", ")}`);
    const src = /^(\/_islands\/Page-AddLeadForm-LeadDashboard-LiveFragments-[0-9a-f]+\.js)$/
      .exec(scripts[0]);
    assert.ok(src, "the page loads its islands' page script");

    const bundle = await app.fetch(new Request(`http://localhost${src[1]}`));
    assert.equal(bundle.status, 200);
    assert.equal(bundle.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.match(bundle.headers.get("cache-control")!, /immutable/);
    const code = await bundle.text();
    for (const island of ["AddLeadForm", "LeadDashboard", "LiveFragments"]) {
      assert.ok(code.includes(`"${island}"`), `the page script boots ${island}`);
    }

    // The team strip and the sync line are server-rendered parts, not islands: the page renders
    // them with what makes them live, and one LiveFragments island (no markup) refreshes them.
    assert.equal([...html.matchAll(/data-island="LiveFragments"/g)].length, 1);
    assert.match(html, /<div data-island="LiveFragments" data-island-id="\d+"><\/div>/);
    assert.match(
      html,
      /<section class="team-strip" aria-label="Team speed to lead" data-team-strip="true" data-live-src="\/fragments\/team-strip" data-live-every="30000"><dl class="team-figures">/,
    );
    assert.match(
      html,
      /<div class="sync-status muted" data-sync="never" data-live-src="\/fragments\/sync-status" data-live-every="20000" data-live-boost="\[data-action=&quot;sync&quot;\]" data-live-boost-every="1500" data-live-boost-for="15000">Not synced with Meta yet\.<\/div>/,
    );

    // Preact (and code the lazily loaded parts use) comes in chunks, each preloaded once.
    const chunks = [
      ...html.matchAll(/<link rel="modulepreload" href="(\/_islands\/chunk-[\w-]+\.js)">/g),
    ].map((match) => match[1]);
    assert.ok(chunks.length >= 1, "a shared chunk");
    assert.equal(new Set(chunks).size, chunks.length, "each shared chunk preloaded once");
    for (const href of chunks) {
      const chunk = await app.fetch(new Request(`http://localhost${href}`));
      assert.equal(chunk.status, 200);
      assert.match(chunk.headers.get("cache-control")!, /immutable/);
      assert.match(await chunk.text(), /^\S/);
    }
  } finally {
    await close();
  }
});

Deno.test("[pages] the 404 page is HTML for browsers, JSON for the API, and loads no island", async () => {
  const { fetch, close } = await createTestApp();
  try {
    const page = await fetch("/no/such/page", { headers: { accept: "text/html" } });
    assert.equal(page.status, 404);
    const html = await page.text();
    assert.match(html, /Page not found/);
    assert.match(html, /Leadline/);
    assert.doesNotMatch(html, /_islands\//, "a page without islands loads no island script");

    const api = await fetch("/api/nothing");
    assert.equal(api.status, 404);
    assert.equal(api.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal((await api.json()).error, "Not found");
  } finally {
    await close();
  }
});

Deno.test("[pages] a crashing route shows the 500 page with a request id and logs the stack", async () => {
  const logs: string[] = [];
  const tree: RouteTree = {
    app: ({ Component }) => h("html", null, h("head", null), h("body", null, h(Component, null))),
    notFound: () => h("p", null, "nf"),
    error: ({ state }) => h("p", null, `Sorry, ref ${state.requestId}`),
    routes: [{
      file: "boom.ts",
      pattern: "/boom",
      access: "public",
      csrf: "checked",
      params: {},
      module: {
        handler: {
          GET() {
            throw new Error("secret internal detail at line 42");
          },
        },
      },
    }],
  };
  const assets = { files: new Map(), url: (p: string) => p };
  // The framework needs nothing of the app: a request id on the state and a log.
  const app = createWebApp({
    initialState: (requestId) => ({ requestId }),
    log: createLogger({ sink: (l) => logs.push(l) }),
    tree,
    assets,
    render: createPageRenderer(tree, assets, { islands: new Map(), pages: [], files: new Map() }),
    authorize: () => null,
  });
  const res = await app.request("/boom", { headers: { accept: "text/html" } });
  assert.equal(res.status, 500);
  const html = await res.text();
  const requestId = res.headers.get("x-request-id")!;
  assert.ok(html.includes(`ref ${requestId}`), "the page shows the request id");
  assert.doesNotMatch(
    html,
    /secret internal detail|at line|\.ts:/,
    "no stack reaches the browser",
  );
  const errorLine = logs.map((l) => JSON.parse(l)).find((l) => l.level === "error");
  assert.equal(errorLine.requestId, requestId);
  assert.match(errorLine.error.stack, /secret internal detail/);

  const api = await app.request("/boom");
  assert.equal(api.status, 500);
  const body = await api.json();
  assert.equal(body.error, "Internal server error");
  assert.equal(JSON.stringify(body).includes("secret"), false);
});

Deno.test("[islands] props that are not JSON-safe fail loudly at render time", () => {
  function Probe(_props: Record<string, unknown>) {
    return h("span", null, "probe");
  }
  registerIsland("Probe", Probe);
  // Island vnodes are recognised when created during a render, as they are inside pages.
  const page = (props: Record<string, unknown>) => {
    function Page() {
      return h(Probe, props);
    }
    return h(Page, {});
  };
  const ok = renderWithIslands(page({ a: 1, b: ["x", null], c: { d: true } }));
  assert.deepEqual(ok.islands, ["Probe"]);
  assert.match(ok.html, /data-island="Probe"/);
  assert.match(ok.html, /<span>probe<\/span>/);

  assert.throws(() => renderWithIslands(page({ when: new Date() })), IslandPropsError);
  assert.throws(() => renderWithIslands(page({ fn: () => 1 })), /props\.fn is a function/);
  assert.throws(() => renderWithIslands(page({ n: NaN })), /props\.n is not a finite number/);
  assert.throws(() => renderWithIslands(page({ big: 1n })), /props\.big is a bigint/);
});

Deno.test("[islands] props cannot break out of their script element", () => {
  function Echo({ text }: { text: string }) {
    return h("b", null, text);
  }
  registerIsland("Echo", Echo);
  function Page() {
    return h(Echo, { text: "</script><script>alert(1)</script>" });
  }
  const { html } = renderWithIslands(h(Page, {}));
  assert.doesNotMatch(html, /<\/script><script>alert/);
  assert.match(html, /\\u003c\/script>/);
});

Deno.test("[logs] every request writes one JSON line with level, request id and duration", async () => {
  const { app, logs, close } = await createTestApp();
  try {
    const res = await app.fetch(new Request("http://localhost/health?hub.verify_token=hush"));
    await res.body?.cancel();
    const lines = logs.map((l) => JSON.parse(l)).filter((l) => l.message === "request");
    assert.equal(lines.length, 1);
    assert.equal(lines[0].level, "info");
    assert.equal(lines[0].path, "/health");
    assert.equal(lines[0].status, 200);
    assert.equal(lines[0].requestId, res.headers.get("x-request-id"));
    assert.equal(typeof lines[0].durationMs, "number");
    assert.equal(logs.join("\n").includes("hush"), false, "query strings are never logged");
  } finally {
    await close();
  }
});
