// Generated leads for search, export and report tests and benchmarks: varied names (accents,
// apostrophes), phones, emails, forms, campaigns, sources, statuses, owners and answers, from a
// seed, so a failure can be replayed.

import { FIRST_NAMES, LAST_NAMES } from "../../lib/graph_sim/fixtures.ts";
import { ulid } from "../../lib/ids.ts";
import { newManualLead } from "../../lib/leads/model.ts";
import type { Lead, LeadSource, LeadStatus } from "../../lib/leads/model.ts";

/** A small seeded random source (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The common first names (a quarter of generated leads get a made-up, rarer one instead). */
export const COMMON_FIRST_NAMES = [
  ...FIRST_NAMES,
  "José",
  "Zoë",
  "Renée",
  "Ilse",
  "Marta",
  "Pavel",
  "Ines",
  "Sven",
  "Ada",
  "Leon",
];
const LAST = [
  ...LAST_NAMES,
  "Bartholomew-Featherstonehaugh",
  "Ødegaard",
  "Çelik",
  "Żukowski",
];
const SYLLABLES = ["ka", "ro", "mi", "ten", "lo", "var", "shi", "den", "bra", "quo", "zel", "fin"];
const DOMAINS = ["example.com", "example.net", "mail.example", "corp.example.org"];

/** The forms generated leads come from, with their custom questions and answers. */
export const GENERATED_FORMS = [
  {
    id: "900000000000001",
    name: "Spring test drive",
    questions: {
      "which_model?": ["Compact SUV", "Hybrid sedan", "EV hatchback"],
      "when_suits_you?": ["Weekday morning", "Saturday"],
    },
  },
  {
    id: "900000000000002",
    name: "Service booking",
    questions: { "what_does_your_car_need?": ["Annual service", "Brakes", "Tyres"] },
  },
  {
    id: "900000000000003",
    name: "Trade-in valuation",
    questions: {
      "current_car?": ["Toyota Corolla", "Ford Focus", "VW Golf"],
      mileage: ["Under 30,000", "Over 60,000"],
      "comments": ['Needs "quick" sale, call after 5', "=1+1", "Line one\nline two", "Ünïcödé ✓"],
    },
  },
  { id: "900000000000004", name: "Finance quote", questions: { budget: ["10k", "20k", "30k+"] } },
] as const;

/** The campaigns generated leads come through. */
export const GENERATED_CAMPAIGNS = [
  { id: "120000000000001", name: "Spring sale" },
  { id: "120000000000002", name: "Service month" },
  { id: "120000000000003", name: "EV launch" },
] as const;

const STATUSES: LeadStatus[] = [
  "new",
  "new",
  "new",
  "contacted",
  "contacted",
  "qualified",
  "won",
  "lost",
];
const SOURCES: LeadSource[] = [
  "meta",
  "meta",
  "meta",
  "meta",
  "meta",
  "phone",
  "sms",
  "walk-in",
  "other",
];

/** Options of `generateLeads`. */
export interface GenerateOptions {
  seed?: number;
  /** Owner ids to spread leads over (a third stay unowned). */
  owners?: { id: string; name: string }[];
  /** Leads are created within this many days before `now`. */
  days?: number;
  now?: number;
}

/** `count` leads, ready for `store.insertLeads`. */
export function generateLeads(count: number, options: GenerateOptions = {}): Lead[] {
  const random = seeded(options.seed ?? 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const now = options.now ?? Date.now();
  const spanMs = (options.days ?? 60) * 24 * 60 * 60 * 1000;
  const owners = options.owners ?? [];
  const leads: Lead[] = [];
  for (let i = 0; i < count; i++) {
    const made = Math.floor(random() * 4) === 0
      ? pick(SYLLABLES) + pick(SYLLABLES) + pick(SYLLABLES)
      : null;
    const first = made ? made[0].toUpperCase() + made.slice(1) : pick(COMMON_FIRST_NAMES);
    const last = pick(LAST);
    const area = 200 + Math.floor(random() * 800);
    const line = String(Math.floor(random() * 10_000_000)).padStart(7, "0");
    const phone = random() < 0.9 ? `+1${area}${line}` : null;
    const email = random() < 0.85
      ? `${first}.${last}${Math.floor(random() * 100)}@${pick(DOMAINS)}`.toLowerCase()
        .replace(/[^a-z0-9.@-]/g, "")
      : null;
    const createdMs = now - Math.floor(random() * spanMs);
    const createdTime = new Date(createdMs).toISOString();
    const source = pick(SOURCES);
    const base = newManualLead({
      source: source === "meta" ? "other" : source as Exclude<LeadSource, "meta">,
      fullName: `${first} ${last}`,
      phone: phone ?? undefined,
      email: email ?? undefined,
      createdTime,
    }, new Date(createdMs));
    const form = source === "meta" ? pick(GENERATED_FORMS) : null;
    const campaign = form && random() < 0.8 ? pick(GENERATED_CAMPAIGNS) : null;
    const answers = [
      { name: "full_name", values: [`${first} ${last}`] },
      ...(form
        ? (Object.entries(form.questions) as [string, readonly string[]][]).map((
          [name, values],
        ) => ({
          name,
          values: [pick(values)],
        }))
        : []),
    ];
    const status = pick(STATUSES);
    const owner = owners.length > 0 && random() < 0.66 ? pick(owners) : null;
    const contactedMs = createdMs + Math.floor(random() * 3 * 60 * 60 * 1000);
    leads.push({
      ...base,
      id: ulid(createdMs),
      source,
      leadgenId: source === "meta"
        ? String(10n ** 15n + BigInt(i) * 7919n + BigInt(options.seed ?? 1))
        : null,
      pageId: form ? "100000000000001" : null,
      formId: form?.id ?? null,
      formName: form?.name ?? null,
      campaignId: campaign?.id ?? null,
      campaignName: campaign?.name ?? null,
      answers,
      status,
      firstContactAt: status === "new" ? null : new Date(Math.min(contactedMs, now)).toISOString(),
      ownerId: owner?.id ?? null,
      ownerName: owner?.name ?? null,
      assignedAt: owner ? createdTime : null,
      details: "fetched",
      receivedVia: source === "meta" ? "webhook" : "manual",
      timeline: [],
    });
  }
  return leads;
}

/** `count` generated leads nobody has worked yet: new, unowned and not contacted. */
export function unworkedLeads(count: number, seed: number): Lead[] {
  return generateLeads(count, { seed, days: 1 }).map((lead) => ({
    ...lead,
    ownerId: null,
    ownerName: null,
    status: "new" as const,
    firstContactAt: null,
  }));
}
