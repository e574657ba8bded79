// Fault suite: hostile input. At least 200 generated bad requests to every public route (the
// webhook, sign-in, health, static files), from someone without the app secret or a session:
// each gets the right 4xx (or the page it asked for), never a 5xx, and nothing is stored.
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../_helpers/app.ts";
import { rawRequest } from "../_helpers/raw_http.ts";
import { APP_SECRET, VERIFY_TOKEN } from "../_helpers/pipeline.ts";
import { countKeys, scaled, seededRandom } from "./_helpers.ts";

const PER_ROUTE = Math.max(200, scaled(250));
const random = seededRandom(99);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const int = (max: number) => Math.floor(random() * max);

function randomText(max: number): string {
  const alphabet = [
    "a",
    "Z",
    "0",
    " ",
    "%",
    "%00",
    "%zz",
    "\\",
    "/",
    "..",
    '"',
    "'",
    "<",
    ">",
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "é",
    "😀",
    "\u0000",
    "\u202e",
    "&",
    "=",
    "?",
    "#",
    ";",
    "\n",
  ];
  let out = "";
  const length = int(max);
  for (let i = 0; i < length; i++) out += pick(alphabet);
  return out;
}

function randomJsonish(): string {
  return pick([
    () => "",
    () => "{",
    () => "null",
    () => "[]",
    () => '{"object":"page","entry":[{"id":"1","changes":[{"field":"leadgen","value":{}}]}]}',
    () =>
      JSON.stringify({ object: "page", entry: [{ id: randomText(20), changes: randomText(30) }] }),
    () => '{"object":"page","entry":[{"id":1e999}]}',
    () => "[".repeat(5000),
    () => randomText(400),
    () => JSON.stringify({ object: "page", entry: Array(50).fill({ id: "1", changes: [] }) }),
  ])();
}

function randomHex(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += "0123456789abcdef"[int(16)];
  return out;
}

function randomSignature(): string | null {
  return pick([
    () => null,
    () => "",
    () => "sha256=",
    () => `sha256=${randomHex(64)}`,
    () => `sha256=${randomHex(63)}`,
    () => `sha1=${randomHex(40)}`,
    () => `SHA256=${randomHex(64)}`,
    () => randomHex(64),
    // Header values are bytes: what a client can send of random text.
    () => `sha256=${randomText(64)}`.replace(/[^\x20-\x7e]/g, ""),
    () => `sha256=${randomHex(64)}, sha256=${randomHex(64)}`,
  ])();
}

/** Bytes as they may come: text, invalid UTF-8, binary, or past the body limit. */
function randomBody(): Uint8Array<ArrayBuffer> {
  return pick([
    () => new TextEncoder().encode(randomJsonish()),
    () => new Uint8Array([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1]),
    () => crypto.getRandomValues(new Uint8Array(int(2048))),
    () => new Uint8Array(70 * 1024).fill(0x7b),
  ])();
}

interface Tally {
  route: string;
  requests: number;
  statuses: Map<number, number>;
}

function record(tally: Tally, status: number, allowed: number[], what: string) {
  tally.requests++;
  tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
  assert.ok(status < 500, `${tally.route}: ${what} answered ${status}`);
  assert.ok(allowed.includes(status), `${tally.route}: ${what} answered ${status}, not ${allowed}`);
}

async function storedCounts(server: TestServer) {
  const kv = server.kv;
  return {
    leads: await countKeys(kv, ["leads"]),
    deliveries: await countKeys(kv, ["webhook_deliveries"]),
    jobs: await countKeys(kv, ["jobs"]),
    users: await countKeys(kv, ["users"]),
    sessions: await countKeys(kv, ["sessions"]),
    changes: await countKeys(kv, ["lead_changes"]),
  };
}

