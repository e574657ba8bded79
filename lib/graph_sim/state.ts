// The simulator's world: pages, their lead forms, the ads pointing at them, and submitted leads.

import {
  type AdIdRegistry,
  FORM_TEMPLATES,
  makeAds,
  makePerson,
  PAGE_NAMES,
  type SimAd,
  type UsedContacts,
} from "./fixtures.ts";
import { leadId, type SimRandom } from "./random.ts";

/** A lead form on a page. */
export interface SimForm {
  id: string;
  pageId: string;
  name: string;
  status: "ACTIVE" | "ARCHIVED";
  locale: string;
  /** Custom questions (field_data names) and their possible answers. */
  questions: Record<string, readonly string[]>;
  ads: SimAd[];
}

/** A Facebook page with its lead forms. */
export interface SimPage {
  id: string;
  name: string;
  forms: SimForm[];
}

/** The answers a simulated person gave. */
export interface SimLeadFields {
  fullName: string;
  email: string;
  phone: string;
  city: string;
  /** Custom question answers keyed by field_data name. */
  answers: Record<string, string>;
}

/** A lead submitted on a simulated form. IDs are strings; some lead ids are beyond 2^53. */
export interface SimLead {
  id: string;
  pageId: string;
  formId: string;
  /** Unix seconds. */
  createdTime: number;
  isOrganic: boolean;
  platform: "fb" | "ig";
  adId: string | null;
  adName: string | null;
  adsetId: string | null;
  adsetName: string | null;
  campaignId: string | null;
  campaignName: string | null;
  fields: SimLeadFields;
}

/** Options for SimState.createLead. */
export interface CreateLeadOptions {
  /** Defaults to the form's page, else the first page. */
  pageId?: string;
  /** Defaults to the page's first active form (see `anyForm`). */
  formId?: string;
  /**
   * With neither `pageId` nor `formId`: pick the form at random among every page's active forms,
   * as the demo and `deno task simulate` do, rather than the first page's first form.
   */
  anyForm?: boolean;
  fields?: Partial<SimLeadFields>;
  /** Unix seconds; defaults to now. */
  createdTime?: number;
  /** Organic leads have no ad attribution; by default about 1 in 8 is organic. */
  organic?: boolean;
  /** Force an id beyond 2^53 (true) or below it (false); by default about 1 in 3 is big. */
  bigId?: boolean;
  /** Where the form was filled in; by default about 3 in 10 leads come from Instagram. */
  platform?: "fb" | "ig";
  /**
   * The id of an earlier simulated lead whose person submits again (same name, phone, email and
   * city): the one way a generated lead shares a contact with another (`fields` aside).
   */
  repeatOf?: string;
}

/** Options for SimState.createForm. */
export interface CreateFormOptions {
  pageId?: string;
  name?: string;
  status?: "ACTIVE" | "ARCHIVED";
}

interface StoredLead {
  lead: SimLead;
  /** Insertion order; breaks ties between leads created in the same second. */
  seq: number;
}

/** In-memory pages, forms and leads with Meta-like ordering and lookups. */
export class SimState {
  readonly pages: SimPage[] = [];
  readonly #random: SimRandom;
  readonly #forms = new Map<string, SimForm>();
  readonly #leads = new Map<string, StoredLead>();
  readonly #leadsByForm = new Map<string, StoredLead[]>();
  readonly #ids = new Set<string>();
  readonly #adIds: AdIdRegistry = new Map();
  readonly #contacts: UsedContacts = { phones: new Set(), emails: new Set() };
  #seq = 0;

