import assert from "node:assert/strict";
import { signBody } from "../../lib/facebook/signature.ts";
import { startTestServer, type TestServer } from "../_helpers/app.ts";
import { ACCESS_TOKEN, APP_SECRET, postDelivery, VERIFY_TOKEN } from "../_helpers/pipeline.ts";

const ENV = {
  META_APP_SECRET: APP_SECRET,
  META_VERIFY_TOKEN: VERIFY_TOKEN,
  META_ACCESS_TOKEN: ACCESS_TOKEN,
  // Nothing listens here: these tests never let a fetch job reach the Graph API.
  GRAPH_API_BASE: "http://127.0.0.1:9",
  WEBHOOK_BODY_LIMIT: "4096",
};

async function withServer(fn: (server: TestServer) => Promise<void>, env = {}) {
  const server = await startTestServer({ env: { ...ENV, ...env } });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

function leadgenBody(leadgenId = "444444444444444") {
  return JSON.stringify({
    object: "page",
    entry: [{
      id: "101",
      time: 1764336000,
      changes: [{
        field: "leadgen",
        value: { leadgen_id: leadgenId, page_id: "101", form_id: "202", created_time: 1764336000 },
      }],
    }],
  });
}

Deno.test("[e2e] GET /webhook verification: 200 text/plain challenge, else 403", async (t) => {
  await withServer(async (server) => {
    const verify = (params: Record<string, string>) =>
      fetch(`${server.url}/webhook?${new URLSearchParams(params)}`);
    await t.step("the right token echoes the challenge", async () => {
      const res = await verify({
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
      assert.equal(await res.text(), "1158201444");
    });
    const refused: [string, Record<string, string>][] = [
      ["a wrong token", {
        "hub.mode": "subscribe",
        "hub.verify_token": "nope",
        "hub.challenge": "1",
      }],
      ["a token that only shares a prefix", {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN + "x",
        "hub.challenge": "1",
      }],
      ["another mode", {
        "hub.mode": "unsubscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1",
      }],
      ["no token", { "hub.mode": "subscribe", "hub.challenge": "1" }],
      ["no challenge", { "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN }],
      ["nothing", {}],
    ];
    for (const [name, params] of refused) {
      await t.step(`${name} gets 403`, async () => {
        const res = await verify(params);
        assert.equal(res.status, 403);
        assert.doesNotMatch(await res.text(), new RegExp(VERIFY_TOKEN));
      });
    }
    assert.ok(
      !server.logs.some((line) => line.includes(VERIFY_TOKEN)),
      "the verify token never reaches the log",
    );
  });
});

Deno.test("[e2e] POST /webhook: 401 for a missing, malformed or wrong signature; nothing stored", async (t) => {
  await withServer(async (server) => {
    const url = server.url + "/webhook";
    const body = leadgenBody();
    const cases: [string, string | null, RegExp][] = [
      ["missing", null, /missing/],
      ["malformed", "sha256=xyz", /not sha256=/],
      ["sha1 only", "sha1=" + "a".repeat(40), /not sha256=/],
      ["wrong", await signBody("another-secret", body), /does not match/],
      ["over a different body", await signBody(APP_SECRET, body + " "), /does not match/],
    ];
    for (const [name, signature, reason] of cases) {
      await t.step(name, async () => {
        const res = await postDelivery(url, body, { signature });
        assert.equal(res.status, 401);
        assert.match(JSON.parse(res.text).error, reason);
      });
    }
    // A signature over the same JSON with other whitespace is wrong: the bytes are what count.
    const respaced = JSON.stringify(JSON.parse(body), null, 2);
    const res = await postDelivery(url, respaced, { signature: await signBody(APP_SECRET, body) });
    assert.equal(res.status, 401);
    assert.equal(await server.app.services.leads.getChangeHead(), 0);
    const signature = await signBody("another-secret", body);
    assert.ok(
      !server.logs.some((line) => line.includes(signature.slice(7))),
      "no signature logged",
    );
    assert.ok(!server.logs.some((line) => line.includes(APP_SECRET)), "no secret logged");
  });
});

Deno.test("[e2e] POST /webhook: 413 past the body limit, declared or streamed", async (t) => {
  await withServer(async (server) => {
    const url = server.url + "/webhook";
    await t.step("a declared Content-Length over the limit", async () => {
      const big = JSON.stringify({ object: "page", entry: [], pad: "x".repeat(5000) });
      const res = await postDelivery(url, big);
      assert.equal(res.status, 413);
      assert.match(JSON.parse(res.text).error, /larger than 4096 bytes/);
    });
    await t.step("a chunked body is cut off while streaming", async () => {
      let pulled = 0;
      const total = 64 * 1024 * 1024;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled >= total) return controller.close();
          pulled += 16 * 1024;
          controller.enqueue(new Uint8Array(16 * 1024).fill(32));
        },
      });
      let status: number | null = null;
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "x-hub-signature-256": "sha256=" + "0".repeat(64) },
          body: stream,
        });
        status = res.status;
        await res.body?.cancel();
      } catch {
        // The server may close the connection before the client finished sending: also a refusal.
      }
      if (status !== null) assert.equal(status, 413);
      assert.ok(pulled < total, `the server stopped reading (client produced ${pulled} bytes)`);
    });
    assert.equal(await server.app.services.leads.getChangeHead(), 0);
  });
});

