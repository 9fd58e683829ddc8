// The watchtower and aggregator as processes (scripts/watchtower.ts, scripts/aggregator.ts)
// against the devnet node over HTTP: three watchtowers bond, claim an invalid partial until
// it is slashed, the aggregator combines the valid partials and settles the fee after the
// claim window (Bitcoin blocks mined on demand); each stops cleanly on SIGTERM. Bad
// configurations and an unreachable node end with one clear line.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../src/devnet/index.js";
import { HttpBackend } from "../../src/chain/http.js";
import { DtsClient } from "../../src/chain/client.js";
import { privateKeyFromMnemonic } from "../../src/chain/keys.js";
import type { ContractEvent } from "../../src/chain/backend.js";
import { generateIdentity, messageHash, partialSign, publicKeyOf, randomScalar, splitSecret, toHex, verify } from "../../src/crypto/index.js";
import { fromHex0x, MIN_STAKE } from "./watchtower-fixture.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// `node --import tsx`, not the tsx CLI: SIGTERM reaches the script itself (the CLI wrapper
// force-kills a child that does not acknowledge a signal within milliseconds, under load).
const FEE = 2_000_000n;

interface Proc {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: string[];
  exit: Promise<number | null>;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DTS_"))), ...extra };
}

function start(script: string, config: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "scripts", script), "--config", config, "--json"], { cwd: root, env: cleanEnv(env) });
  const proc: Proc = { child, lines: [], stderr: [], exit: new Promise((r) => child.on("exit", (code) => r(code))) };
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    const parts = out.split("\n");
    out = parts.pop()!;
    for (const line of parts) if (line.trim()) proc.lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr!.on("data", (chunk: Buffer) => proc.stderr.push(...chunk.toString().split("\n").filter(Boolean)));
  return proc;
}