Deno.test("[faults] hostile input: hundreds of bad requests to every public route get the right 4xx, never a 5xx, and store nothing", async () => {
  const server = await startTestServer({
    env: {
      META_APP_SECRET: APP_SECRET,
      META_VERIFY_TOKEN: VERIFY_TOKEN,
      META_ACCESS_TOKEN: "hostile-test-token",
      GRAPH_API_BASE: "http://127.0.0.1:9",
      WEBHOOK_BODY_LIMIT: String(64 * 1024),
      LOG_LEVEL: "error",
    },
  });
  const tallies: Tally[] = [];
  const tally = (route: string) => {
    const t = { route, requests: 0, statuses: new Map<number, number>() };
    tallies.push(t);
    return t;
  };
  try {
    const before = await storedCounts(server);
    const base = server.url;

    // POST /webhook without the secret: missing, malformed or forged signatures, any body.
    const webhookPost = tally("POST /webhook");
    for (let i = 0; i < PER_ROUTE; i++) {
      const signature = randomSignature();
      const headers: Record<string, string> = {
        "content-type": pick([
          "application/json",
          "text/plain",
          "application/x-www-form-urlencoded",
          "",
        ]),
      };
      if (signature !== null) headers["x-hub-signature-256"] = signature;
      const res = await fetch(base + "/webhook" + pick(["", "?", "?a=1", "?hub.mode=x"]), {
        method: "POST",
        headers,
        body: randomBody(),
        redirect: "manual",
      });
      await res.body?.cancel();
      // 401 refused signature, 413 over the limit, 429 after 20 forgeries from this address.
      record(webhookPost, res.status, [401, 413, 429], `signature ${JSON.stringify(signature)}`);
    }

    // Other methods on the webhook.
    const webhookOther = tally("PUT/PATCH/DELETE /webhook");
    for (let i = 0; i < PER_ROUTE; i++) {
      const method = pick(["PUT", "PATCH", "DELETE"]);
      const res = await fetch(base + "/webhook", {
        method,
        body: randomText(100),
        redirect: "manual",
      });
      await res.body?.cancel();
      record(webhookOther, res.status, [405], method);
    }

    // GET /webhook: the subscription check with everything but the right token.
    const webhookGet = tally("GET /webhook");
    for (let i = 0; i < PER_ROUTE; i++) {
      const params = new URLSearchParams();
      if (random() < 0.8) {
        params.set("hub.mode", pick(["subscribe", "SUBSCRIBE", "", randomText(10)]));
      }
      if (random() < 0.8) {
        params.set(
          "hub.verify_token",
          pick([VERIFY_TOKEN + "x", VERIFY_TOKEN.slice(1), "", randomText(40)]),
        );
      }
      if (random() < 0.8) params.set("hub.challenge", randomText(50));
      const res = await fetch(`${base}/webhook?${params}`, { redirect: "manual" });
      await res.body?.cancel();
      record(webhookGet, res.status, [403], params.toString().slice(0, 60));
    }

    // GET /login with hostile `next` values and query junk: the page, never an error.
    const loginGet = tally("GET /login");
    for (let i = 0; i < PER_ROUTE; i++) {
      const next = pick([
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "/%2F%2Fevil.example",
        "javascript:alert(1)",
        randomText(80),
        "/".repeat(int(3000)),
      ]);
      const res = await fetch(`${base}/login?next=${encodeURIComponent(next)}&${randomText(20)}`, {
        redirect: "manual",
      });
      const html = await res.text();
      record(loginGet, res.status, [200], `next=${JSON.stringify(next.slice(0, 40))}`);
      assert.ok(!/(href|action|src)="[^"]*evil\.example/.test(html), "no link to a foreign site");
    }

    // POST /login: cross-site posts, junk forms, huge bodies, wrong types.
    const loginPost = tally("POST /login");
    for (let i = 0; i < PER_ROUTE; i++) {
      const sameOrigin = random() < 0.6;
      const kind = pick(["form", "json", "junk", "huge"]);
      const body = kind === "form"
        ? new URLSearchParams({ email: randomText(30), password: randomText(30) }).toString()
        : kind === "json"
        ? JSON.stringify({ email: randomText(20), password: randomText(20) })
        : kind === "huge"
        ? "email=" + "a".repeat(200_000)
        : randomText(300);
      const res = await fetch(base + "/login", {
        method: "POST",
        redirect: "manual",
        headers: {
          ...(sameOrigin ? { origin: base } : { origin: pick(["https://evil.example", "null"]) }),
          "content-type": kind === "json"
            ? "application/json"
            : pick(["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]),
        },
        body,
      });
      await res.body?.cancel();
      // 403 for another origin; 400/401/413/415 for what cannot sign in; 429 once throttled.
      record(
        loginPost,
        res.status,
        [400, 401, 403, 413, 415, 429],
        `${kind}, same origin ${sameOrigin}`,
      );
    }

    // /health: any method, any query.
    const health = tally("/health");
    for (let i = 0; i < PER_ROUTE; i++) {
      const method = pick(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]);
      const res = await fetch(`${base}/health?${randomText(30)}`, {
        method,
        redirect: "manual",
        headers: method === "GET" || method === "HEAD" ? {} : { origin: base },
      });
      await res.body?.cancel();
      const allowed = method === "GET" || method === "HEAD" ? [200] : [405];
      record(health, res.status, allowed, method);
    }

    // Static files: traversal, encodings, odd names, as raw request lines (no URL clean-up).
    const statics = tally("static files");
    for (let i = 0; i < PER_ROUTE; i++) {
      const target = pick([
        () => `/static/${randomText(30).replace(/[\s#?]/g, "")}`,
        () => `/static/../${pick(["main.ts", "deno.json", ".env", "data/leadline.kv"])}`,
        () => `/static/%2e%2e/%2e%2e/${pick(["etc/passwd", "main.ts"])}`,
        () => `/static/..%2f..%2fmain.ts`,
        () => `/_islands/${randomHex(10)}.js`,
        () => `/_islands/..%5c..%5cmain.ts`,
        () => `/static/styles.css%00.js`,
        () => `/static/${"a".repeat(int(4000))}`,
      ])().replace(/[\r\n ]/g, "").replaceAll("\u0000", "");
      const res = await rawRequest(base, target, { method: pick(["GET", "HEAD"]) });
      // 400 for a path that cannot be decoded; 404 for anything not a built file (the private
      // catch-all answers an anonymous caller with 401 when a traversal leaves the prefixes).
      record(statics, res.status, [400, 401, 404], target.slice(0, 60));
      assert.ok(!res.body.includes("META_APP_SECRET"), "no source file served");
    }

    assert.deepEqual(await storedCounts(server), before, "nothing stored");
    for (const t of tallies) {
      assert.ok(t.requests >= 200, `${t.route}: ${t.requests} requests`);
      console.log(
        `hostile input: ${t.route}: ${t.requests} requests -> ${JSON.stringify([...t.statuses])}`,
      );
    }
  } finally {
    await server.close();
  }
});
