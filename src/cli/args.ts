// Command-line arguments: the function table's parsers, with a principal's mistake named
// (format or checksum, and the whole input shown), and Clarity type names for help and
// the README's command reference.
import { list, principal, checkPrincipal, type AbiType, type Arg, type ArgType } from "../chain/types.js";
import { ArgumentError } from "../chain/errors.js";

/** Longer input than any principal is shown cut, with its length: it is not a typo of one. */
const SHOW_MAX = 200;

function shown(text: string): string {
  return text.length <= SHOW_MAX ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, SHOW_MAX))}… (${text.length} characters)`;
}

const CONTRACT_NAME = /^[a-zA-Z]([a-zA-Z0-9]|[-_]){0,39}$/;

/**
 * What is wrong with text that is not a principal. validateStacksAddress only says no, and a
 * mistyped character (the usual mistake) deserves "the checksum is wrong" rather than a
 * description of the format the user already followed.
 */
function principalProblem(text: string): string {
  if (text === "") return "it is empty";
  const [address = "", contract, ...rest] = text.split(".");
  if (rest.length) return "it has more than one '.'";
  if (contract !== undefined && !CONTRACT_NAME.test(contract)) return `the contract name ${JSON.stringify(contract)} must be a letter then at most 39 of a-z, A-Z, 0-9, - and _`;
  if (!address.startsWith("S")) return "an address starts with S (SP or SM on mainnet, ST or SN on testnet)";
  // c32: digits and letters except U (I, L and O are read as 1, 1 and 0).
  const bad = address.match(/[^0-9A-TV-Z]/i);
  if (bad) return `the address contains ${JSON.stringify(bad[0])}, which is not a c32 character (0-9 and A-Z without I, L, O, U)`;
  if (!/^S[PMTN]/i.test(address)) return "the address's second character is its network: P or M (mainnet), T or N (testnet)";
  if (address.length < 28) return `the address is too short (${address.length} characters)`;
  return "the address's checksum is wrong (a character mistyped, missing or extra)";
}

/** checkPrincipal, with a failure that says what is wrong and shows the whole input. */
export function checkPrincipalText(text: string, name: string): string {
  try {
    return checkPrincipal(text, name);
  } catch (error) {
    if (!(error instanceof ArgumentError)) throw error;
    throw new ArgumentError(`${name} must be a Stacks principal (ST... or SP..., optionally .contract-name), got ${shown(text)}: ${principalProblem(text)}`);
  }
}

const cliPrincipal: ArgType<string> = { ...principal, parse: (text, name) => checkPrincipalText(text, name) };

/** The parser of an argument on the command line: the table's own, but principals (also in a list) explained. */
export function cliParser(a: Arg<unknown>): (text: string, name: string) => unknown {
  if (a.type === "principal") return cliPrincipal.parse;
  if (typeof a.type === "object" && "list" in a.type && a.type.list.type === "principal") return list(cliPrincipal, a.type.list.length).parse;
  return (text, name) => a.parse(text, name);
}

/** A Clarity type as the contract source writes it: `uint`, `(buff 32)`, `(list 32 principal)`. */
export function clarityType(type: AbiType): string {
  if (type === "uint128") return "uint";
  if (type === "int128") return "int";
  if (typeof type === "string") return type;
  if ("buffer" in type) return `(buff ${type.buffer.length})`;
  if ("string-ascii" in type) return `(string-ascii ${type["string-ascii"].length})`;
  if ("string-utf8" in type) return `(string-utf8 ${type["string-utf8"].length})`;
  if ("optional" in type) return `(optional ${clarityType(type.optional)})`;
  if ("list" in type) return `(list ${type.list.length} ${clarityType(type.list.type)})`;
  if ("tuple" in type) return `{${type.tuple.map((f) => `${f.name}: ${clarityType(f.type)}`).join(", ")}}`;
  return `(response ${clarityType(type.response.ok)} ${clarityType(type.response.error)})`;
}
