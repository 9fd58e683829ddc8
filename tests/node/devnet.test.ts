import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type MempoolTransaction, type Transaction } from "@stacks/blockchain-api-client";
import { STACKS_DEVNET, type StacksNetwork } from "@stacks/network";
import {
  broadcastTransaction,
  Cl,
  ClarityVersion,
  cvToString,
  deserializeTransaction,
  fetchAbi,
  fetchCallReadOnlyFunction,
  fetchFeeEstimate,
  fetchNonce,
  makeContractCall,
  makeContractDeploy,
  makeSTXTokenTransfer,
  Pc,
  PostConditionMode,
  randomPrivateKey,
  privateKeyToAddress,
  type StacksTransactionWire,
  type TxBroadcastResult,
} from "@stacks/transactions";
import { generateWallet } from "@stacks/wallet-sdk";
import { publicKeyOf } from "../../src/crypto/index.js";
import { startDevnet, type Devnet, type DevnetAccount } from "../../src/devnet/index.js";

interface Key {
  address: string;
  key: string;
}

async function keyOf(account: DevnetAccount): Promise<Key> {
  const wallet = await generateWallet({ secretKey: account.mnemonic, password: "" });
  const key = wallet.accounts[0].stxPrivateKey;
  expect(privateKeyToAddress(key, "devnet")).toBe(account.address);
  return { address: account.address, key };
}

/** The real clients, with a fetch that records the HTTP status of each response. */
function clientsFor(devnet: Devnet) {
  const statuses: number[] = [];
  const fetchRecording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    statuses.push(response.status);
    return response;
  };
  const network: StacksNetwork = { ...STACKS_DEVNET, client: { baseUrl: devnet.url, fetch: fetchRecording } };
  const hiro = createClient({ baseUrl: devnet.url });
  return { network, hiro, statuses };
}

