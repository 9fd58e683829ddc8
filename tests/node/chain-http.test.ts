// The HTTP backend's parts that need no node: retries, the nonce allocator, the wait for a
// transaction, keys and the keystore.
import { createServer, type Server } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { privateKeyToAddress } from "@stacks/transactions";
import { HttpBackend, NonceAllocator, retryingFetch } from "../../src/chain/http.js";
import { BroadcastRejectedError, NodeError, TxTimeoutError } from "../../src/chain/errors.js";
import { checkPrivateKey, decryptStacksKey, encryptStacksKey, KeyError, loadPrivateKey, privateKeyFromMnemonic } from "../../src/chain/keys.js";

const DEPLOYER_MNEMONIC =
  "twice kind fence tip hidden tilt action fragile skin nothing glory cousin green tomorrow spring wrist shed math olympic multiply hip blue scout claw";
const DEPLOYER = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";

function fakeFetch(answers: (Response | Error)[]) {
  const calls: string[] = [];
  const fetch = (async (input: RequestInfo | URL) => {
    calls.push(String(input));
    const next = answers.shift();
    if (!next) throw new Error("no more answers");
    if (next instanceof Error) throw next;
    return next;
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

function connectionError(code: string): Error {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(code), { code }) });
}

describe("retryingFetch", () => {
  it("retries connection errors, 5xx and 429 with backoff, then returns the answer", async () => {
    const fake = fakeFetch([connectionError("ECONNREFUSED"), new Response("busy", { status: 503 }), new Response("slow down", { status: 429 }), connectionError("ECONNRESET"), new Response("ok")]);
    const retries: string[] = [];
    const fetch = retryingFetch({ fetch: fake.fetch, baseDelayMs: 1, onRetry: (r) => retries.push(r.reason) });
    const response = await fetch("http://node.test/v2/info");
    expect(await response.text()).toBe("ok");
    expect(fake.calls).toHaveLength(5);
    expect(retries).toEqual(["ECONNREFUSED", "HTTP 503", "HTTP 429", "ECONNRESET"]);
  });

  it("does not retry a client error, nor an error that is not a connection failure", async () => {
    const fake = fakeFetch([new Response("bad", { status: 400 })]);
    expect((await retryingFetch({ fetch: fake.fetch, baseDelayMs: 1 })("http://node.test/x")).status).toBe(400);
    expect(fake.calls).toHaveLength(1);
    const other = fakeFetch([new Error("boom")]);
    await expect(retryingFetch({ fetch: other.fetch, baseDelayMs: 1 })("http://node.test/x")).rejects.toThrow("boom");
    expect(other.calls).toHaveLength(1);
  });

  it("gives up after the last attempt with a NodeError naming the node, or the last 5xx answer", async () => {
    const fake = fakeFetch(Array.from({ length: 3 }, () => connectionError("ECONNREFUSED")));
    const error = await retryingFetch({ fetch: fake.fetch, retries: 2, baseDelayMs: 1 })("http://127.0.0.1:9/v2/info").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeError);
    expect((error as Error).message).toBe("cannot reach the node at http://127.0.0.1:9 (ECONNREFUSED after 3 attempts)");
    const busy = fakeFetch([new Response("", { status: 502 }), new Response("", { status: 502 })]);
    expect((await retryingFetch({ fetch: busy.fetch, retries: 1, baseDelayMs: 1 })("http://node.test/x")).status).toBe(502);
  });

  it("really retries against a port that opens late", async () => {
    const server = createServer((_, res) => res.end("up"));
    const port = await new Promise<number>((r) => server.listen(0, "127.0.0.1", () => r((server.address() as { port: number }).port)));
    await new Promise<void>((r) => server.close(() => r()));
    const late = createServer((_, res) => res.end("up"));
    setTimeout(() => late.listen(port, "127.0.0.1"), 150);
    try {
      const response = await retryingFetch({ baseDelayMs: 50, retries: 6 })(`http://127.0.0.1:${port}/`);
      expect(await response.text()).toBe("up");
    } finally {
      late.close();
    }
  });
});