Deno.test("[e2e] POST /webhook: 400 with a reason for a signed body that is not a delivery", async (t) => {
  await withServer(async (server) => {
    const url = server.url + "/webhook";
    const cases: [string, string, RegExp][] = [
      ["not JSON", "{not json", /not valid JSON/],
      ["not an object", "[1,2]", /must be a JSON object/],
      [
        "entry not an array",
        JSON.stringify({ object: "page", entry: {} }),
        /entry must be an array/,
      ],
      [
        "leadgen without leadgen_id",
        JSON.stringify({
          object: "page",
          entry: [{ id: "1", time: 1, changes: [{ field: "leadgen", value: { page_id: "1" } }] }],
        }),
        /leadgen_id is missing/,
      ],
    ];
    for (const [name, body, reason] of cases) {
      await t.step(name, async () => {
        const res = await postDelivery(url, body);
        assert.equal(res.status, 400);
        assert.match(res.headers.get("content-type") ?? "", /application\/json/);
        assert.match(JSON.parse(res.text).error, reason);
      });
    }
    assert.equal(await server.app.services.leads.getChangeHead(), 0);
  });
});

Deno.test("[e2e] POST /webhook: 200 for objects and fields we ignore, logged, nothing stored", async () => {
  await withServer(async (server) => {
    const url = server.url + "/webhook";
    const other = await postDelivery(url, JSON.stringify({ object: "instagram", entry: [] }));
    assert.equal(other.status, 200);
    assert.deepEqual(JSON.parse(other.text).ignored, ["object:instagram"]);
    const feed = await postDelivery(
      url,
      JSON.stringify({
        object: "page",
        entry: [{ id: "1", time: 1, changes: [{ field: "feed", value: { item: "post" } }] }],
      }),
    );
    assert.equal(feed.status, 200);
    assert.equal(JSON.parse(feed.text).received, 0);
    assert.deepEqual(JSON.parse(feed.text).ignored, ["feed"]);
    assert.equal(await server.app.services.leads.getChangeHead(), 0);
    assert.ok(server.logs.some((line) => line.includes('"webhook ignored"')));
  });
});

Deno.test("[e2e] POST /webhook: a valid delivery gets 200 and its lead is stored before the answer", async () => {
  await withServer(async (server) => {
    const res = await postDelivery(server.url + "/webhook", leadgenBody("9007199254740993"));
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.text).inserted, 1);
    const lead = await server.app.services.leads.getLeadByLeadgenId("9007199254740993");
    assert.equal(lead?.leadgenId, "9007199254740993");
    assert.equal(lead?.pageId, "101");
    assert.equal(lead?.createdTime, "2025-11-28T13:20:00.000Z");
    const again = await postDelivery(server.url + "/webhook", leadgenBody("9007199254740993"));
    assert.equal(again.status, 200);
    assert.equal(JSON.parse(again.text).duplicates, 1);
  }, { JOB_RETRY_DELAY_MS: "600000" });
});

Deno.test("[e2e] POST /webhook: 429 with Retry-After after repeated forgeries from one address", async () => {
  await withServer(async (server) => {
    const url = server.url + "/webhook";
    const body = leadgenBody();
    const forged = await signBody("forger", body);
    for (let i = 0; i < 20; i++) {
      const res = await postDelivery(url, body, { signature: forged });
      assert.equal(res.status, 401, `forgery ${i + 1} is refused as unsigned`);
    }
    const blocked = await postDelivery(url, body, { signature: forged });
    assert.equal(blocked.status, 429);
    const retryAfter = Number(blocked.headers.get("retry-after"));
    assert.ok(retryAfter > 0 && retryAfter <= 600, `Retry-After ${retryAfter}`);
    assert.equal(await server.app.services.leads.getChangeHead(), 0, "nothing stored");
    // No signature at all is refused before the body is read.
    const unsigned = await postDelivery(url, body, { signature: null });
    assert.equal(unsigned.status, 429);
    // Meta may share the address (a proxy, a NAT): its correctly signed delivery still lands.
    const signed = await postDelivery(url, body);
    assert.equal(signed.status, 200);
    assert.equal(JSON.parse(signed.text).inserted, 1);
  });
});

Deno.test("[e2e] POST /webhook: a correctly signed delivery never reads the forgery limiter", async () => {
  const real = await Deno.openKv(":memory:");
  const limiterReads: string[] = [];
  // The app's KV, recording every read of a rate-limit counter.
  const kv = new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getMany") {
        return (keys: Deno.KvKey | Deno.KvKey[], ...rest: unknown[]) => {
          const list = (prop === "get" ? [keys] : keys) as Deno.KvKey[];
          for (const key of list) {
            if (key[0] === "rate_limits") limiterReads.push(String(key[1]));
          }
          return (value as (...args: unknown[]) => unknown).call(target, keys, ...rest);
        };
      }
      return value.bind(target);
    },
  });
  const server = await startTestServer({ env: ENV, kv });
  try {
    const url = server.url + "/webhook";
    for (let i = 0; i < 3; i++) {
      const res = await postDelivery(url, leadgenBody(`55555555555555${i}`));
      assert.equal(res.status, 200);
    }
    assert.equal(limiterReads.length, 0, `signed deliveries read the limiter: ${limiterReads}`);
    const forged = await postDelivery(url, leadgenBody(), { signature: await signBody("x", "y") });
    assert.equal(forged.status, 401);
    assert.ok(limiterReads.includes("webhook_bad_signature"), "a forgery is counted");
  } finally {
    await server.close();
    real.close();
  }
});
