// Realistic fixture data for the simulator: pages, forms, ads and the people who fill in forms.

import type { SimRandom } from "./random.ts";

/** First names of the people the simulator makes up (also the test lead generator's common ones). */
export const FIRST_NAMES = [
  "Olivia",
  "Liam",
  "Emma",
  "Noah",
  "Ava",
  "Mateo",
  "Sofia",
  "Lucas",
  "Amelia",
  "Ethan",
  "Mia",
  "Aarav",
  "Chloe",
  "Kenji",
  "Zoe",
  "Diego",
  "Hannah",
  "Omar",
  "Grace",
  "Tomasz",
  "Priya",
  "Jonas",
  "Léa",
  "Siobhán",
  "Yuki",
  "Fatima",
  "Björn",
  "Ana",
  "Kwame",
  "Isabella",
] as const;

/** Last names of the people the simulator makes up (also the test lead generator's). */
export const LAST_NAMES = [
  "Smith",
  "Johnson",
  "García",
  "Nguyen",
  "Müller",
  "Rossi",
  "Kowalski",
  "Okafor",
  "Silva",
  "Andersson",
  "Brown",
  "Patel",
  "Kim",
  "O'Connor",
  "Dubois",
  "Tanaka",
  "Haddad",
  "Novak",
  "Martínez",
  "Wilson",
  "Lindqvist",
  "Mensah",
  "Cohen",
  "Fernandes",
  "Schmidt",
  "Walker",
] as const;

const CITIES = [
  "Austin",
  "Portland",
  "Denver",
  "Columbus",
  "Raleigh",
  "Madison",
  "Boise",
  "Tucson",
  "Omaha",
  "Spokane",
  "Savannah",
  "Tampa",
] as const;

const EMAIL_DOMAINS = ["example.com", "example.net", "example.org", "mail.example"] as const;

// Every area code has the fictional numbers 555-0100 to 555-0199: 30 codes give 3,000 numbers, so
// generated people do not share a phone by chance (a shared one flags a possible duplicate).
const AREA_CODES: readonly string[] = (
  "202 206 212 213 214 303 305 312 404 415 503 512 602 612 615 " +
  "617 702 704 713 720 801 808 813 816 858 907 919 971 205 210"
).split(" ");

/** A form template: its name and the custom questions it asks after the contact fields. */
export interface FormTemplate {
  name: string;
  questions: Record<string, readonly string[]>;
}

/** The forms a simulated dealership runs, with their custom questions and typical answers. */
export const FORM_TEMPLATES: readonly FormTemplate[] = [
  {
    name: "Spring test drive",
    questions: {
      "which_model_would_you_like_to_test_drive?": ["Compact SUV", "Hybrid sedan", "EV hatchback"],
      "when_suits_you_best?": ["Weekday morning", "Weekday evening", "Saturday"],
    },
  },
  {
    name: "Service booking",
    questions: {
      "what_does_your_car_need?": ["Annual service", "Brakes", "Tyres", "Warning light"],
      vehicle_year: ["2018", "2019", "2020", "2021", "2022", "2023"],
    },
  },
  {
    name: "Trade-in valuation",
    questions: {
      "current_car_make_and_model?": ["Toyota Corolla", "Ford Focus", "VW Golf", "Honda CR-V"],
      mileage: ["Under 30,000", "30,000-60,000", "Over 60,000"],
    },
  },
  {
    name: "Finance pre-approval",
    questions: {
      "monthly_budget?": ["Under $300", "$300-$500", "Over $500"],
    },
  },
  {
    name: "Winter tyres offer",
    questions: {},
  },
];

/** Page names for the simulated dealerships. */
export const PAGE_NAMES = ["Harbor Motors", "Lakeside Auto Group"] as const;

/** An ad campaign of the simulated dealerships: its ad sets, their ads, and the forms it promotes. */
export interface CampaignTemplate {
  name: string;
  adsets: readonly { name: string; ads: readonly string[] }[];
  /** Names of the forms (FORM_TEMPLATES) its ads lead to. */
  forms: readonly string[];
}

/**
 * The campaigns behind the simulated leads. One campaign promotes several forms and one form is
 * promoted by several campaigns, so the demo's leads show a variety of ads, ad sets and campaigns.
 */
export const CAMPAIGN_TEMPLATES: readonly CampaignTemplate[] = [
  {
    name: "Spring Sales Event 2026",
    adsets: [
      { name: "Lookalike 1% - 25-54", ads: ["Carousel - SUVs", "Single image - hybrid sedan"] },
      { name: "Retargeting - site visitors 30d", ads: ["Video - test drive 15s"] },
    ],
    forms: ["Spring test drive", "Finance pre-approval", "Trade-in valuation"],
  },
  {
    name: "Always-on service",
    adsets: [
      {
        name: "Local 25 km - car owners",
        ads: ["Single image - service offer", "Carousel - seasonal check"],
      },
    ],
    forms: ["Service booking", "Winter tyres offer"],
  },
  {
    name: "EV launch",
    adsets: [
      { name: "Interest - electric vehicles", ads: ["Reel - EV hatchback"] },
      { name: "Advantage+ audience", ads: ["Story - charging at home"] },
    ],
    forms: ["Spring test drive", "Finance pre-approval"],
  },
  {
    name: "Trade-in month",
    adsets: [{
      name: "Owners of 5+ year old cars",
      ads: ["Single image - top price for your car"],
    }],
    forms: ["Trade-in valuation", "Service booking"],
  },
];

