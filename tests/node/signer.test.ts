// Signer nodes against the devnet node over HTTP: five nodes register, run the DKG among
// themselves through the contract (phase windows of K Stacks blocks, blocks mined on a short
// timer), the epoch activates with the key they agree on, and every node signs a request
// whose combined signature verifies against the stored group key. Nodes are interrupted
// after a record is durable and before its transaction is sent (deal, vote, partial) and
// restarted from their database and keystore: nothing is dealt or signed twice, the recorded
// bytes are what lands on the chain, shares survive. Then a reshare keeps the group key.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../src/devnet/index.js";
import { HttpBackend } from "../../src/chain/http.js";
import { DtsClient } from "../../src/chain/client.js";
import { privateKeyFromMnemonic } from "../../src/chain/keys.js";
import { connect, loadConfig } from "../../src/roles/config.js";
import { NodeError } from "../../src/chain/errors.js";
import { SignerError, SignerNode, type SignerEvent, type SignerNodeOptions, type SubmitKind } from "../../src/roles/signer.js";
import { Store } from "../../src/roles/store.js";
import { decryptKeystore, encryptKeystore, fromHex, messageHash, publicKeyOf, robustCombine, toHex, verify, verifyPartials } from "../../src/crypto/index.js";

const PASSWORD = "correct horse battery staple";
const K = 30;
const N = 5;
const T = 3;

interface Member {
  name: string;
  address: string;
  configFile: string;
  env: NodeJS.ProcessEnv;
  node: SignerNode;
  events: SignerEvent[];
  lines: string[];
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 90_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as T;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("signer nodes on the devnet node", () => {
  let devnet: Devnet;
  let miner: NodeJS.Timeout;
  let dir: string;
  let deployer: DtsClient;
  let requester: DtsClient;
  const members: Member[] = [];
  const crashed = new Set<string>();
  /** The block timer's current block, and whether it is held (blocks are then mined by hand). */
  let mining: Promise<void> | null = null;
  let paused = false;

  const toml = (m: { name: string }, extra = "") => `
[chain]
network = "devnet"
node_url = "${devnet.url}"
contract_id = "${devnet.contractId}"
poll_interval_ms = 100

[account]
private_key_env = "DTS_TEST_KEY_${m.name.toUpperCase()}"

[signer]
identity_keystore = "${m.name}/identity.json"
password_env = "DTS_TEST_IDENTITY_PASSWORD"
database = "${m.name}/signer.db"
register = true
dkg_phase_blocks = ${K}
keystore_scrypt_n = 1024
${extra}`;

  /** A node whose first submission of `crashAt` fails after its record is durable (a crash). */
  function makeNode(m: Omit<Member, "node" | "events" | "lines">, crashAt?: SubmitKind, connection?: SignerNodeOptions["connection"]): Member {
    const events: SignerEvent[] = [];
    const lines: string[] = [];
    let armed = crashAt !== undefined;
    const node = new SignerNode({
      config: loadConfig(m.configFile),
      env: m.env,
      connection,
      log: (line) => lines.push(line),
      emit: (e) => events.push(e),
      beforeSubmit: (kind) => {
        if (armed && kind === crashAt) {
          armed = false;
          crashed.add(`${m.name}:${kind}`);
          throw new Error(`simulated crash before sending ${kind}`);
        }
      },
    });
    return { ...m, node, events, lines };
  }

  /** Stops a node and starts a fresh instance on the same files (with `extra` [signer] keys if given). */
  async function restart(i: number, extra?: string): Promise<void> {
    const old = members[i]!;
    if (extra !== undefined) writeFileSync(old.configFile, toml(old, extra));
    await old.node.stop();
    if (process.env.DTS_SIGNER_TEST_LOG) writeFileSync(join(process.env.DTS_SIGNER_TEST_LOG, `${old.name}-before-restart.log`), old.lines.join("\n"));
    const fresh = makeNode(old);
    members[i] = fresh;
    await fresh.node.start();
  }

  const client = (i: number) => new DtsClient(new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId, pollIntervalMs: 50 }), members[i]?.address ?? null);

