// The details fetches running in this process, so the live hub can wait a moment for a lead's name
// rather than send its stub and then the name a few milliseconds later.

/** Fetch times kept to judge whether Meta answers fast enough to be worth waiting for. */
const SAMPLES = 16;

/** What the fetch job and the live hub share. */
export interface DetailsInFlight {
  /** Marks `leadId`'s fetch as running; call the returned function once it has ended (stored). */
  begin(leadId: string): (outcome: "fetched" | "not_fetched") => void;
  /**
   * Waits until none of `leadIds` has a fetch running here, or `maxMs`, whichever is first; true
   * when it waited. Does not wait when none of them is running, or when recent fetches took longer
   * than `maxMs` (a slow Meta: waiting would only delay the stub).
   */
  settled(leadIds: string[], maxMs: number): Promise<boolean>;
}

/** A tracker; `now` is the clock fetch times are read from (default performance.now). */
export function createDetailsInFlight(
  now: () => number = () => performance.now(),
): DetailsInFlight {
  const running = new Map<string, { started: number; done: Promise<void> }>();
  const recent: number[] = [];

  /** The median of recent successful fetches, or 0 before the first. */
  function typicalMs(): number {
    if (recent.length === 0) return 0;
    const sorted = [...recent].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  return {
    begin(leadId) {
      const { promise, resolve } = Promise.withResolvers<void>();
      const entry = { started: now(), done: promise };
      running.set(leadId, entry);
      return (outcome) => {
        if (running.get(leadId) === entry) running.delete(leadId);
        if (outcome === "fetched") {
          recent.push(now() - entry.started);
          if (recent.length > SAMPLES) recent.shift();
        }
        resolve();
      };
    },
    async settled(leadIds, maxMs) {
      const waits = leadIds.flatMap((id) => running.get(id)?.done ?? []);
      if (waits.length === 0 || typicalMs() > maxMs) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, maxMs));
      try {
        await Promise.race([Promise.all(waits), timeout]);
      } finally {
        clearTimeout(timer);
      }
      return true;
    },
  };
}