describe("NonceAllocator", () => {
  it("hands 20 concurrent users consecutive nonces, one at a time, asking the node once", async () => {
    let asked = 0;
    const nonces = new NonceAllocator(async () => {
      asked++;
      return 7n;
    });
    let inside = 0;
    let most = 0;
    const got = await Promise.all(
      Array.from({ length: 20 }, () =>
        nonces.use("ST1", async (n) => {
          most = Math.max(most, ++inside);
          await new Promise((r) => setTimeout(r, Math.random() * 5));
          inside--;
          return n;
        }),
      ),
    );
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => 7n + BigInt(i)));
    expect(most).toBe(1);
    expect(asked).toBe(1);
    expect(nonces.peek("ST1")).toBe(27n);
  });

  it("resyncs from the node after BadNonce and retries; keeps an unused nonce after another rejection", async () => {
    let chainNonce = 5n;
    const nonces = new NonceAllocator(async () => chainNonce);
    expect(await nonces.use("ST1", async (n) => n)).toBe(5n);
    // Another process sent two transactions meanwhile.
    chainNonce = 8n;
    const tried: bigint[] = [];
    const sent = await nonces.use("ST1", async (n) => {
      tried.push(n);
      if (n < chainNonce) throw new BroadcastRejectedError("BadNonce", { expected: Number(chainNonce), actual: Number(n) }, null);
      return n;
    });
    expect(tried).toEqual([6n, 8n]);
    expect(sent).toBe(8n);
    await expect(
      nonces.use("ST1", async () => {
        throw new BroadcastRejectedError("NotEnoughFunds", { expected: 10, actual: 1 }, null);
      }),
    ).rejects.toThrow("transaction rejected by the node: NotEnoughFunds (expected 10, got 1)");
    expect(await nonces.use("ST1", async (n) => n)).toBe(9n);
  });
});

describe("waiting for a transaction", () => {
  let server: Server | null = null;
  afterEach(() => server?.close());

  it("times out with the txid while the node reports it pending", async () => {
    server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ tx_id: req.url!.split("/")[4]!.split("?")[0], tx_status: "pending" }));
    });
    const port = await new Promise<number>((r) => server!.listen(0, "127.0.0.1", () => r((server!.address() as { port: number }).port)));
    const backend = new HttpBackend({ network: "devnet", nodeUrl: `http://127.0.0.1:${port}`, contractId: `${DEPLOYER}.dts`, pollIntervalMs: 20 });
    const txid = `0x${"ab".repeat(32)}`;
    const error = await backend.waitForTx(txid, 150).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TxTimeoutError);
    expect((error as TxTimeoutError).txid).toBe(txid);
  });
});

describe("fee estimates", () => {
  let server: Server | null = null;
  afterEach(() => server?.close());

  async function node(handler: (url: string) => { status: number; body: string }): Promise<{ url: string; paths: string[] }> {
    const paths: string[] = [];
    server = createServer((req, res) => {
      paths.push(req.url!);
      const { status, body } = handler(req.url!);
      res.statusCode = status;
      res.end(body);
    });
    const port = await new Promise<number>((r) => server!.listen(0, "127.0.0.1", () => r((server!.address() as { port: number }).port)));
    return { url: `http://127.0.0.1:${port}`, paths };
  }

  async function tx() {
    const key = await privateKeyFromMnemonic(DEPLOYER_MNEMONIC, "m");
    const { makeContractCall, Cl } = await import("@stacks/transactions");
    return makeContractCall({ contractAddress: DEPLOYER, contractName: "dts", functionName: "claim-rewards", functionArgs: [Cl.uint(1)], senderKey: key, network: "testnet", fee: 0n, nonce: 0n });
  }

  it("takes the node's middle estimate, capped at maxFee", async () => {
    const n = await node(() => ({ status: 200, body: JSON.stringify({ estimations: [{ fee: 100, fee_rate: 1 }, { fee: 250, fee_rate: 2 }, { fee: 900, fee_rate: 3 }] }) }));
    expect(await new HttpBackend({ network: "testnet", nodeUrl: n.url, contractId: `${DEPLOYER}.dts` }).estimateFee(await tx())).toBe(250n);
    expect(await new HttpBackend({ network: "testnet", nodeUrl: n.url, contractId: `${DEPLOYER}.dts`, maxFee: 200n }).estimateFee(await tx())).toBe(200n);
    expect(n.paths).toEqual(["/v2/fees/transaction", "/v2/fees/transaction"]);
  });

  it("falls back to this node's transfer fee rate when it has no estimate, else to fallbackFee, else refuses", async () => {
    const n = await node((url) =>
      url === "/v2/fees/transfer" ? { status: 200, body: "3" } : { status: 400, body: JSON.stringify({ reason: "NoEstimateAvailable", reason_data: { message: "none" } }) },
    );
    const t = await tx();
    expect(await new HttpBackend({ network: "testnet", nodeUrl: n.url, contractId: `${DEPLOYER}.dts` }).estimateFee(t)).toBe(3n * BigInt(t.serializeBytes().length));
    expect(n.paths).toEqual(["/v2/fees/transaction", "/v2/fees/transfer"]);
    server!.close();
    const down = await node(() => ({ status: 404, body: "no" }));
    expect(await new HttpBackend({ network: "testnet", nodeUrl: down.url, contractId: `${DEPLOYER}.dts`, fallbackFee: 777n }).estimateFee(t)).toBe(777n);
    await expect(new HttpBackend({ network: "testnet", nodeUrl: down.url, contractId: `${DEPLOYER}.dts` }).estimateFee(t)).rejects.toThrow(/fee estimate failed: .*; set a fee/);
  });
});