/** Ad attribution of a simulated lead. */
export interface SimAd {
  adId: string;
  adName: string;
  adsetId: string;
  adsetName: string;
  campaignId: string;
  campaignName: string;
}

/**
 * Ids of campaigns and ad sets by name, kept for the whole simulator: the same campaign has one id
 * whichever form its ads lead to, as at Meta.
 */
export type AdIdRegistry = Map<string, string>;

/**
 * Makes the ads that lead to the form named `formName`: one per ad of every campaign that
 * promotes it, or `fallbackCount` ads from random campaigns for a form no campaign names. Modern
 * ad ids are 18 digits, beyond 2^53.
 */
export function makeAds(
  random: SimRandom,
  formName: string,
  registry: AdIdRegistry,
  fallbackCount = 2,
): SimAd[] {
  const idOf = (kind: string, name: string) => {
    const key = `${kind}:${name}`;
    let id = registry.get(key);
    if (!id) {
      id = `1202${random.digits(14)}`;
      registry.set(key, id);
    }
    return id;
  };
  const promoting = CAMPAIGN_TEMPLATES.filter((campaign) => campaign.forms.includes(formName));
  const campaigns = promoting.length > 0
    ? promoting
    : Array.from({ length: fallbackCount }, () => random.pick(CAMPAIGN_TEMPLATES));
  const ads: SimAd[] = [];
  for (const campaign of campaigns) {
    const adsets = promoting.length > 0 ? campaign.adsets : [random.pick(campaign.adsets)];
    for (const adset of adsets) {
      const names = promoting.length > 0 ? adset.ads : [random.pick(adset.ads)];
      for (const adName of names) {
        ads.push({
          // An ad leads to one form: its own id per form.
          adId: `1202${random.digits(14)}`,
          adName,
          adsetId: idOf("adset", `${campaign.name}/${adset.name}`),
          adsetName: adset.name,
          campaignId: idOf("campaign", campaign.name),
          campaignName: campaign.name,
        });
      }
    }
  }
  return ads;
}

/** A generated person: name, contact details and city. */
export interface SimPerson {
  fullName: string;
  email: string;
  phone: string;
  city: string;
}

function asciiLocal(text: string): string {
  return text.normalize("NFD").replace(/[^A-Za-z]/g, "").toLowerCase();
}

/**
 * The phones and emails handed out so far, so that two generated people never share one by
 * chance: the dashboard flags a shared phone or email as a possible duplicate, which in demo data
 * should happen only when asked for (`CreateLeadOptions.repeatOf`).
 */
export interface UsedContacts {
  phones: Set<string>;
  emails: Set<string>;
}

/**
 * Generates a person with a plausible email and a fictional (555-01xx) phone number. With `used`,
 * a phone or email already handed out is replaced by the next free one (the random draws stay
 * the same, so a seed still gives the same world); phones repeat only once all 3,000 are used.
 */
export function makePerson(random: SimRandom, used?: UsedContacts): SimPerson {
  const first = random.pick(FIRST_NAMES);
  const last = random.pick(LAST_NAMES);
  const style = random.int(0, 2);
  const local = style === 0
    ? `${asciiLocal(first)}.${asciiLocal(last)}`
    : style === 1
    ? `${asciiLocal(first)[0]}${asciiLocal(last)}${random.int(1, 99)}`
    : `${asciiLocal(first)}${asciiLocal(last)}`;
  const domain = random.pick(EMAIL_DOMAINS);
  const area = random.int(0, AREA_CODES.length - 1);
  const line = random.int(0, 99);
  const person = {
    fullName: `${first} ${last}`,
    email: `${local}@${domain}`,
    phone: fictionalPhone(area * 100 + line),
    city: random.pick(CITIES),
  };
  if (used) {
    const all = AREA_CODES.length * 100;
    for (let step = 1; step < all && used.phones.has(person.phone); step++) {
      person.phone = fictionalPhone((area * 100 + line + step) % all);
    }
    for (let n = 2; used.emails.has(person.email); n++) person.email = `${local}${n}@${domain}`;
    used.phones.add(person.phone);
    used.emails.add(person.email);
  }
  return person;
}

/** The `index`th fictional number: +1, an area code, 555-01 and two digits. */
function fictionalPhone(index: number): string {
  return `+1${AREA_CODES[Math.floor(index / 100)]}55501${String(index % 100).padStart(2, "0")}`;
}
