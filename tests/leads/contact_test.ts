import assert from "node:assert/strict";
import { checkLeadEmail, normalisePhone } from "../../lib/leads/contact.ts";

Deno.test("[contact] phone numbers become E.164 with a default country", () => {
  const cases: [string, string | null, string][] = [
    ["(415) 555-2671", "US", "+14155552671"],
    ["415.555.2671", "US", "+14155552671"],
    ["1 415 555 2671", "US", "+14155552671"],
    ["+1 (415) 555-2671", null, "+14155552671"],
    ["011 44 20 7946 0958", "US", "+442079460958"],
    ["0044 20 7946 0958", "DE", "+442079460958"],
    ["020 7946 0958", "GB", "+442079460958"],
    ["030 1234567", "DE", "+49301234567"],
    ["06 12 34 56 78", "FR", "+33612345678"],
    ["06 1234 5678", "IT", "+390612345678"],
    ["0412 345 678", "AU", "+61412345678"],
    ["415-555-2671", null, "4155552671"],
  ];
  for (const [raw, country, expected] of cases) {
    assert.deepEqual(normalisePhone(raw, country), { ok: true, phone: expected }, raw);
  }
});

Deno.test("[contact] bad phone numbers say why", () => {
  const cases: [string, string | null, RegExp][] = [
    ["", "US", /empty/],
    ["call me", "US", /only digits/],
    ["555-2671", "US", /10 digits/],
    ["(015) 555-2671", "US", /North American/],
    ["+0 123 456 789", null, /country code/],
    ["+1 234", null, /8 to 15 digits/],
    ["12345", null, /7 to 15 digits/],
    ["+1234567890123456", null, /8 to 15 digits/],
  ];
  for (const [raw, country, reason] of cases) {
    const checked = normalisePhone(raw, country);
    assert.equal(checked.ok, false, raw);
    if (!checked.ok) assert.match(checked.reason, reason, raw);
  }
});

Deno.test("[contact] email addresses are trimmed, lower-cased and checked", () => {
  assert.deepEqual(checkLeadEmail("  Dana.Smith@Example.COM "), {
    ok: true,
    email: "dana.smith@example.com",
  });
  for (const bad of ["dana", "dana@", "@example.com", "dana@example", "da na@example.com"]) {
    assert.equal(checkLeadEmail(bad).ok, false, bad);
  }
});
