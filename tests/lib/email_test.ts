import assert from "node:assert/strict";
import { validateUserEmail } from "../../lib/auth/model.ts";
import { InvalidUserError } from "../../lib/auth/errors.ts";
import { checkEmail, normaliseEmail } from "../../lib/email.ts";
import { checkLeadEmail } from "../../lib/leads/contact.ts";

Deno.test("[email] one rule: trimmed and lower-cased, one @, a local part and non-empty labels", () => {
  assert.equal(normaliseEmail("  Dana.Smith@Example.COM "), "dana.smith@example.com");
  for (const rule of [{ dottedDomain: true }, { dottedDomain: false }]) {
    assert.deepEqual(checkEmail(" Dana@Example.com ", rule), {
      ok: true,
      email: "dana@example.com",
    });
    for (const bad of ["", "dana", "dana@", "@example.com", "da na@example.com", "a@@b.com"]) {
      assert.equal(checkEmail(bad, rule).ok, false, `${bad} under ${JSON.stringify(rule)}`);
    }
    assert.equal(checkEmail("a@example..com", rule).ok, false, "an empty label");
    assert.equal(checkEmail(`${"a".repeat(250)}@b.co`, rule).ok, false, "over 254 characters");
  }
});

Deno.test("[email] a lead's address must reach the internet; a team member's may be an internal host", () => {
  assert.equal(checkLeadEmail("dana@example").ok, false);
  assert.deepEqual(checkLeadEmail("dana@example").ok ? null : checkLeadEmail("dana@example"), {
    ok: false,
    reason: "does not look like name@example.com",
  });
  assert.equal(validateUserEmail(" Admin@Intranet "), "admin@intranet");
  assert.equal(validateUserEmail("admin@leadline.local"), "admin@leadline.local");
  assert.throws(() => validateUserEmail("admin@"), InvalidUserError);
  assert.throws(() => validateUserEmail("a b@example.com"), /must look like name@example.com/);
});
