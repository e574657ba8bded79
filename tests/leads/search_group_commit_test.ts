// Issue 11's search and filter index keys on issue 12's group-commit paths: leads inserted by
// requests that share commits, their details fetched and their status and owner changed by updates
// that share commits, every index key written in the lead's own commit, and every commit inside the
// limits the store counts its writes against.
import assert from "node:assert/strict";
import { EMPTY_FILTER } from "../../lib/format/lead_filter.ts";
import { ulid } from "../../lib/ids.ts";
import { KV_COMMIT_LIMITS } from "../../lib/kv_writes.ts";
import { campaignKey, formQuestionsKey, listCampaigns } from "../../lib/leads/dimensions.ts";
import { encodeSummary, indexKeysOf, summaryOf } from "../../lib/leads/indexes.ts";
import { leadKey } from "../../lib/leads/keys.ts";
import { changeLeadStatus, type Lead, LEAD_STATUSES } from "../../lib/leads/model.ts";
import { changeLeadOwner } from "../../lib/leads/ownership.ts";
import { searchLeads } from "../../lib/leads/search.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { readTeamStats, readWaitingNow } from "../../lib/stats/team_stats.ts";
import { GENERATED_FORMS, generateLeads, seeded } from "../_helpers/lead_generator.ts";
import { INDEX_KEY_PREFIXES } from "../_helpers/leads.ts";
import { kvWatchingAtomics } from "../_helpers/kv_spy.ts";

const OWNERS = [{ id: ulid(), name: "Ana" }, { id: ulid(), name: "Bo" }];
const NOW = Date.parse("2026-05-20T12:00:00Z");
const DAY = 24 * 60 * 60 * 1000;
/** Small enough that the search keys alone decide how many leads share a commit. */
const MUTATIONS_MAX = 150;

/** A KV whose commits' mutations are counted. */
function countingKv(real: Deno.Kv) {
  const commits: number[] = [];
  const kv = kvWatchingAtomics(real, (op) => {
    let mutations = 0;
    for (const name of ["set", "delete", "sum"] as const) {
      const original = op[name].bind(op) as (...args: unknown[]) => Deno.AtomicOperation;
      (op as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        mutations++;
        original(...args);
        return op;
      };
    }
    const commit = op.commit.bind(op);
    op.commit = () => {
      commits.push(mutations);
      return commit();
    };
  });
  return { kv, commits };
}

/** A lead as Meta's webhook announces it: no contact details, answers or campaign yet. */
function announced(lead: Lead): Lead {
  return {
    ...lead,
    fullName: null,
    email: null,
    phone: null,
    answers: [],
    campaignId: null,
    campaignName: null,
    details: "pending",
  };
}

