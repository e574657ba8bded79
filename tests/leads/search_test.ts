import assert from "node:assert/strict";
import { EMPTY_FILTER } from "../../lib/format/lead_filter.ts";
import { ulid } from "../../lib/ids.ts";
import { changeLeadOwner } from "../../lib/leads/ownership.ts";
import { indexKeysOf } from "../../lib/leads/indexes.ts";
import { leadKey } from "../../lib/leads/keys.ts";
import {
  changeLeadStatus,
  type Lead,
  LEAD_STATUSES,
  type LeadStatus,
} from "../../lib/leads/model.ts";
import { iterateLeadHits, searchLeads } from "../../lib/leads/search.ts";
import { createLeadStore, type LeadStore } from "../../lib/leads/store.ts";
import { readTeamStats, readWaitingNow } from "../../lib/stats/team_stats.ts";
import type { LeadFilter, LeadSort } from "../../lib/wire.ts";
import { INDEX_KEY_PREFIXES } from "../_helpers/leads.ts";
import {
  COMMON_FIRST_NAMES,
  GENERATED_CAMPAIGNS,
  GENERATED_FORMS,
  generateLeads,
  seeded,
} from "../_helpers/lead_generator.ts";

const OWNERS = [
  { id: ulid(), name: "Ana" },
  { id: ulid(), name: "Bo" },
  { id: ulid(), name: "Cy" },
];
const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.parse("2026-05-20T12:00:00Z");

// ---- a brute-force filter, written apart from the server's, from what the README promises ----

function fold(text: string): string {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/['’`]/g, "");
}
/** Runs of letters, and runs of 4+ digits (shorter numbers are not words anyone looks for). */
function words(text: string): string[] {
  return (fold(text).match(/\p{L}+|\p{N}+/gu) ?? []).filter((w) => !/^\p{N}{1,3}$/u.test(w));
}
function queryWords(q: string): string[] {
  if (/^[\d\s+().\-/]+$/.test(q.trim()) && /\d/.test(q)) return [q.replace(/\D/g, "")];
  return words(q);
}
const CONTACT = [
  "full_name",
  "first_name",
  "last_name",
  "email",
  "work_email",
  "phone_number",
  "phone",
  "work_phone_number",
];

/** The README's q: each word starts a word of the name, the email (not its TLD) or an answer, or is 4+ digits of the phone. */
function bruteQ(lead: Lead, q: string): boolean {
  const ws = queryWords(q);
  if (ws.length === 0) return true;
  const tokens: string[] = [];
  if (lead.fullName) tokens.push(...words(lead.fullName));
  if (lead.email) {
    const [local, domain = ""] = lead.email.split("@");
    tokens.push(...words(local), ...words(domain).slice(0, -1));
  }
  for (const answer of lead.answers) {
    if (CONTACT.includes(answer.name)) continue;
    for (const v of answer.values) tokens.push(...words(v));
  }
  const digits = (lead.phone ?? "").replace(/\D/g, "");
  return ws.every((w) =>
    tokens.some((t) => t.length >= 2 && t.startsWith(w)) ||
    [...digits].some((_, i) => digits.length - i >= 4 && digits.slice(i).startsWith(w))
  );
}

function brute(leads: Lead[], f: LeadFilter): string[] {
  const inList = (list: string[], v: string | null) => list.length === 0 || list.includes(v ?? "");
  const out = leads.filter((l) => {
    const created = Date.parse(l.createdTime);
    return inList(f.statuses, l.status) && inList(f.owners, l.ownerId ?? "none") &&
      inList(f.formIds, l.formId) && inList(f.campaignIds, l.campaignId) &&
      inList(f.sources, l.source) && (f.fromMs === null || created >= f.fromMs) &&
      (f.toMs === null || created < f.toMs) &&
      (f.sort !== "waiting" || (l.status === "new" && !l.firstContactAt)) && bruteQ(l, f.q);
  });
  out.sort((a, b) => {
    const d = Date.parse(a.createdTime) - Date.parse(b.createdTime) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    return f.sort === "-created" ? -d : d;
  });
  return out.map((l) => l.id);
}

/** Every page of `filter`, `limit` at a time, joined. */
async function allPages(
  kv: Deno.Kv,
  store: LeadStore,
  filter: LeadFilter,
  limit: number,
  termScanMax?: number,
): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const result = await searchLeads(kv, store, filter, { limit, cursor, termScanMax });
    ids.push(...result.leads.map((l) => l.id));
    if (result.cursor === null) return ids;
    assert.ok(result.leads.length === limit, "only the last page is short");
    cursor = result.cursor;
  }
  throw new Error("too many pages");
}

