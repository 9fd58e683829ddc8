// The HTTP backend's parts that need no node: retries, the nonce allocator, the wait for a
// transaction, paging events, keys and the keystore; then, against the devnet node behind a
// faulty proxy: a broadcast retried after the node took it, and an API indexer that lags.
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Cl, cvToHex, privateKeyToAddress } from "@stacks/transactions";
import { HttpBackend, NonceAllocator, retryingFetch } from "../../src/chain/http.js";
import type { ContractEvent } from "../../src/chain/backend.js";
import { DtsClient } from "../../src/chain/client.js";
import { BroadcastRejectedError, NodeError, TxTimeoutError } from "../../src/chain/errors.js";
import { checkPrivateKey, decryptStacksKey, encryptStacksKey, KeyError, loadPrivateKey, privateKeyFromMnemonic } from "../../src/chain/keys.js";
import { generateIdentity } from "../../src/crypto/index.js";
import { startDevnet, type Devnet } from "../../src/devnet/index.js";
import { follow } from "../../src/roles/follow.js";

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

describe("a retried broadcast", () => {
  let server: Server | null = null;
  afterEach(() => server?.close());

  it("is not signed again when the retry is refused for its nonce and the API does not know the first post", async () => {
    const posted: string[] = [];
    server = createServer(async (req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/v2/transactions") {
        let body = "";
        for await (const chunk of req) body += chunk;
        posted.push(JSON.parse(body).tx);
        if (posted.length === 1) return res.writeHead(502).end("bad gateway");
        return res.writeHead(400).end(JSON.stringify({ error: "transaction rejected", reason: "BadNonce", reason_data: { expected: 1, actual: 0 } }));
      }
      if (req.url!.includes("/nonces")) return res.end(JSON.stringify({ possible_next_nonce: posted.length }));
      res.writeHead(404).end(JSON.stringify({ error: "could not find transaction by ID" }));
    });
    const port = await new Promise<number>((r) => server!.listen(0, "127.0.0.1", () => r((server!.address() as { port: number }).port)));
    const key = await privateKeyFromMnemonic(DEPLOYER_MNEMONIC, "m");
    const backend = new HttpBackend({ network: "devnet", nodeUrl: `http://127.0.0.1:${port}`, contractId: `${DEPLOYER}.dts`, keys: [key], fee: 1000n, retry: { baseDelayMs: 1 } });
    const error = await backend.submit("claim-rewards", [], DEPLOYER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeError);
    expect((error as Error).message).toMatch(/^claim-rewards: broadcast of 0x[0-9a-f]{64} was retried and then refused \(BadNonce\); the first attempt may have been accepted, so it is not sent again$/);
    expect(posted).toEqual([posted[0], posted[0]]);
  });
});

