// Demo mode only: the built-in simulator creates test leads and delivers them, signed, to our webhook.

import { readJsonObject } from "../../../lib/web/body.ts";
import { define } from "../../../lib/app_state.ts";
import { HttpError, jsonResponse } from "../../../lib/web/http_error.ts";

const MAX_COUNT = 50;

export const handler = define.handlers({
  async POST({ req, state }) {
    const simulator = state.services.simulator;
    if (simulator === null) {
      throw new HttpError(404, "Not found: test leads exist in demo mode only");
    }
    const body = await readJsonObject(req, { emptyIsObject: true });
    const count = body.count ?? 1;
    if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_COUNT) {
      throw new HttpError(400, `Cannot create test leads: count must be 1 to ${MAX_COUNT}`);
    }
    // `deliver: false` holds the leads back, like a webhook Meta never sent (Sync finds them).
    const deliver = body.deliver !== false;
    // Our own listening address, never the request's Host header: a client could name any
    // server there and have us post signed deliveries to it.
    const selfUrl = state.services.selfUrl;
    if (deliver && selfUrl === null) {
      throw new HttpError(503, "Cannot deliver test leads: this server is not listening yet");
    }
    // From every active form of the simulated pages, with their ads and campaigns (or organic).
    const leads = Array.from(
      { length: count as number },
      () => simulator.createLead({ anyForm: true }),
    );
    const deliveries: { leadgenId: string; status: number }[] = [];
    if (deliver) {
      // Through our own public webhook, exactly as Meta would call it.
      const webhookUrl = `${selfUrl}/webhook`;
      for (const lead of leads) {
        const res = await simulator.deliver([lead], webhookUrl);
        await res.body?.cancel();
        deliveries.push({ leadgenId: lead.id, status: res.status });
      }
    }
    state.services.log.info("demo leads created", {
      requestId: state.requestId,
      count,
      delivered: deliver,
    });
    return jsonResponse({
      leads: leads.map((lead) => ({
        leadgenId: lead.id,
        pageId: lead.pageId,
        formId: lead.formId,
        fullName: lead.fields.fullName,
      })),
      delivered: deliver,
      deliveries,
    }, 201);
  },
});
