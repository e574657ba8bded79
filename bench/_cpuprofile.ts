// Reads a V8 .cpuprofile (from `deno run --cpu-prof`) and groups the main thread's time by the
// stage of a delivery it was spent in, from the innermost frame of each sample that names one.

/** The parts of a .cpuprofile this reads. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

/** Time of one stage over the whole profile. */
export interface StageCpu {
  stage: string;
  ms: number;
  usPerDelivery: number;
  percentOfBusy: number;
}

/** Rules from the innermost frame outwards: the first frame that matches names the stage. */
const RULES: { stage: string; fn?: RegExp; url?: RegExp }[] = [
  { stage: "signature (HMAC verify)", fn: /^verifySignature$/ },
  { stage: "forgery limiter", url: /rate_limiter\.ts|webhook_limit\.ts/ },
  { stage: "parse", fn: /^(parseWebhookDelivery|newMetaLead)$/ },
  { stage: "raw-delivery copy", url: /leads\/deliveries\.ts/ },
  { stage: "raw-delivery copy", fn: /^keepDelivery$/ },
  { stage: "Graph fetch (client)", url: /facebook\/graph_client\.ts|ext:deno_fetch\/26_fetch/ },
  { stage: "Graph fetch (client)", fn: /^appSecretProof$/ },
  { stage: "result commit (details)", fn: /^(writeUpdate|applyLeadDetails|mapLeadDetails)$/ },
  { stage: "result commit (details)", url: /leads\/fetch_details\.ts|facebook\/lead_fields\.ts/ },
  { stage: "lead commit", url: /leads\/(store|lead_size|timeline)\.ts|kv_value_size\.ts/ },
  { stage: "job queue (claim, finish)", url: /jobs\/queue\.ts/ },
  { stage: "change log, live hub", url: /leads\/live\.ts|routes\/api\/events\.ts/ },
  { stage: "logging", url: /lib\/log\.ts/ },
  { stage: "logging", fn: /^op_print$/ },
  { stage: "webhook route, ingest", url: /routes\/webhook\.ts|leads\/ingest\.ts|body_limit\.ts/ },
  {
    stage: "HTTP server, framework, middleware",
    url: /ext:deno_http|hono|lib\/web\/|lib\/auth_web\/|ext:deno_fetch\/2[23]_/,
  },
  { stage: "KV calls (serialise, deserialise)", url: /ext:deno_kv/ },
  { stage: "KV calls (serialise, deserialise)", fn: /^op_kv_/ },
  { stage: "WebCrypto (other)", url: /ext:deno_crypto/ },
  { stage: "garbage collector", fn: /^\(garbage collector\)$/ },
];

/** Groups the busy time of `profile` by stage; `deliveries` is what the run took. */
export function analyzeCpuProfile(profile: CpuProfile, deliveries: number) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const stageOfNode = new Map<number, string>();
  function stageOf(id: number): string {
    const known = stageOfNode.get(id);
    if (known) return known;
    let stage = "other (runtime, timers, unattributed)";
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const rule = RULES.find((r) =>
        (r.fn === undefined || r.fn.test(frame.functionName)) &&
        (r.url === undefined || r.url.test(frame.url))
      );
      if (rule) {
        stage = rule.stage;
        break;
      }
    }
    stageOfNode.set(id, stage);
    return stage;
  }
  const totals = new Map<string, number>();
  let wall = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    wall += dt;
    const name = byId.get(id)!.callFrame.functionName;
    if (name === "(idle)") {
      idle += dt;
      return;
    }
    if (name === "(program)") {
      totals.set("V8 (program)", (totals.get("V8 (program)") ?? 0) + dt);
      return;
    }
    const stage = stageOf(id);
    totals.set(stage, (totals.get(stage) ?? 0) + dt);
  });
  const busy = wall - idle;
  const stages: StageCpu[] = [...totals]
    .sort((a, b) => b[1] - a[1])
    .map(([stage, us]) => ({
      stage,
      ms: Math.round(us / 1000),
      usPerDelivery: Math.round(us / deliveries),
      percentOfBusy: Math.round((1000 * us) / busy) / 10,
    }));
  return {
    wallMs: Math.round(wall / 1000),
    busyMs: Math.round(busy / 1000),
    busyUsPerDelivery: Math.round(busy / deliveries),
    stages,
  };
}