describe("paging a contract's events", () => {
  let server: Server | null = null;
  afterEach(() => server?.close());

  it("drops an event read twice because a newer one arrived between two page reads, and keeps chain order", async () => {
    const contractId = `${DEPLOYER}.dts`;
    // Event i (oldest first) is the only event of transaction i, in block i + 1.
    const entry = (i: number) => ({
      event_index: 0,
      event_type: "smart_contract_log",
      tx_id: `0x${i.toString(16).padStart(64, "0")}`,
      contract_log: { contract_id: contractId, topic: "print", value: { hex: cvToHex(Cl.tuple({ topic: Cl.stringAscii("tick"), n: Cl.uint(i) })), repr: "" } },
    });
    const events = Array.from({ length: 60 }, (_, i) => entry(i));
    let pages = 0;
    server = createServer((req, res) => {
      const url = new URL(req.url!, "http://node.test");
      res.setHeader("content-type", "application/json");
      if (url.pathname.endsWith("/events")) {
        const limit = Number(url.searchParams.get("limit"));
        const offset = Number(url.searchParams.get("offset"));
        const results = events.slice().reverse().slice(offset, offset + limit);
        // A new event is indexed right after the first page is read: every offset shifts by one.
        if (pages++ === 0) events.push(entry(60));
        return res.end(JSON.stringify({ limit, offset, results }));
      }
      const i = Number.parseInt(url.pathname.split("/").pop()!.slice(2), 16);
      res.end(JSON.stringify({ tx_id: entry(i).tx_id, tx_status: "success", block_height: i + 1, tx_index: 0 }));
    });
    const port = await new Promise<number>((r) => server!.listen(0, "127.0.0.1", () => r((server!.address() as { port: number }).port)));
    const backend = new HttpBackend({ network: "devnet", nodeUrl: `http://127.0.0.1:${port}`, contractId });
    const got = await backend.events(0);
    expect(pages).toBe(2);
    expect(got.map((e) => e.data.n)).toEqual(Array.from({ length: 60 }, (_, i) => BigInt(i)));
    expect(got.map((e) => e.blockHeight)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });
});

interface Answer {
  status: number;
  body: string;
}

/**
 * An HTTP proxy in front of the devnet node. `handle` answers a request itself, forwards it
 * (`forward`), or returns null after dropping the connection; undefined forwards it.
 */
async function startProxy(
  target: string,
  handle: (request: { method: string; url: string; body: string }, forward: (url?: string) => Promise<Answer>, socket: Socket) => Promise<Answer | null | undefined>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const forward = async (url = req.url!): Promise<Answer> => {
      const response = await fetch(`${target}${url}`, {
        method: req.method,
        headers: { "content-type": req.headers["content-type"] ?? "application/json" },
        body: req.method === "GET" ? undefined : body,
      });
      return { status: response.status, body: await response.text() };
    };
    const answer = await handle({ method: req.method!, url: req.url!, body }, forward, req.socket);
    if (answer === null) return;
    const { status, body: text } = answer ?? (await forward());
    res.writeHead(status, { "content-type": "application/json" });
    res.end(text);
  });
  const port = await new Promise<number>((r) => server.listen(0, "127.0.0.1", () => r((server.address() as { port: number }).port)));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe("the HTTP backend against the devnet node behind a faulty proxy", () => {
  let devnet: Devnet;
  let direct: HttpBackend;
  let keys: Record<string, string>;
  let signer: string;
  const closers: (() => Promise<void>)[] = [];

  /** Sends a call straight to the node, mines it and returns its outcome. */
  async function mined(fn: string, args: Parameters<HttpBackend["submit"]>[1], sender: string) {
    const { txid } = await direct.submit(fn, args, sender);
    await devnet.mine();
    return direct.waitForTx(txid);
  }

  const stakeOf = async (who: string) => (await new DtsClient(direct).getSignerInfo(who))!.stake;

  beforeAll(async () => {
    devnet = await startDevnet({ port: 0, blockTimeMs: 0 });
    const account = (name: string) => devnet.accounts.find((a) => a.name === name)!;
    keys = Object.fromEntries(await Promise.all(["deployer", "wallet_1"].map(async (name) => [name, await privateKeyFromMnemonic(account(name).mnemonic, name)])));
    direct = new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId, keys: Object.values(keys), fee: 10_000n, pollIntervalMs: 20 });
    signer = account("wallet_1").address;
    const init = await mined("initialize", [Cl.uint(100_000_000), Cl.uint(1), Cl.uint(1), Cl.uint(144), Cl.uint(1)], account("deployer").address);
    expect(init.ok).toBe(true);
    expect((await mined("register-signer", [Cl.buffer(generateIdentity().publicKey)], signer)).ok).toBe(true);
  }, 60_000);

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  afterAll(async () => {
    await devnet?.close();
  });

  // How the proxy spoils the first POST /v2/transactions, after the node has taken it (and,
  // for the first two, after a block has mined it): the client retries each time.
  const faults = {
    "a 502": async () => ({ status: 502, body: "bad gateway" }) as Answer,
    "a dropped connection": async (socket: Socket) => {
      socket.destroy();
      return null;
    },
  };

  for (const [fault, spoil] of Object.entries(faults)) {
    it(`sends increase-stake once when the node mined the first post and the client saw ${fault}`, async () => {
      const posts: string[] = [];
      const proxy = await startProxy(devnet.url, async (request, forward, socket) => {
        if (request.method !== "POST" || request.url !== "/v2/transactions") return undefined;
        posts.push(JSON.parse(request.body).tx);
        const answer = await forward();
        if (posts.length > 1) return answer;
        expect(answer.status).toBe(200);
        await devnet.mine();
        return spoil(socket);
      });
      closers.push(proxy.close);
      const backend = new HttpBackend({ network: "devnet", nodeUrl: proxy.url, contractId: devnet.contractId, keys: [keys.wallet_1!], fee: 10_000n, pollIntervalMs: 20, retry: { baseDelayMs: 1 } });
      const nonce = await direct.fetchNonce(signer);
      const stake = await stakeOf(signer);

      const sent = await backend.submit("increase-stake", [Cl.uint(1_000_000)], signer);
      await devnet.mine(2); // anything signed a second time lands too
      expect(posts).toHaveLength(2);
      expect(posts[1]).toBe(posts[0]);
      expect(sent.nonce).toBe(nonce);
      expect(backend.nonces.peek(signer)).toBe(nonce + 1n);
      expect(await direct.fetchNonce(signer)).toBe(nonce + 1n);
      expect(await stakeOf(signer)).toBe(stake + 1_000_000n);
      expect((await direct.waitForTx(sent.txid)).value).toBe(stake + 1_000_000n);
    }, 30_000);
  }

  it("takes a ConflictingNonceInMempool answer to a repeated post of a transaction the node holds as sent", async () => {
    const posts: string[] = [];
    const proxy = await startProxy(devnet.url, async (request, forward) => {
      if (request.method !== "POST" || request.url !== "/v2/transactions") return undefined;
      posts.push(JSON.parse(request.body).tx);
      const answer = await forward();
      if (posts.length === 1) return { status: 504, body: "gateway timeout" };
      // The node already holds this very transaction; some nodes refuse the repeat.
      const txid = JSON.parse(answer.body) as string;
      return { status: 400, body: JSON.stringify({ error: "transaction rejected", reason: "ConflictingNonceInMempool", txid }) };
    });
    closers.push(proxy.close);
    const backend = new HttpBackend({ network: "devnet", nodeUrl: proxy.url, contractId: devnet.contractId, keys: [keys.wallet_1!], fee: 10_000n, pollIntervalMs: 20, retry: { baseDelayMs: 1 } });
    const nonce = await direct.fetchNonce(signer);
    const stake = await stakeOf(signer);

    const sent = await backend.submit("increase-stake", [Cl.uint(2_000_000)], signer);
    await devnet.mine(2);
    expect(posts).toEqual([posts[0], posts[0]]);
    expect(backend.nonces.peek(signer)).toBe(nonce + 1n);
    expect(await direct.fetchNonce(signer)).toBe(nonce + 1n);
    expect(await stakeOf(signer)).toBe(stake + 2_000_000n);
    expect((await direct.waitForTx(sent.txid)).ok).toBe(true);
  }, 30_000);

  it("follows every event exactly once (follow and client.watch) while the API indexes each block two blocks late", async () => {
    // The API's view stops two blocks below the node's tip: its status, the contract's events
    // and transaction lookups know nothing newer (the node's /v2 routes are not delayed).
    let tipPolls = 0;
    const LAG = 2;
    const indexedTip = async () => (await direct.blockHeight()) - LAG;
    const proxy = await startProxy(devnet.url, async (request, forward) => {
      const url = new URL(request.url, "http://proxy");
      if (url.pathname === "/v2/info") tipPolls++;
      if (url.pathname === "/extended") {
        const indexed = await indexedTip();
        const status = JSON.parse((await forward()).body);
        return { status: 200, body: JSON.stringify({ ...status, chain_tip: { ...status.chain_tip, block_height: indexed } }) };
      }
      if (url.pathname.startsWith("/extended/v1/contract/") && url.pathname.endsWith("/events")) {
        const indexed = await indexedTip();
        const all: { block_height: number }[] = [];
        for (let offset = 0; ; offset += 50) {
          const page = JSON.parse((await forward(`${url.pathname}?limit=50&offset=${offset}`)).body);
          all.push(...page.results);
          if (page.results.length < 50) break;
        }
        const limit = Number(url.searchParams.get("limit") ?? 20);
        const offset = Number(url.searchParams.get("offset") ?? 0);
        const results = all.filter((e) => e.block_height <= indexed).slice(offset, offset + limit);
        return { status: 200, body: JSON.stringify({ limit, offset, results }) };
      }
      if (url.pathname.startsWith("/extended/v1/tx/")) {
        const indexed = await indexedTip();
        const answer = await forward();
        const record = JSON.parse(answer.body);
        if (typeof record.block_height === "number" && record.block_height > indexed) return { status: 404, body: JSON.stringify({ error: "could not find transaction by ID", tx_id: record.tx_id }) };
        return answer;
      }
      return undefined;
    });
    closers.push(proxy.close);
    const lagging = new HttpBackend({ network: "devnet", nodeUrl: proxy.url, contractId: devnet.contractId, pollIntervalMs: 20 });
    const seen: ContractEvent[] = [];
    const errors: unknown[] = [];
    const fromBlock = (await direct.blockHeight()) + 1;
    const watched: ContractEvent[] = [];
    const stopWatching = new AbortController();
    const watching = (async () => {
      for await (const event of new DtsClient(lagging).watch(fromBlock, { intervalMs: 10, signal: stopWatching.signal })) watched.push(event);
    })();
    const follower = follow({
      backend: lagging,
      fromBlock,
      pollIntervalMs: 10,
      onBlocks: async (events) => void seen.push(...events),
      onError: (error) => errors.push(error),
    });
    const polls = async (n: number) => {
      const until = tipPolls + n;
      while (tipPolls < until) await new Promise((r) => setTimeout(r, 5));
    };
    try {
      const amounts = [3n, 4n, 5n];
      for (const amount of amounts) {
        await mined("increase-stake", [Cl.uint(amount)], signer); // its block is the node's tip, not yet indexed
        await polls(3);
        for (let i = 0; i < LAG; i++) {
          await devnet.mine(); // the API catches up one block at a time
          await polls(3);
        }
      }
      expect(errors).toEqual([]);
      for (const events of [seen, watched]) {
        expect(events.filter((e) => e.topic === "stake-increased").map((e) => e.data.amount)).toEqual(amounts);
        expect(new Set(events.map((e) => `${e.txid}:${e.eventIndex}`)).size).toBe(events.length);
      }
      expect(follower.next).toBe((await direct.blockHeight()) - LAG + 1); // the last LAG blocks are not indexed yet
    } finally {
      await follower.stop();
      stopWatching.abort();
      await watching;
    }
  }, 60_000);
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
