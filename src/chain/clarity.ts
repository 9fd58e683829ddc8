// Clarity values decoded once, at the edge, into plain JS values.
import { ClarityType, type ClarityValue } from "@stacks/transactions";

export type Plain = bigint | boolean | string | null | Plain[] | { [key: string]: Plain };

/** Decodes a Clarity value: uint/int to bigint, buffers to 0x-hex, optionals to value or null,
 *  responses to {ok} / {err}, tuples to objects, lists to arrays. */
export function decode(value: ClarityValue): Plain {
  switch (value.type) {
    case ClarityType.UInt:
    case ClarityType.Int:
      return BigInt(value.value);
    case ClarityType.BoolTrue:
      return true;
    case ClarityType.BoolFalse:
      return false;
    case ClarityType.Buffer:
      return `0x${value.value}`;
    case ClarityType.StringASCII:
    case ClarityType.StringUTF8:
    case ClarityType.PrincipalStandard:
    case ClarityType.PrincipalContract:
      return value.value;
    case ClarityType.OptionalNone:
      return null;
    case ClarityType.OptionalSome:
      return decode(value.value);
    case ClarityType.ResponseOk:
      return { ok: decode(value.value) };
    case ClarityType.ResponseErr:
      return { err: decode(value.value) };
    case ClarityType.List:
      return value.value.map(decode);
    case ClarityType.Tuple:
      return Object.fromEntries(Object.entries(value.value).map(([k, v]) => [k, decode(v)]));
  }
}

/** JSON.stringify that writes bigints as decimal strings. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v), indent);
}

/** The contract's error codes by number, for messages a user can act on. */
export const ERROR_NAMES: Record<number, string> = {
  100: "ERR-UNAUTHORIZED",
  101: "ERR-INVALID-PARAMS",
  102: "ERR-INSUFFICIENT-STAKE",
  103: "ERR-INVALID-SIGNATURE",
  104: "ERR-INVALID-THRESHOLD",
  105: "ERR-WATCHTOWER-EXISTS",
  106: "ERR-NOT-ACTIVE-SIGNER",
  107: "ERR-ALREADY-REGISTERED",
  108: "ERR-INVALID-METRICS",
  109: "ERR-INVALID-SIGNATURE-LENGTH",
  110: "ERR-INVALID-KEY-LENGTH",
  111: "ERR-ALREADY-INITIALIZED",
  112: "ERR-NOT-INITIALIZED",
  113: "ERR-PAUSED",
  114: "ERR-NOT-REGISTERED",
  115: "ERR-INVALID-KEY",
  116: "ERR-KEY-IN-USE",
  117: "ERR-INVALID-AMOUNT",
  118: "ERR-STAKE-LOCKED",
  119: "ERR-NOTHING-TO-WITHDRAW",
  120: "ERR-REQUEST-EXISTS",
  121: "ERR-UNKNOWN-REQUEST",
  122: "ERR-REQUEST-EXPIRED",
  123: "ERR-ALREADY-SIGNED",
  124: "ERR-THRESHOLD-NOT-MET",
  125: "ERR-ALREADY-FINALIZED",
  126: "ERR-NO-ACTIVE-KEY",
  127: "ERR-KEY-MISMATCH",
  128: "ERR-UNKNOWN-EPOCH",
  129: "ERR-ROTATION-NOT-DUE",
  130: "ERR-INSUFFICIENT-SIGNERS",
  131: "ERR-FEE-TOO-LOW",
  132: "ERR-NOT-WATCHTOWER",
  133: "ERR-ALREADY-REPORTED",
  134: "ERR-DEADLINE-NOT-REACHED",
  135: "ERR-NOT-PENALIZABLE",
  136: "ERR-UNKNOWN-PROPOSAL",
  137: "ERR-VOTING-CLOSED",
  138: "ERR-VOTING-OPEN",
  139: "ERR-ALREADY-VOTED",
  140: "ERR-PROPOSAL-REJECTED",
  141: "ERR-ALREADY-EXECUTED",
  142: "ERR-UNKNOWN-PARAMETER",
  143: "ERR-SIGNER-LIMIT",
  144: "ERR-WATCHTOWER-LIMIT",
  145: "ERR-CLAIM-EXPIRED",
  146: "ERR-UNKNOWN-CLAIM",
  147: "ERR-EPOCH-CLOSED",
  148: "ERR-INSUFFICIENT-FUNDS",
  149: "ERR-FEE-EARNED",
  150: "ERR-NOT-FINALIZED",
  151: "ERR-FEE-SETTLED",
  152: "ERR-NOT-PAUSED",
  153: "ERR-INVALID-COMMITTEE",
  154: "ERR-PROPOSAL-EXPIRED",
};

/** A contract call that returned (err uN). */
export class ContractCallError extends Error {
  constructor(
    readonly fn: string,
    readonly code: number,
  ) {
    super(`${fn} failed with ${ERROR_NAMES[code] ?? "unknown error"} (u${code})`);
    this.name = "ContractCallError";
  }
}