/** The one non-standard route: POST /devnet/mine. */
async function mine(devnet: Devnet, body: { blocks?: number; burnBlocks?: number }) {
  const response = await fetch(`${devnet.url}/devnet/mine`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return (await response.json()) as { stacks_tip_height: number; burn_block_height: number; mempool_size: number };
}

/** A transaction record of a mined block (the Hiro client types a mempool record too). */
function asMined(record: Transaction | MempoolTransaction): Transaction {
  if (!("block_height" in record)) throw new Error(`transaction ${record.tx_id} is ${record.tx_status}, not mined`);
  return record;
}

function txidOf(result: TxBroadcastResult): string {
  if ("error" in result) throw new Error(`rejected: ${JSON.stringify(result)}`);
  return result.txid;
}

describe("devnet node with the contract deployed", () => {
  let devnet: Devnet;
  let c: ReturnType<typeof clientsFor>;
  let deployer: Key;
  let wallet1: Key;
  let wallet2: Key;
  let contractAddress: string;

  beforeAll(async () => {
    devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
    c = clientsFor(devnet);
    const byName = new Map(devnet.accounts.map((a) => [a.name, a]));
    deployer = await keyOf(byName.get("deployer")!);
    wallet1 = await keyOf(byName.get("wallet_1")!);
    wallet2 = await keyOf(byName.get("wallet_2")!);
    contractAddress = devnet.contractId.split(".")[0];
    expect(devnet.contractId).toBe(`${deployer.address}.dts`);
  }, 60_000);

  afterAll(async () => {
    await devnet?.close();
  });

  async function tx(status: string, txid: string) {
    const { data, error, response } = await c.hiro.GET("/extended/v1/tx/{tx_id}", { params: { path: { tx_id: txid } } });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data!.tx_status).toBe(status);
    return data!;
  }

  async function minedTx(status: Transaction["tx_status"], txid: string): Promise<Transaction> {
    return asMined(await tx(status, txid));
  }

  it("runs a contract call whose result and print event read back through the Hiro client", async () => {
    const before = await c.hiro.GET("/extended/v1/address/{principal}/stx", { params: { path: { principal: deployer.address } } });
    const balanceBefore = BigInt(before.data!.balance);
    // nonce and fee come from the node (nonces endpoint, fee estimate)
    const call = await makeContractCall({
      contractAddress,
      contractName: "dts",
      functionName: "initialize",
      functionArgs: [Cl.uint(100_000_000), Cl.uint(3), Cl.uint(5), Cl.uint(144), Cl.uint(3)],
      senderKey: deployer.key,
      network: c.network,
    });
    expect(call.auth.spendingCondition.nonce).toBe(0n);
    const fee = call.auth.spendingCondition.fee;
    expect(fee).toBe(BigInt(await fetchFeeEstimate({ transaction: call, network: c.network })));
    expect(fee).toBeGreaterThan(0n);
    const txid = txidOf(await broadcastTransaction({ transaction: call, network: c.network }));
    expect(txid).toBe(call.txid());

    const pending = await tx("pending", `0x${txid}`);
    expect(pending.tx_type).toBe("contract_call");
    const nonces = await c.hiro.GET("/extended/v1/address/{principal}/nonces", { params: { path: { principal: deployer.address } } });
    expect(nonces.data).toEqual({
      last_executed_tx_nonce: null,
      last_mempool_tx_nonce: 0,
      possible_next_nonce: 1,
      detected_missing_nonces: [],
      detected_mempool_nonces: [0],
    });

    const heights = await mine(devnet, { blocks: 1 });
    const mined = await minedTx("success", txid);
    expect(mined.tx_result.repr).toBe("(ok true)");
    expect(mined.tx_result.hex).toBe("0x0703");
    expect(mined.block_height).toBe(heights.stacks_tip_height);
    expect(mined.sender_address).toBe(deployer.address);
    expect(mined.nonce).toBe(0);
    expect(mined.fee_rate).toBe(fee.toString());
    if (mined.tx_type !== "contract_call") throw new Error("not a contract call");
    expect(mined.contract_call.contract_id).toBe(devnet.contractId);
    expect(mined.contract_call.function_name).toBe("initialize");
    expect(mined.contract_call.function_args?.map((a) => [a.name, a.repr])).toEqual([
      ["min-stake", "u100000000"],
      ["required-signers", "u3"],
      ["total-signers", "u5"],
      ["rotation-period", "u144"],
      ["signature-threshold", "u3"],
    ]);
    const logs = mined.events.filter((e) => e.event_type === "smart_contract_log");
    expect(logs.length).toBeGreaterThanOrEqual(1);
    expect(mined.event_count).toBe(mined.events.length);

    const events = await c.hiro.GET("/extended/v1/contract/{contract_id}/events", { params: { path: { contract_id: devnet.contractId }, query: { limit: 10 } } });
    expect(events.error).toBeUndefined();
    const results = events.data!.results;
    expect(results.length).toBe(logs.length);
    const first = results[0];
    if (first.event_type !== "smart_contract_log") throw new Error("not a contract log");
    expect(first.tx_id).toBe(`0x${txid}`);
    expect(first.contract_log.contract_id).toBe(devnet.contractId);
    expect(first.contract_log.topic).toBe("print");
    expect(first.contract_log.value.repr).toContain("initialized");
    expect((first as unknown as { block_height: number }).block_height).toBe(mined.block_height);

    // state, nonce and the fee paid
    const config = await fetchCallReadOnlyFunction({
      contractAddress,
      contractName: "dts",
      functionName: "get-config",
      functionArgs: [],
      senderAddress: wallet1.address,
      network: c.network,
    });
    expect(cvToString(config)).toContain("(initialized true)");
    expect(cvToString(config)).toContain("(min-stake u100000000)");
    expect(await fetchNonce({ address: deployer.address, network: c.network })).toBe(1n);
    const after = await c.hiro.GET("/extended/v1/address/{principal}/stx", { params: { path: { principal: deployer.address } } });
    expect(balanceBefore - BigInt(after.data!.balance)).toBe(fee);
  });

  it("answers read-only calls and serves the contract's ABI", async () => {
    const info = await fetchCallReadOnlyFunction({
      contractAddress,
      contractName: "dts",
      functionName: "get-signer-info",
      functionArgs: [Cl.principal(wallet2.address)],
      senderAddress: wallet2.address,
      network: c.network,
    });
    expect(info).toEqual(Cl.none());
    const abi = await fetchAbi({ contractAddress, contractName: "dts", network: c.network });
    const register = abi.functions.find((f) => f.name === "register-signer");
    expect(register?.access).toBe("public");
    expect(register?.args).toEqual([{ name: "public-key", type: { buffer: { length: 48 } } }]);
    await expect(fetchAbi({ contractAddress, contractName: "nope", network: c.network })).rejects.toThrow(/404/);
  });

  it("rejects a bad nonce with the node's 400 body", async () => {
    const stale = await makeContractCall({
      contractAddress,
      contractName: "dts",
      functionName: "initialize",
      functionArgs: [Cl.uint(1), Cl.uint(3), Cl.uint(5), Cl.uint(144), Cl.uint(3)],
      senderKey: deployer.key,
      nonce: 0n,
      fee: 10_000n,
      network: c.network,
    });
    c.statuses.length = 0;
    const result = await broadcastTransaction({ transaction: stale, network: c.network });
    expect(c.statuses).toEqual([400]);
    expect(result).toEqual({
      error: "transaction rejected",
      reason: "BadNonce",
      reason_data: { expected: 1, actual: 0, principal: deployer.address, is_origin: true },
      txid: stale.txid(),
    });
  });

  it("rejects a tampered signature", async () => {
    const signed = await makeSTXTokenTransfer({ recipient: wallet1.address, amount: 1000n, senderKey: wallet2.key, fee: 10_000n, nonce: 0n, network: c.network });
    // a copy whose fee changed after signing: the signature no longer matches the signer
    const tampered: StacksTransactionWire = deserializeTransaction(signed.serialize());
    tampered.setFee(20_000n);
    c.statuses.length = 0;
    const result = await broadcastTransaction({ transaction: tampered, network: c.network });
    expect(c.statuses).toEqual([400]);
    expect(result).toMatchObject({ error: "transaction rejected", reason: "SignatureValidation", txid: tampered.txid() });
    expect((result as { reason_data: { message: string } }).reason_data.message).toMatch(/Signer hash does not equal/);
    // the untouched one is fine
    expect(txidOf(await broadcastTransaction({ transaction: signed, network: c.network }))).toBe(signed.txid());
    await mine(devnet, {});
    const landed = await minedTx("success", signed.txid());
    expect(landed.events).toEqual([
      expect.objectContaining({ event_type: "stx_asset", asset: expect.objectContaining({ asset_event_type: "transfer", sender: wallet2.address, recipient: wallet1.address, amount: "1000" }) }),
    ]);
  });

  it("rejects a transaction its sender cannot pay for", async () => {
    const pauper = randomPrivateKey();
    const broke = await makeSTXTokenTransfer({ recipient: wallet1.address, amount: 1n, senderKey: pauper, fee: 1_000n, nonce: 0n, network: c.network });
    c.statuses.length = 0;
    const result = await broadcastTransaction({ transaction: broke, network: c.network });
    expect(c.statuses).toEqual([400]);
    expect(result).toEqual({
      error: "transaction rejected",
      reason: "NotEnoughFunds",
      reason_data: { expected: `0x${(1001).toString(16).padStart(32, "0")}`, actual: `0x${"0".repeat(32)}` },
      txid: broke.txid(),
    });
    const tooMuch = await makeSTXTokenTransfer({ recipient: wallet1.address, amount: 10n ** 15n, senderKey: wallet2.key, fee: 1_000n, network: c.network });
    const r2 = await broadcastTransaction({ transaction: tooMuch, network: c.network });
    expect(r2).toMatchObject({ reason: "NotEnoughFunds" });
  });

  it("lands 20 concurrent calls from one account, with consecutive nonces, in one block", async () => {
    const first = await fetchNonce({ address: wallet1.address, network: c.network });
    const txs = [];
    for (let i = 0; i < 20; i++) {
      txs.push(
        await makeContractCall({
          contractAddress,
          contractName: "dts",
          functionName: "initialize", // not the deployer: always (err u100)
          functionArgs: [Cl.uint(1), Cl.uint(3), Cl.uint(5), Cl.uint(144), Cl.uint(3)],
          senderKey: wallet1.key,
          nonce: first + BigInt(i),
          fee: 5_000n,
          network: c.network,
        }),
      );
    }
    // broadcast all at once, in reverse order: future nonces wait in the mempool
    const results = await Promise.all(txs.slice().reverse().map((t) => broadcastTransaction({ transaction: t, network: c.network })));
    expect(results.map(txidOf).reverse()).toEqual(txs.map((t) => t.txid()));
    const nonces = await c.hiro.GET("/extended/v1/address/{principal}/nonces", { params: { path: { principal: wallet1.address } } });
    expect(nonces.data!.detected_mempool_nonces).toHaveLength(20);
    expect(nonces.data!.possible_next_nonce).toBe(Number(first) + 20);

    const heights = await mine(devnet, { blocks: 1 });
    expect(heights.mempool_size).toBe(0);
    const landed = await Promise.all(txs.map((t) => minedTx("abort_by_response", t.txid())));
    expect(landed.map((t) => t.nonce)).toEqual(txs.map((_, i) => Number(first) + i));
    expect(new Set(landed.map((t) => t.block_height))).toEqual(new Set([heights.stacks_tip_height]));
    expect(landed.map((t) => t.tx_index)).toEqual([...landed.map((t) => t.tx_index)].sort((a, b) => a - b));
    expect(landed.every((t) => t.tx_result.repr === "(err u100)")).toBe(true);
    expect(await fetchNonce({ address: wallet1.address, network: c.network })).toBe(first + 20n);
  });

  it("aborts a call that breaks its post-conditions: fee and nonce kept, effects rolled back", async () => {
    const balance = async (p: string) => BigInt((await c.hiro.GET("/extended/v1/address/{principal}/stx", { params: { path: { principal: p } } })).data!.balance);
    const signerInfo = () =>
      fetchCallReadOnlyFunction({ contractAddress, contractName: "dts", functionName: "get-signer-info", functionArgs: [Cl.principal(wallet2.address)], senderAddress: wallet2.address, network: c.network });
    const before = await balance(wallet2.address);
    const nonce = await fetchNonce({ address: wallet2.address, network: c.network });
    const key = Cl.buffer(publicKeyOf(0x5eed_1234n));
    const register = (n: bigint, postConditions: ReturnType<ReturnType<ReturnType<typeof Pc.principal>["willSendEq"]>["ustx"]>[]) =>
      makeContractCall({
        contractAddress,
        contractName: "dts",
        functionName: "register-signer",
        functionArgs: [key],
        senderKey: wallet2.key,
        nonce: n,
        fee: 2_000n,
        postConditionMode: PostConditionMode.Deny,
        postConditions,
        network: c.network,
      });
    // the stake (min-stake = 100 STX) leaves the sender, but no post-condition allows it
    const denied = await register(nonce, []);
    const allowed = await register(nonce + 1n, [Pc.principal(wallet2.address).willSendEq(100_000_000n).ustx()]);
    txidOf(await broadcastTransaction({ transaction: denied, network: c.network }));
    txidOf(await broadcastTransaction({ transaction: allowed, network: c.network }));
    await mine(devnet, {});
    const aborted = await minedTx("abort_by_post_condition", denied.txid());
    expect(aborted.events).toEqual([]);
    expect(aborted.post_condition_mode).toBe("deny");
    const ok = await minedTx("success", allowed.txid());
    expect(ok.post_conditions).toEqual([{ principal: { type_id: "principal_standard", address: wallet2.address }, condition_code: "sent_equal_to", amount: "100000000", type: "stx" }]);
    expect(ok.block_height).toBe(aborted.block_height);
    expect(ok.events).toContainEqual(
      expect.objectContaining({ event_type: "stx_asset", asset: expect.objectContaining({ sender: wallet2.address, recipient: devnet.contractId, amount: "100000000" }) }),
    );
    // one stake and two fees left the account; the aborted call still used its nonce
    expect(await balance(wallet2.address)).toBe(before - 100_000_000n - 4_000n);
    expect(await fetchNonce({ address: wallet2.address, network: c.network })).toBe(nonce + 2n);
    expect(cvToString(await signerInfo())).toContain(`(public-key 0x${Buffer.from(publicKeyOf(0x5eed_1234n)).toString("hex")})`);
  });

  it("replaces a pending transaction by a higher fee, and refuses a same-fee conflict", async () => {
    const wallet6 = await keyOf(devnet.accounts.find((a) => a.name === "wallet_6")!);
    const send = (amount: bigint, fee: bigint) => makeSTXTokenTransfer({ recipient: wallet1.address, amount, senderKey: wallet6.key, fee, nonce: 0n, network: c.network });
    const first = await send(100n, 1_000n);
    const same = await send(200n, 1_000n);
    const higher = await send(300n, 5_000n);
    txidOf(await broadcastTransaction({ transaction: first, network: c.network }));
    expect(await broadcastTransaction({ transaction: same, network: c.network })).toMatchObject({ reason: "ConflictingNonceInMempool", txid: same.txid() });
    txidOf(await broadcastTransaction({ transaction: higher, network: c.network }));
    const replaced = await tx("dropped_replace_by_fee", first.txid());
    expect("replaced_by_tx_id" in replaced && replaced.replaced_by_tx_id).toBe(`0x${higher.txid()}`);
    await mine(devnet, {});
    const landed = await minedTx("success", higher.txid());
    if (landed.tx_type !== "token_transfer") throw new Error("not a transfer");
    expect(landed.token_transfer.amount).toBe("300");
    const notFound = await c.hiro.GET("/extended/v1/tx/{tx_id}", { params: { path: { tx_id: same.txid() } } });
    expect(notFound.response.status).toBe(404);
    expect(notFound.error).toMatchObject({ error: "could not find transaction by ID" });
  });

  it("advances Stacks and Bitcoin blocks separately on demand, and read-only calls see each block", async () => {
    const status = async () => (await c.hiro.GET("/extended")).data!.chain_tip!;
    // get-clock reads both heights: a read-only result may be reused within a block, never after it
    const clock = async () => {
      const value = await fetchCallReadOnlyFunction({ contractAddress, contractName: "dts", functionName: "get-clock", functionArgs: [], senderAddress: wallet2.address, network: c.network });
      return cvToString(value);
    };
    const before = await status();
    const clockBefore = await clock();
    expect(await clock()).toBe(clockBefore);
    expect(clockBefore).toContain(`(burn-now u${before.burn_block_height})`);
    const a = await mine(devnet, { blocks: 3 });
    expect(a.stacks_tip_height).toBe(before.block_height + 3);
    expect(a.burn_block_height).toBe(before.burn_block_height);
    const clockA = await clock();
    expect(clockA).not.toBe(clockBefore);
    expect(clockA).toContain(`(burn-now u${before.burn_block_height})`);
    const b = await mine(devnet, { burnBlocks: 2 });
    expect(b.burn_block_height).toBe(before.burn_block_height + 2);
    expect(b.stacks_tip_height).toBeGreaterThan(a.stacks_tip_height);
    expect(await status()).toMatchObject({ block_height: b.stacks_tip_height, burn_block_height: b.burn_block_height });
    expect(await clock()).toContain(`(burn-now u${b.burn_block_height})`);
    await devnet.mine(1, 1);
    expect(await status()).toMatchObject({ burn_block_height: b.burn_block_height + 1 });
    expect(await clock()).toContain(`(burn-now u${b.burn_block_height + 1})`);
  });
});

