// What a lead can be found by: the search terms of its name, email, phone and answers, and how a
// typed query matches them. One implementation for the server's term index (lib/leads/indexes.ts)
// and the dashboard island's live filter, so both always agree.

/** The answers on a lead form that hold the person's name, email or phone (lower case). */
export const CONTACT_QUESTIONS: readonly string[] = [
  "full_name",
  "first_name",
  "last_name",
  "email",
  "work_email",
  "phone_number",
  "phone",
  "work_phone_number",
];

/** What the search reads of a lead. */
export interface SearchableLead {
  fullName: string | null;
  email: string | null;
  phone: string | null;
  answers?: { name: string; values: string[] }[] | null;
}

/** Phone digits are indexed as every suffix at least this long (any run of 4+ digits matches). */
export const PHONE_SUFFIX_MIN = 4;
/** The most digits of a phone number indexed (its last ones). */
const PHONE_DIGITS_MAX = 15;
/** At most this many name words are indexed. */
const NAME_TERMS_MAX = 4;
/** At most this many words of the email address (its local part and its domain but the TLD). */
const EMAIL_TERMS_MAX = 4;
/** At most this many words of the answers to custom questions, in the form's order. */
export const ANSWER_TERMS_MAX = 6;
/** The most terms one lead has in the index: each is one KV key written with the lead. */
export const LEAD_TERMS_MAX = 24;
/** Longest term kept (a longer word is cut): keeps KV keys short. */
const TERM_LENGTH_MAX = 40;

/** True for an answer that holds a contact detail rather than a custom question's answer. */
export function isContactQuestion(name: string): boolean {
  return CONTACT_QUESTIONS.includes(name.toLowerCase());
}

/** Lower case, accents removed ("José" -> "jose"), apostrophes dropped ("O'Connor" -> "oconnor"). */
export function normaliseText(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/['’`]/g, "");
}

/**
 * The words of `text`, normalised: runs of letters, and runs of 4 or more digits (a shorter number,
 * such as the "42" of "smith42@…" or "30,000", finds nothing anyone looks for), each at most 40
 * characters.
 */
export function textWords(text: string): string[] {
  return (normaliseText(text).match(/\p{L}+|\p{N}+/gu) ?? [])
    .filter((word) => !/^\p{N}{1,3}$/u.test(word))
    .map((word) => word.slice(0, TERM_LENGTH_MAX));
}

/** The digits of a phone number as typed or stored ("+1 (555) 010-0123" -> "15550100123"). */
export function phoneDigits(phone: string): string {
  return phone.replace(/\D/g, "");
}

/**
 * The terms `lead` is found by, each a key of the term index: every suffix of its phone's digits of
 * at least PHONE_SUFFIX_MIN digits (so any run of 4+ digits is the start of one), the words of its
 * name, of its email (local part, and the domain without its top level), and of its answers to
 * custom questions (see textWords); words of one letter are left out;
 * at most 4 name words, 4 email words and ANSWER_TERMS_MAX answer words, at most LEAD_TERMS_MAX
 * in all, in that order of priority, no word twice.
 */
export function leadSearchTerms(lead: SearchableLead): string[] {
  const terms = new Set<string>();
  const add = (words: string[], max: number) => {
    let added = 0;
    for (const word of words) {
      if (added >= max || terms.size >= LEAD_TERMS_MAX) return;
      // One-letter words find nearly everything: not worth a key.
      if (word.length < 2 || terms.has(word)) continue;
      terms.add(word);
      added++;
    }
  };
  const digits = lead.phone ? phoneDigits(lead.phone).slice(-PHONE_DIGITS_MAX) : "";
  const suffixes: string[] = [];
  for (let i = 0; i <= digits.length - PHONE_SUFFIX_MIN; i++) suffixes.push(digits.slice(i));
  if (suffixes.length === 0 && digits.length >= 2) suffixes.push(digits);
  add(suffixes, PHONE_DIGITS_MAX);
  if (lead.fullName) add(textWords(lead.fullName), NAME_TERMS_MAX);
  if (lead.email) {
    const at = lead.email.lastIndexOf("@");
    const local = at === -1 ? lead.email : lead.email.slice(0, at);
    const domain = at === -1 ? "" : lead.email.slice(at + 1);
    // The top-level domain ("com") would find half the leads: not indexed.
    add([...textWords(local), ...textWords(domain).slice(0, -1)], EMAIL_TERMS_MAX);
  }
  const custom = (lead.answers ?? []).filter((answer) => !isContactQuestion(answer.name));
  add(custom.flatMap((answer) => answer.values.flatMap(textWords)), ANSWER_TERMS_MAX);
  return [...terms];
}

/**
 * The words of a typed query, each of which a lead's terms must start with. A query of only
 * digits and phone punctuation ("(555) 010-01", "+44 7700") is one word, its digits; anything else
 * is split into words as names are.
 */
export function searchWords(q: string): string[] {
  const trimmed = q.trim();
  if (trimmed === "") return [];
  if (/^[\d\s+().\-/]+$/.test(trimmed) && /\d/.test(trimmed)) return [phoneDigits(trimmed)];
  return [...new Set(textWords(trimmed))];
}

/** True when every query word starts some term of the lead (a lead's terms: leadSearchTerms). */
export function termsMatch(terms: readonly string[], words: readonly string[]): boolean {
  return words.every((word) => terms.some((term) => term.startsWith(word)));
}
