import assert from "node:assert/strict";
import { EMPTY_FILTER } from "../../lib/format/lead_filter.ts";
import { csvCell, leadsCsv } from "../../lib/leads/export_csv.ts";
import { type Lead, newManualLead } from "../../lib/leads/model.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { GENERATED_FORMS, generateLeads } from "../_helpers/lead_generator.ts";

/**
 * A strict RFC 4180 reader: fields split by commas, records by CRLF, a field quoted only as a
 * whole with its quotes doubled; anything else (a bare quote, a lone CR or LF outside quotes,
 * text after a closing quote) is an error rather than a guess.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = 0;
  let atStart = true;
  while (i < text.length) {
    const c = text[i];
    if (atStart && c === '"') {
      // A quoted field: to the closing quote, "" for a quote.
      i++;
      while (true) {
        if (i >= text.length) throw new Error("unterminated quoted field");
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      if (i < text.length && text[i] !== "," && !(text[i] === "\r" && text[i + 1] === "\n")) {
        throw new Error(`text after a closing quote at ${i}`);
      }
      atStart = false;
      continue;
    }
    if (c === ",") {
      row.push(field);
      field = "";
      atStart = true;
      i++;
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      atStart = true;
      i += 2;
    } else if (c === "\r" || c === "\n" || c === '"') {
      throw new Error(`bare ${JSON.stringify(c)} outside quotes at ${i}`);
    } else {
      field += c;
      atStart = false;
      i++;
    }
  }
  if (!atStart || field !== "" || row.length > 0) throw new Error("the last record has no CRLF");
  return rows;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("[csv] the test's reader is strict about RFC 4180", () => {
  assert.deepEqual(parseCsv('a,"b,c","d""e"\r\n"x\r\ny",,z\r\n'), [
    ["a", "b,c", 'd"e'],
    ["x\r\ny", "", "z"],
  ]);
  assert.throws(() => parseCsv('a"b\r\n'));
  assert.throws(() => parseCsv("a\nb\r\n"));
  assert.throws(() => parseCsv('"a"b\r\n'));
  assert.throws(() => parseCsv("a,b"));
});

Deno.test("[csv] cells: formulas neutralised, quotes, commas and line breaks quoted", () => {
  assert.equal(csvCell("plain"), "plain");
  for (const risky of ["=1+1", "+15550100", "-2", "@SUM(A1)", "\tx", "\rx"]) {
    assert.ok(csvCell(risky).replace(/^"/, "").startsWith("'"), JSON.stringify(risky));
  }
  assert.equal(csvCell('say "hi", then\nleave'), '"say ""hi"", then\nleave"');
  assert.equal(csvCell("=A1,B1"), `"'=A1,B1"`);
});

Deno.test("[csv] an export reads back cell for cell through an RFC 4180 reader: BOM, CRLF, quotes, newlines, commas, unicode, injection", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  try {
    const generated = generateLeads(300, { seed: 21 });
    await store.insertLeads(generated);
    const tricky: Lead = {
      ...newManualLead({
        source: "walk-in",
        fullName: '=HYPERLINK("http://evil.example","Click")',
        phone: "+44 7700 900123",
        email: "zoë@example.com",
        notes: 'Said: "call me, maybe"\r\nthen left\n@once',
      }, new Date()),
      answers: [
        { name: "full_name", values: ["ignored here"] },
        { name: "favourite_colour", values: ["-red", "blue"] },
        { name: "comments", values: ["\ttabbed", "Ünïcödé ✓ 日本語"] },
      ],
    };
    await store.insertLeads([tricky]);

    const bytes = await readAll(
      leadsCsv({ kv, store }, { filter: EMPTY_FILTER }, {
        timeZone: "Europe/Berlin",
        pageSize: 64,
      }),
    );
    assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 BOM");
    const text = new TextDecoder().decode(bytes.slice(3));
    const rows = parseCsv(text);
    const [heading, ...body] = rows;
    assert.equal(body.length, 301, "one row per lead");
    assert.ok(
      rows.every((row) => row.length === heading.length),
      "every row as wide as the heading",
    );
    assert.equal(heading[1], "Created (Europe/Berlin)");
    // One column per custom question of the exported forms (and the hand-entered answers).
    const questions = heading.slice(17);
    const expected = new Set([
      ...GENERATED_FORMS.flatMap((form) => Object.keys(form.questions)),
      "favourite_colour",
      "comments",
    ]);
    assert.deepEqual(new Set(questions), expected);
    assert.ok(!heading.includes("full_name"), "contact answers are columns of their own");

    const row = body.find((cells) => cells[0] === tricky.id)!;
    const cell = (name: string) => row[heading.indexOf(name)];
    assert.equal(cell("Name"), `'=HYPERLINK("http://evil.example","Click")`);
    assert.equal(cell("Phone"), "'+44 7700 900123");
    assert.equal(cell("Email"), "zoë@example.com");
    assert.equal(cell("Notes"), 'Said: "call me, maybe"\r\nthen left\n@once');
    assert.equal(cell("favourite_colour"), "'-red; blue");
    assert.equal(cell("comments"), "'\ttabbed; Ünïcödé ✓ 日本語");
    assert.equal(cell("Source"), "walk-in");
    const created = new Date(tricky.createdTime);
    const berlin = new Intl.DateTimeFormat("sv-SE", {
      timeZone: "Europe/Berlin",
      dateStyle: "short",
      timeStyle: "medium",
    }).format(created);
    assert.equal(cell("Created (Europe/Berlin)"), berlin);
    // Newest first, as the list.
    const order = body.map((cells) => cells[0]);
    const all = [...generated, tricky].sort((a, b) =>
      Date.parse(b.createdTime) - Date.parse(a.createdTime) || (a.id < b.id ? 1 : -1)
    );
    assert.deepEqual(order, all.map((lead) => lead.id));
    // No cell a spreadsheet would run.
    for (const cells of body) {
      for (const value of cells) assert.ok(!/^[=+\-@\t\r]/.test(value), JSON.stringify(value));
    }
  } finally {
    kv.close();
  }
});

Deno.test("[csv] a filtered export has only the exported forms' questions; a selection exports those ids", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  try {
    const generated = generateLeads(200, { seed: 4 });
    await store.insertLeads(generated);
    const form = GENERATED_FORMS[1];
    const bytes = await readAll(
      leadsCsv({ kv, store }, { filter: { ...EMPTY_FILTER, formIds: [form.id] } }, {
        timeZone: "UTC",
      }),
    );
    const [heading, ...body] = parseCsv(new TextDecoder().decode(bytes.slice(3)));
    assert.deepEqual(heading.slice(17), Object.keys(form.questions));
    assert.equal(body.length, generated.filter((lead) => lead.formId === form.id).length);

    const picked = [generated[5].id, generated[0].id, "01ARZ3NDEKTSV4RRFFQ69G5FAV"];
    const selected = parseCsv(
      new TextDecoder().decode(
        (await readAll(leadsCsv({ kv, store }, { ids: picked }, { timeZone: "UTC" }))).slice(3),
      ),
    );
    assert.deepEqual(selected.slice(1).map((cells) => cells[0]), picked.slice(0, 2));
  } finally {
    kv.close();
  }
});