describe("devnet node without the contract", () => {
  let devnet: Devnet;
  let c: ReturnType<typeof clientsFor>;
  let deployer: Key;

  beforeAll(async () => {
    devnet = await startDevnet({ port: 0, blockTimeMs: 0, deployContract: false });
    c = clientsFor(devnet);
    deployer = await keyOf(devnet.accounts.find((a) => a.name === "deployer")!);
  }, 60_000);

  afterAll(async () => {
    await devnet?.close();
  });

  it("deploys dts through POST /v2/transactions, then runs it", async () => {
    const [address, name] = devnet.contractId.split(".");
    await expect(fetchAbi({ contractAddress: address, contractName: name, network: c.network })).rejects.toThrow(/404/);
    const deploy = await makeContractDeploy({
      contractName: "dts",
      codeBody: readFileSync("contracts/dts.clar", "utf8"),
      clarityVersion: ClarityVersion.Clarity4,
      senderKey: deployer.key,
      network: c.network,
    });
    const txid = txidOf(await broadcastTransaction({ transaction: deploy, network: c.network }));
    await devnet.mine();
    const data = asMined((await c.hiro.GET("/extended/v1/tx/{tx_id}", { params: { path: { tx_id: txid } } })).data!);
    expect(data.tx_status).toBe("success");
    expect(data.tx_result.repr).toBe("(ok true)");
    if (data.tx_type !== "smart_contract") throw new Error("not a deploy");
    expect(data.smart_contract.contract_id).toBe(devnet.contractId);
    expect(data.smart_contract.clarity_version).toBe(4);
    const abi = await fetchAbi({ contractAddress: address, contractName: name, network: c.network });
    expect(abi.functions.some((f) => f.name === "initialize")).toBe(true);

    // the same name again is refused at the door
    const again = await makeContractDeploy({ contractName: "dts", codeBody: "(define-read-only (f) u1)", clarityVersion: ClarityVersion.Clarity4, senderKey: deployer.key, network: c.network });
    expect(await broadcastTransaction({ transaction: again, network: c.network })).toMatchObject({
      reason: "ContractAlreadyExists",
      reason_data: { contract_identifier: devnet.contractId },
    });

    const init = await makeContractCall({
      contractAddress: address,
      contractName: name,
      functionName: "initialize",
      functionArgs: [Cl.uint(100_000_000), Cl.uint(3), Cl.uint(5), Cl.uint(144), Cl.uint(3)],
      senderKey: deployer.key,
      network: c.network,
    });
    txidOf(await broadcastTransaction({ transaction: init, network: c.network }));
    await devnet.mine();
    const config = await fetchCallReadOnlyFunction({ contractAddress: address, contractName: name, functionName: "get-config", functionArgs: [], senderAddress: deployer.address, network: c.network });
    expect(cvToString(config)).toContain("(initialized true)");
  });

  it("rolls back a call that hits a runtime error and keeps the rest of its block", async () => {
    const wallet3 = await keyOf(devnet.accounts.find((a) => a.name === "wallet_3")!);
    const deploy = await makeContractDeploy({
      contractName: "divider",
      codeBody: "(define-data-var last uint u0)\n(define-public (divide (n uint)) (begin (var-set last n) (ok (/ u100 n))))\n(define-read-only (get-last) (var-get last))",
      clarityVersion: ClarityVersion.Clarity4,
      senderKey: wallet3.key,
      network: c.network,
    });
    txidOf(await broadcastTransaction({ transaction: deploy, network: c.network }));
    await devnet.mine();
    const call = (n: number, nonce: bigint) =>
      makeContractCall({ contractAddress: wallet3.address, contractName: "divider", functionName: "divide", functionArgs: [Cl.uint(n)], senderKey: wallet3.key, nonce, fee: 3_000n, network: c.network });
    const nonce = await fetchNonce({ address: wallet3.address, network: c.network });
    const [good, boom, after] = [await call(4, nonce), await call(0, nonce + 1n), await call(5, nonce + 2n)];
    for (const t of [good, boom, after]) txidOf(await broadcastTransaction({ transaction: t, network: c.network }));
    // a wrong argument type never reaches the mempool
    const wrong = await makeContractCall({ contractAddress: wallet3.address, contractName: "divider", functionName: "divide", functionArgs: [Cl.int(1)], senderKey: wallet3.key, nonce: nonce + 3n, fee: 3_000n, network: c.network });
    expect(await broadcastTransaction({ transaction: wrong, network: c.network })).toMatchObject({ reason: "BadFunctionArgument" });
    await devnet.mine();
    const get = async (t: StacksTransactionWire) => asMined((await c.hiro.GET("/extended/v1/tx/{tx_id}", { params: { path: { tx_id: t.txid() } } })).data!);
    const [g, b, a] = [await get(good), await get(boom), await get(after)];
    expect([g.tx_status, b.tx_status, a.tx_status]).toEqual(["success", "abort_by_response", "success"]);
    expect(b.vm_error).toMatch(/DivisionByZero|Runtime/);
    expect(new Set([g.block_height, b.block_height, a.block_height]).size).toBe(1);
    expect([g.tx_result.repr, a.tx_result.repr]).toEqual(["(ok u25)", "(ok u20)"]);
    const last = await fetchCallReadOnlyFunction({ contractAddress: wallet3.address, contractName: "divider", functionName: "get-last", functionArgs: [], senderAddress: wallet3.address, network: c.network });
    expect(last).toEqual(Cl.uint(5));
    expect(await fetchNonce({ address: wallet3.address, network: c.network })).toBe(nonce + 3n);
  });
});

