// npm run bench:latency -- [--requests 20] [--block-time-ms 1000] [--poll-ms 200]
// The latency, in Stacks blocks, from a signing request to its finalized aggregate on a
// local network at (t, n) = (3, 5): a devnet node mining on a timer, the HTTP gateway
// (src/gateway) taking the requests over HTTP, the aggregator role (src/roles/aggregator.ts)
// combining and submitting, and five committee members that follow the contract's events
// and submit a partial for every request. Prints one JSON object on stdout; progress on
// stderr. See "how" in the output for exactly what runs.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { startDevnet } from "../src/devnet/index.js";
import { HttpBackend } from "../src/chain/http.js";
import { DtsClient } from "../src/chain/client.js";
import { privateKeyFromMnemonic } from "../src/chain/keys.js";
import { follow, type Follower } from "../src/roles/follow.js";
import { Aggregator } from "../src/roles/aggregator.js";
import { RoleStore } from "../src/roles/watchtower-store.js";
import { SignerNode } from "../src/roles/signer.js";
import { loadConfig } from "../src/roles/config.js";
import { Gateway } from "../src/gateway/index.js";
import { fromHex, generateIdentity, partialSign, publicKeyOf, randomScalar, splitSecret, type SecretShare } from "../src/crypto/index.js";

const integer = (min: number) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new InvalidArgumentError(`expected a whole number >= ${min}`);
  return parsed;
};

const options = new Command()
  .name("npm run bench:latency --")
  .description("Latency in blocks from request to finalized aggregate at (3,5) on a local devnet network")
  .option("-r, --requests <n>", "requests to measure", integer(1), 20)
  .option("--block-time-ms <ms>", "devnet block time", integer(100), 1000)
  .option("--poll-ms <ms>", "how often every role polls for new blocks", integer(50), 200)
  .option("--dealt-key", "members sign with Shamir shares dealt by the bench (no DKG, no signer nodes)")
  .option("--dkg-phase-blocks <k>", "signer nodes: DKG phase window in Stacks blocks", integer(2), 6)
  .parse()
  .opts<{ requests: number; blockTimeMs: number; pollMs: number; dealtKey?: boolean; dkgPhaseBlocks: number }>();

const T = 3;
const N = 5;
const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

