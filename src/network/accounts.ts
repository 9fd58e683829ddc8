// The devnet's accounts (settings/Devnet.toml): public test mnemonics, never funded
// anywhere real. The process network gives each role its own account.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "smol-toml";
import { privateKeyToAddress } from "@stacks/transactions";
import { STACKS_DEVNET } from "@stacks/network";
import { privateKeyFromMnemonic } from "../chain/keys.js";
import { PROJECT_ROOT } from "./supervisor.js";

export interface DevnetAccountKey {
  name: string;
  mnemonic: string;
  privateKey: string;
  address: string;
}

/** The mnemonics of settings/Devnet.toml by account name. */
export function devnetMnemonics(file = resolve(PROJECT_ROOT, "settings/Devnet.toml")): Map<string, string> {
  const root = parse(readFileSync(file, "utf8")) as { accounts?: Record<string, { mnemonic?: string }> };
  const out = new Map<string, string>();
  for (const [name, account] of Object.entries(root.accounts ?? {})) if (account.mnemonic) out.set(name, account.mnemonic);
  return out;
}

/** Keys and addresses of the named devnet accounts (account 0 of each mnemonic). */
export async function devnetAccounts(names: string[], file?: string): Promise<Map<string, DevnetAccountKey>> {
  const mnemonics = devnetMnemonics(file);
  const out = new Map<string, DevnetAccountKey>();
  for (const name of names) {
    const mnemonic = mnemonics.get(name);
    if (!mnemonic) throw new Error(`settings/Devnet.toml has no account ${name}`);
    const privateKey = await privateKeyFromMnemonic(mnemonic, `settings/Devnet.toml [accounts.${name}]`);
    out.set(name, { name, mnemonic, privateKey, address: privateKeyToAddress(privateKey, STACKS_DEVNET) });
  }
  return out;
}
