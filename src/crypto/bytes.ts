/**
 * Byte helpers: hex, concatenation, comparison, big-endian integers.
 * @module
 */
import { EncodingError } from "./errors.js";

const HEX_RE = /^[0-9a-fA-F]*$/;

/** Lowercase hex without prefix. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Parses hex, with or without a `0x` prefix (Clarity prints buffers as `0x...`). */
export function fromHex(hex: string, expectedLength?: number, what = "hex string"): Uint8Array {
  if (typeof hex !== "string") throw new EncodingError(`${what} must be a string`);
  const body = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (body.length % 2 !== 0 || !HEX_RE.test(body))
    throw new EncodingError(`${what} is not valid hex (odd length or non-hex characters)`);
  const out = new Uint8Array(body.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(body.slice(2 * i, 2 * i + 2), 16);
  if (expectedLength !== undefined && out.length !== expectedLength)
    throw new EncodingError(`${what} must be ${expectedLength} bytes, got ${out.length}`);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Equality in time independent of the contents (lengths are public). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

export function bigIntToBytes(n: bigint, length: number): Uint8Array {
  if (n < 0n || n >> BigInt(8 * length) !== 0n) throw new EncodingError(`integer does not fit in ${length} bytes`);
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Throws an EncodingError unless `bytes` is a Uint8Array of exactly `length` bytes. */
export function expectBytes(bytes: unknown, length: number, what: string): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new EncodingError(`${what} must be a Uint8Array`);
  if (bytes.length !== length) throw new EncodingError(`${what} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}
