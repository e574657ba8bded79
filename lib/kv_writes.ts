// Writes recorded for a KV commit: counted against KV's per-commit limits, then replayed onto it.

import { kvValueSize } from "./kv_value_size.ts";

/**
 * What Deno KV accepts in one atomic commit (measured on Deno 2.9: one more throws a TypeError
 * such as "Too many checks (max 100)" or "Total key size too large (max 81920 bytes)").
 */
export const KV_COMMIT_LIMITS: Readonly<CommitSize> = {
  checks: 100,
  mutations: 1000,
  /** Keys and values of the mutations together. */
  mutationBytes: 819_200,
  /** Keys of the mutations that write a value. */
  keyBytes: 81_920,
};

/** What some writes take of a commit, in the terms KV limits a commit by. */
export interface CommitSize {
  checks: number;
  mutations: number;
  mutationBytes: number;
  keyBytes: number;
}

/** An empty size, to add to. */
export function emptyCommitSize(): CommitSize {
  return { checks: 0, mutations: 0, mutationBytes: 0, keyBytes: 0 };
}

/** Adds `more` to `total` (in place) and returns `total`. */
export function addCommitSize(total: CommitSize, more: Readonly<CommitSize>): CommitSize {
  total.checks += more.checks;
  total.mutations += more.mutations;
  total.mutationBytes += more.mutationBytes;
  total.keyBytes += more.keyBytes;
  return total;
}

/** Whether writes of `size` fit in one commit within `limits` (default KV's own). */
export function fitsInCommit(
  size: Readonly<CommitSize>,
  limits: Readonly<CommitSize> = KV_COMMIT_LIMITS,
): boolean {
  return size.checks <= limits.checks && size.mutations <= limits.mutations &&
    size.mutationBytes <= limits.mutationBytes && size.keyBytes <= limits.keyBytes;
}

const encoder = new TextEncoder();

/**
 * The bytes KV encodes `key` in (an upper bound): each string or byte part is a tag, its bytes and
 * a terminator (a NUL inside takes two), a number nine bytes, a bigint at most eleven, a boolean
 * one.
 */
export function kvKeySize(key: Deno.KvKey): number {
  let bytes = 0;
  for (const part of key) {
    if (typeof part === "string") {
      // Plain ASCII (ids, names) is one byte a character; anything else is measured as UTF-8.
      // deno-lint-ignore no-control-regex
      const ascii = /^[\x01-\x7f]*$/.test(part);
      bytes += 2 + (ascii ? part.length : encoder.encode(part).length + countNuls(part));
    } else if (typeof part === "number") bytes += 9;
    else if (typeof part === "bigint") bytes += 11;
    else if (typeof part === "boolean") bytes += 1;
    else if (part instanceof Uint8Array) bytes += 2 + part.byteLength * 2;
    else bytes += 16;
  }
  return bytes;
}

function countNuls(text: string): number {
  let count = 0;
  for (let i = text.indexOf("\0"); i >= 0; i = text.indexOf("\0", i + 1)) count++;
  return count;
}

/** Bytes a value takes when a size cannot be measured (not plain JSON data): deliberately high. */
const UNMEASURED_VALUE_BYTES = 8_192;

type Recorded =
  | { kind: "check"; check: Deno.AtomicCheck }
  | { kind: "set"; key: Deno.KvKey; value: unknown; options?: { expireIn?: number } }
  | { kind: "delete"; key: Deno.KvKey }
  | { kind: "sum" | "min" | "max"; key: Deno.KvKey; n: bigint }
  | { kind: "enqueue"; value: unknown; options?: Parameters<Deno.AtomicOperation["enqueue"]>[1] };

/**
 * Writes meant for a commit, recorded instead of applied so that their size is known before
 * they join one: a group commit takes writes while they fit KV's limits, counted from the writes
 * themselves rather than guessed per record. Pass `op` wherever code adds writes to a
 * `Deno.AtomicOperation`, then `replayOnto` the commit that carries them (as often as it is
 * attempted). It cannot be committed itself.
 */
