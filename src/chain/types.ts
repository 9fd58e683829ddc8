// Clarity types at the edge of the client: argument encoders (typed JS value or command-line
// text -> ClarityValue) and result decoders (decoded Clarity value -> typed JS value), each
// carrying its Clarity type in the contract-interface (ABI) notation so that a test can
// compare the client's function table with the contract's interface.
//
// Conventions: uints are bigints, buffers are 0x-prefixed lowercase hex strings (arguments
// also accept Uint8Array), principals are strings, optionals are `T | null`, tuple fields are
// camelCase properties of their kebab-case Clarity names.
import { Cl, validateStacksAddress, type ClarityValue } from "@stacks/transactions";
import { ArgumentError, DecodeError } from "./errors.js";
import type { Plain } from "./clarity.js";

/** A Clarity type as the contract interface writes it (`simnet.getContractsInterfaces()`, /v2/contracts/interface). */
export type AbiType =
  | "uint128"
  | "int128"
  | "bool"
  | "principal"
  | "none"
  | "trait_reference"
  | { buffer: { length: number } }
  | { "string-ascii": { length: number } }
  | { "string-utf8": { length: number } }
  | { optional: AbiType }
  | { list: { type: AbiType; length: number } }
  | { tuple: { name: string; type: AbiType }[] }
  | { response: { ok: AbiType; error: AbiType } };

// ---------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------

export interface ArgType<T> {
  readonly type: AbiType;
  /** What the command line expects, for help texts. */
  readonly hint: string;
  encode(value: T, name: string): ClarityValue;
  parse(text: string, name: string): T;
}

export interface Arg<T> extends ArgType<T> {
  readonly name: string;
}

export type Bytes = Uint8Array | string;

const UINT_MAX = (1n << 128n) - 1n;

function toUint(value: bigint | number | string, name: string): bigint {
  let n: bigint;
  try {
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw new Error();
    if (typeof value === "string" && !/^\d+$/.test(value.trim())) throw new Error();
    n = BigInt(typeof value === "string" ? value.trim() : value);
  } catch {
    throw new ArgumentError(`${name} must be a non-negative integer, got ${describe(value)}`);
  }
  if (n < 0n || n > UINT_MAX) throw new ArgumentError(`${name} must be a non-negative integer below 2^128, got ${n}`);
  return n;
}

function describe(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

export const uint: ArgType<bigint | number> = {
  type: "uint128",
  hint: "integer",
  encode: (value, name) => Cl.uint(toUint(value, name)),
  parse: (text, name) => toUint(text, name),
};

export const bool: ArgType<boolean> = {
  type: "bool",
  hint: "true|false",
  encode: (value, name) => {
    if (typeof value !== "boolean") throw new ArgumentError(`${name} must be true or false`);
    return Cl.bool(value);
  },
  parse: (text, name) => {
    if (text === "true") return true;
    if (text === "false") return false;
    throw new ArgumentError(`${name} must be true or false, got ${describe(text)}`);
  },
};

const CONTRACT_NAME = /^[a-zA-Z]([a-zA-Z0-9]|[-_])*$/;

/** A standard (ST.../SP...) or contract (ST....name) principal, checked with its c32 checksum. */
export function checkPrincipal(value: unknown, name: string): string {
  if (typeof value === "string") {
    const [address, contract, ...rest] = value.split(".");
    if (rest.length === 0 && validateStacksAddress(address!) && (contract === undefined || (CONTRACT_NAME.test(contract) && contract.length <= 40)))
      return value;
  }
  throw new ArgumentError(`${name} must be a Stacks principal (ST... or SP..., optionally .contract-name), got ${describe(value)}`);
}

export const principal: ArgType<string> = {
  type: "principal",
  hint: "principal",
  encode: (value, name) => Cl.principal(checkPrincipal(value, name)),
  parse: (text, name) => checkPrincipal(text, name),
};

/** Bytes from a Uint8Array or a hex string (0x optional), checked against a length. */
export function toBytes(value: Bytes, name: string, max: number, exact: boolean): Uint8Array {
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) bytes = value;
  else if (typeof value === "string" && /^(0x)?([0-9a-fA-F]{2})*$/.test(value)) {
    const hex = value.startsWith("0x") ? value.slice(2) : value;
    bytes = Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
  } else throw new ArgumentError(`${name} must be ${exact ? `${max} bytes` : `at most ${max} bytes`} of hex, got ${describe(value)}`);
  if (exact ? bytes.length !== max : bytes.length > max)
    throw new ArgumentError(`${name} must be ${exact ? `${max} bytes` : `at most ${max} bytes`} of hex, got ${bytes.length} bytes`);
  return bytes;
}

/**
 * A (buff max) argument. `exact` refuses any other length before a transaction is built:
 * keys, signatures and hashes have one valid length even where the type admits shorter.
 */
export function buff(max: number, exact = false): ArgType<Bytes> {
  return {
    type: { buffer: { length: max } },
    hint: exact ? `${max}-byte hex` : `hex, at most ${max} bytes`,
    encode: (value, name) => Cl.buffer(toBytes(value, name, max, exact)),
    parse: (text, name) => toBytes(text, name, max, exact),
  };
}

