// An interactive console over the simnet with the dts contract deployed, for users without
// the `clarinet` binary: Clarity expressions, calls and reads of dts as any devnet account,
// Stacks and Bitcoin blocks advanced separately, print events decoded.
import { initSimnet, type ClarityEvent, type Simnet } from "@stacks/clarinet-sdk";
import { Cl, ClarityType, cvToString, type ClarityValue } from "@stacks/transactions";
import { decode, ERROR_NAMES, toJson } from "../chain/clarity.js";
import { admits, typeRepr, type AbiFunction } from "./abi.js";
import { quietly } from "./chain.js";

export const CONSOLE_HELP = `Commands (anything else is evaluated as a Clarity expression, as the current sender):
  ::call <account> <function> [args...]   call a public function of dts as <account>; mines one Stacks block
  ::read <function> [args...]             call a read-only function of dts (sender: deployer)
  ::read-as <account> <function> [args...] the same, with <account> as tx-sender
  ::sender [<account>]                    show or set the tx-sender of expressions (default: deployer)
  ::mine [n]                              advance n Stacks blocks (default 1); burn height unchanged
  ::mine-burn [n]                         advance n Bitcoin blocks (default 1); each starts a tenure with one Stacks block
  ::height                                Stacks and Bitcoin block heights
  ::accounts                              devnet accounts with their STX balances
  ::balance <account>                     STX balance of an account or principal
  ::events [n]                            the last n (default 10) print events of dts in this session
  ::functions                             dts's public and read-only functions with their types
  ::help                                  this text
  ::quit                                  leave (also ::exit, or end of input)
<account> is a devnet account name (deployer, wallet_1, ...) or a principal ('ST...).
Arguments are Clarity literals: u100, -5, true, 0x0102, "text", u"utf8", 'ST..., (list u1 u2),
{a: u1, b: none}, (some u1), (ok u1); an account name also stands for its principal.`;

export interface ConsoleOutput {
  out(line: string): void;
  err(line: string): void;
}

export interface LoggedEvent {
  height: number;
  fn: string;
  event: Record<string, unknown>;
}

/** One line's verdict: `failed` for input that could not be run (not for an (err u...) result). */
export interface LineResult {
  failed: boolean;
  quit: boolean;
}

export class DtsConsole {
  private sender: string;
  private readonly events: LoggedEvent[] = [];

  private constructor(
    readonly simnet: Simnet,
    readonly accounts: Map<string, string>,
    private readonly io: ConsoleOutput,
  ) {
    this.sender = simnet.deployer;
  }

  static async open(io: ConsoleOutput, manifest = "./Clarinet.toml"): Promise<DtsConsole> {
    const log = console.log;
    console.log = () => {};
    try {
      const simnet = await initSimnet(manifest, true, { trackCosts: false, trackCoverage: false });
      return new DtsConsole(simnet, simnet.getAccounts(), io);
    } finally {
      console.log = log;
    }
  }

  get contractId(): string {
    return `${this.simnet.deployer}.dts`;
  }

