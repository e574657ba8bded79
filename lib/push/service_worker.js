// Leadline's service worker (served at /sw.js, scope /): shows lead notifications, opens the lead
// when one is tapped, and keeps the app shell (stylesheet, icons, content-hashed island bundles)
// for a fast start. Pages and API answers hold lead data: they are never cached here.

const CACHE = "leadline-shell-v1";
/** Shell files kept at most; the oldest go first (old bundles after a deploy). */
const CACHE_MAX = 80;
const OFFLINE_HTML = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline · Leadline' +
  '</title></head><body style="font-family:system-ui,sans-serif;margin:2rem"><h1>You are offline' +
  "</h1><p>Leadline needs a connection to show leads. It will load again once you are back " +
  'online.</p><p><a href="/">Try again</a></p></body></html>';

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/** True for files whose bytes never change under their URL: island bundles, `?v=`-hashed statics. */
function isShell(url) {
  if (url.origin !== self.location.origin) return false;
  if (url.pathname.startsWith("/_islands/")) return true;
  return url.pathname.startsWith("/static/") && url.searchParams.has("v");
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (isShell(url)) {
    event.respondWith(shellFile(request));
  } else if (request.mode === "navigate") {
    // Pages always come from the network (they hold leads); offline, a page that says so.
    event.respondWith(
      fetch(request).catch(() =>
        new Response(OFFLINE_HTML, {
          status: 503,
          headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
        })
      ),
    );
  }
});

async function shellFile(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") {
    await cache.put(request, response.clone());
    const keys = await cache.keys();
    for (const old of keys.slice(0, Math.max(0, keys.length - CACHE_MAX))) await cache.delete(old);
  }
  return response;
}

/** A path on this site to open, or "/" for anything else (a message never sends us elsewhere). */
function ownPath(value) {
  return typeof value === "string" && value.startsWith("/") && !value.startsWith("//")
    ? value
    : "/";
}

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { body: event.data ? event.data.text() : "" };
  }
  const tag = typeof message.tag === "string" ? message.tag : undefined;
  event.waitUntil(
    self.registration.showNotification(String(message.title || "Leadline"), {
      body: String(message.body || ""),
      tag,
      renotify: Boolean(tag && message.renotify),
      icon: "/static/icons/icon-192.png",
      data: { url: ownPath(message.url) },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(ownPath(event.notification.data?.url), self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((client) => client.url === url) ??
      windows.find((client) => "navigate" in client);
    if (open) {
      if (open.url !== url) await open.navigate(url);
      await open.focus().catch(() => {});
      return;
    }
    await self.clients.openWindow(url);
  })());
});