export class RecordedWrites {
  readonly #writes: Recorded[] = [];
  readonly #known = new WeakMap<object, number>();
  /** What the recorded writes take of a commit so far. */
  readonly size: CommitSize = emptyCommitSize();

  /** The recorder as an AtomicOperation, for code that adds writes to one. */
  get op(): Deno.AtomicOperation {
    return this as unknown as Deno.AtomicOperation;
  }

  /** Tells the size of `value` (measured already, e.g. a record fitted to KV's value limit). */
  knownSize(value: object, bytes: number): this {
    this.#known.set(value, bytes);
    return this;
  }

  /** Records checks (as AtomicOperation.check). */
  check(...checks: Deno.AtomicCheck[]): this {
    for (const check of checks) this.#writes.push({ kind: "check", check });
    this.size.checks += checks.length;
    return this;
  }

  /** Records a set (as AtomicOperation.set). */
  set(key: Deno.KvKey, value: unknown, options?: { expireIn?: number }): this {
    this.#writes.push({ kind: "set", key, value, options });
    const keyBytes = kvKeySize(key);
    this.size.mutations++;
    this.size.keyBytes += keyBytes;
    this.size.mutationBytes += keyBytes + this.#valueSize(value);
    return this;
  }

  /** Records a delete (as AtomicOperation.delete). */
  delete(key: Deno.KvKey): this {
    this.#writes.push({ kind: "delete", key });
    this.size.mutations++;
    this.size.mutationBytes += kvKeySize(key);
    return this;
  }

  /** Records a sum (as AtomicOperation.sum). */
  sum(key: Deno.KvKey, n: bigint): this {
    return this.#counter("sum", key, n);
  }

  /** Records a min (as AtomicOperation.min). */
  min(key: Deno.KvKey, n: bigint): this {
    return this.#counter("min", key, n);
  }

  /** Records a max (as AtomicOperation.max). */
  max(key: Deno.KvKey, n: bigint): this {
    return this.#counter("max", key, n);
  }

  /** Records an enqueue (as AtomicOperation.enqueue). */
  enqueue(value: unknown, options?: Parameters<Deno.AtomicOperation["enqueue"]>[1]): this {
    this.#writes.push({ kind: "enqueue", value, options });
    this.size.mutations++;
    this.size.mutationBytes += this.#valueSize(value);
    return this;
  }

  /** Mutations through `mutate` are not used by our code and not recorded. */
  mutate(): this {
    throw new Error("Cannot record mutate(): use set, delete, sum, min or max");
  }

  /** A recording is replayed onto a real commit, never committed. */
  commit(): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
    return Promise.reject(new Error("Cannot commit recorded writes: replay them onto a commit"));
  }

  /** Adds every recorded write to `op`, in order. */
  replayOnto(op: Deno.AtomicOperation): void {
    for (const write of this.#writes) {
      switch (write.kind) {
        case "check":
          op.check(write.check);
          break;
        case "set":
          op.set(write.key, write.value, write.options);
          break;
        case "delete":
          op.delete(write.key);
          break;
        case "sum":
          op.sum(write.key, write.n);
          break;
        case "min":
          op.min(write.key, write.n);
          break;
        case "max":
          op.max(write.key, write.n);
          break;
        case "enqueue":
          op.enqueue(write.value, write.options);
          break;
      }
    }
  }

  #counter(kind: "sum" | "min" | "max", key: Deno.KvKey, n: bigint): this {
    this.#writes.push({ kind, key, n });
    const keyBytes = kvKeySize(key);
    this.size.mutations++;
    this.size.keyBytes += keyBytes;
    this.size.mutationBytes += keyBytes + 8;
    return this;
  }

  #valueSize(value: unknown): number {
    if (typeof value === "object" && value !== null) {
      const known = this.#known.get(value);
      if (known !== undefined) return known;
      if (value instanceof Deno.KvU64) return 16;
    }
    try {
      return kvValueSize(value);
    } catch {
      return UNMEASURED_VALUE_BYTES;
    }
  }
}