async function allLeads(store: LeadStore): Promise<Lead[]> {
  const out: Lead[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listLeads({ limit: 500, cursor });
    out.push(...page.leads);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** Random filters over the values the generated leads have, 1 to 4 conditions each. */
function randomFilters(leads: Lead[], count: number, seed: number): LeadFilter[] {
  const random = seeded(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const some = <T>(list: readonly T[]): T[] => {
    const n = 1 + Math.floor(random() * 2);
    return [...new Set(Array.from({ length: n }, () => pick(list)))];
  };
  const qs = (): string => {
    const lead = pick(leads);
    const kind = Math.floor(random() * 6);
    const digits = (lead.phone ?? "+15550001234").replace(/\D/g, "");
    if (kind === 0) {
      const at = Math.floor(random() * (digits.length - 4));
      return digits.slice(at, at + 4 + Math.floor(random() * 3));
    }
    if (kind === 1) return `(${digits.slice(1, 4)}) ${digits.slice(4, 7)}-${digits.slice(7, 9)}`;
    const name = lead.fullName!.split(" ");
    if (kind === 2) return name[1].slice(0, 3 + Math.floor(random() * 3));
    if (kind === 3) return `${name[0].slice(0, 2)} ${name[1].slice(0, 4)}`.toUpperCase();
    if (kind === 4) {
      return pick(["suv", "brakes", "corolla", "sat", "unicode", "line two", "quick"]);
    }
    return (lead.email ?? "nobody@x.y").split("@")[0].slice(0, 5);
  };
  const filters: LeadFilter[] = [];
  for (let i = 0; i < count; i++) {
    const f: LeadFilter = {
      ...EMPTY_FILTER,
      sort: pick<LeadSort>(["-created", "created", "waiting", "-created"]),
    };
    const conditions = 1 + Math.floor(random() * 4);
    for (let c = 0; c < conditions; c++) {
      switch (Math.floor(random() * 8)) {
        case 0:
          f.statuses = some(LEAD_STATUSES);
          break;
        case 1:
          f.owners = some([...OWNERS.map((o) => o.id), "none"]);
          break;
        case 2:
          f.formIds = some(GENERATED_FORMS.map((x) => x.id));
          break;
        case 3:
          f.campaignIds = some(GENERATED_CAMPAIGNS.map((x) => x.id));
          break;
        case 4:
          f.sources = some(["meta", "phone", "sms", "walk-in", "other"]);
          break;
        case 5: {
          const from = NOW - Math.floor(random() * 60) * DAY;
          f.fromMs = from;
          if (random() < 0.5) f.toMs = from + (1 + Math.floor(random() * 20)) * DAY;
          break;
        }
        default:
          f.q = qs();
      }
    }
    filters.push(f);
  }
  return filters;
}

async function withLeads(
  count: number,
  fn: (kv: Deno.Kv, store: LeadStore, leads: Lead[]) => Promise<void>,
) {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  try {
    const generated = generateLeads(count, { seed: 7, owners: OWNERS, now: NOW });
    for (let i = 0; i < generated.length; i += 250) {
      const result = await store.insertLeads(generated.slice(i, i + 250));
      assert.equal(result.failed.length, 0, String(result.failed[0]?.error));
    }
    await fn(kv, store, await allLeads(store));
  } finally {
    kv.close();
  }
}

Deno.test("[db] search - each filter and combinations of them over 3,000 leads list what a brute-force filter lists, page after page", async () => {
  await withLeads(3000, async (kv, store, leads) => {
    assert.equal(leads.length, 3000);
    const filters = randomFilters(leads, 160, 11);
    let nonEmpty = 0;
    for (const [i, filter] of filters.entries()) {
      const expected = brute(leads, filter);
      if (expected.length > 0) nonEmpty++;
      const got = await allPages(kv, store, filter, [7, 50, 500][i % 3]);
      assert.deepEqual(got, expected, `filter ${i}: ${JSON.stringify(filter)}`);
      if (filter.q) {
        // A search word with more matches than it may hold: checked on the records instead.
        const few = await allPages(kv, store, filter, 50, 40);
        assert.deepEqual(few, expected, `filter ${i} holding 40 terms: ${JSON.stringify(filter)}`);
      }
    }
    assert.ok(nonEmpty > 100, `most filters find leads (${nonEmpty} of 160)`);
  });
});

Deno.test("[db] search - a part of a phone number, in any format, finds the lead at once", async () => {
  await withLeads(500, async (kv, store, leads) => {
    const lead = leads.find((l) => l.phone)!;
    const digits = lead.phone!.replace(/\D/g, "");
    for (
      const q of [
        digits.slice(-4),
        digits.slice(4, 9),
        `(${digits.slice(1, 4)}) ${digits.slice(4, 7)}-${digits.slice(7)}`,
        `+${digits}`,
      ]
    ) {
      const page = await searchLeads(kv, store, { ...EMPTY_FILTER, q });
      assert.ok(page.leads.some((l) => l.id === lead.id), `"${q}" finds ${lead.phone}`);
    }
    const name = lead.fullName!.split(" ")[1];
    const folded = name.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace("'", "");
    const page = await searchLeads(kv, store, {
      ...EMPTY_FILTER,
      q: folded.slice(0, 4).toLowerCase(),
    });
    assert.ok(page.leads.some((l) => l.id === lead.id), `a name's start without accents finds it`);
  });
});

Deno.test("[db] search - indexes follow status and owner changes, and a lead's index keys are exactly what indexKeysOf lists", async () => {
  await withLeads(600, async (kv, store, leads) => {
    const random = seeded(3);
    const now = new Date(NOW);
    for (const lead of leads.slice(0, 300)) {
      const status = LEAD_STATUSES[Math.floor(random() * 5)] as LeadStatus;
      await store.updateLead(lead.id, (l) => changeLeadStatus(l, status, now));
      const owner = random() < 0.5 ? null : OWNERS[Math.floor(random() * 3)];
      await store.updateLead(lead.id, (l) => changeLeadOwner(l, owner, now, { event: "assigned" }));
    }
    const after = await allLeads(store);
    for (const filter of randomFilters(after, 60, 5)) {
      assert.deepEqual(
        await allPages(kv, store, filter, 40),
        brute(after, filter),
        JSON.stringify(filter),
      );
    }
    // Every key in the derived indexes belongs to some lead's indexKeysOf, and the other way.
    const expected = new Set<string>();
    for (const lead of after) {
      const stored = (await kv.get<Lead>(leadKey(lead.id))).value!;
      for (const key of indexKeysOf(stored)) expected.add(JSON.stringify(key));
    }
    const actual = new Set<string>();
    for (const prefix of INDEX_KEY_PREFIXES) {
      for await (const entry of kv.list({ prefix: [prefix] })) {
        actual.add(JSON.stringify(entry.key));
      }
    }
    assert.equal(actual.size, expected.size);
    assert.deepEqual([...actual].filter((k) => !expected.has(k)), []);
  });
});

Deno.test("[db] search - a lead removed through the store leaves no index key or search hit, and no longer counts as waiting", async () => {
  await withLeads(200, async (kv, store, leads) => {
    const victim = leads.find((l) => l.phone && l.status === "new" && !l.firstContactAt)!;
    const stored = (await kv.get<Lead>(leadKey(victim.id))).value!;
    const waitingBefore = (await readWaitingNow(kv)).count;
    const range = { from: NOW - 70 * DAY, to: NOW + DAY };
    const statsBefore = await readTeamStats(kv, range);
    const keys = indexKeysOf(stored);
    assert.ok(keys.length >= 10, `a lead with a phone has its terms indexed (${keys.length} keys)`);
    assert.ok(await store.removeLead(victim.id));
    for await (const entry of kv.list({ prefix: [] })) {
      const key = entry.key;
      if (String(key[0]).startsWith("leads_by") || String(key[0]).startsWith("leads_")) {
        assert.ok(
          !key.includes(victim.id),
          `no key names the removed lead: ${JSON.stringify(key)}`,
        );
      }
    }
    for (const key of keys) assert.equal((await kv.get(key)).versionstamp, null);
    assert.equal((await readWaitingNow(kv)).count, waitingBefore - 1, "no longer waiting");
    // The hourly statistics keep their counts (no personal data: the team's history).
    assert.equal((await readTeamStats(kv, range)).leads, statsBefore.leads);
    const q = victim.phone!.replace(/\D/g, "").slice(-6);
    const page = await searchLeads(kv, store, { ...EMPTY_FILTER, q });
    assert.ok(!page.leads.some((l) => l.id === victim.id));
    const name = await searchLeads(kv, store, { ...EMPTY_FILTER, q: victim.fullName! });
    assert.ok(!name.leads.some((l) => l.id === victim.id));
  });
});

Deno.test("[db] search - paging newest first neither skips nor repeats a lead while new ones arrive", async () => {
  await withLeads(400, async (kv, store) => {
    const filter: LeadFilter = { ...EMPTY_FILTER, statuses: ["new", "contacted"] };
    const before = new Set(
      (await allLeads(store)).filter((l) => ["new", "contacted"].includes(l.status)).map((l) =>
        l.id
      ),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let arrived = 0;
    do {
      const page = await searchLeads(kv, store, filter, { limit: 25, cursor });
      seen.push(...page.leads.map((l) => l.id));
      cursor = page.cursor;
      // New leads arrive between pages: newer than everything listed, and one back-dated.
      const fresh = generateLeads(3, {
        seed: 100 + arrived,
        now: NOW + (arrived + 1) * DAY,
        days: 0.5,
      })
        .map((l) => ({ ...l, status: "new" as const, firstContactAt: null }));
      await store.insertLeads(fresh);
      arrived++;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length, "no lead twice");
    for (const id of before) {
      assert.ok(seen.includes(id), "every lead there at the start is listed");
    }
  });
});

Deno.test("[db] search - iterateLeadHits walks every match once, in order, a page at a time, with summaries when asked", async () => {
  await withLeads(1200, async (kv, store, leads) => {
    for (const filter of randomFilters(leads, 20, 8)) {
      const expected = brute(leads, filter);
      for (const summaries of [false, true]) {
        const ids: string[] = [];
        for await (const page of iterateLeadHits(kv, store, filter, { pageSize: 97, summaries })) {
          assert.ok(page.length <= 97);
          for (const hit of page) {
            ids.push(hit.id);
            if (summaries) assert.ok(hit.summary, "summary present");
          }
        }
        assert.deepEqual(ids, expected, JSON.stringify(filter));
      }
    }
  });
});

Deno.test("[db] search - a rare word with a common one: the rare word's leads checked on their records list what a brute-force filter lists", async () => {
  await withLeads(3000, async (kv, store, leads) => {
    const random = seeded(23);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const madeUp = leads.filter((l) => !COMMON_FIRST_NAMES.includes(l.fullName!.split(" ")[0]));
    let checked = 0;
    for (let i = 0; i < 40; i++) {
      const [first, last] = pick(i % 4 === 0 ? leads : madeUp).fullName!.split(" ");
      const filter: LeadFilter = {
        ...EMPTY_FILTER,
        // A made-up first name (a few leads: held) with the start of a last name (about 100
        // leads: more than 60 term keys, so not held), in either order, sometimes with fields.
        q: i % 2 === 0
          ? `${first} ${last.slice(0, 3)}`
          : `${last.slice(0, 2)} ${first.slice(0, 4)}`,
        sort: pick<LeadSort>(["-created", "created", "waiting"]),
        statuses: i % 3 === 0 ? ["new", "contacted"] : [],
        fromMs: i % 5 === 0 ? NOW - 30 * DAY : null,
      };
      const expected = brute(leads, filter);
      if (expected.length > 0) checked++;
      for (const limit of [1, 3, 50]) {
        assert.deepEqual(
          await allPages(kv, store, filter, limit, 60),
          expected,
          `${limit} a page: ${JSON.stringify(filter)}`,
        );
      }
    }
    assert.ok(checked > 10, `most searches find leads (${checked} of 40)`);
  });
});
