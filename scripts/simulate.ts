// `deno task simulate [--count N] [--rate per-second] [--lost]`: test leads through the real webhook.
// (`npx -y deno@2.9 task simulate …` where Deno came through npm, as in the README.)
//
// Talks to the running demo server's Graph API simulator (its control API on 127.0.0.1:
// GRAPH_SIMULATOR_PORT, default 8787), which creates leads with realistic names, emails, phones,
// forms and ads and delivers each one, signed, to http://127.0.0.1:PORT/webhook (PORT default 8000).

import { DENO_VIA_NPM } from "../lib/demo_command.ts";

interface Options {
  count: number;
  /** Leads per second; null sends them as fast as the server answers. */
  rate: number | null;
  /** Create the leads without delivering them (a webhook Meta never sent; Sync finds them). */
  lost: boolean;
}

interface LeadSummary {
  id: string;
  fullName: string;
  email: string;
}

interface CreateLeadsAnswer {
  leads: LeadSummary[];
  deliveries: { leads: number; status: number | null; error?: string }[];
}

const USAGE = `Usage: ${DENO_VIA_NPM} task simulate [--count N] [--rate per-second] [--lost]
       (or deno task simulate … where Deno is installed)

  --count N      how many leads to create (default 1, at most 10000)
  --rate R       leads per second (default: as fast as the server answers)
  --lost         create them in the simulator without delivering the webhook

Needs a Leadline server running in demo mode (${DENO_VIA_NPM} task start with no META_* variables).
Environment: PORT (server, default 8000), GRAPH_SIMULATOR_PORT (simulator, default 8787).`;

function fail(message: string): never {
  console.error(message);
  Deno.exit(1);
}

function parseArgs(args: string[]): Options {
  const options: Options = { count: 1, rate: null, lost: false };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split("=", 2);
    const next = () => inline ?? args[++i];
    switch (flag) {
      case "--count": {
        const count = Number(next());
        if (!Number.isInteger(count) || count < 1 || count > 10_000) {
          fail(`--count must be a whole number from 1 to 10000\n\n${USAGE}`);
        }
        options.count = count;
        break;
      }
      case "--rate": {
        const rate = Number(next());
        if (!Number.isFinite(rate) || rate <= 0 || rate > 1000) {
          fail(`--rate must be a number of leads per second above 0, at most 1000\n\n${USAGE}`);
        }
        options.rate = rate;
        break;
      }
      case "--lost":
        options.lost = true;
        break;
      case "--help":
      case "-h":
        console.log(USAGE);
        Deno.exit(0);
        break;
      default:
        fail(`Unknown option ${args[i]}\n\n${USAGE}`);
    }
  }
  return options;
}

function port(name: string, fallback: number): number {
  const raw = Deno.env.get(name)?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) fail(`${name} must be a port number`);
  return value;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  return await res.json();
}

async function checkServers(simUrl: string, serverUrl: string): Promise<void> {
  try {
    await getJson(`${simUrl}/__sim/stats`);
  } catch {
    fail(
      `No demo server found: nothing answers on ${simUrl} (GRAPH_SIMULATOR_PORT).\n` +
        `Start Leadline in demo mode first, with no META_* variables set:  ${DENO_VIA_NPM} task start`,
    );
  }
  let health: { mode?: string };
  try {
    health = await getJson(`${serverUrl}/health`) as { mode?: string };
  } catch {
    fail(
      `The simulator answers on ${simUrl}, but no Leadline server answers on ${serverUrl} (PORT).\n` +
        "Set PORT to the port the demo server listens on (its dashboard's banner shows the command).",
    );
  }
  if (health.mode !== "demo") {
    fail(
      `The server on ${serverUrl} runs in live mode: it checks Meta's signatures, not the ` +
        "simulator's. Point PORT at a demo server.",
    );
  }
}

async function createLeads(
  simUrl: string,
  callbackUrl: string,
  count: number,
  lost: boolean,
): Promise<CreateLeadsAnswer> {
  const res = await fetch(`${simUrl}/__sim/leads`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ count, deliver: !lost, callbackUrl }),
  });
  const body = await res.json();
  if (!res.ok) fail(`The simulator refused: ${body.error ?? `HTTP ${res.status}`}`);
  return body as CreateLeadsAnswer;
}

function report(answer: CreateLeadsAnswer, lost: boolean): number {
  let failed = 0;
  answer.leads.forEach((lead, i) => {
    const delivery = answer.deliveries[i];
    let outcome = "held back (not delivered)";
    if (!lost) {
      const ok = delivery?.status === 200;
      if (!ok) failed++;
      outcome = ok
        ? "delivered, webhook answered 200"
        : `NOT delivered: ${delivery?.error ?? `webhook answered ${delivery?.status}`}`;
    }
    console.log(`${lead.fullName} <${lead.email}> leadgen ${lead.id}: ${outcome}`);
  });
  return failed;
}

async function main() {
  const options = parseArgs(Deno.args);
  const simUrl = `http://127.0.0.1:${port("GRAPH_SIMULATOR_PORT", 8787)}`;
  const serverUrl = `http://127.0.0.1:${port("PORT", 8000)}`;
  const callbackUrl = `${serverUrl}/webhook`;
  await checkServers(simUrl, serverUrl);

  const started = performance.now();
  let failed = 0;
  if (options.rate === null) {
    for (let sent = 0; sent < options.count; sent += 1000) {
      const batch = Math.min(1000, options.count - sent);
      failed += report(await createLeads(simUrl, callbackUrl, batch, options.lost), options.lost);
    }
  } else {
    const gapMs = 1000 / options.rate;
    for (let i = 0; i < options.count; i++) {
      const due = started + i * gapMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      failed += report(await createLeads(simUrl, callbackUrl, 1, options.lost), options.lost);
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const what = options.lost
    ? `Created ${options.count} lead(s) in the simulator without delivering them (Sync finds them)`
    : `Sent ${options.count} lead(s) to ${callbackUrl} in ${seconds} s: ` +
      `${options.count - failed} accepted, ${failed} failed`;
  console.log(what);
  if (failed > 0) Deno.exit(1);
}

if (import.meta.main) await main();