describe("keys", () => {
  it("derives the devnet deployer's key from its mnemonic, and checks private keys without echoing them", async () => {
    const key = await privateKeyFromMnemonic(DEPLOYER_MNEMONIC, "DTS_MNEMONIC");
    expect(privateKeyToAddress(key, "testnet")).toBe(DEPLOYER);
    await expect(privateKeyFromMnemonic("twice kind fence secretword", "DTS_MNEMONIC")).rejects.toThrow(new KeyError("DTS_MNEMONIC is not a valid BIP-39 mnemonic"));
    expect(() => checkPrivateKey("12345678secret", "DTS_PRIVATE_KEY")).toThrow(/^DTS_PRIVATE_KEY is not a Stacks private key/);
    try {
      checkPrivateKey("12345678secret", "DTS_PRIVATE_KEY");
    } catch (e) {
      expect((e as Error).message).not.toContain("12345678secret");
    }
    expect(checkPrivateKey("a".repeat(64), "k")).toBe(`${"a".repeat(64)}01`);
  });

  it("encrypts a key into a keystore and opens it only with the password", async () => {
    const key = await privateKeyFromMnemonic(DEPLOYER_MNEMONIC, "m");
    const json = await encryptStacksKey(key, "correct horse", { scryptN: 1024 });
    expect(json).not.toContain(key.slice(0, 64));
    expect(await decryptStacksKey(json, "correct horse")).toBe(key);
    await expect(decryptStacksKey(json, "wrong", "ks.json")).rejects.toThrow(new KeyError("ks.json: wrong password, or the file is damaged"));
    const damaged = JSON.parse(json);
    damaged.crypto.cipher.message = damaged.crypto.cipher.message.replace(/^./, (c: string) => (c === "0" ? "1" : "0"));
    await expect(decryptStacksKey(JSON.stringify(damaged), "correct horse")).rejects.toThrow("wrong password, or the file is damaged");
  });

  it("takes the key from --keystore, --mnemonic-file, DTS_PRIVATE_KEY or DTS_MNEMONIC, in that order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dts-keys-"));
    const key = await privateKeyFromMnemonic(DEPLOYER_MNEMONIC, "m");
    const other = await privateKeyFromMnemonic(DEPLOYER_MNEMONIC, "m", 1);
    expect(other).not.toBe(key);
    writeFileSync(join(dir, "ks.json"), await encryptStacksKey(other, "pw", { scryptN: 1024 }));
    writeFileSync(join(dir, "mnemonic.txt"), `${DEPLOYER_MNEMONIC}\n`);
    const env = { DTS_PRIVATE_KEY: other, DTS_MNEMONIC: DEPLOYER_MNEMONIC, DTS_KEYSTORE_PASSWORD: "pw" };
    expect(await loadPrivateKey({ keystore: join(dir, "ks.json"), env })).toBe(other);
    expect(await loadPrivateKey({ mnemonicFile: join(dir, "mnemonic.txt"), env })).toBe(key);
    expect(await loadPrivateKey({ env })).toBe(other);
    expect(await loadPrivateKey({ env: { DTS_MNEMONIC: DEPLOYER_MNEMONIC } })).toBe(key);
    expect(await loadPrivateKey({ env: {} })).toBeNull();
    await expect(loadPrivateKey({ keystore: join(dir, "ks.json"), env: {} })).rejects.toThrow("set DTS_KEYSTORE_PASSWORD");
    await expect(loadPrivateKey({ keystore: join(dir, "missing.json"), env })).rejects.toThrow("cannot read the keystore");
    expect(await loadPrivateKey({ keystore: join(dir, "ks.json"), env: {}, askPassword: async () => "pw" })).toBe(other);
  });
});
