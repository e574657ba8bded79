import process from "node:process";
const simCode = `Deno.serve({ port: 0, hostname: "127.0.0.1", onListen(a) { console.log("http://127.0.0.1:" + a.port); } }, () => new Response(JSON.stringify({ id: "123", field_data: [{ name: "full_name", values: ["x"] }] }), { headers: { "content-type": "application/json" } }));`;
const child = new Deno.Command(Deno.execPath(), { args: ["eval", "--ext=ts", simCode], stdout: "piped" }).spawn();
const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
const url = (await reader.read()).value!.trim();
async function measure(name: string, n: number, c: number, f: () => Promise<unknown>) {
  let i = 0; const u0 = process.cpuUsage(); const t0 = performance.now();
  await Promise.all(Array.from({ length: c }, async () => { while (i < n) { i++; await f(); } }));
  const u = process.cpuUsage(u0); const ms = performance.now() - t0;
  console.log(name, `c=${c}: ${Math.round(n / ms * 1000)}/s, CPU ${Math.round((u.user + u.system) / n)} µs/call`);
}
for (let r = 0; r < 2; r++) {
await measure("fetch plain", 3000, 32, async () => { const res = await fetch(url + "/v21.0/123?fields=a"); await res.text(); });
await measure("fetch +timeout signal", 3000, 32, async () => { const res = await fetch(url + "/v21.0/123?fields=a", { headers: { accept: "application/json" }, signal: AbortSignal.timeout(10000) }); await res.text(); });
}
child.kill(); Deno.exit(0);
