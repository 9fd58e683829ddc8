// Every example configuration (examples/**/*.toml) loads through the real loader
// (src/roles/config.ts) and says what its comments promise: the network, a contract id, one
// key source named by an environment variable or a file (never a secret), its role's section
// with paths next to the file, and no file an operator would create there is tracked by git.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfig, type RoleConfig } from "../../src/roles/config.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const examples = join(root, "examples");

function tomlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tomlFiles(path);
    return name.endsWith(".toml") ? [path] : [];
  });
}

const files = tomlFiles(examples);
const byName = new Map(files.map((f) => [relative(examples, f), f]));
const next = (file: string, name: string) => join(dirname(file), name);

/** What each example must hold: its role's section and the key source it names. */
const expected: Record<string, (config: RoleConfig, file: string) => void> = {
  "testnet/signer.toml": (config, file) => {
    expect(config.account).toEqual({ keystore: next(file, "signer-account.json"), passwordEnv: "DTS_SIGNER_ACCOUNT_PASSWORD", privateKeyEnv: undefined, mnemonicFile: undefined });
    expect(config.signer).toEqual({
      identityKeystore: next(file, "signer-identity.json"),
      passwordEnv: "DTS_SIGNER_IDENTITY_PASSWORD",
      database: next(file, "signer.db"),
      register: true,
      rotate: false,
      aggregate: false,
      faulty: false,
      dkgPhaseBlocks: 30,
      keystoreScryptN: 2 ** 18,
    });
  },
  "testnet/watchtower.toml": (config, file) => {
    expect(config.account.privateKeyEnv).toBe("DTS_WATCHTOWER_KEY");
    expect(config.watchtower).toEqual({ database: next(file, "watchtower.db"), bond: true, report: true });
    expect(config.aggregator).toEqual({ database: next(file, "aggregator.db") });
  },
  "testnet/aggregator.toml": (config, file) => {
    expect(config.account.privateKeyEnv).toBe("DTS_AGGREGATOR_KEY");
    expect(config.aggregator).toEqual({ database: next(file, "aggregator.db") });
    expect(config.signer ?? config.watchtower ?? config.gateway).toBeUndefined();
  },
  "testnet/gateway.toml": (config) => {
    expect(config.account.privateKeyEnv).toBe("DTS_GATEWAY_KEY");
    expect(config.gateway).toEqual({ host: "127.0.0.1", port: 8080, defaultFee: 1_000_000n });
  },
};

describe("example configurations", () => {
  it("there is one per role, and each is checked below", () => {
    expect([...byName.keys()].sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [name, check] of Object.entries(expected)) {
    it(`examples/${name} loads through the role configuration loader`, () => {
      const file = byName.get(name);
      expect(file, `examples/${name} is missing`).toBeDefined();
      const config = loadConfig(file!);
      expect(config.source).toBe(file);
      expect(config.chain).toMatchObject({ network: "testnet", pollIntervalMs: 5000, nodeUrl: undefined, fee: undefined });
      expect(config.chain.contractId).toMatch(/^ST[0-9A-Z]{38,39}\.dts$/);
      check(config, file!);
      // Only the names of variables and files: nothing in the text looks like a key or words.
      const text = readFileSync(file!, "utf8");
      expect(text).not.toMatch(/[0-9a-f]{64}/i);
      expect(text).not.toMatch(/\.drafts\//);
    });
  }

  it("keystores, mnemonics and databases created next to the examples are ignored by git", () => {
    const made = ["testnet/signer-account.json", "testnet/signer-identity.json", "testnet/.signer-identity.json.tmp", "testnet/signer.mnemonic", "testnet/signer.db", "testnet/signer.db-wal", "testnet/signer.db-shm", "testnet/aggregator.db"];
    const ignored = execFileSync("git", ["check-ignore", "--no-index", ...made.map((f) => join("examples", f))], { cwd: root, encoding: "utf8" });
    expect(ignored.trim().split("\n").sort()).toEqual(made.map((f) => join("examples", f)).sort());
  });
});
