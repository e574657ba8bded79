// Maps the errors of claiming and assigning a lead to HTTP answers, for the routes that do either.

import {
  LeadClaimedError,
  OwnershipForbiddenError,
  UnknownOwnerError,
} from "../../../lib/leads/ownership.ts";
import { LeadNotFoundError } from "../../../lib/leads/store.ts";
import { HttpError } from "../../../lib/web/http_error.ts";

/**
 * The HTTP error for an ownership change that failed: 409 with the owner for a lost claim, 403
 * for a move the user may not make, 400 for an unknown owner, 404 for an unknown lead; any other
 * error is returned as it is (a 500).
 */
export function ownershipHttpError(error: unknown, leadId: string): unknown {
  if (error instanceof LeadClaimedError) {
    return new HttpError(409, error.message, { details: { owner: error.owner } });
  }
  if (error instanceof OwnershipForbiddenError) return new HttpError(403, error.message);
  if (error instanceof UnknownOwnerError) return new HttpError(400, error.message);
  if (error instanceof LeadNotFoundError) return new HttpError(404, `No lead has the id ${leadId}`);
  return error;
}
