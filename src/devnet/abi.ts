// Checks contract-call arguments against a function's ABI types, as a node does before
// admitting a transaction to its mempool.
import { ClarityType, type ClarityValue } from "@stacks/transactions";

export type AbiType =
  | string
  | { buffer: { length: number } }
  | { "string-ascii": { length: number } }
  | { "string-utf8": { length: number } }
  | { optional: AbiType }
  | { response: { ok: AbiType; error: AbiType } }
  | { list: { type: AbiType; length: number } }
  | { tuple: { name: string; type: AbiType }[] };

export interface AbiFunction {
  name: string;
  access: string;
  args: { name: string; type: AbiType }[];
  outputs: { type: AbiType };
}

/** The type written as Clarity source, e.g. `(buff 48)` or `(optional uint)`. */
export function typeRepr(t: AbiType): string {
  if (typeof t === "string") {
    return t === "uint128" ? "uint" : t === "int128" ? "int" : t === "trait_reference" ? "trait_reference" : t;
  }
  if ("buffer" in t) return `(buff ${t.buffer.length})`;
  if ("string-ascii" in t) return `(string-ascii ${t["string-ascii"].length})`;
  if ("string-utf8" in t) return `(string-utf8 ${t["string-utf8"].length})`;
  if ("optional" in t) return `(optional ${typeRepr(t.optional)})`;
  if ("response" in t) return `(response ${typeRepr(t.response.ok)} ${typeRepr(t.response.error)})`;
  if ("list" in t) return `(list ${t.list.length} ${typeRepr(t.list.type)})`;
  return `(tuple ${t.tuple.map((e) => `(${e.name} ${typeRepr(e.type)})`).join(" ")})`;
}

export function functionSignature(fn: AbiFunction): string {
  const access = fn.access === "read_only" ? "read-only" : fn.access;
  const args = fn.args.map((a) => `(${a.name} ${typeRepr(a.type)})`).join(" ");
  return `(define-${access} (${fn.name}${args ? ` ${args}` : ""}))`;
}

/** Whether a value admits the type (a `none` admits any optional, as in Clarity). */
export function admits(t: AbiType, v: ClarityValue): boolean {
  if (typeof t === "string") {
    switch (t) {
      case "uint128":
        return v.type === ClarityType.UInt;
      case "int128":
        return v.type === ClarityType.Int;
      case "bool":
        return v.type === ClarityType.BoolTrue || v.type === ClarityType.BoolFalse;
      case "principal":
        return v.type === ClarityType.PrincipalStandard || v.type === ClarityType.PrincipalContract;
      case "trait_reference":
        return v.type === ClarityType.PrincipalContract;
      default:
        return false;
    }
  }
  if ("buffer" in t) return v.type === ClarityType.Buffer && v.value.length / 2 <= t.buffer.length;
  if ("string-ascii" in t) return v.type === ClarityType.StringASCII && v.value.length <= t["string-ascii"].length;
  if ("string-utf8" in t) return v.type === ClarityType.StringUTF8 && Buffer.byteLength(v.value, "utf8") <= t["string-utf8"].length;
  if ("optional" in t) return v.type === ClarityType.OptionalNone || (v.type === ClarityType.OptionalSome && admits(t.optional, v.value));
  if ("response" in t)
    return (v.type === ClarityType.ResponseOk && admits(t.response.ok, v.value)) || (v.type === ClarityType.ResponseErr && admits(t.response.error, v.value));
  if ("list" in t) return v.type === ClarityType.List && v.value.length <= t.list.length && v.value.every((e) => admits(t.list.type, e));
  if ("tuple" in t) {
    if (v.type !== ClarityType.Tuple) return false;
    const keys = Object.keys(v.value);
    return keys.length === t.tuple.length && t.tuple.every((e) => e.name in v.value && admits(e.type, v.value[e.name]));
  }
  return false;
}
