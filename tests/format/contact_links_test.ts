// mailto: and tel: links only from a valid address or number; anything else is shown as text.

import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { LeadList } from "../../islands/dashboard/LeadList.tsx";
import { mailtoHref, telHref } from "../../lib/format/contact_links.ts";
import { toLeadRow } from "../../lib/format/lead_row.ts";
import { applyLeadDetails, type Lead } from "../../lib/leads/model.ts";
import { createTestApp, type TestApp } from "../_helpers/app.ts";
import { testMetaLead } from "../_helpers/leads.ts";

const HOSTILE_EMAILS = [
  "a@b?cc=evil@x",
  "a@b.com?cc=evil@x.com",
  "a@b.com?subject=Invoice&body=pay",
  "sales@example.com#x",
  "a@b.com,evil@x.com",
  "javascript:alert(1)//@x.com",
  "a b@c.com",
  "a@b@c.com",
  "@example.com",
  "a@localhost",
  "a@-b.com",
  "a@b.com\nbcc:evil@x.com",
  "<a@b.com>",
];

const HOSTILE_PHONES = [
  "javascript:alert(1)",
  "+1 555 0100 call after 5pm",
  "555-0100;ext=1&x=y",
  "12",
  "+1234567890123456",
  "tel:+15550100",
  "+1+555",
];

Deno.test("[contact links] mailtoHref: a link only for one plain address", () => {
  assert.equal(mailtoHref("dana@example.com"), "mailto:dana@example.com");
  assert.equal(
    mailtoHref("First.Last+leads@mail.example.co.uk"),
    "mailto:First.Last+leads@mail.example.co.uk",
  );
  // RFC-valid but URL-meaningful characters of the local part are escaped, never read as syntax.
  assert.equal(mailtoHref("a?cc=b@example.com"), "mailto:a%3Fcc%3Db@example.com");
  assert.equal(mailtoHref("x#y&z%w/v@example.com"), "mailto:x%23y%26z%25w%2Fv@example.com");
  for (const email of HOSTILE_EMAILS) assert.equal(mailtoHref(email), null, email);
  assert.equal(mailtoHref(null), null);
  assert.equal(mailtoHref(""), null);
});

Deno.test("[contact links] telHref: a link only for a phone number", () => {
  assert.equal(telHref("+1 (555) 010-0000"), "tel:+15550100000");
  assert.equal(telHref("030 1234 5678"), "tel:03012345678");
  assert.equal(telHref("+44.20.7946.0958"), "tel:+442079460958");
  for (const phone of HOSTILE_PHONES) assert.equal(telHref(phone), null, phone);
});

function row(email: string, phone: string) {
  const lead = applyLeadDetails(testMetaLead(), { fullName: "Eve", email, phone }, new Date());
  return toLeadRow(lead);
}

Deno.test("[contact links] the dashboard island's rows link valid contacts and show the rest as text", () => {
  const render = (rows: ReturnType<typeof row>[]) =>
    renderToString(
      LeadList({
        rows,
        fresh: new Set(),
        retrying: new Set(),
        marking: new Set(),
        now: Date.now(),
        local: false,
      }),
    );
  const good = render([row("dana@example.com", "+1 555 0100")]);
  assert.match(good, /href="mailto:dana@example.com"/);
  assert.match(good, /href="tel:\+15550100"/);
  for (const email of HOSTILE_EMAILS.filter((item) => !item.includes("\n"))) {
    const html = render([row(email, "javascript:alert(1)")]);
    assert.ok(!html.includes("mailto:"), `${email}: ${html}`);
    assert.ok(!html.includes("tel:"), html);
    assert.ok(!/href="javascript/.test(html));
  }
  const text = render([row("a@b?cc=evil@x", "call me")]);
  assert.match(
    text,
    /<span class="contact-link contact-text">[^<]*<span[^>]*>✉<\/span> a@b\?cc=evil@x/,
  );
});

async function insertLead(app: TestApp, email: string, phone: string): Promise<Lead> {
  const lead = applyLeadDetails(
    testMetaLead(),
    { fullName: "Eve Mallory", email, phone },
    new Date(),
  );
  await app.app.services.leads.insertLeads([lead]);
  return lead;
}

Deno.test("[e2e] the lead page and the dashboard never link a hostile email or phone", async () => {
  const app = await createTestApp();
  try {
    const hostile = await insertLead(app, "a@b?cc=evil@x", "+1 555 0100 call after 5pm");
    const fine = await insertLead(app, "dana@example.com", "+1 555 0100");
    const get = async (path: string) =>
      await (await app.fetch(path, { headers: { accept: "text/html" } })).text();

    const page = await get(`/leads/${hostile.id}`);
    assert.ok(!page.includes("mailto:"), "no mailto link on the lead page");
    assert.ok(!page.includes('href="tel:'), "no tel link on the lead page");
    assert.match(page, /<dd>a@b\?cc=evil@x<\/dd>/, "the address is shown as text");
    assert.match(page, /<dd>\+1 555 0100 call after 5pm<\/dd>/);

    const finePage = await get(`/leads/${fine.id}`);
    assert.match(finePage, /<a href="mailto:dana@example.com">dana@example.com<\/a>/);
    assert.match(finePage, /<a href="tel:\+15550100">\+1 555 0100<\/a>/);

    const dashboard = await get("/");
    assert.ok(!dashboard.includes("mailto:a@b?cc"), "the server-rendered row links nothing bad");
    assert.match(dashboard, /href="mailto:dana@example.com"/);
    assert.equal(dashboard.match(/href="mailto:/g)?.length, 1);
  } finally {
    await app.close();
  }
});