const devnet = await startDevnet({ port: 0, blockTimeMs: options.blockTimeMs, deployContract: true });
const dir = mkdtempSync(join(tmpdir(), "dts-bench-latency-"));
const followers: Follower[] = [];
const nodes: SignerNode[] = [];
let aggregator: Aggregator | null = null;
let gateway: Gateway | null = null;
let failed = false;
try {
  const names = ["deployer", ...Array.from({ length: N }, (_, i) => `wallet_${i + 1}`), "wallet_6", "wallet_7"];
  const account = (name: string) => devnet.accounts.find((a) => a.name === name)!;
  const keys = await Promise.all(names.map((name) => privateKeyFromMnemonic(account(name).mnemonic, name)));
  const backend = new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId, keys, fallbackFee: 10_000n, pollIntervalMs: 100 });
  const client = new DtsClient(backend, account("deployer").address);

  say(`devnet ${devnet.url}, a block every ${options.blockTimeMs} ms; initializing (t, n) = (${T}, ${N})`);
  const signers = names.slice(1, 1 + N).map((n) => account(n).address);
  let activatedAt: number;
  let membersHow: string;
  if (options.dealtKey) {
    await client.initialize(100_000_000n, BigInt(T), BigInt(N), 144n, BigInt(T));
    await Promise.all(signers.map((s) => client.as(s).registerSigner(generateIdentity().publicKey)));
    await client.as(signers[0]!).rotateSigners(await client.proposedCommittee());
    const committee = (await client.getEpoch(1n))!.committee;
    // The epoch's key: Shamir shares of one secret dealt here (not the DKG), voted in by t members.
    const secret = randomScalar();
    const { shares } = splitSecret(secret, T, N);
    const shareKeys = shares.map((s) => publicKeyOf(s.value));
    const shareOf = new Map<string, SecretShare>();
    for (const member of committee) shareOf.set(member, shares[Number(await client.getMemberIndex(1n, member)) - 1]!);
    for (const member of committee.slice(0, T)) await client.as(member).submitEpochKey(1n, publicKeyOf(secret), shareKeys);
    activatedAt = await backend.blockHeight();
    say(`epoch 1 active at block ${activatedAt}; starting ${N} members, the aggregator and the gateway`);
    // Members: each follows the events and signs every request of epoch 1 once.
    for (const member of committee) {
      const as = client.as(member);
      followers.push(
        follow({
          backend,
          fromBlock: activatedAt + 1,
          pollIntervalMs: options.pollMs,
          onBlocks: async (events) => {
            const sends = events
              .filter((e) => e.topic === "signature-requested")
              .map((e) => {
                const hash = fromHex(String(e.data["message-hash"]).slice(2));
                return as.submitPartialSignature(hash, partialSign(shareOf.get(member)!, hash).signature);
              });
            await Promise.all(sends);
          },
          onError: (error) => say(`member ${member}: ${error instanceof Error ? error.message : String(error)}`),
        }),
      );
    }
    membersHow =
      `${N} committee members, in this process, follow the contract's events (src/roles/follow.ts, polling every ${options.pollMs} ms) and submit a partial for every request; ` +
      `the epoch's key is Shamir shares of one secret dealt by the bench and voted in by ${T} members (--dealt-key: no DKG, no signer nodes). `;
  } else {
    // Five signer nodes (src/roles/signer.ts), each with its own configuration, keystore,
    // database and HTTP connection: they register, one rotates, all run the DKG through the
    // contract and vote the key in, then sign every request.
    await client.initialize(100_000_000n, BigInt(N), BigInt(N), 144n, BigInt(T));
    for (const [i, name] of names.slice(1, 1 + N).entries()) {
      const file = join(dir, `${name}.toml`);
      writeFileSync(
        file,
        `[chain]\nnetwork = "devnet"\nnode_url = "${devnet.url}"\ncontract_id = "${devnet.contractId}"\npoll_interval_ms = ${options.pollMs}\n\n` +
          `[account]\nprivate_key_env = "BENCH_KEY"\n\n` +
          `[signer]\nidentity_keystore = "${name}/identity.json"\npassword_env = "BENCH_PASSWORD"\ndatabase = "${name}/signer.db"\n` +
          `register = true\nrotate = ${i === 0}\ndkg_phase_blocks = ${options.dkgPhaseBlocks}\nkeystore_scrypt_n = 1024\n`,
      );
      nodes.push(new SignerNode({ config: loadConfig(file), env: { BENCH_KEY: keys[i + 1]!, BENCH_PASSWORD: "bench" }, connectAttempts: 5 }));
    }
    await Promise.all(nodes.map((node) => node.start()));
    say(`${N} signer nodes started; waiting for registration, rotation and the DKG through the contract`);
    const limit = Date.now() + 15 * 60_000;
    while ((await client.getCurrentEpoch()) === 0n) {
      if (Date.now() > limit) throw new Error("epoch 1 did not activate within 15 minutes");
      await new Promise((r) => setTimeout(r, 500));
    }
    activatedAt = await backend.blockHeight();
    say(`epoch 1 active at block ${activatedAt} (DKG through the contract); starting the aggregator and the gateway`);
    membersHow =
      `${N} signer nodes (src/roles/signer.ts, in this process, each with its own configuration, encrypted identity keystore, SQLite database and HTTP connection, polling every ${options.pollMs} ms) registered, rotated, ran the DKG through post-dkg-message (phase window ${options.dkgPhaseBlocks} blocks), voted the key in, and sign every request; `;
  }
  aggregator = new Aggregator({
    client: client.as(account("wallet_7").address),
    store: RoleStore.open(join(dir, "aggregator.db"), "aggregator"),
    pollIntervalMs: options.pollMs,
    fromBlock: activatedAt + 1,
    log: (line) => say(line),
  });
  await aggregator.start();
  gateway = new Gateway({ client: client.as(account("wallet_6").address), backend, address: account("wallet_6").address, port: 0, defaultFee: 1000n, pollIntervalMs: options.pollMs });
  const url = await gateway.start();

  const samples: { request_id: string; requested_at: number; finalized_at: number; blocks: number }[] = [];
  for (let i = 0; i < options.requests; i++) {
    const response = await fetch(`${url}/sign`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: `bench ${Date.now()} #${i}` }),
    });
    const created = (await response.json()) as { request_id: string; block?: number; status: string; message?: string };
    if (response.status !== 201 || created.block === undefined) throw new Error(`POST /sign answered ${response.status}: ${JSON.stringify(created)}`);
    for (;;) {
      const status = (await (await fetch(`${url}/status/${created.request_id}`)).json()) as { status: string; finalized_at: number | null };
      if (status.status === "finalized" || status.status === "settled") {
        const blocks = status.finalized_at! - created.block;
        samples.push({ request_id: created.request_id, requested_at: created.block, finalized_at: status.finalized_at!, blocks });
        say(`request ${i + 1}/${options.requests}: block ${created.block} -> ${status.finalized_at} (${blocks} blocks)`);
        break;
      }
      if (status.status === "expired") throw new Error(`request ${created.request_id} expired`);
      await new Promise((r) => setTimeout(r, options.pollMs));
    }
  }
  const sorted = samples.map((s) => s.blocks).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  process.stdout.write(
    `${JSON.stringify(
      {
        t: T,
        n: N,
        requests: samples.length,
        latency_blocks: { median, min: sorted[0], max: sorted.at(-1), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length },
        samples,
        block_time_ms: options.blockTimeMs,
        poll_interval_ms: options.pollMs,
        members: options.dealtKey ? "dealt-key" : "signer-nodes",
        aggregator_errors: aggregator.errors,
        how:
          `A local devnet node (src/devnet: the simnet behind the Stacks node RPC and Hiro API) mining one Stacks block every ${options.blockTimeMs} ms. ` +
          `Each request is made over HTTP with POST /sign to the gateway (src/gateway), which sends request-signature from its own account; ` +
          `requests are made one at a time, the next after the previous one is finalized. ` +
          membersHow +
          `the aggregator role (src/roles/aggregator.ts, same poll interval) combines the stored partials robustly and submits the aggregate. ` +
          `Latency = the Stacks block of the aggregate (the request's finalized-at, via GET /status) minus the Stacks block of the request-signature transaction (from the POST /sign answer).`,
      },
      null,
      2,
    )}\n`,
  );
} catch (error) {
  failed = true;
  process.stderr.write(`bench-latency failed: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  await Promise.all(followers.map((f) => f.stop()));
  await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
  await aggregator?.stop();
  await gateway?.stop();
  await devnet.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