  /** Runs one complete input (a command or a whole expression). */
  run(input: string): LineResult {
    const line = input.trim();
    if (line === "" || line.startsWith(";;")) return { failed: false, quit: false };
    try {
      if (!line.startsWith("::")) {
        this.expression(line);
        return { failed: false, quit: false };
      }
      const [command, ...rest] = tokenize(line);
      switch (command) {
        case "::quit":
        case "::exit":
          return { failed: false, quit: true };
        case "::help":
          this.io.out(CONSOLE_HELP);
          break;
        case "::call":
          this.call(rest);
          break;
        case "::read":
          this.read(this.simnet.deployer, rest);
          break;
        case "::read-as":
          if (rest.length < 2) throw new ConsoleError("usage: ::read-as <account> <function> [args...]");
          this.read(this.principal(rest[0]), rest.slice(1));
          break;
        case "::sender":
          if (rest.length > 1) throw new ConsoleError("usage: ::sender [<account>]");
          if (rest.length === 1) {
            const sender = this.principal(rest[0]);
            quietly(() => this.simnet.executeCommand(`::set_tx_sender ${sender}`));
            this.sender = sender;
          }
          this.io.out(`tx-sender ${this.sender}`);
          break;
        case "::mine":
          quietly(() => this.simnet.mineEmptyStacksBlocks(count(rest)));
          this.height();
          break;
        case "::mine-burn":
          quietly(() => this.simnet.mineEmptyBurnBlocks(count(rest)));
          this.height();
          break;
        case "::height":
          this.height();
          break;
        case "::accounts":
          for (const [name, address] of [...this.accounts].sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))) {
            this.io.out(`${name.padEnd(10)} ${address.padEnd(41)} ${this.balance(address)} uSTX`);
          }
          break;
        case "::balance":
          if (rest.length !== 1) throw new ConsoleError("usage: ::balance <account>");
          this.io.out(`${this.balance(this.principal(rest[0]))} uSTX`);
          break;
        case "::events": {
          const n = rest.length ? count(rest) : 10;
          const last = this.events.slice(-n);
          if (!last.length) this.io.out("no print events yet");
          for (const e of last) this.io.out(`block ${e.height} ${e.fn}: ${toJson(e.event, 0)}`);
          break;
        }
        case "::functions":
          for (const f of this.functions()) {
            if (f.access === "private") continue;
            this.io.out(`${f.access === "read_only" ? "read-only" : "public   "} ${f.name} ${f.args.map((a) => `(${a.name} ${typeRepr(a.type)})`).join(" ")}`);
          }
          break;
        default:
          throw new ConsoleError(`unknown command ${command} (::help lists them)`);
      }
      return { failed: false, quit: false };
    } catch (e) {
      this.io.err(`error: ${(e instanceof Error ? e.message : String(e)).replace(/^error: /, "")}`);
      return { failed: true, quit: false };
    }
  }

  private expression(code: string): void {
    const result = quietly(() => this.simnet.execute(code));
    this.io.out(show(result.result));
    this.printEvents(result.events, "expression");
  }

  private call(rest: string[]): void {
    if (rest.length < 2) throw new ConsoleError("usage: ::call <account> <function> [args...]");
    const sender = this.principal(rest[0]);
    const fn = this.fn(rest[1], "public");
    const args = this.args(fn, rest.slice(2));
    const result = quietly(() => this.simnet.callPublicFn(this.contractId, fn.name, args, sender));
    this.io.out(`${show(result.result)}  (block ${this.simnet.blockHeight})`);
    this.printEvents(result.events, fn.name);
  }

  private read(sender: string, rest: string[]): void {
    if (rest.length < 1) throw new ConsoleError("usage: ::read <function> [args...]");
    const fn = this.fn(rest[0], "read_only");
    const args = this.args(fn, rest.slice(1));
    const result = quietly(() => this.simnet.callReadOnlyFn(this.contractId, fn.name, args, sender));
    this.io.out(show(result.result));
  }

  private printEvents(events: ClarityEvent[], fn: string): void {
    for (const e of events) {
      if (e.event === "print_event" && e.data.value) {
        const event = decode(e.data.value) as Record<string, unknown>;
        if (e.data.contract_identifier === this.contractId) this.events.push({ height: this.simnet.blockHeight, fn, event });
        this.io.out(`  print ${toJson(event, 0)}`);
      } else if (e.event === "stx_transfer_event") {
        this.io.out(`  stx ${e.data.amount} uSTX ${e.data.sender} -> ${e.data.recipient}`);
      }
    }
  }

  private height(): void {
    this.io.out(`stacks-block-height ${this.simnet.blockHeight}, burn-block-height ${this.simnet.burnBlockHeight}`);
  }

  private balance(principal: string): bigint {
    return this.simnet.getAssetsMap().get("STX")?.get(principal) ?? 0n;
  }

  private functions(): AbiFunction[] {
    const iface = this.simnet.getContractsInterfaces().get(this.contractId) as unknown as { functions: AbiFunction[] } | undefined;
    if (!iface) throw new ConsoleError(`${this.contractId} is not deployed`);
    return iface.functions;
  }

  private fn(name: string, access: "public" | "read_only"): AbiFunction {
    const fn = this.functions().find((f) => f.name === name);
    if (!fn) throw new ConsoleError(`dts has no function ${name} (::functions lists them)`);
    if (fn.access !== access) throw new ConsoleError(`${name} is ${fn.access.replace("_", "-")}: use ${fn.access === "public" ? "::call" : "::read"}`);
    return fn;
  }

  private args(fn: AbiFunction, tokens: string[]): ClarityValue[] {
    if (tokens.length !== fn.args.length) {
      throw new ConsoleError(`${fn.name} takes ${fn.args.length} argument(s): ${fn.args.map((a) => `(${a.name} ${typeRepr(a.type)})`).join(" ") || "none"}`);
    }
    return tokens.map((token, i) => {
      const value = this.literal(token);
      if (!admits(fn.args[i].type, value)) throw new ConsoleError(`${fn.args[i].name} must be ${typeRepr(fn.args[i].type)}, got ${cvToString(value)}`);
      return value;
    });
  }

  private literal(token: string): ClarityValue {
    const account = this.accounts.get(token);
    if (account) return Cl.principal(account);
    try {
      return Cl.parse(token);
    } catch {
      throw new ConsoleError(`not a Clarity literal: ${token}`);
    }
  }

  private principal(token: string): string {
    const account = this.accounts.get(token);
    if (account) return account;
    const bare = token.startsWith("'") ? token.slice(1) : token;
    if (/^S[0-9A-Z]{39,40}(\.[a-zA-Z][a-zA-Z0-9_-]*)?$/.test(bare)) return bare;
    throw new ConsoleError(`unknown account ${token} (::accounts lists them)`);
  }
}

