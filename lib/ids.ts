// ULIDs: sortable, time-ordered ids (48-bit ms time + 80 random bits, Crockford base32).

const ENCODING = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const TIME_LENGTH = 10;
const RANDOM_LENGTH = 16;
const MAX_TIME = 2 ** 48 - 1;

let lastTime = -1;
let lastRandom: number[] = [];

function randomDigits(): number[] {
  const bytes = crypto.getRandomValues(new Uint8Array(RANDOM_LENGTH));
  return Array.from(bytes, (byte) => byte & 31);
}

/** Add one to a base32 digit array in place; false when it overflows. */
function incrementDigits(digits: number[]): boolean {
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i] < 31) {
      digits[i]++;
      return true;
    }
    digits[i] = 0;
  }
  return false;
}

function encodeTime(time: number): string {
  let out = "";
  for (let i = 0; i < TIME_LENGTH; i++) {
    out = ENCODING[time % 32] + out;
    time = Math.floor(time / 32);
  }
  return out;
}

/**
 * Make a ULID for `time` (ms since the epoch, default now). Ids made in this process
 * are strictly increasing even within one millisecond or when the clock steps back,
 * so a KV prefix listing returns them in creation order.
 */
export function ulid(time: number = Date.now()): string {
  if (!Number.isInteger(time) || time < 0 || time > MAX_TIME) {
    throw new RangeError(`Cannot make a ULID: time ${time} is not an integer between 0 and 2^48-1`);
  }
  if (time <= lastTime) {
    // Same millisecond (or the clock went back): keep order by counting up from the last id.
    if (!incrementDigits(lastRandom)) {
      lastTime++;
      lastRandom = randomDigits();
    }
  } else {
    lastTime = time;
    lastRandom = randomDigits();
  }
  return encodeTime(lastTime) + lastRandom.map((digit) => ENCODING[digit]).join("");
}

/** The millisecond timestamp encoded in a ULID; throws when `id` is not a ULID. */
export function ulidTime(id: string): number {
  if (!isUlid(id)) throw new TypeError(`Cannot read ULID time: "${id}" is not a ULID`);
  let time = 0;
  for (const char of id.slice(0, TIME_LENGTH)) time = time * 32 + ENCODING.indexOf(char);
  return time;
}

/** Whether `value` is a well-formed ULID (26 Crockford base32 characters, upper case). */
export function isUlid(value: string): boolean {
  return /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/.test(value);
}
