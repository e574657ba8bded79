// Measures what a value takes once Deno KV has serialized it, so a record is known to fit before it is written.

/**
 * The largest value KV stores: 65,536 bytes of V8-serialized data (Deno's `max_value_size_bytes`;
 * a commit also stays under 800 KiB in total, 1,000 mutations and 100 checks).
 */
export const KV_MAX_VALUE_BYTES = 65_536;

/**
 * `value` as plain JSON data, each string in its compact form. V8 keeps a string one byte per
 * character only when it was built from Latin-1 text: a slice of a string that held a "€" stays two
 * bytes per character even when the slice is plain ASCII, and KV stores it so. A JSON round trip
 * rebuilds every string from its characters, so what `kvValueSize` measures is what KV stores.
 * `undefined` properties are dropped, as JSON drops them.
 */
export function toKvValue<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

/**
 * How many bytes KV will store for `value`, a JSON value as `toKvValue` returns it (plain objects,
 * arrays, strings, numbers, booleans, null), or a Uint8Array (stored as its bytes).
 *
 * It follows V8's serialization format (version 15): a 2-byte header, one tag byte per value,
 * LEB128 lengths, strings one byte per character when every character is Latin-1 (U+0000 to
 * U+00FF) and two bytes per UTF-16 unit otherwise, with an alignment byte before a two-byte string
 * when its data would start at an odd offset. The result is exact for values without numbers.
 * V8 writes a number either as a small integer (2 to 6 bytes) or as a double (9 bytes) depending on
 * how the object holds it, so a number counts as 9 bytes, and once an integer has been counted the
 * alignment byte of later two-byte strings is counted as well: the result is then an upper bound
 * that is at most a few bytes per number too high, never too low.
 * Throws TypeError for anything JSON cannot hold (functions, Maps, Dates, bigints, ...).
 */
export function kvValueSize(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  const state = { bytes: 2, uncertainParity: false };
  measure(value, state, 0);
  return state.bytes;
}

/** Whether `value` (as for `kvValueSize`) fits in one KV value. */
export function fitsInKvValue(value: unknown): boolean {
  return kvValueSize(value) <= KV_MAX_VALUE_BYTES;
}

interface MeasureState {
  /** Bytes written so far, the header included. */
  bytes: number;
  /** True once a number whose size is not known to the byte has been counted. */
  uncertainParity: boolean;
}

/** Deeper than any record we store; guards against cycles, which JSON cannot hold either. */
const MAX_DEPTH = 100;
/** Canonical array indices (0 to 2^32 - 2) are object keys V8 writes as numbers. */
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;

function measure(value: unknown, state: MeasureState, depth: number): void {
  if (depth > MAX_DEPTH) {
    throw new TypeError(`Cannot measure a KV value: it nests deeper than ${MAX_DEPTH} levels`);
  }
  if (value === null || value === undefined || typeof value === "boolean") {
    state.bytes += 1;
    return;
  }
  if (typeof value === "number") {
    measureNumber(value, state);
    return;
  }
  if (typeof value === "string") {
    measureString(value, state);
    return;
  }
  if (Array.isArray(value)) {
    // Dense array: tag, length, elements, end tag, property count (0), length.
    state.bytes += 1 + varintSize(value.length);
    for (const element of value) measure(element, state, depth + 1);
    state.bytes += 1 + varintSize(0) + varintSize(value.length);
    return;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value);
    state.bytes += 1;
    for (const key of keys) {
      if (ARRAY_INDEX.test(key) && Number(key) <= 2 ** 32 - 2) measureIndexKey(Number(key), state);
      else measureString(key, state);
      measure((value as Record<string, unknown>)[key], state, depth + 1);
    }
    state.bytes += 1 + varintSize(keys.length);
    return;
  }
  throw new TypeError(
    `Cannot measure a KV value: ${
      typeof value === "object" ? (value as object).constructor?.name ?? "object" : typeof value
    } is not plain JSON data`,
  );
}

function measureNumber(value: number, state: MeasureState): void {
  if (Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31 && !Object.is(value, -0)) {
    // Could be a small integer (tag + zigzag varint) or a double: count the larger.
    state.uncertainParity = true;
  }
  state.bytes += 9;
}

function measureIndexKey(index: number, state: MeasureState): void {
  // A small index is a small integer: tag and zigzag varint (the index is never negative).
  if (index < 2 ** 30) state.bytes += 1 + varintSize(index * 2);
  else measureNumber(index, state);
}

function measureString(value: string, state: MeasureState): void {
  let oneByte = true;
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0xff) {
      oneByte = false;
      break;
    }
  }
  if (oneByte) {
    state.bytes += 1 + varintSize(value.length) + value.length;
    return;
  }
  const byteLength = value.length * 2;
  const header = 1 + varintSize(byteLength);
  // V8 aligns two-byte data: a padding tag goes first when the data would start at an odd offset.
  if (state.uncertainParity || (state.bytes + header) % 2 === 1) state.bytes += 1;
  state.bytes += header + byteLength;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}