export class ConsoleError extends Error {}

function count(rest: string[]): number {
  if (rest.length > 1) throw new ConsoleError("expected one count");
  if (!rest.length) return 1;
  const n = Number(rest[0]);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new ConsoleError(`expected a count 1..100000, got ${rest[0]}`);
  return n;
}

/** A result as Clarity prints it, with the contract's name for an (err uN). */
function show(value: ClarityValue): string {
  const repr = cvToString(value);
  if (value.type === ClarityType.ResponseErr && value.value.type === ClarityType.UInt) {
    const name = ERROR_NAMES[Number(value.value.value)];
    if (name) return `${repr} ${name}`;
  }
  return repr;
}

/** Splits a command line into words; parentheses, braces and strings stay in one word. */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  let current = "";
  let depth = 0;
  let quote = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      current += ch;
      if (ch === "\\" && i + 1 < line.length) current += line[++i];
      else if (ch === '"') quote = false;
      continue;
    }
    if (ch === '"') quote = true;
    else if (ch === "(" || ch === "{") depth++;
    else if (ch === ")" || ch === "}") depth--;
    if (/\s/.test(ch) && depth === 0) {
      if (current) words.push(current);
      current = "";
      continue;
    }
    current += ch;
  }
  if (quote || depth !== 0) throw new ConsoleError("unbalanced parentheses or quotes");
  if (current) words.push(current);
  return words;
}

/** Whether an expression is still open (more lines needed): unclosed parentheses or string. */
export function isIncomplete(text: string): boolean {
  let depth = 0;
  let quote = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === '"') quote = false;
    } else if (ch === '"') quote = true;
    else if (ch === ";" && text[i + 1] === ";") {
      const end = text.indexOf("\n", i);
      if (end < 0) break;
      i = end;
    } else if (ch === "(" || ch === "{") depth++;
    else if (ch === ")" || ch === "}") depth--;
  }
  return quote || depth > 0;
}
