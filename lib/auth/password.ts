// Password policy, PBKDF2-SHA256 hashing and constant-time verification through WebCrypto.

import { base64ToBytes, randomBytes, randomToken, timingSafeEqual } from "../crypto.ts";
import { PasswordPolicyError } from "./errors.ts";
import { passwordPolicyProblem } from "./password_policy.ts";

/** PBKDF2 iterations for new hashes (OWASP's 2023 figure for PBKDF2-HMAC-SHA256). */
export const DEFAULT_ITERATIONS = 600_000;

const SCHEME = "pbkdf2-sha256";
const SALT_BYTES = 16;
const HASH_BYTES = 32;
// A stored hash with more iterations than this is treated as corrupt rather than run.
const MAX_ITERATIONS = 10_000_000;

/** Options for hashing and for a dummy verification. */
export interface HashOptions {
  /** PBKDF2 iterations; default {@linkcode DEFAULT_ITERATIONS}. Lower values are for tests only. */
  iterations?: number;
}

/**
 * Throws {@linkcode PasswordPolicyError} when a new password breaks the policy (see
 * lib/auth/password_policy.ts: 10 to 1,024 characters). The message never contains the password.
 */
export function checkPasswordPolicy(password: string): void {
  const problem = passwordPolicyProblem(password);
  if (problem !== null) throw new PasswordPolicyError(problem);
}

/**
 * Hashes a new password after checking the policy, with a random 16-byte salt.
 * Returns a self-describing string: `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`.
 */
export async function hashPassword(password: string, options: HashOptions = {}): Promise<string> {
  checkPasswordPolicy(password);
  const iterations = checkIterations(options.iterations ?? DEFAULT_ITERATIONS);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, iterations);
  return `${SCHEME}$${iterations}$${salt.toBase64()}$${hash.toBase64()}`;
}

/**
 * Checks a password against a string made by {@linkcode hashPassword}, comparing
 * the derived bytes in constant time. A malformed or tampered stored string gives
 * `false`, never an error.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStoredHash(stored);
  if (parsed === null || typeof password !== "string") return false;
  const candidate = await derive(password, parsed.salt, parsed.iterations);
  return timingSafeEqual(candidate, parsed.hash);
}

/**
 * Does the same work as {@linkcode verifyPassword} against a random hash and
 * returns `false`, so a login for an unknown email takes as long as a real check.
 * Pass the iterations real hashes use.
 */
export async function dummyVerify(password: string, options: HashOptions = {}): Promise<false> {
  const iterations = checkIterations(options.iterations ?? DEFAULT_ITERATIONS);
  const candidate = await derive(String(password), randomBytes(SALT_BYTES), iterations);
  timingSafeEqual(candidate, randomBytes(HASH_BYTES));
  return false;
}

/**
 * Returns the iteration count recorded in a stored hash, or null when the string
 * is malformed; lets a caller rehash old hashes after a successful login.
 */
export function storedIterations(stored: string): number | null {
  return parseStoredHash(stored)?.iterations ?? null;
}

/**
 * Makes a random password of 24 base64url characters (144 bits), e.g. for the
 * demo admin printed once at start-up.
 */
export function generatePassword(): string {
  return randomToken(18);
}

interface ParsedHash {
  iterations: number;
  salt: Uint8Array;
  hash: Uint8Array;
}

function parseStoredHash(stored: string): ParsedHash | null {
  if (typeof stored !== "string") return null;
  const parts = stored.split("$");
  if (parts.length !== 4 || parts[0] !== SCHEME || !/^[1-9][0-9]{0,9}$/.test(parts[1])) return null;
  const iterations = Number(parts[1]);
  if (iterations > MAX_ITERATIONS) return null;
  const salt = base64ToBytes(parts[2]);
  const hash = base64ToBytes(parts[3]);
  if (salt === null || hash === null || salt.length !== SALT_BYTES || hash.length !== HASH_BYTES) {
    return null;
  }
  return { iterations, salt, hash };
}

function checkIterations(iterations: number): number {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new RangeError(
      `Cannot hash password: iterations must be an integer from 1 to ${MAX_ITERATIONS}, got ${iterations}`,
    );
  }
  return iterations;
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(password.normalize("NFC")),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: new Uint8Array(salt), iterations },
    key,
    HASH_BYTES * 8,
  );
  return new Uint8Array(bits);
}
