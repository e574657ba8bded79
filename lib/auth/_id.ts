// ULID generation: sortable ids, so listing the ["users"] prefix gives the order of creation.

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Returns a 26-character ULID for the given time in ms (48-bit time, 80 random bits). */
export function ulid(now: number = Date.now()): string {
  let time = "";
  let rest = Math.floor(now);
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[rest % 32] + time;
    rest = Math.floor(rest / 32);
  }
  let random = "";
  for (const byte of crypto.getRandomValues(new Uint8Array(16))) random += CROCKFORD[byte % 32];
  return time + random;
}