Deno.test("[db] search - group commits write every index key with its lead and stay inside the counted limits", async () => {
  const real = await Deno.openKv(":memory:");
  const { kv, commits } = countingKv(real);
  const store = createLeadStore(kv, {
    commitLimits: { ...KV_COMMIT_LIMITS, mutations: MUTATIONS_MAX },
  });
  try {
    const generated = generateLeads(300, { seed: 11, now: NOW })
      .map((lead) => ({ ...lead, status: "new" as const, firstContactAt: null }));
    // Thirty requests in one tick: the store's group commit shares commits between them.
    const results = await Promise.all(
      Array.from(
        { length: 30 },
        (_, i) => store.insertLeads(generated.slice(i * 10, i * 10 + 10).map(announced)),
      ),
    );
    for (const result of results) {
      assert.equal(result.failed.length, 0, String(result.failed[0]?.error));
      assert.equal(result.inserted.length, 10);
    }
    const insertCommits = commits.length;
    assert.ok(insertCommits < 30, `inserts shared commits (${insertCommits} for 30 requests)`);

    // The details arrive (name, phone, email, answers, campaign), then status and owner change:
    // each round's updates queue together and share commits.
    await Promise.all(generated.map((lead) =>
      store.updateLead(lead.id, (stored) => ({
        ...stored,
        fullName: lead.fullName,
        email: lead.email,
        phone: lead.phone,
        answers: lead.answers,
        campaignId: lead.campaignId,
        campaignName: lead.campaignName,
        details: "fetched",
      }))
    ));
    const random = seeded(5);
    const at = new Date(NOW);
    await Promise.all(
      generated.slice(0, 200).map((lead) =>
        store.updateLead(
          lead.id,
          (l) => changeLeadStatus(l, LEAD_STATUSES[Math.floor(random() * 5)], at),
        )
      ),
    );
    await Promise.all(
      generated.slice(100).map((lead) => {
        const owner = random() < 0.3 ? null : OWNERS[Math.floor(random() * OWNERS.length)];
        return store.updateLead(
          lead.id,
          (l) => changeLeadOwner(l, owner, at, { event: "assigned" }),
        );
      }),
    );
    const updateCommits = commits.length - insertCommits;
    assert.ok(updateCommits < 600, `updates shared commits (${updateCommits} for 600 updates)`);
    assert.ok(
      commits.every((mutations) => mutations <= MUTATIONS_MAX),
      `every commit within ${MUTATIONS_MAX} mutations (largest ${Math.max(...commits)})`,
    );

    const stored: Lead[] = [];
    for (const lead of generated) stored.push((await real.get<Lead>(leadKey(lead.id))).value!);
    // Exactly the index keys the leads as stored have, each filter key holding the lead's summary.
    const expected = new Map<string, Lead>();
    for (const lead of stored) {
      for (const key of indexKeysOf(lead)) expected.set(JSON.stringify(key), lead);
    }
    let count = 0;
    for (const prefix of INDEX_KEY_PREFIXES) {
      for await (const entry of real.list<string | null>({ prefix: [prefix] })) {
        count++;
        const lead = expected.get(JSON.stringify(entry.key));
        assert.ok(lead, `an index key of no stored lead: ${JSON.stringify(entry.key)}`);
        if (
          [
            "leads_by_status",
            "leads_by_form",
            "leads_by_campaign",
            "leads_by_source",
            "leads_by_term",
          ].includes(prefix)
        ) {
          assert.equal(entry.value, encodeSummary(summaryOf(lead)), JSON.stringify(entry.key));
        }
      }
    }
    assert.equal(count, expected.size, "no index key missing");

    // What the indexes answer: a phone fragment, a status, the counts, forms and campaigns.
    const withPhone = stored.find((lead) => lead.phone && lead.formId)!;
    const q = withPhone.phone!.replace(/\D/g, "").slice(-6);
    const found = await searchLeads(kv, store, { ...EMPTY_FILTER, q }, { limit: 500 });
    assert.ok(found.leads.some((lead) => lead.id === withPhone.id), "found by part of its phone");
    for (const status of LEAD_STATUSES) {
      const page = await searchLeads(kv, store, { ...EMPTY_FILTER, statuses: [status] }, {
        limit: 500,
      });
      assert.deepEqual(
        page.leads.map((lead) => lead.id).sort(),
        stored.filter((lead) => lead.status === status).map((lead) => lead.id).sort(),
        status,
      );
    }
    const waiting = stored.filter((lead) => lead.status === "new" && !lead.firstContactAt).length;
    assert.equal((await readWaitingNow(kv)).count, waiting);
    const stats = await readTeamStats(kv, { from: NOW - 90 * DAY, to: NOW + DAY });
    assert.equal(stats.leads, stored.length);
    for (const form of GENERATED_FORMS) {
      if (!stored.some((lead) => lead.formId === form.id)) continue;
      const questions = (await real.get<string[]>(formQuestionsKey(form.id))).value ?? [];
      for (const name of Object.keys(form.questions)) {
        assert.ok(questions.includes(name), `${form.id} remembers ${name}`);
      }
    }
    const campaigns = new Set((await listCampaigns(kv)).map((campaign) => campaign.id));
    for (const lead of stored) {
      if (lead.campaignId) {
        assert.ok(campaigns.has(lead.campaignId), lead.campaignId);
        assert.equal(
          (await real.get<{ name: string | null }>(campaignKey(lead.campaignId))).value?.name,
          lead.campaignName,
        );
      }
    }
  } finally {
    real.close();
  }
});
