// Realistic fixture data for the simulator: pages, forms, ads and the people who fill in forms.

import type { SimRandom } from "./random.ts";

const FIRST_NAMES = [
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

const LAST_NAMES = [
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

const AREA_CODES = ["212", "303", "312", "415", "512", "617", "702", "808", "919"] as const;

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

const CAMPAIGNS = [
  ["Spring Sales Event 2026", "Lookalike 1% - 25-54", "Carousel - SUVs"],
  ["Spring Sales Event 2026", "Retargeting - site visitors 30d", "Video - test drive 15s"],
  ["Always-on service", "Local 25 km - car owners", "Single image - service offer"],
  ["EV launch", "Interest - electric vehicles", "Reel - EV hatchback"],
] as const;

/** Ad attribution of a simulated lead. */
export interface SimAd {
  adId: string;
  adName: string;
  adsetId: string;
  adsetName: string;
  campaignId: string;
  campaignName: string;
}

/** Makes the ads that point to one form; modern ad ids are 18 digits, beyond 2^53. */
export function makeAds(random: SimRandom, count: number): SimAd[] {
  const ads: SimAd[] = [];
  const campaignIds = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const [campaignName, adsetName, adName] = random.pick(CAMPAIGNS);
    let campaignId = campaignIds.get(campaignName);
    if (!campaignId) {
      campaignId = `1202${random.digits(14)}`;
      campaignIds.set(campaignName, campaignId);
    }
    ads.push({
      adId: `1202${random.digits(14)}`,
      adName,
      adsetId: `1202${random.digits(14)}`,
      adsetName,
      campaignId,
      campaignName,
    });
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

/** Generates a person with a plausible email and a fictional (555-01xx) phone number. */
export function makePerson(random: SimRandom): SimPerson {
  const first = random.pick(FIRST_NAMES);
  const last = random.pick(LAST_NAMES);
  const style = random.int(0, 2);
  const local = style === 0
    ? `${asciiLocal(first)}.${asciiLocal(last)}`
    : style === 1
    ? `${asciiLocal(first)[0]}${asciiLocal(last)}${random.int(1, 99)}`
    : `${asciiLocal(first)}${asciiLocal(last)}`;
  return {
    fullName: `${first} ${last}`,
    email: `${local}@${random.pick(EMAIL_DOMAINS)}`,
    phone: `+1${random.pick(AREA_CODES)}55501${String(random.int(0, 99)).padStart(2, "0")}`,
    city: random.pick(CITIES),
  };
}