function runOnce(script: string, config: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", join(root, "scripts", script), "--config", config], { cwd: root, env: cleanEnv(env), timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("watchtower and aggregator processes on the devnet node", () => {
  let devnet: Devnet;
  let dir: string;
  const procs: Proc[] = [];

  beforeAll(async () => {
    devnet = await startDevnet({ port: 0, blockTimeMs: 100 });
    dir = mkdtempSync(join(tmpdir(), "dts-watchtower-"));
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await devnet?.close();
  }, 60_000);

  const mnemonic = (name: string) => devnet.accounts.find((a) => a.name === name)!.mnemonic;
  const address = (name: string) => devnet.accounts.find((a) => a.name === name)!.address;

  function configFile(name: string, section: string, envVar: string): string {
    const file = join(dir, `${name}.toml`);
    writeFileSync(
      file,
      [
        "[chain]",
        'network = "devnet"',
        `node_url = "${devnet.url}"`,
        `contract_id = "${devnet.contractId}"`,
        "poll_interval_ms = 100",
        "[account]",
        `private_key_env = "${envVar}"`,
        section,
        `database = "${join(dir, `${name}.db`)}"`,
        ...(section === "[watchtower]" ? ["bond = true", "report = false"] : []),
      ].join("\n"),
    );
    return file;
  }

  it("three watchtowers slash an invalid partial, the aggregator combines and settles, all stop cleanly", async () => {
    const names = ["deployer", "wallet_1", "wallet_2", "wallet_3", "wallet_13"];
    const keys = await Promise.all(names.map((n) => privateKeyFromMnemonic(mnemonic(n), "test")));
    const backend = new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId, keys, fallbackFee: 10_000n, pollIntervalMs: 100 });
    const client = new DtsClient(backend, address("deployer"));
    const events = async (topic: string): Promise<ContractEvent[]> => client.events(0, topic);

    // An active epoch with real threshold keys, voted in by t members.
    await client.initialize(MIN_STAKE, 2, 3, 144, 2);
    for (const n of ["wallet_1", "wallet_2", "wallet_3"]) await client.as(address(n)).registerSigner(generateIdentity().publicKey);
    await client.as(address("wallet_1")).rotateSigners(await client.proposedCommittee());
    const committee = (await client.getEpoch(1))!.committee;
    const secret = randomScalar();
    const { shares } = splitSecret(secret, 2, 3);
    const shareKeys = shares.map((s) => publicKeyOf(s.value));
    for (const member of committee.slice(0, 2)) await client.as(member).submitEpochKey(1, publicKeyOf(secret), shareKeys);
    expect(await client.getCurrentEpoch()).toBe(1n);

    const towerNames = ["wallet_10", "wallet_11", "wallet_12"];
    const towers = await Promise.all(
      towerNames.map(async (n, i) =>
        start("watchtower.ts", configFile(`tower${i}`, "[watchtower]", `DTS_TOWER_KEY_${i}`), { [`DTS_TOWER_KEY_${i}`]: await privateKeyFromMnemonic(mnemonic(n), "test") }),
      ),
    );
    const aggregatorKey = await privateKeyFromMnemonic(mnemonic("wallet_14"), "test");
    const agg = start("aggregator.ts", configFile("aggregator", "[aggregator]", "DTS_AGG_KEY"), { DTS_AGG_KEY: aggregatorKey });
    procs.push(...towers, agg);
    await until("the watchtowers bonded", () => towers.every((t) => t.lines.some((l) => l.event === "registered")));
    await until("the aggregator started", () => agg.lines.some((l) => l.event === "started"));
    for (const n of towerNames) expect((await client.getWatchtower(address(n)))!.isActive).toBe(true);

    const hash = `0x${toHex(messageHash("processes: one bad partial"))}`;
    await client.as(address("wallet_13")).requestSignature(hash, FEE);
    const [m1, m2, bad] = committee as [string, string, string];
    const shareOf = (m: string) => shares[committee.indexOf(m)]!;
    const wrong = partialSign({ index: shareOf(bad).index, value: shareOf(m1).value }, fromHex0x(hash)).signature;
    await client.as(bad).submitPartialSignature(hash, wrong);
    await client.as(m1).submitPartialSignature(hash, partialSign(shareOf(m1), fromHex0x(hash)).signature);
    await client.as(m2).submitPartialSignature(hash, partialSign(shareOf(m2), fromHex0x(hash)).signature);

    await until("the invalid partial is slashed", async () => (await events("signer-slashed")).length === 1);
    expect((await events("signer-slashed"))[0]!.data.signer).toBe(bad);
    expect((await client.getSignerInfo(bad))!.stake).toBe(MIN_STAKE - MIN_STAKE / 10n);
    await until("every watchtower's claim is in", () => towers.every((t) => t.lines.some((l) => l.event === "claimed")));
    const claims = await events("invalid-signature-claim");
    expect(claims.map((c) => c.data.watchtower).sort()).toEqual(towerNames.map(address).sort());
    for (const t of towers) expect(t.lines.filter((l) => l.event === "claimed")).toEqual([expect.objectContaining({ messageHash: hash, signer: bad })]);

    await until("the aggregate is on-chain", async () => (await client.getRequest(hash))!.aggregateSignature !== null);
    const stored = (await client.getRequest(hash))!;
    expect(verify(fromHex0x((await client.getEpoch(1))!.groupPublicKey!), fromHex0x(hash), fromHex0x(stored.aggregateSignature!))).toBe(true);
    expect(stored.aggregator).toBe(address("wallet_14"));
    await until("the aggregator reported it", () => agg.lines.some((l) => l.event === "aggregated"));

    // The claim window runs on Bitcoin blocks: mine them on demand.
    const burnNow = (await client.getClock()).burnNow;
    await devnet.mine(1, Number(stored.settleAt - burnNow) + 1);
    await until("the fee is settled", async () => (await events("fee-settled")).length === 1);
    await until("the aggregator reported the settlement", () => agg.lines.some((l) => l.event === "settled"));
    for (const m of [m1, m2]) expect(await client.getRewards(m)).toBe(FEE / 2n);
    expect(await client.getRewards(bad)).toBe(0n);

    for (const p of [...towers, agg]) p.child.kill("SIGTERM");
    for (const p of [...towers, agg]) {
      expect(await p.exit).toBe(0);
      expect(p.lines.at(-1)).toEqual({ event: "stopped", signal: "SIGTERM" });
    }
    // No secret in anything the processes printed.
    const printed = [...towers, agg].map((p) => JSON.stringify(p.lines) + p.stderr.join("\n")).join("\n");
    expect(printed).not.toContain(aggregatorKey);
  }, 240_000);

  it("a configuration without the role's section, a missing key variable and an unreachable node end with one clear line", async () => {
    const noSection = join(dir, "no-section.toml");
    writeFileSync(noSection, ["[chain]", 'network = "devnet"', `node_url = "${devnet.url}"`, `contract_id = "${devnet.contractId}"`, "[account]", 'private_key_env = "DTS_X_KEY"'].join("\n"));
    const key = await privateKeyFromMnemonic(mnemonic("wallet_9"), "test");
    const a = await runOnce("watchtower.ts", noSection, { DTS_X_KEY: key });
    expect(a.code).not.toBe(0);
    expect(a.stderr.trim().split("\n")).toEqual([`watchtower: ${noSection}: missing section [watchtower] (database, bond, report)`]);

    const file = configFile("nokey", "[aggregator]", "DTS_UNSET_KEY");
    const b = await runOnce("aggregator.ts", file, {});
    expect(b.code).not.toBe(0);
    expect(b.stderr.trim().split("\n")).toEqual(["aggregator: set DTS_UNSET_KEY (the account's private key)"]);

    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const down = join(dir, "down.toml");
    writeFileSync(
      down,
      ["[chain]", 'network = "devnet"', `node_url = "http://127.0.0.1:${port}"`, `contract_id = "${devnet.contractId}"`, "[account]", 'private_key_env = "DTS_X_KEY"', "[watchtower]", `database = "${join(dir, "down.db")}"`].join("\n"),
    );
    const c = await runOnce("watchtower.ts", down, { DTS_X_KEY: key });
    expect(c.code).not.toBe(0);
    const lines = c.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^watchtower: cannot use the node for .*: cannot reach the node at http:\/\/127\.0\.0\.1:\d+/);
    expect(c.stdout + c.stderr).not.toContain(key);
  }, 120_000);
});
