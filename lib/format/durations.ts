// How long something waited or how long ago it was, as people read it: "7 min", "5 min ago".
// Its own module because three islands share it: the bundler gives it one small shared chunk.

/** "45 s", "7 min", "2 h 5 min", "3 h": how long something waited or took. */
export function waitText(ms: number): string {
  const s = Math.floor(ms / 1000), m = Math.floor(s / 60), h = Math.floor(m / 60);
  if (s < 60) return `${s} s`;
  if (m < 60) return `${m} min`;
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago", then the date: how long ago `iso` was. */
export function relativeTime(iso: string, now: number): string {
  const ms = Date.parse(iso);
  const seconds = Math.round((now - ms) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 14) return `${days} d ago`;
  return iso.slice(0, 10);
}