describe("devnet node mining on a timer", () => {
  it("mines the mempool without being asked", async () => {
    const devnet = await startDevnet({ port: 0, blockTimeMs: 150, deployContract: false });
    try {
      const c = clientsFor(devnet);
      const [from, to] = devnet.accounts.filter((a) => a.name === "wallet_4" || a.name === "wallet_5");
      const sender = await keyOf(from);
      const transfer = await makeSTXTokenTransfer({ recipient: to.address, amount: 12_345n, senderKey: sender.key, memo: "timer", network: c.network });
      const txid = txidOf(await broadcastTransaction({ transaction: transfer, network: c.network }));
      let status = "pending";
      for (let i = 0; i < 100 && status === "pending"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await c.hiro.GET("/extended/v1/tx/{tx_id}", { params: { path: { tx_id: txid } } })).data!.tx_status;
      }
      expect(status).toBe("success");
      const record = asMined((await c.hiro.GET("/extended/v1/tx/{tx_id}", { params: { path: { tx_id: txid } } })).data!);
      if (record.tx_type !== "token_transfer") throw new Error("not a transfer");
      expect(record.token_transfer).toMatchObject({ recipient_address: to.address, amount: "12345" });
      const tip = (await c.hiro.GET("/extended")).data!.chain_tip!.block_height;
      await new Promise((r) => setTimeout(r, 600));
      expect((await c.hiro.GET("/extended")).data!.chain_tip!.block_height).toBeGreaterThan(tip); // empty blocks keep coming
    } finally {
      await devnet.close();
    }
  }, 60_000);
});
