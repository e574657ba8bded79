// A KV whose atomic operations a test can watch: each is handed over as it is made, so the test
// can wrap its set, check or commit to count or record what the code under test commits.

/** `real`, with every atomic operation passed to `watch` before the caller gets it. */
export function kvWatchingAtomics(
  real: Deno.Kv,
  watch: (op: Deno.AtomicOperation) => void,
): Deno.Kv {
  return new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop !== "atomic") return typeof value === "function" ? value.bind(target) : value;
      return () => {
        const op = target.atomic();
        watch(op);
        return op;
      };
    },
  });
}
