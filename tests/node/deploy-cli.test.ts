// The deploy script and the dts CLI as separate processes against the local devnet node,
// the HTTP backend's decoded reads compared with the simnet backend's, rejections, nonces
// under concurrency, and an offline dry run.
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeContractCall, PostConditionMode, privateKeyToAddress, Cl } from "@stacks/transactions";
import { startDevnet, type Devnet } from "../../src/devnet/index.js";
import { HttpBackend } from "../../src/chain/http.js";
import { SimnetBackend } from "../../src/chain/simnet.js";
import { DtsClient } from "../../src/chain/client.js";
import { BroadcastRejectedError } from "../../src/chain/errors.js";
import { privateKeyFromMnemonic } from "../../src/chain/keys.js";
import type { SignerInfo } from "../../src/chain/functions.js";
import { generateIdentity, toHex } from "../../src/crypto/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const tsx = join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "cli.mjs");
const INIT = ["100000000", "2", "3", "10", "2"] as const;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a script as its own process with only the given DTS_* variables set. */
function run(script: string, args: string[], env: Record<string, string>): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DTS_")));
  return new Promise((resolve) => {
    execFile(process.execPath, [tsx, join(root, "scripts", script), ...args], { cwd: root, env: { ...clean, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
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

/** Block-height-dependent fields set aside, so that two chains' records compare. */
function aligned(info: SignerInfo | null) {
  if (!info) return null;
  return { ...info, lastActive: 0n, registeredAt: 0n, claimUntil: 0n, performanceMetrics: { ...info.performanceMetrics, stakeDuration: 0n } };
}

describe("deploy and dts CLI against the devnet node", () => {
  let devnet: Devnet;
  let miner: NodeJS.Timeout;
  let mnemonic: (name: string) => string;
  let address: (name: string) => string;
  const signerKey = generateIdentity().publicKey;

  beforeAll(async () => {
    devnet = await startDevnet({ port: 0, blockTimeMs: 0, deployContract: false });
    mnemonic = (name) => devnet.accounts.find((a) => a.name === name)!.mnemonic;
    address = (name) => devnet.accounts.find((a) => a.name === name)!.address;
    // Blocks on demand, mined by the test while transactions wait.
    let mining = false;
    miner = setInterval(() => {
      if (mining) return;
      mining = true;
      devnet.mine(1).finally(() => (mining = false));
    }, 100);
  }, 120_000);

  afterAll(async () => {
    clearInterval(miner);
    await devnet?.close();
  }, 60_000);

  it("deploys and initializes in a separate process, and registers a signer through the CLI", async () => {
    const deployed = await run(
      "deploy.ts",
      ["--network", "devnet", "--node-url", devnet.url, "--initialize", ...INIT, "--json"],
      { DTS_MNEMONIC: mnemonic("deployer") },
    );
    expect(deployed.stderr).toBe("");
    expect(deployed.code).toBe(0);
    const result = JSON.parse(deployed.stdout);
    expect(result.contractId).toBe(devnet.contractId);
    expect(result.txid).toMatch(/^0x[0-9a-f]{64}$/);
    expect(result.initialize.txid).toMatch(/^0x[0-9a-f]{64}$/);
    // The secret never appears in the output.
    expect(deployed.stdout + deployed.stderr).not.toContain(mnemonic("deployer").split(" ")[0] + " " + mnemonic("deployer").split(" ")[1]);

    const registered = await run(
      "dts.ts",
      ["register-signer", toHex(signerKey), "--network", "devnet", "--node-url", devnet.url, "--contract", devnet.contractId, "--json"],
      { DTS_MNEMONIC: mnemonic("wallet_1") },
    );
    expect(registered.stderr).toBe("");
    expect(registered.code).toBe(0);
    const reg = JSON.parse(registered.stdout);
    expect(reg).toMatchObject({ ok: true, function: "register-signer", value: true, sender: address("wallet_1") });
    expect(reg.events[0]).toMatchObject({ topic: "signer-registered", data: { signer: address("wallet_1"), "public-key": `0x${toHex(signerKey)}` } });

    // A contract error through the CLI: named, exit code non-zero.
    const again = await run(
      "dts.ts",
      ["register-signer", toHex(signerKey), "--network", "devnet", "--node-url", devnet.url, "--contract", devnet.contractId],
      { DTS_MNEMONIC: mnemonic("wallet_2") },
    );
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("register-signer failed with ERR-KEY-IN-USE (u116)");

    // A bad argument: a clear error, nothing sent.
    const bad = await run("dts.ts", ["register-signer", "abcd", "--node-url", devnet.url, "--contract", devnet.contractId], { DTS_MNEMONIC: mnemonic("wallet_2") });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("public-key must be 48 bytes of hex, got 2 bytes");

    // Read-only through the CLI.
    const read = await run("dts.ts", ["get-signer-info", address("wallet_1"), "--node-url", devnet.url, "--contract", devnet.contractId, "--json"], {});
    expect(read.code).toBe(0);
    expect(JSON.parse(read.stdout)).toMatchObject({ publicKey: `0x${toHex(signerKey)}`, stake: "100000000", status: "backup" });
  });

  it("reads the same decoded state over HTTP as the simnet backend computes", async () => {
    const http = new DtsClient(new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId, pollIntervalMs: 50 }));
    const simnet = await SimnetBackend.open();
    const local = new DtsClient(simnet, simnet.chain.simnet.deployer);
    expect(simnet.chain.simnet.deployer).toBe(address("deployer"));
    await local.initialize(...(INIT.map(BigInt) as [bigint, bigint, bigint, bigint, bigint]));
    await local.as(address("wallet_1")).registerSigner(signerKey);

    expect(await http.getConfig()).toEqual(await local.getConfig());
    const overHttp = await http.getSignerInfo(address("wallet_1"));
    expect(overHttp?.publicKey).toBe(`0x${toHex(signerKey)}`);
    expect(aligned(overHttp)).toEqual(aligned(await local.getSignerInfo(address("wallet_1"))));
    expect(await http.getSigners()).toEqual(await local.getSigners());
    expect(await http.getAccounting()).toEqual(await local.getAccounting());
    expect(await http.getSignerInfo(address("wallet_3"))).toBeNull();

    // The event reader over the Hiro API: in chain order, from a block on.
    const events = await http.events(0);
    expect(events.map((e) => e.topic)).toEqual(["initialized", "signer-registered"]);
    expect(events[1]!.blockHeight).toBeGreaterThan(events[0]!.blockHeight);
    expect((await http.events(events[1]!.blockHeight)).map((e) => e.topic)).toEqual(["signer-registered"]);
    // The follower over HTTP: the history, then a new event as it lands.
    const controller = new AbortController();
    const followed: string[] = [];
    const follow = (async () => {
      for await (const e of http.watch(0, { intervalMs: 50, signal: controller.signal })) {
        followed.push(`${e.topic}:${String(e.data.signer ?? "")}`);
        if (followed.length === 3) controller.abort();
      }
    })();
    const key3 = await privateKeyFromMnemonic(mnemonic("wallet_3"), "test");
    await new DtsClient(new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId, keys: [key3], pollIntervalMs: 50 }), address("wallet_3")).registerWatchtower();
    await follow;
    expect(followed).toEqual(["initialized:", `signer-registered:${address("wallet_1")}`, "watchtower-registered:"]);
  });

  it("sends from an encrypted keystore made by the CLI, and lists events", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dts-cli-"));
    const path = join(dir, "wallet_5.json");
    const created = await run("dts.ts", ["keystore-create", path, "--json"], { DTS_MNEMONIC: mnemonic("wallet_5"), DTS_KEYSTORE_PASSWORD: "pw", DTS_KEYSTORE_SCRYPT_N: "1024" });
    expect(created.stderr).toBe("");
    expect(JSON.parse(created.stdout)).toEqual({ keystore: path, address: address("wallet_5") });
    const key = generateIdentity().publicKey;
    const common = ["--node-url", devnet.url, "--contract", devnet.contractId, "--keystore", path];
    const wrong = await run("dts.ts", ["register-signer", toHex(key), ...common], { DTS_KEYSTORE_PASSWORD: "nope" });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe(`error: ${path}: wrong password, or the file is damaged\n`);
    const sent = await run("dts.ts", ["register-signer", `0x${toHex(key)}`, ...common, "--json"], { DTS_KEYSTORE_PASSWORD: "pw" });
    expect(sent.stderr).toBe("");
    expect(JSON.parse(sent.stdout)).toMatchObject({ ok: true, sender: address("wallet_5") });

    const listed = await run("dts.ts", ["events", "--topic", "signer-registered", "--node-url", devnet.url, "--contract", devnet.contractId, "--json"], {});
    expect(listed.code).toBe(0);
    const events = JSON.parse(listed.stdout) as { topic: string; data: { signer: string } }[];
    expect(events.map((e) => e.data.signer)).toEqual([address("wallet_1"), address("wallet_5")]);
  });

  it("lands 20 concurrent calls from one account with consecutive nonces", async () => {
    const key = await privateKeyFromMnemonic(mnemonic("wallet_1"), "test");
    const backend = new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId, keys: [key], pollIntervalMs: 50 });
    const client = new DtsClient(backend, address("wallet_1"));
    const before = (await client.getSignerInfo(address("wallet_1")))!.stake;
    const start = await backend.fetchNonce(address("wallet_1"));
    const results = await Promise.all(Array.from({ length: 20 }, () => client.increaseStake(1n)));
    expect(results.map((r) => r.nonce).sort((a, b) => Number(a! - b!))).toEqual(Array.from({ length: 20 }, (_, i) => start + BigInt(i)));
    expect(new Set(results.map((r) => r.txid)).size).toBe(20);
    expect(results.map((r) => r.value).sort((a, b) => Number(a - b))).toEqual(Array.from({ length: 20 }, (_, i) => before + BigInt(i + 1)));
    expect((await client.getSignerInfo(address("wallet_1")))!.stake).toBe(before + 20n);
    expect(await backend.fetchNonce(address("wallet_1"))).toBe(start + 20n);
  });

  it("reports a bad nonce and a bad signature as clear rejections, and a contract error by name", async () => {
    const key = await privateKeyFromMnemonic(mnemonic("wallet_4"), "test");
    const who = address("wallet_4");
    expect(privateKeyToAddress(key, "testnet")).toBe(who);
    const backend = new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId, keys: [key], pollIntervalMs: 50 });
    const client = new DtsClient(backend, who);
    const n0 = await backend.fetchNonce(who);
    expect((await client.registerSigner(generateIdentity().publicKey)).nonce).toBe(n0);
    expect(await backend.fetchNonce(who)).toBe(n0 + 1n);

    const stale = await client.call("increase-stake", [5n], { nonce: n0 }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(BroadcastRejectedError);
    expect((stale as BroadcastRejectedError).reason).toBe("BadNonce");
    expect((stale as Error).message).toBe(`increase-stake: transaction rejected by the node: BadNonce (expected ${n0 + 1n}, got ${n0})`);

    const [contractAddress, contractName] = devnet.contractId.split(".") as [string, string];
    const tx = await makeContractCall({
      contractAddress, contractName, functionName: "increase-stake", functionArgs: [Cl.uint(5)],
      senderKey: key, network: backend.stacksNetwork, fee: 10_000n, nonce: n0 + 1n, postConditionMode: PostConditionMode.Allow,
    });
    const condition = tx.auth.spendingCondition as { signature: { data: string } };
    const sig = condition.signature.data;
    condition.signature.data = sig.slice(0, 10) + (sig[10] === "0" ? "1" : "0") + sig.slice(11);
    const forged = await backend.broadcast(tx).catch((e: unknown) => e);
    expect(forged).toBeInstanceOf(BroadcastRejectedError);
    expect((forged as BroadcastRejectedError).reason).toBe("SignatureValidation");
    expect((forged as Error).message).toMatch(/^transaction rejected by the node: SignatureValidation/);

    // Neither landed: the account's next nonce is unchanged, and the allocator carries on.
    expect(await backend.fetchNonce(who)).toBe(n0 + 1n);
    const failed = await client.registerSigner(generateIdentity().publicKey).catch((e: unknown) => e);
    expect((failed as Error).message).toBe("register-signer failed with ERR-ALREADY-REGISTERED (u107)");
    // A mined (err ...) uses its nonce; the next call takes the one after.
    expect((await client.increaseStake(5n)).nonce).toBe(n0 + 2n);
  });

  it("rotates to the committee the chain yields with rotate-signers auto", async () => {
    const http = new DtsClient(new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId }));
    const expected = await http.proposedCommittee();
    expect(expected.length).toBeGreaterThanOrEqual(2);
    const rotated = await run("dts.ts", ["rotate-signers", "auto", "--node-url", devnet.url, "--contract", devnet.contractId, "--json"], { DTS_MNEMONIC: mnemonic("wallet_6") });
    expect(rotated.stderr).toBe("");
    const out = JSON.parse(rotated.stdout);
    expect(out).toMatchObject({ ok: true, function: "rotate-signers", value: "1" });
    expect((await http.getEpoch(1n))?.committee).toEqual(expected);
  });

  it("dry-runs a testnet deploy offline and prints the transaction id", async () => {
    const port = await closedPort();
    const key = await privateKeyFromMnemonic(mnemonic("wallet_3"), "test");
    const dry = await run("deploy.ts", ["--network", "testnet", "--dry-run", "--node-url", `http://127.0.0.1:${port}`, "--json"], { DTS_PRIVATE_KEY: key });
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    const out = JSON.parse(dry.stdout);
    expect(out).toMatchObject({ dryRun: true, network: "testnet", nonce: "0", clarityVersion: 4, contractId: `${address("wallet_3")}.dts` });
    expect(out.txid).toMatch(/^0x[0-9a-f]{64}$/);
    expect(Number(out.fee)).toBe(Number(out.size) * 10);
    expect(dry.stdout).not.toContain(key.slice(0, 16));
    // Explicit fee and nonce; the human form.
    const human = await run("deploy.ts", ["--network", "testnet", "--dry-run", "--fee", "5000", "--nonce", "7", "--node-url", `http://127.0.0.1:${port}`], { DTS_PRIVATE_KEY: key });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/txid\s+0x[0-9a-f]{64}/);
    expect(human.stdout).toContain("fee       5000 uSTX (--fee)");
    expect(human.stdout).toContain("nonce     7 (--nonce)");
    // Bad keys: clear errors that never echo the secret.
    const badKey = await run("deploy.ts", ["--network", "testnet", "--dry-run"], { DTS_PRIVATE_KEY: "c0ffee-secret-c0ffee" });
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toBe("error: DTS_PRIVATE_KEY is not a Stacks private key (64 hex digits, optionally followed by 01)\n");
    expect(badKey.stdout + badKey.stderr).not.toContain("c0ffee-secret");
    const badWords = await run("deploy.ts", ["--network", "testnet", "--dry-run", "--json"], { DTS_MNEMONIC: "zebra secretword apple pie" });
    expect(badWords.code).toBe(2);
    expect(JSON.parse(badWords.stdout)).toEqual({ ok: false, error: "usage", message: "DTS_MNEMONIC is not a valid BIP-39 mnemonic" });
    expect(badWords.stdout + badWords.stderr).not.toContain("secretword");
    const noKey = await run("deploy.ts", ["--network", "testnet", "--dry-run"], {});
    expect(noKey.stderr).toBe("error: no key: set DTS_PRIVATE_KEY or DTS_MNEMONIC, or pass --mnemonic-file or --keystore\n");
    // Mainnet without --yes is refused before anything else.
    const refused = await run("deploy.ts", ["--network", "mainnet", "--node-url", `http://127.0.0.1:${port}`], { DTS_PRIVATE_KEY: key });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("refusing to deploy to mainnet without --yes");
  });
});