  /** Builds two dealership pages with their forms and ads from the random source. */
  constructor(random: SimRandom) {
    this.#random = random;
    const plan = [[0, 1, 2, 4], [0, 3]];
    PAGE_NAMES.forEach((name, index) => {
      const page: SimPage = { id: this.#newId(() => `10${random.digits(13)}`), name, forms: [] };
      this.pages.push(page);
      for (const templateIndex of plan[index]) {
        const template = FORM_TEMPLATES[templateIndex];
        this.createForm({
          pageId: page.id,
          name: template.name,
          status: templateIndex === 4 ? "ARCHIVED" : "ACTIVE",
        });
      }
    });
  }

  #newId(make: () => string): string {
    let id = make();
    while (this.#ids.has(id)) id = make();
    this.#ids.add(id);
    return id;
  }

  /** Finds a page by id. */
  page(pageId: string): SimPage | undefined {
    return this.pages.find((page) => page.id === pageId);
  }

  /** Finds a form by id. */
  form(formId: string): SimForm | undefined {
    return this.#forms.get(formId);
  }

  /** Finds a lead by id. */
  lead(leadId: string): SimLead | undefined {
    return this.#leads.get(leadId)?.lead;
  }

  /** All leads in creation order. */
  leads(): SimLead[] {
    return [...this.#leads.values()].map((stored) => stored.lead);
  }

  /** Adds a form to a page (default the first page); custom questions follow a known template. */
  createForm(options: CreateFormOptions = {}): SimForm {
    const page = options.pageId === undefined ? this.pages[0] : this.page(options.pageId);
    if (!page) throw new Error(`Cannot create form: page ${options.pageId} does not exist`);
    const name = options.name ?? `Lead form ${page.forms.length + 1}`;
    const template = FORM_TEMPLATES.find((item) => item.name === name);
    const form: SimForm = {
      id: this.#newId(() => this.#random.digits(this.#random.int(15, 16))),
      pageId: page.id,
      name,
      status: options.status ?? "ACTIVE",
      locale: "en_US",
      questions: template?.questions ?? {},
      ads: makeAds(this.#random, name, this.#adIds, this.#random.int(2, 3)),
    };
    page.forms.push(form);
    this.#forms.set(form.id, form);
    this.#leadsByForm.set(form.id, []);
    return form;
  }

  /** Creates a lead as if someone submitted the form; it is not delivered anywhere. */
  createLead(options: CreateLeadOptions = {}): SimLead {
    const random = this.#random;
    let form: SimForm | undefined;
    if (options.formId !== undefined) {
      form = this.form(options.formId);
      if (!form) throw new Error(`Cannot create lead: form ${options.formId} does not exist`);
      if (options.pageId !== undefined && form.pageId !== options.pageId) {
        throw new Error(
          `Cannot create lead: form ${options.formId} is not on page ${options.pageId}`,
        );
      }
    } else if (options.anyForm && options.pageId === undefined) {
      const active = this.pages.flatMap((page) => page.forms)
        .filter((item) => item.status === "ACTIVE");
      if (active.length === 0) throw new Error("Cannot create lead: no page has an active form");
      form = random.pick(active);
    } else {
      const page = options.pageId === undefined ? this.pages[0] : this.page(options.pageId);
      if (!page) throw new Error(`Cannot create lead: page ${options.pageId} does not exist`);
      form = page.forms.find((item) => item.status === "ACTIVE") ?? page.forms[0];
      if (!form) throw new Error(`Cannot create lead: page ${page.id} has no forms`);
    }
    let earlier: SimLead | undefined;
    if (options.repeatOf !== undefined) {
      earlier = this.#leads.get(options.repeatOf)?.lead;
      if (!earlier) throw new Error(`Cannot create lead: lead ${options.repeatOf} does not exist`);
    }
    const generated = makePerson(random, this.#contacts);
    const person = earlier
      ? {
        fullName: earlier.fields.fullName,
        email: earlier.fields.email,
        phone: earlier.fields.phone,
        city: earlier.fields.city,
      }
      : generated;
    const answers: Record<string, string> = {};
    for (const [question, choices] of Object.entries(form.questions)) {
      answers[question] = random.pick(choices);
    }
    const organic = options.organic ?? random.chance(0.125);
    const ad = organic || form.ads.length === 0 ? null : random.pick(form.ads);
    const big = options.bigId ?? random.chance(1 / 3);
    const lead: SimLead = {
      id: this.#newId(() => leadId(random, big)),
      pageId: form.pageId,
      formId: form.id,
      createdTime: options.createdTime ?? Math.floor(Date.now() / 1000),
      isOrganic: organic,
      platform: options.platform ?? (random.chance(0.3) ? "ig" : "fb"),
      adId: ad?.adId ?? null,
      adName: ad?.adName ?? null,
      adsetId: ad?.adsetId ?? null,
      adsetName: ad?.adsetName ?? null,
      campaignId: ad?.campaignId ?? null,
      campaignName: ad?.campaignName ?? null,
      fields: {
        ...person,
        ...options.fields,
        answers: { ...answers, ...options.fields?.answers },
      },
    };
    // Contacts given in `fields` are taken too: generated people do not share them by chance.
    this.#contacts.phones.add(lead.fields.phone);
    this.#contacts.emails.add(lead.fields.email);
    const stored = { lead, seq: ++this.#seq };
    this.#leads.set(lead.id, stored);
    this.#leadsByForm.get(form.id)!.push(stored);
    return lead;
  }

  /**
   * A form's leads newest first (by created time, then submission order), optionally only those
   * created after `since`, starting after the position `after` ([createdTime, seq]).
   */
  formLeads(
    formId: string,
    options: { since?: number; until?: number; after?: [number, number] | null },
  ): { lead: SimLead; position: [number, number] }[] {
    const stored = [...(this.#leadsByForm.get(formId) ?? [])];
    stored.sort((a, b) => b.lead.createdTime - a.lead.createdTime || b.seq - a.seq);
    const after = options.after;
    return stored
      .filter(({ lead }) => options.since === undefined || lead.createdTime > options.since)
      .filter(({ lead }) => options.until === undefined || lead.createdTime < options.until)
      .filter(({ lead, seq }) =>
        !after || lead.createdTime < after[0] || (lead.createdTime === after[0] && seq < after[1])
      )
      .map(({ lead, seq }) => ({ lead, position: [lead.createdTime, seq] }));
  }
}

/** The field_data Meta would return for a lead: contact fields first, then custom answers. */
export function fieldDataOf(lead: SimLead): { name: string; values: string[] }[] {
  const { fullName, email, phone, city, answers } = lead.fields;
  return [
    { name: "full_name", values: [fullName] },
    { name: "email", values: [email] },
    { name: "phone_number", values: [phone] },
    { name: "city", values: [city] },
    ...Object.entries(answers).map(([name, value]) => ({ name, values: [value] })),
  ];
}
