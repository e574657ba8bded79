import assert from "node:assert/strict";
import { applyLeadDetails } from "../../lib/leads/model.ts";
import {
  formatTime,
  isTimeZone,
  TIME_ZONE_COOKIE,
  timeZoneCookie,
  UTC_CLOCK,
} from "../../lib/format/time.ts";
import { clockOf } from "../../lib/local_time.ts";
import { createTestApp } from "../_helpers/app.ts";
import { testMetaLead } from "../_helpers/leads.ts";

function request(headers: Record<string, string>): Request {
  return new Request("http://localhost/leads/x", { headers });
}

Deno.test("[local time] the reader's zone comes from the cookie, the locale from Accept-Language", () => {
  assert.deepEqual(clockOf(request({})), UTC_CLOCK);
  assert.deepEqual(
    clockOf(request({
      cookie: `a=b; ${TIME_ZONE_COOKIE}=America%2FNew_York`,
      "accept-language": "en-US,en;q=0.9",
    })),
    { timeZone: "America/New_York", locale: "en-US" },
  );
  // A zone that does not exist, or junk, is ignored: the page still renders, in UTC.
  for (const bad of ["Mars/Olympus_Mons", "%E0%A4%A", "Europe/Berlin,x", "a".repeat(80)]) {
    assert.equal(clockOf(request({ cookie: `${TIME_ZONE_COOKIE}=${bad}` })).timeZone, "UTC", bad);
  }
  assert.equal(clockOf(request({ "accept-language": "*, not a tag!!" })).locale, "en-GB");
  assert.equal(isTimeZone("Asia/Kolkata"), true);
  assert.equal(
    timeZoneCookie("Europe/Berlin"),
    `${TIME_ZONE_COOKIE}=Europe%2FBerlin; Path=/; Max-Age=31536000; SameSite=Lax`,
  );
  assert.equal(timeZoneCookie(undefined), null);
});

Deno.test("[local time] times read in the reader's zone, with the zone's name", () => {
  const iso = "2026-03-02T13:05:09.000Z";
  assert.equal(formatTime(iso, UTC_CLOCK), "2 Mar 2026, 13:05:09 UTC");
  assert.equal(
    formatTime(iso, { timeZone: "Europe/Berlin", locale: "en-GB" }),
    "2 Mar 2026, 14:05:09 CET",
  );
  assert.match(
    formatTime(iso, { timeZone: "America/New_York", locale: "en-US" }),
    /^Mar 2, 2026, 8:05:09\sAM EST$/,
  );
});

Deno.test("[e2e] GET /leads/:id - local times with the zone, platform in words, raw field_data folded", async () => {
  const t = await createTestApp();
  try {
    const lead = {
      ...applyLeadDetails(testMetaLead({ createdTime: 1_772_456_709 }), {
        fullName: "Ines Insta",
        answers: [{ name: "full_name", values: ["Ines Insta"] }],
      }, new Date("2026-03-02T13:05:30.000Z")),
      platform: "ig",
    };
    await t.app.services.leads.insertLeads([lead]);
    const page = async (headers: Record<string, string>) =>
      await (await t.fetch(`/leads/${lead.id}`, { headers })).text();

    const utc = await page({});
    assert.match(utc, /<time datetime="2026-03-02T13:05:09.000Z"[^>]*>2 Mar 2026, 13:05:09 UTC</);

    const berlin = await page({ cookie: `${t.user.cookie}; ${TIME_ZONE_COOKIE}=Europe%2FBerlin` });
    assert.match(
      berlin,
      /<time datetime="2026-03-02T13:05:09.000Z" title="2026-03-02 13:05:09 UTC">2 Mar 2026, 14:05:09 CET<\/time>/,
    );
    assert.doesNotMatch(berlin, />[^<]*\d UTC</, "no time is shown in UTC any more");
    assert.match(berlin, /Meta lead ad · Instagram/);
    assert.doesNotMatch(berlin, /· ig\b/);
    assert.match(
      berlin,
      /<details class="detail-card raw-card" data-raw-details="true"><summary>Raw field_data \(JSON\)<\/summary><pre class="raw" data-raw="true">/,
    );
  } finally {
    await t.close();
  }
});
