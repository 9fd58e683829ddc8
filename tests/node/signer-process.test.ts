// scripts/signer.ts as its own process: registers on the devnet node and reports it as a
// JSON line, stops cleanly (exit 0) on SIGTERM; a bad configuration, a wrong keystore
// password and an unreachable node give one clear line on stderr and a non-zero exit,
// never echoing a secret.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../src/devnet/index.js";
import { HttpBackend } from "../../src/chain/http.js";
import { DtsClient } from "../../src/chain/client.js";
import { privateKeyFromMnemonic } from "../../src/chain/keys.js";
import { encryptKeystore, generateIdentity } from "../../src/crypto/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// `node --import tsx`, not the tsx CLI: the signal goes to the script itself (the CLI relays
// it to a child and force-kills that child if it does not answer within 30 ms).
const PASSWORD = "identity password 42";

interface Proc {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the signer script; `until` decides (from stdout so far) when to send SIGTERM. */
function runSigner(args: string[], env: Record<string, string>, until?: (stdout: string) => boolean): Promise<Proc> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DTS_")));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "scripts", "signer.ts"), ...args], { cwd: root, env: { ...clean, ...env } });
    let stdout = "";
    let stderr = "";
    let signalled = false;
    const killer = setTimeout(() => child.kill("SIGKILL"), 110_000);
    child.stdout.on("data", (d) => {
      stdout += String(d);
      if (!signalled && until?.(stdout)) {
        signalled = true;
        child.kill("SIGTERM");
      }
    });
    child.stderr.on("data", (d) => (stderr += String(d)));
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("scripts/signer.ts as a process", () => {
  let devnet: Devnet;
  let miner: NodeJS.Timeout;
  let dir: string;
  let key: string;
  const config = (nodeUrl: string, contractId: string, name = "node") => {
    const file = join(dir, `${name}.toml`);
    writeFileSync(
      file,
      `[chain]
network = "devnet"
node_url = "${nodeUrl}"
contract_id = "${contractId}"
poll_interval_ms = 100

[account]
private_key_env = "DTS_TEST_SIGNER_KEY"

[signer]
identity_keystore = "identity.json"
password_env = "DTS_TEST_SIGNER_PASSWORD"
database = "${name}.db"
keystore_scrypt_n = 1024
`,
    );
    return file;
  };

  beforeAll(async () => {
    devnet = await startDevnet({ port: 0, blockTimeMs: 0, deployContract: true });
    let mining = false;
    miner = setInterval(() => {
      if (mining) return;
      mining = true;
      devnet.mine(1).finally(() => (mining = false));
    }, 100);
    dir = mkdtempSync(join(tmpdir(), "dts-signer-process-"));
    const deployerKey = await privateKeyFromMnemonic(devnet.accounts.find((a) => a.name === "deployer")!.mnemonic, "test");
    const deployer = new DtsClient(
      new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId, keys: [deployerKey], pollIntervalMs: 50 }),
      devnet.accounts.find((a) => a.name === "deployer")!.address,
    );
    await deployer.initialize(100_000_000n, 3n, 3n, 10n, 2n);
    key = await privateKeyFromMnemonic(devnet.accounts.find((a) => a.name === "wallet_7")!.mnemonic, "test");
    // An existing identity keystore (the node would create one if missing).
    const identity = generateIdentity();
    writeFileSync(join(dir, "identity.json"), await encryptKeystore({ identitySecret: identity.secretKey, shares: [] }, PASSWORD, { scryptN: 1024 }));
  }, 120_000);

  afterAll(async () => {
    clearInterval(miner);
    await devnet?.close();
  }, 60_000);

  it("registers, reports JSON lines, and exits 0 on SIGTERM", async () => {
    const file = config(devnet.url, devnet.contractId);
    const run = await runSigner(["--config", file, "--json"], { DTS_TEST_SIGNER_KEY: key, DTS_TEST_SIGNER_PASSWORD: PASSWORD }, (out) =>
      out.includes('"event":"registered"'),
    );
    expect(run.code).toBe(0);
    const events = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as { event: string; signer?: string; publicKey?: string });
    const registered = events.find((e) => e.event === "registered")!;
    expect(registered.signer).toBe(devnet.accounts.find((a) => a.name === "wallet_7")!.address);
    const client = new DtsClient(new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId, pollIntervalMs: 50 }));
    expect((await client.getSignerInfo(registered.signer!))!.publicKey).toBe(registered.publicKey);
    expect(run.stderr).toContain("stopping after the current step");
    expect(run.stderr).toContain("stopped");
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    expect(run.stdout + run.stderr).not.toContain(key.slice(0, 32));
  });

  it("a wrong password, a bad configuration and an unreachable node: one line, non-zero", async () => {
    const file = config(devnet.url, devnet.contractId);
    const bad = join(dir, "bad.toml");
    writeFileSync(bad, `[chain]\nnetwork = "devnet"\ncontract_id = "nope"\n[account]\nprivate_key_env = "X"\n`);
    const port = await closedPort();
    const offline = config(`http://127.0.0.1:${port}`, devnet.contractId, "offline");
    // Independent processes: run them side by side.
    const [wrong, missing, badRun, noArgs, unreachable] = await Promise.all([
      runSigner(["--config", file], { DTS_TEST_SIGNER_KEY: key, DTS_TEST_SIGNER_PASSWORD: "guess" }),
      runSigner(["--config", file], { DTS_TEST_SIGNER_KEY: key }),
      runSigner(["--config", bad], {}),
      runSigner([], {}),
      runSigner(["--config", offline], { DTS_TEST_SIGNER_KEY: key, DTS_TEST_SIGNER_PASSWORD: PASSWORD }),
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(`error: ${join(dir, "identity.json")}: wrong password (from DTS_TEST_SIGNER_PASSWORD), or the file is damaged\n`);

    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`error: set DTS_TEST_SIGNER_PASSWORD (the password of ${join(dir, "identity.json")})\n`);

    expect(badRun.code).toBe(1);
    expect(badRun.stderr).toBe("error: chain.contract_id must be <address>.<contract-name>, got nope\n");

    expect(noArgs.code).toBe(1);
    expect(noArgs.stderr).toBe("error: --config <file.toml> is required (see --help)\n");

    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(new RegExp(`^error: cannot reach http://127\\.0\\.0\\.1:${port} \\(tried 2 times\\): cannot reach the node at http://127\\.0\\.0\\.1:${port} .*\\n$`));
    expect(unreachable.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    for (const r of [wrong, missing, unreachable]) expect(r.stderr).not.toContain(key.slice(0, 32));
  });
});
