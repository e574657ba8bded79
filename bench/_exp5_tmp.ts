import process from "node:process";
import { ulid } from "../lib/ids.ts";
const dir = await Deno.makeTempDir();
const kv = await Deno.openKv(`${dir}/kv`);
const val = { x: "y".repeat(600) };
async function measure(name: string, n: number, f: () => Promise<unknown>) {
  const u0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < n; i++) await f();
  const u = process.cpuUsage(u0); const ms = performance.now() - t0;
  console.log(name, `${(ms / n).toFixed(2)} ms/commit, CPU ${Math.round((u.user + u.system) / n / 32)} µs/lead (user ${Math.round(u.user / n / 32)} sys ${Math.round(u.system / n / 32)})`);
}
// prefill random index with 100k entries
for (let i = 0; i < 100; i++) { const op = kv.atomic(); for (let j = 0; j < 1000 / 10; j++) op.set(["rnd", String(Math.floor(Math.random() * 1e16))], "x"); await op.commit(); }
for (let r = 0; r < 2; r++) {
await measure("32 leads, 10 seq keys each", 200, () => { const op = kv.atomic(); for (let j = 0; j < 32; j++) { const id = ulid(); op.set(["leads", id], val); for (let k = 0; k < 9; k++) op.set(["idx" + k, id], id); } return op.commit(); });
await measure("32 leads, 9 seq + 1 random", 200, () => { const op = kv.atomic(); for (let j = 0; j < 32; j++) { const id = ulid(); op.set(["leads", id], val); for (let k = 0; k < 8; k++) op.set(["idx" + k, id], id); op.set(["rnd", String(Math.floor(Math.random() * 1e16))], id); } return op.commit(); });
await measure("32 leads, 8 seq + 2 random", 200, () => { const op = kv.atomic(); for (let j = 0; j < 32; j++) { const id = ulid(); op.set(["leads", id], val); for (let k = 0; k < 7; k++) op.set(["idx" + k, id], id); op.set(["rnd", String(Math.floor(Math.random() * 1e16))], id); op.set(["rnd2", String(Math.floor(Math.random() * 1e16))], id); } return op.commit(); });
await measure("32 leads, 10 seq, 5 with expireIn", 200, () => { const op = kv.atomic(); for (let j = 0; j < 32; j++) { const id = ulid(); op.set(["leads", id], val); for (let k = 0; k < 4; k++) op.set(["idx" + k, id], id); for (let k = 0; k < 5; k++) op.set(["exp" + k, id], id, { expireIn: 86400000 }); } return op.commit(); });
}
