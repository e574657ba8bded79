// Loads a part of an island with import() the first time it is wanted, so the page's first
// script stays small (issue 16: 15 KB gzip for all of a page's JS) and rarely used parts wait.

import { useEffect, useState } from "preact/hooks";

/**
 * The module `load` gives once `wanted` has been true (null until it arrives). It stays loaded
 * after; a failed load (offline) is tried again the next time the part is wanted.
 */
export function useLazy<T>(load: () => Promise<T>, wanted: boolean): T | null {
  // Boxed: a module is never mistaken for a state updater.
  const [loaded, setLoaded] = useState<{ module: T } | null>(null);
  useEffect(() => {
    if (!wanted || loaded) return;
    load().then((module) => setLoaded({ module }), () => {});
  }, [wanted]);
  return loaded?.module ?? null;
}

/**
 * `load` shared: every call while it loads gets the same promise, so work queued on it runs in the
 * order asked (separate import() calls need not settle in order); a failed load (offline) is tried
 * again on the next call.
 */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () =>
    loading ??= load().catch((error) => {
      loading = null;
      throw error;
    });
}
