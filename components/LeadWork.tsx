// Working one lead on its page: who owns it (claim, release, assign), its calls and follow-up, a
// possible duplicate, and the form that logs a call, note, email or text. Plain forms throughout,
// so all of it works without JavaScript.

import { ACTIVITY_KINDS, CALL_OUTCOMES, outcomeLabel } from "../lib/leads/activities.ts";
import type { Lead } from "../lib/leads/model.ts";
import { type Clock, exactTime, formatTime, UTC_CLOCK } from "../lib/format/time.ts";

/** What an activity form held when it was refused, and why. */
export interface ActivityDraft {
  kind: string;
  outcome: string;
  text: string;
  followUpLocal: string;
}

/** What the lead page knows for working the lead. */
export interface LeadWorkProps {
  /** The signed-in user. */
  viewer: { id: string; role: "admin" | "agent" };
  /** Active team members, for an admin's "Assign to" (empty for agents). */
  members: { id: string; name: string }[];
  /** A refused activity: its fields' reasons and what was typed. */
  activityErrors?: Record<string, string>;
  draft?: ActivityDraft;
  /** An ownership change that failed (e.g. someone claimed it first). */
  ownerError?: string;
}

const KIND_LABELS: Record<string, string> = {
  call: "Call",
  note: "Note",
  email: "Email",
  sms: "Text (SMS)",
};

/** The owner and activity sections of the lead page. */
export function LeadWork(
  { lead, viewer, members, clock = UTC_CLOCK, activityErrors = {}, draft, ownerError }:
    & LeadWorkProps
    & {
      lead: Lead;
      /** The zone every time here is shown in, and the follow-up field is read in. */
      clock?: Clock;
    },
) {
  const action = `/leads/${encodeURIComponent(lead.id)}`;
  const mine = lead.ownerId === viewer.id;
  const admin = viewer.role === "admin";
  const values = draft ?? { kind: "call", outcome: "", text: "", followUpLocal: "" };
  // As on the rest of the page: the reader's zone with its name, the exact UTC time as a tooltip.
  const when = (iso: string) => (
    <time dateTime={iso} title={exactTime(iso, false)}>{formatTime(iso, clock)}</time>
  );
  const error = (field: string) =>
    activityErrors[field] && (
      <span class="field-error" id={`activity-${field}-error`}>
        {activityErrors[field]}
      </span>
    );
  return (
    <section class="detail-card lead-work-card" data-lead-work>
      <h2>Owner and activity</h2>
      {ownerError && <p class="form-error" role="alert">{ownerError}</p>}
      <p class="lead-owner-line">
        <span data-owner={lead.ownerId ?? ""}>
          {lead.ownerId
            ? `Owner: ${mine ? "you" : lead.ownerName ?? "someone"}`
            : "Nobody owns this lead yet"}
        </span>
        {lead.assignedAt && (
          <span class="muted">
            {" since "}
            {when(lead.assignedAt)}
          </span>
        )}
      </p>
      <div class="owner-actions">
        {!lead.ownerId && (
          <form method="post" action={action}>
            <input type="hidden" name="action" value="claim" />
            <button type="submit" class="button-small" data-action="claim">Claim</button>
          </form>
        )}
        {lead.ownerId && (mine || admin) && (
          <form method="post" action={action}>
            <input type="hidden" name="action" value="release" />
            <button type="submit" class="button-small" data-action="release">Release</button>
          </form>
        )}
        {admin && members.length > 0 && (
          <form method="post" action={action} class="assign-form">
            <input type="hidden" name="action" value="assign" />
            <label>
              Assign to{" "}
              <select name="ownerId">
                {members.map((member) => (
                  <option key={member.id} value={member.id} selected={member.id === lead.ownerId}>
                    {member.name}
                  </option>
                ))}
              </select>
            </label>{" "}
            <button type="submit" class="button-small" data-action="assign">Assign</button>
          </form>
        )}
      </div>
      <p class="lead-work-counts">
        <span data-call-attempts={lead.callAttempts ?? 0}>
          {lead.callAttempts ?? 0} call attempt{lead.callAttempts === 1 ? "" : "s"}
        </span>
        {" · "}
        {lead.nextFollowUpAt
          ? (
            <span data-next-follow-up>
              Next follow-up {when(lead.nextFollowUpAt)}
            </span>
          )
          : <span data-next-follow-up>No follow-up planned</span>}
        {lead.possibleDuplicateOf && (
          <>
            {" · "}
            <a
              class="tag tag-duplicate"
              href={`/leads/${encodeURIComponent(lead.possibleDuplicateOf)}`}
              data-duplicate={lead.possibleDuplicateOf}
            >
              Possible duplicate: see the other lead
            </a>
          </>
        )}
      </p>
      <form method="post" action={action} class="activity-form" data-activity-form>
        <input type="hidden" name="action" value="activity" />
        <div class="field">
          <label for="activity-kind">What</label>
          <select
            id="activity-kind"
            name="kind"
            aria-describedby={activityErrors.kind ? "activity-kind-error" : undefined}
          >
            {ACTIVITY_KINDS.map((kind) => (
              <option key={kind} value={kind} selected={kind === values.kind}>
                {KIND_LABELS[kind]}
              </option>
            ))}
          </select>
          {error("kind")}
        </div>
        <div class="field">
          <label for="activity-outcome">Call outcome</label>
          <select
            id="activity-outcome"
            name="outcome"
            aria-describedby={activityErrors.outcome ? "activity-outcome-error" : undefined}
          >
            <option value="" selected={values.outcome === ""}>— (not a call)</option>
            {CALL_OUTCOMES.map((outcome) => (
              <option key={outcome} value={outcome} selected={outcome === values.outcome}>
                {outcomeLabel(outcome)}
              </option>
            ))}
          </select>
          {error("outcome")}
        </div>
        <div class="field field-wide">
          <label for="activity-text">Notes</label>
          <textarea
            id="activity-text"
            name="text"
            rows={3}
            maxLength={2000}
            value={values.text}
            aria-describedby={activityErrors.text ? "activity-text-error" : undefined}
          />
          {error("text")}
        </div>
        <div class="field">
          <label for="activity-follow-up">Follow up at ({clock.timeZone} time)</label>
          <input type="hidden" name="followUpZone" value={clock.timeZone} />
          <input
            id="activity-follow-up"
            type="datetime-local"
            name="followUpLocal"
            value={values.followUpLocal}
            aria-describedby={activityErrors.followUpAt ? "activity-followUpAt-error" : undefined}
          />
          {error("followUpAt")}
        </div>
        <button type="submit" class="button button-primary" data-action="log-activity">
          Log it
        </button>
      </form>
    </section>
  );
}
