import assert from "node:assert/strict";
import { portOf, simulateCommand } from "../../lib/demo_command.ts";
import { startTestServer } from "../_helpers/app.ts";

Deno.test("[demo] the simulate command works without a deno command and names non-default ports", () => {
  assert.equal(
    simulateCommand({ port: 8000, simulatorPort: 8787 }),
    "npx -y deno@2.9 task simulate --count 5",
  );
  assert.equal(
    simulateCommand({ port: 8123, simulatorPort: 8787 }),
    "PORT=8123 npx -y deno@2.9 task simulate --count 5",
  );
  assert.equal(
    simulateCommand({ port: 8000, simulatorPort: 40123 }, "--count 3 --lost"),
    "GRAPH_SIMULATOR_PORT=40123 npx -y deno@2.9 task simulate --count 3 --lost",
  );
  assert.equal(portOf("http://127.0.0.1:8787"), 8787);
});

Deno.test("[demo] the dashboard's demo banner gives the command with this server's PORT", async () => {
  const server = await startTestServer();
  try {
    const res = await server.fetch("/", { headers: { accept: "text/html" } });
    const body = await res.text();
    const port = new URL(server.url).port;
    const simulatorPort = new URL(server.app.services.simulator!.url).port;
    const banner = body.match(/<p class="banner banner-demo"[^]*?<\/p>/)?.[0] ?? "";
    assert.match(
      banner,
      new RegExp(
        `<code data-simulate="true">PORT=${port} GRAPH_SIMULATOR_PORT=${simulatorPort} ` +
          "npx -y deno@2\\.9 task simulate --count 5</code>",
      ),
    );
    assert.match(banner, /from another terminal in this folder/);
  } finally {
    await server.close();
  }
});