export function ascii(max: number): ArgType<string> {
  const check = (value: unknown, name: string): string => {
    if (typeof value !== "string" || !/^[\x20-\x7e]*$/.test(value) || value.length > max)
      throw new ArgumentError(`${name} must be printable ASCII of at most ${max} characters, got ${describe(value)}`);
    return value;
  };
  return {
    type: { "string-ascii": { length: max } },
    hint: `text, at most ${max} ASCII characters`,
    encode: (value, name) => Cl.stringAscii(check(value, name)),
    parse: (text, name) => check(text, name),
  };
}

/** A (list max item) argument; on the command line a comma-separated list or a JSON array. */
export function list<T>(item: ArgType<T>, max: number): ArgType<T[]> {
  const check = (value: unknown, name: string): T[] => {
    if (!Array.isArray(value) || value.length > max) throw new ArgumentError(`${name} must be a list of at most ${max} items`);
    return value as T[];
  };
  return {
    type: { list: { type: item.type, length: max } },
    hint: `comma-separated list of at most ${max} (${item.hint})`,
    encode: (value, name) => Cl.list(check(value, name).map((v, i) => item.encode(v, `${name}[${i}]`))),
    parse: (text, name) => {
      const trimmed = text.trim();
      let parts: string[];
      if (trimmed.startsWith("[")) {
        try {
          parts = (JSON.parse(trimmed) as unknown[]).map(String);
        } catch {
          throw new ArgumentError(`${name} must be a JSON array or a comma-separated list`);
        }
      } else parts = trimmed === "" ? [] : trimmed.split(",").map((p) => p.trim());
      return check(parts.map((p, i) => item.parse(p, `${name}[${i}]`)), name);
    },
  };
}

/** Names an argument: `arg("public-key", buff(48, true))`. */
export function arg<T>(name: string, type: ArgType<T>): Arg<T> {
  return { ...type, name };
}

// ---------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------

export interface Decoder<T> {
  /** The Clarity type this decoder reads; for tuples only the fields it names. */
  readonly type: AbiType;
  decode(value: Plain, path: string): T;
}

export type Decoded<D> = D extends Decoder<infer T> ? T : never;

function fail(path: string, expected: string, value: Plain): never {
  throw new DecodeError(`${path}: expected ${expected}, got ${describe(typeof value === "object" && value !== null ? JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `${v}` : v)) : value)}`);
}

export const uintResult: Decoder<bigint> = {
  type: "uint128",
  decode: (v, path) => (typeof v === "bigint" ? v : fail(path, "uint", v)),
};

export const boolResult: Decoder<boolean> = {
  type: "bool",
  decode: (v, path) => (typeof v === "boolean" ? v : fail(path, "bool", v)),
};

export const principalResult: Decoder<string> = {
  type: "principal",
  decode: (v, path) => (typeof v === "string" && !v.startsWith("0x") ? v : fail(path, "principal", v)),
};

/** A buffer as 0x-prefixed lowercase hex. */
export function buffResult(length: number): Decoder<string> {
  return {
    type: { buffer: { length } },
    decode: (v, path) => (typeof v === "string" && /^0x([0-9a-f]{2})*$/.test(v) ? v : fail(path, "buffer", v)),
  };
}

export function asciiResult(length: number): Decoder<string> {
  return {
    type: { "string-ascii": { length } },
    decode: (v, path) => (typeof v === "string" ? v : fail(path, "string", v)),
  };
}

export function optionalResult<T>(inner: Decoder<T>): Decoder<T | null> {
  return { type: { optional: inner.type }, decode: (v, path) => (v === null ? null : inner.decode(v, path)) };
}

export function listResult<T>(item: Decoder<T>, length: number): Decoder<T[]> {
  return {
    type: { list: { type: item.type, length } },
    decode: (v, path) => (Array.isArray(v) ? v.map((x, i) => item.decode(x, `${path}[${i}]`)) : fail(path, "list", v)),
  };
}

/** `publicKey` -> `public-key`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `public-key` -> `publicKey`. */
export function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

type Fields = Record<string, Decoder<unknown>>;

/**
 * A tuple read by field name: each camelCase key reads the kebab-case Clarity field.
 * Fields the decoder does not name are ignored, so a contract that adds a field does not
 * break old clients; a named field that is missing is a DecodeError.
 */
export function tupleResult<F extends Fields>(fields: F): Decoder<{ [K in keyof F]: Decoded<F[K]> }> {
  return {
    type: { tuple: Object.entries(fields).map(([key, d]) => ({ name: kebab(key), type: d.type })) },
    decode: (v, path) => {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return fail(path, "tuple", v);
      const record = v as Record<string, Plain>;
      const out: Record<string, unknown> = {};
      for (const [key, d] of Object.entries(fields)) {
        const name = kebab(key);
        if (!(name in record)) throw new DecodeError(`${path}: missing field ${name}`);
        out[key] = d.decode(record[name]!, `${path}.${name}`);
      }
      return out as { [K in keyof F]: Decoded<F[K]> };
    },
  };
}
