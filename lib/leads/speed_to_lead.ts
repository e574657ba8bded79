// Speed to lead: how long a person waited between submitting a lead and someone getting back to them.

import { firstStatusChangeAt, type Lead } from "./model.ts";

/** What speed to lead needs of a lead. */
export type SpeedToLeadInput = Pick<Lead, "createdTime" | "firstContactAt" | "timeline" | "source">;

/**
 * Milliseconds from the lead's creation to its first status change away from "new", or null
 * while nobody has changed it. Never negative: a clock ahead of Meta's counts as instant.
 */
export function speedToLeadMs(lead: SpeedToLeadInput): number | null {
  const contacted = lead.firstContactAt ?? firstStatusChangeAt(lead.timeline ?? []);
  if (!contacted) return null;
  const ms = Date.parse(contacted) - Date.parse(lead.createdTime);
  return Number.isFinite(ms) ? Math.max(0, ms) : null;
}

/** A duration as people say it: "40 s", "4 min", "2 h 5 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** "Contacted 4 min after the form was submitted", or "Not contacted yet". */
export function describeSpeedToLead(lead: SpeedToLeadInput): string {
  const ms = speedToLeadMs(lead);
  if (ms === null) return "Not contacted yet";
  const since = lead.source === "meta" ? "the form was submitted" : "the lead came in";
  return `Contacted ${formatDuration(ms)} after ${since}`;
}
