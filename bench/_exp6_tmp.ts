import { ulid } from "../lib/ids.ts";
const dir = await Deno.makeTempDir();
const kv = await Deno.openKv(`${dir}/kv`);
const val = { x: "y".repeat(600) };
async function threads() { const out: Record<string, number> = {}; for await (const e of Deno.readDir(`/proc/self/task`)) { try { const s = await Deno.readTextFile(`/proc/self/task/${e.name}/stat`); const name = s.slice(s.indexOf("(") + 1, s.lastIndexOf(")")); const f = s.slice(s.lastIndexOf(")") + 2).split(" "); out[`${name}#${e.name}`] = (Number(f[11]) + Number(f[12])) * 10; } catch {} } return out; }
const before = await threads();
const t0 = performance.now();
for (let i = 0; i < 400; i++) { const op = kv.atomic(); for (let j = 0; j < 32; j++) { const id = ulid(); op.set(["leads", id], val); for (let k = 0; k < 9; k++) op.set(["idx" + k, id], id); } await op.commit(); }
console.log("wall", Math.round(performance.now() - t0), "ms");
const after = await threads();
for (const k of Object.keys(after)) { const d = after[k] - (before[k] ?? 0); if (d > 0) console.log(k, d, "ms"); }