  beforeAll(async () => {
    devnet = await startDevnet({ port: 0, blockTimeMs: 0, deployContract: true });
    miner = setInterval(() => {
      if (mining || paused) return;
      mining = devnet.mine(1).finally(() => (mining = null));
    }, 100);
    dir = mkdtempSync(join(tmpdir(), "dts-signer-"));
    const account = (name: string) => devnet.accounts.find((a) => a.name === name)!;
    const keyOf = (name: string) => privateKeyFromMnemonic(account(name).mnemonic, "test");
    const backendFor = async (name: string) =>
      new DtsClient(new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId, keys: [await keyOf(name)], pollIntervalMs: 50 }), account(name).address);
    deployer = await backendFor("deployer");
    requester = await backendFor("wallet_9");
    // min-stake 100 STX, 5 required and total, rotation every 10 Bitcoin blocks, threshold 3.
    await deployer.initialize(100_000_000n, BigInt(N), BigInt(N), 10n, BigInt(T));
    for (let i = 1; i <= N; i++) {
      const name = `wallet_${i}`;
      const configFile = join(dir, `${name}.toml`);
      writeFileSync(configFile, toml({ name }, i === 1 ? "rotate = true" : ""));
      const env = { [`DTS_TEST_KEY_${name.toUpperCase()}`]: await keyOf(name), DTS_TEST_IDENTITY_PASSWORD: PASSWORD };
      // wallet_2 crashes before sending its deal, wallet_3 before its key vote, wallet_4 before its first partial.
      const crashAt: Record<number, SubmitKind> = { 2: "dkg-message", 3: "vote", 4: "partial" };
      members.push(makeNode({ name, address: account(name).address, configFile, env }, crashAt[i]));
    }
  }, 120_000);

  afterAll(async () => {
    clearInterval(miner);
    for (const m of members) await m.node.stop().catch(() => {});
    if (process.env.DTS_SIGNER_TEST_LOG) for (const m of members) writeFileSync(join(process.env.DTS_SIGNER_TEST_LOG, `${m.name}.log`), m.lines.join("\n"));
    await devnet?.close();
  }, 60_000);

  it("five nodes register, run the DKG through the contract, activate the epoch and sign a request", async () => {
    await Promise.all(members.map((m) => m.node.start()));
    for (const m of members) expect(m.events.find((e) => e.event === "keystore-created")).toBeDefined();
    // Registered with the keystore's identity key.
    for (const m of members) {
      const info = await waitFor(`${m.name} registered`, () => client(0).getSignerInfo(m.address));
      expect(info.publicKey).toBe(`0x${toHex(m.node.publicKey!)}`);
    }
    // wallet_1 rotates (rotate = true) once five signers are eligible; wallet_2 crashes
    // before sending its deal and is restarted from its files.
    await waitFor("wallet_2's crash before dealing", () => crashed.has("wallet_2:dkg-message"));
    await restart(1);
    await waitFor("wallet_3's crash before voting", () => crashed.has("wallet_3:vote"));
    await restart(2);

    const epoch = await waitFor("epoch 1 active", async () => {
      const e = await client(0).getEpoch(1n);
      return e?.status === "active" ? e : null;
    });
    expect(epoch.committee.slice().sort()).toEqual(members.map((m) => m.address).sort());

    // One deal per dealer on the chain, the bytes each node recorded before sending.
    const dkg = (await client(0).events(0, "dkg-message")).filter((e) => e.data.epoch === 1n);
    for (const m of members) {
      const mine = dkg.filter((e) => e.data.sender === m.address && e.data.phase === 1n);
      expect(mine).toHaveLength(1);
      const store = Store.open(join(dir, m.name, "signer.db"), { readonly: true });
      const recorded = store.db.prepare("SELECT frame FROM dkg_sent WHERE epoch = 1 AND phase = 1").all() as { frame: string }[];
      store.close();
      expect(recorded.map((r) => `0x${r.frame}`)).toEqual([String(mine[0]!.data.payload)]);
    }
    // Every node wrote its share to its keystore (the restarted ones included), and each
    // share matches the stored share key.
    for (const [i, m] of members.entries()) {
      await waitFor(`${m.name}'s share stored`, () => m.node.shareEpochs().includes(1));
      const secrets = await decryptKeystore(readFileSync(join(dir, m.name, "identity.json"), "utf8"), PASSWORD);
      const share = secrets.shares.find((s) => s.epoch === 1)!;
      expect(share.index).toBe(epoch.committee.indexOf(m.address) + 1);
      void i;
    }
    const groupKey = fromHex(epoch.groupPublicKey!.slice(2));
    const shareKeys = epoch.sharePublicKeys.map((k) => fromHex(k.slice(2)));

    // A request: every member signs once; wallet_4 crashes after recording its partial
    // and resubmits the recorded bytes when restarted.
    const hash = messageHash("signer nodes on devnet");
    const config = await client(0).getConfig();
    await requester.requestSignature(hash, config.minFee);
    await waitFor("wallet_4's crash before its partial", () => crashed.has("wallet_4:partial"));
    await restart(3);
    const request = await waitFor("five partials", async () => {
      const r = await client(0).getRequest(hash);
      return r && r.partialCount === BigInt(N) ? r : null;
    });
    expect(new Set(request.signers).size).toBe(N);
    const partials = await Promise.all(
      epoch.committee.map(async (member, i) => {
        const p = (await client(0).getPartialSignature(hash, member))!;
        return { index: i + 1, signature: fromHex(p.signature.slice(2)) };
      }),
    );
    expect(verifyPartials(hash, partials, shareKeys)).toEqual([true, true, true, true, true]);
    const wallet4 = members[3]!;
    const signedRows = () => {
      const store = Store.open(join(dir, wallet4.name, "signer.db"), { readonly: true });
      const rows = store.db.prepare("SELECT signature, status, attempt, epoch FROM signed WHERE message_hash = ?").all(`0x${toHex(hash)}`) as { signature: string; status: string }[];
      store.close();
      return rows;
    };
    // The node marks the row once its transaction's result is back (just after it is mined).
    const rows = await waitFor("wallet_4's row marked submitted", () => {
      const rows = signedRows();
      return rows.some((r) => r.status !== "recorded") ? rows : null;
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "submitted", attempt: 1, epoch: 1 });
    expect(`0x${rows[0]!.signature}`).toBe((await client(0).getPartialSignature(hash, wallet4.address))!.signature);

    const combined = robustCombine({ messageHash: hash, partials, threshold: T, groupKey, shareKeys });
    expect(verify(groupKey, hash, combined.signature)).toBe(true);
    await requester.submitAggregateSignature(hash, combined.signature);
    const stored = (await client(0).getRequest(hash))!;
    expect(verify(groupKey, hash, fromHex(stored.aggregateSignature!.slice(2)))).toBe(true);
  });

  it("a node restarted after signing signs nothing twice and keeps following; a faulty node's partial does not verify", async () => {
    await restart(4, "faulty = true");
    const hash = messageHash("after a restart");
    const config = await client(0).getConfig();
    await requester.requestSignature(hash, config.minFee);
    const request = await waitFor("five partials", async () => {
      const r = await client(0).getRequest(hash);
      return r && r.partialCount === BigInt(N) ? r : null;
    });
    expect(new Set(request.signers).size).toBe(N);
    // Exactly one partial per member per request, on the chain and in each database.
    const partials = (await client(0).events(0, "partial-signature")).map((e) => `${String(e.data["message-hash"])}:${String(e.data.signer)}`);
    expect(new Set(partials).size).toBe(partials.length);
    expect(partials).toHaveLength(2 * N);
    for (const m of members) {
      const store = Store.open(join(dir, m.name, "signer.db"), { readonly: true });
      const counts = store.db.prepare("SELECT message_hash, count(*) AS n FROM signed GROUP BY message_hash").all() as { n: number }[];
      store.close();
      expect(counts).toHaveLength(2);
      expect(counts.every((c) => c.n === 1)).toBe(true);
    }
    // wallet_5 now runs with faulty = true: its partial is a valid point that does not verify.
    const epoch = (await client(0).getEpoch(1n))!;
    const shareKeys = epoch.sharePublicKeys.map((k) => fromHex(k.slice(2)));
    const onChain = await Promise.all(
      epoch.committee.map(async (member, i) => ({ index: i + 1, signature: fromHex((await client(0).getPartialSignature(hash, member))!.signature.slice(2)) })),
    );
    const verdicts = verifyPartials(hash, onChain, shareKeys);
    expect(verdicts).toEqual(epoch.committee.map((member) => member !== members[4]!.address));
    const groupKey = fromHex(epoch.groupPublicKey!.slice(2));
    const combined = robustCombine({ messageHash: hash, partials: onChain, threshold: T, groupKey, shareKeys });
    expect(combined.signers).not.toContain(epoch.committee.indexOf(members[4]!.address) + 1);
    expect(verify(groupKey, hash, combined.signature)).toBe(true);
  });

  it("a burst of requests: each node records its partials, then sends them all before any is mined", async () => {
    const reader = new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId, pollIntervalMs: 50 });
    const hashes = Array.from({ length: 10 }, (_, i) => messageHash(`burst ${i}`));
    const fee = (await client(0).getConfig()).minFee;
    const pending = async (who: string, confirmed: bigint) => (await reader.fetchNonce(who)) - confirmed;
    const before = new Map<string, bigint>();
    for (const who of [requester.sender!, ...members.map((m) => m.address)]) before.set(who, await reader.fetchNonce(who));
    // No block while the requests and then the partials wait in the mempool.
    paused = true;
    await mining;
    try {
      const requested = Promise.all(hashes.map((hash) => requester.requestSignature(hash, fee)));
      await waitFor("the ten requests in the mempool", async () => (await pending(requester.sender!, before.get(requester.sender!)!)) === BigInt(hashes.length));
      await devnet.mine(1);
      await requested;
      // Sent one at a time, each waiting for the previous one to be mined, a node would have
      // one partial pending here, never ten.
      for (const m of members)
        await waitFor(`${m.name}'s ten partials in the mempool together`, async () => (await pending(m.address, before.get(m.address)!)) === BigInt(hashes.length), 60_000);
    } finally {
      paused = false;
    }
    const ids = new Set(hashes.map((h) => `0x${toHex(h)}`));
    const partials = await waitFor("every member's partial on every request", async () => {
      const events = (await client(0).events(0, "partial-signature")).filter((e) => ids.has(String(e.data["message-hash"])));
      return events.length === hashes.length * N ? events : null;
    });
    for (const m of members) {
      expect(new Set(partials.filter((e) => e.data.signer === m.address).map((e) => e.blockHeight)).size).toBe(1);
      const rows = await waitFor(`${m.name}'s rows marked submitted`, () => {
        const store = Store.open(join(dir, m.name, "signer.db"), { readonly: true });
        const found = store.db.prepare(`SELECT status FROM signed WHERE message_hash IN (${[...ids].map(() => "?").join(", ")})`).all(...ids) as { status: string }[];
        store.close();
        return found.every((r) => r.status === "submitted") ? found : null;
      });
      expect(rows).toHaveLength(hashes.length);
    }
  });

  it("a pause holds the nodes' partials: nothing is sent while paused (no fee spent on a refusal), and after unpause every member signs", async () => {
    const reader = new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId, pollIntervalMs: 50 });
    const hash = messageHash("requested, then paused");
    const fee = (await client(0).getConfig()).minFee;
    const before = new Map<string, bigint>();
    for (const who of [requester.sender!, deployer.sender!, ...members.map((m) => m.address)]) before.set(who, await reader.fetchNonce(who));
    // The request and the pause land in the same block, so no node can sign in between.
    paused = true;
    await mining;
    try {
      const sent = async (who: string) => (await reader.fetchNonce(who)) === before.get(who)! + 1n;
      const requested = requester.requestSignature(hash, fee);
      await waitFor("the request in the mempool", () => sent(requester.sender!));
      const pausing = deployer.pause();
      await waitFor("the pause in the mempool, after it", () => sent(deployer.sender!));
      await devnet.mine(1);
      await Promise.all([requested, pausing]);
    } finally {
      paused = false;
    }
    expect((await client(0).getNetworkState()).paused).toBe(true);
    const start = await reader.blockHeight();
    await reader.waitForBlock(start + 5);
    for (const m of members) expect(await reader.fetchNonce(m.address), `${m.name} sent nothing while paused`).toBe(before.get(m.address));
    expect(await client(0).getPartialSignature(hash, members[0]!.address)).toBeNull();
    await deployer.unpause();
    for (const m of members) await waitFor(`${m.name}'s partial after the unpause`, () => client(0).getPartialSignature(hash, m.address));
    for (const m of members) expect(m.events.filter((e) => e.event === "sign-failed" && e.messageHash === `0x${toHex(hash)}`)).toEqual([]);
  });

  it("a partial the contract refuses is recorded as failed and the node moves on; a node error is retried", async () => {
    // wallet_3 records its partial on a request, crashes before sending it, and the recorded
    // bytes are then damaged (not a compressed G2 point): the contract refuses them.
    const i = 2;
    const m = members[i]!;
    await m.node.stop();
    members[i] = makeNode(m, "partial");
    await members[i]!.node.start();
    const refused = messageHash("refused by the contract");
    const fee = (await client(0).getConfig()).minFee;
    await requester.requestSignature(refused, fee);
    await waitFor("wallet_3's crash before its partial", () => crashed.has("wallet_3:partial"));
    await members[i]!.node.stop();
    const db = Store.open(join(dir, m.name, "signer.db"));
    const damaged = db.db.prepare("UPDATE signed SET signature = '00' || substr(signature, 3) WHERE message_hash = ? AND status = 'recorded'").run(`0x${toHex(refused)}`);
    db.close();
    expect(damaged.changes).toBe(1);

    // Restarted on a connection whose first broadcast of the next request's partial fails
    // as if the node were unreachable.
    const connection = await connect(loadConfig(m.configFile), m.env);
    const later = messageHash("signed after the refusal");
    let unreachable = 1;
    const real = connection.backend;
    const flaky = Object.create(real) as typeof real;
    flaky.submit = async (fn, args, sender, options) => {
      const hash = (args[0] as { value?: unknown }).value;
      if (fn === "submit-partial-signature" && hash === toHex(later) && unreachable-- > 0) throw new NodeError("cannot reach the node at http://127.0.0.1:1 (ECONNREFUSED after 6 attempts)");
      return real.submit(fn, args, sender, options);
    };
    members[i] = makeNode(m, undefined, { ...connection, backend: flaky });
    const node = members[i]!;
    await node.node.start();

    const row = (hash: Uint8Array) => {
      const store = Store.open(join(dir, m.name, "signer.db"), { readonly: true });
      const found = store.db.prepare("SELECT status FROM signed WHERE message_hash = ?").get(`0x${toHex(hash)}`) as { status: string } | undefined;
      store.close();
      return found?.status;
    };
    await waitFor("the refused partial recorded as failed", () => row(refused) === "failed:ERR-INVALID-SIGNATURE");
    expect(node.lines.some((l) => l.includes("ERR-INVALID-SIGNATURE") && l.includes("moving on"))).toBe(true);
    expect(node.events).toContainEqual(expect.objectContaining({ event: "sign-failed", messageHash: `0x${toHex(refused)}`, error: "ERR-INVALID-SIGNATURE" }));
    expect(await client(0).getPartialSignature(refused, m.address)).toBeNull();

    // The node moves on: the next request is signed, after one retry of the node error.
    await requester.requestSignature(later, fee);
    await waitFor("wallet_3's partial on the later request", () => client(0).getPartialSignature(later, m.address));
    await waitFor("its row marked submitted", () => row(later) === "submitted");
    expect(unreachable).toBe(-1);
    expect(node.lines.some((l) => l.startsWith("error (will retry): cannot reach the node"))).toBe(true);
    const mine = (await client(0).events(0, "partial-signature")).filter((e) => e.data.signer === m.address && e.data["message-hash"] === `0x${toHex(later)}`);
    expect(mine).toHaveLength(1);
  });

  it("a reshare to the next epoch keeps the group key; a node with aggregate = true finalizes requests", async () => {
    await restart(0, "rotate = true\naggregate = true");
    const before = (await client(0).getEpoch(1n))!;
    await devnet.mine(0, 10); // rotation-period Bitcoin blocks: wallet_1 rotates
    // wallet_4 is stopped right after dealing and restarted once the others activated the
    // epoch: it rebuilds the DKG from its database and the chain and keeps its new share.
    await waitFor("wallet_4's epoch 2 deal", () => members[3]!.events.some((e) => e.event === "dealt" && e.epoch === 2));
    await members[3]!.node.stop();
    const epoch2 = await waitFor("epoch 2 active", async () => {
      const e = await client(0).getEpoch(2n);
      return e?.status === "active" ? e : null;
    });
    await restart(3);
    await waitFor("wallet_4's epoch 2 share", () => members[3]!.node.shareEpochs().includes(2));
    const secrets = await decryptKeystore(readFileSync(join(dir, "wallet_4", "identity.json"), "utf8"), PASSWORD);
    const share2 = secrets.shares.find((s) => s.epoch === 2)!;
    expect(share2.index).toBe(epoch2.committee.indexOf(members[3]!.address) + 1);
    expect(`0x${toHex(publicKeyOf(share2.value))}`).toBe(epoch2.sharePublicKeys[share2.index - 1]);
    expect(members[3]!.events.filter((e) => e.event === "dealt")).toEqual([]); // nothing dealt again
    expect(epoch2.previous).toBe(1n);
    expect(epoch2.groupPublicKey).toBe(before.groupPublicKey);
    // Deals in the reshare come from the old members (old-index), one each.
    const deals = (await client(0).events(0, "dkg-message")).filter((e) => e.data.epoch === 2n && e.data.phase === 1n);
    expect(deals.map((e) => Number(e.data["old-index"])).sort()).toEqual([1, 2, 3, 4, 5]);
    for (const m of members) await waitFor(`${m.name}'s epoch 2 share`, () => m.node.shareEpochs().includes(2));

    const hash = messageHash("signed by the reshared committee");
    await requester.requestSignature(hash, (await client(0).getConfig()).minFee);
    // wallet_1's in-process aggregator combines (robustly: wallet_5 is still faulty) and submits.
    const finalized = await waitFor("the aggregate", async () => {
      const r = await client(0).getRequest(hash);
      return r?.aggregateSignature ? r : null;
    });
    expect(finalized.epoch).toBe(2n);
    expect(finalized.aggregator).toBe(members[0]!.address);
    const groupKey = fromHex(epoch2.groupPublicKey!.slice(2));
    expect(verify(groupKey, hash, fromHex(finalized.aggregateSignature!.slice(2)))).toBe(true);
  });

  it("a node whose database is lost and whose keystore lost its shares recovers its share from the chain and signs nothing again", async () => {
    const m = members[4]!;
    await m.node.stop();
    const keystoreFile = join(dir, m.name, "identity.json");
    const secrets = await decryptKeystore(readFileSync(keystoreFile, "utf8"), PASSWORD);
    const lost = secrets.shares.find((s) => s.epoch === 2)!;
    writeFileSync(keystoreFile, await encryptKeystore({ identitySecret: secrets.identitySecret, shares: [] }, PASSWORD, { scryptN: 1024 }));
    for (const suffix of ["", "-wal", "-shm"]) rmSync(join(dir, m.name, `signer.db${suffix}`), { force: true });
    const partialsBefore = (await client(0).events(0, "partial-signature")).length;
    await restart(4);
    await waitFor("the recovered epoch 2 share", () => members[4]!.node.shareEpochs().includes(2));
    const recovered = (await decryptKeystore(readFileSync(keystoreFile, "utf8"), PASSWORD)).shares.find((s) => s.epoch === 2)!;
    expect(recovered).toEqual(lost);
    // It replayed every request from block 0: the chain already holds its partials.
    await waitFor("caught up", async () => (members[4]!.node.database?.cursor("follower") ?? 0) > (await client(0).events(0)).at(-1)!.blockHeight);
    expect((await client(0).events(0, "partial-signature")).length).toBe(partialsBefore);
    expect(members[4]!.events.filter((e) => e.event === "signed" || e.event === "dealt" || e.event === "voted")).toEqual([]);
  });

  it("a wrong keystore password and a bad configuration give clear errors", async () => {
    const m = members[0]!;
    const wrong = new SignerNode({ config: loadConfig(m.configFile), env: { ...m.env, DTS_TEST_IDENTITY_PASSWORD: "not it" } });
    await expect(wrong.start()).rejects.toThrow(SignerError);
    await expect(
      new SignerNode({ config: loadConfig(m.configFile), env: { ...m.env, DTS_TEST_IDENTITY_PASSWORD: "not it" } }).start(),
    ).rejects.toThrow(`${join(dir, m.name, "identity.json")}: wrong password (from DTS_TEST_IDENTITY_PASSWORD), or the file is damaged`);
    await expect(new SignerNode({ config: loadConfig(m.configFile), env: { ...m.env, DTS_TEST_IDENTITY_PASSWORD: "" } }).start()).rejects.toThrow(
      "set DTS_TEST_IDENTITY_PASSWORD",
    );
    // A keystore that is not the one this database (and this registered account) belongs to.
    const other = join(dir, "other.toml");
    writeFileSync(other, toml(m).replace(`${m.name}/identity.json`, `${m.name}/other-identity.json`));
    await expect(new SignerNode({ config: loadConfig(other), env: m.env }).start()).rejects.toThrow(
      `database ${join(dir, m.name, "signer.db")} belongs to identity key ${toHex(m.node.publicKey!).slice(0, 16)}…, not to the one in ${join(dir, m.name, "other-identity.json")}`,
    );
    const bad = join(dir, "bad.toml");
    writeFileSync(bad, toml({ name: "bad" }).replace(`dkg_phase_blocks = ${K}`, "dkg_phase_blocks = 1"));
    expect(() => loadConfig(bad)).toThrow("signer.dkg_phase_blocks must be in 2..10000, got 1");
    writeFileSync(bad, toml({ name: "bad" }).replace(/\[signer\][\s\S]*/, ""));
    expect(() => new SignerNode({ config: loadConfig(bad) })).toThrow("missing section [signer]");
  });
});
