// The HTTP gateway against the devnet node: the contract initialized and epoch 1 active
// (Shamir shares of one group secret voted in by the committee), requests made through
// POST /sign, partials and the aggregate submitted by the members from the test, and the
// read routes, metrics and status page following them. Bad input changes nothing on-chain.
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "../../src/devnet/index.js";
import { HttpBackend } from "../../src/chain/http.js";
import { DtsClient } from "../../src/chain/client.js";
import { privateKeyFromMnemonic } from "../../src/chain/keys.js";
import { loadConfig } from "../../src/roles/config.js";
import { createGateway, ROUTE_SCHEMAS, TEXT_ROUTES, type Gateway } from "../../src/gateway/index.js";
import { readRequest } from "../../src/gateway/requests.js";
import {
  fromHex,
  generateIdentity,
  messageHash,
  partialSign,
  publicKeyOf,
  randomScalar,
  robustCombine,
  splitSecret,
  toHex,
  verify,
  type SecretShare,
} from "../../src/crypto/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "loader.mjs")).href;

interface Proc {
  lines: string[];
  stderr: () => string;
  /** Resolves with the first stdout line. */
  firstLine: Promise<string | null>;
  exit: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

/**
 * scripts/gateway.ts as its own process: node with tsx as a loader, one process, so that
 * signals reach the gateway itself (the tsx CLI relays them to a child it SIGKILLs when the
 * child does not acknowledge within ~60 ms).
 */
function gatewayProcess(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ["--import", tsxLoader, join(root, "scripts", "gateway.ts"), ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let err = "";
  let buffer = "";
  let first: (line: string | null) => void;
  const firstLine = new Promise<string | null>((r) => (first = r));
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
      first(lines[0]!);
    }
  });
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((r) => child.on("exit", (code) => { first(null); r(code); }));
  return { lines, stderr: () => err, firstLine, exit, kill: (signal) => child.kill(signal) };
}

const T = 3;
const N = 5;
const MIN_FEE = 1000n;
const TOWERS = ["wallet_7", "wallet_8", "wallet_9"];

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Prometheus text: `name{labels}` -> value. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${line}`);
    out.set(match[1]!, Number(match[2]));
  }
  return out;
}

/** Waits (polling) until `check` returns a value; the limit only bounds a hung test. */
async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, limitMs = 60_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("HTTP gateway against the devnet node", () => {
  let devnet: Devnet;
  let miner: NodeJS.Timeout;
  let backend: HttpBackend;
  let client: DtsClient;
  let gateway: Gateway;
  let url: string;
  let gatewayAddress: string;
  let committee: string[];
  const shareOf = new Map<string, SecretShare>();
  let groupKey: Uint8Array;
  let shareKeys: Uint8Array[];
  let dir: string;
  const env: Record<string, string> = {};
  let rejectedCalls = 0;
  let mining: Promise<void> | null = null;
  let paused = false;

  const address = (name: string) => devnet.accounts.find((a) => a.name === name)!.address;
  const as = (who: string) => client.as(who);
  const post = (body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
    gateway.app.inject({ method: "POST", url: "/sign", headers, payload: body });

  beforeAll(async () => {
    devnet = await startDevnet({ port: 0, blockTimeMs: 0, deployContract: true });
    miner = setInterval(() => {
      if (mining || paused) return;
      mining = devnet.mine(1).finally(() => (mining = null));
    }, 100);
    const names = ["deployer", ...Array.from({ length: N }, (_, i) => `wallet_${i + 1}`), ...TOWERS];
    const keys = await Promise.all(names.map((name) => privateKeyFromMnemonic(devnet.accounts.find((a) => a.name === name)!.mnemonic, name)));
    backend = new HttpBackend({ network: "devnet", nodeUrl: devnet.url, contractId: devnet.contractId, keys, fallbackFee: 10_000n, pollIntervalMs: 50 });
    client = new DtsClient(backend, address("deployer"));

    // Initialize, register N signers, form epoch 1 and vote in a key dealt by Shamir.
    await client.initialize(100_000_000n, BigInt(T), BigInt(N), 144n, BigInt(T));
    const signers = names.slice(1, 1 + N).map(address);
    await Promise.all(signers.map((s) => as(s).registerSigner(generateIdentity().publicKey)));
    expect((await as(signers[0]!).rotateSigners(await client.proposedCommittee())).value).toBe(1n);
    committee = (await client.getEpoch(1n))!.committee;
    expect(committee).toHaveLength(N);
    const secret = randomScalar();
    const { shares } = splitSecret(secret, T, N);
    groupKey = publicKeyOf(secret);
    shareKeys = shares.map((s) => publicKeyOf(s.value));
    for (const member of committee) shareOf.set(member, shares[Number(await client.getMemberIndex(1n, member)) - 1]!);
    for (const [i, member] of committee.slice(0, T).entries()) {
      expect((await as(member).submitEpochKey(1n, groupKey, shareKeys)).value).toBe(i === T - 1);
    }
    expect(await client.getCurrentEpoch()).toBe(1n);

    // The gateway, from a configuration file as scripts/gateway.ts reads it.
    gatewayAddress = address("wallet_6");
    env.GW_TEST_KEY = await privateKeyFromMnemonic(devnet.accounts.find((a) => a.name === "wallet_6")!.mnemonic, "gateway");
    dir = mkdtempSync(join(tmpdir(), "dts-gateway-"));
    const file = join(dir, "gateway.toml");
    writeFileSync(
      file,
      `[chain]\nnetwork = "devnet"\nnode_url = "${devnet.url}"\ncontract_id = "${devnet.contractId}"\npoll_interval_ms = 100\n\n` +
        `[account]\nprivate_key_env = "GW_TEST_KEY"\n\n[gateway]\nport = 0\ndefault_fee = 2000\n`,
    );
    gateway = await createGateway(loadConfig(file), {}, env);
    url = await gateway.start();
  }, 180_000);

  afterAll(async () => {
    await gateway?.stop();
    clearInterval(miner);
    await devnet?.close();
  }, 60_000);

  it("refuses bad input with clear 4xx answers and sends nothing", async () => {
    const nonce = await backend.fetchNonce(gatewayAddress);
    const balance = await backend.balance(gatewayAddress);
    const probes = ["never requested", "aa".repeat(32)].map((m, i) => (i === 0 ? toHex(messageHash(m)) : m));

    const cases: [string, number, string, RegExp][] = [
      ['{"message": "unterminated', 400, "invalid-json", /not valid JSON/],
      ["[1, 2]", 400, "invalid-request", /object/],
      [JSON.stringify({ messageHash: `0x${"ab".repeat(31)}` }), 400, "invalid-message-hash", /exactly 32 bytes \(64 hex digits\), got 31 bytes/],
      [JSON.stringify({ messageHash: "ab".repeat(33) }), 400, "invalid-message-hash", /exactly 32 bytes \(64 hex digits\), got 33 bytes/],
      [JSON.stringify({ messageHash: `0x${"ab".repeat(33)}` }), 400, "invalid-message-hash", /exactly 32 bytes \(64 hex digits\), got 33 bytes/],
      [JSON.stringify({ messageHash: `0x${"ab".repeat(300)}` }), 400, "invalid-message-hash", /exactly 32 bytes \(64 hex digits\), got 300 bytes/],
      [JSON.stringify({ messageHash: "zz".repeat(32) }), 400, "invalid-request", /messageHash must match pattern/],
      [JSON.stringify({ message: "x", messageHash: probes[1] }), 400, "invalid-request", /either message or messageHash, not both/],
      [JSON.stringify({}), 400, "invalid-request", /give message .* or messageHash/],
      [JSON.stringify({ message: 42 }), 400, "invalid-request", /message must be string/],
      [JSON.stringify({ message: "never requested", fee: String(MIN_FEE - 1n) }), 400, "fee-too-low", /fee 999 uSTX is below the contract's min-fee of 1000 uSTX/],
      [JSON.stringify({ message: "never requested", fee: "12abc" }), 400, "invalid-request", /fee/],
      [JSON.stringify({ message: "never requested", fee: -5 }), 400, "invalid-request", /fee/],
      [JSON.stringify({ message: "never requested", extra: 1 }), 400, "invalid-request", /additional properties \(extra\)/],
    ];
    rejectedCalls = cases.length;
    for (const [payload, code, error, message] of cases) {
      const res = await post(payload);
      expect(res.statusCode, payload).toBe(code);
      expect(res.headers["content-type"]).toMatch(/application\/json/);
      expect(res.json(), payload).toMatchObject({ error });
      expect(res.json().message, payload).toMatch(message);
    }

    const form = await post("message=hello", { "content-type": "application/x-www-form-urlencoded" });
    rejectedCalls += 1;
    expect(form.statusCode).toBe(415);
    expect(form.json()).toEqual({ error: "unsupported-media-type", message: "send the body as JSON with content-type: application/json" });

    // Unknown and malformed ids.
    const unknown = await gateway.app.inject({ method: "GET", url: `/status/${probes[1]}` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: "unknown-request", message: `no signing request with id ${probes[1]}` });
    expect((await gateway.app.inject({ method: "GET", url: `/signature/0x${probes[1]}` })).statusCode).toBe(404);
    const malformed = await gateway.app.inject({ method: "GET", url: "/status/abc123" });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: "invalid-request-id", message: "the request id must be exactly 32 bytes (64 hex digits), got 3 bytes" });
    expect((await gateway.app.inject({ method: "GET", url: "/status/not-hex" })).statusCode).toBe(400);
    for (const [id, bytes] of [[`0x${"ab".repeat(33)}`, 33], ["cd".repeat(200), 200]] as const) {
      const long = await gateway.app.inject({ method: "GET", url: `/signature/${id}` });
      expect(long.statusCode, id).toBe(400);
      expect(long.json()).toEqual({ error: "invalid-request-id", message: `the request id must be exactly 32 bytes (64 hex digits), got ${bytes} bytes` });
    }
    expect((await gateway.app.inject({ method: "GET", url: "/nowhere" })).json()).toMatchObject({ error: "not-found" });

    // Nothing reached the chain.
    expect(await backend.fetchNonce(gatewayAddress)).toBe(nonce);
    expect(await backend.balance(gatewayAddress)).toBe(balance);
    for (const id of probes) expect(await readRequest(backend, id)).toBeNull();
  });

  it("POST /sign creates the request; a duplicate answers with it; /status and /signature follow it to a verified aggregate", async () => {
    const id = toHex(messageHash("hello from the gateway"));
    const nonce = await backend.fetchNonce(gatewayAddress);
    const response = await fetch(`${url}/sign`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "hello from the gateway", fee: "5000" }) });
    expect(response.status).toBe(201);
    const created = await response.json();
    expect(created).toMatchObject({ request_id: id, message_hash: `0x${id}`, status: "pending", epoch: 1, fee: "5000", requester: gatewayAddress, partials: { count: 0, threshold: T } });
    expect(created.txid).toMatch(/^0x[0-9a-f]{64}$/);
    // On-chain: the request, from the gateway's account, one transaction.
    const stored = await client.getRequest(fromHex(id));
    expect(stored).toMatchObject({ requester: gatewayAddress, fee: 5000n, epoch: 1n, partialCount: 0n, aggregateSignature: null });
    expect(BigInt(created.deadline)).toBe(stored!.deadline);
    expect(await backend.fetchNonce(gatewayAddress)).toBe(nonce + 1n);

    // The same request again, by message and by its hash: the existing request, no transaction.
    for (const body of [{ message: "hello from the gateway" }, { messageHash: `0x${id}`, fee: 9999 }]) {
      const again = await post(JSON.stringify(body));
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ request_id: id, status: "pending", existing: true, fee: "5000" });
    }
    expect(await backend.fetchNonce(gatewayAddress)).toBe(nonce + 1n);
    expect((await client.getRequest(fromHex(id)))!.fee).toBe(5000n);

    // Not finalized yet.
    const early = await gateway.app.inject({ method: "GET", url: `/signature/${id}` });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: "not-finalized", status: "pending" });

    // t members sign; the status follows.
    const hash = fromHex(id);
    const signers = committee.slice(1, 1 + T);
    for (const member of signers) await as(member).submitPartialSignature(hash, partialSign(shareOf.get(member)!, hash).signature);
    const aggregating = (await gateway.app.inject({ method: "GET", url: `/status/${id}` })).json();
    expect(aggregating).toMatchObject({ status: "aggregating", partials: { count: T, threshold: T } });
    expect([...aggregating.partials.signers].sort()).toEqual([...signers].sort());

    // An aggregator combines the stored partials and submits the aggregate.
    const partials = await Promise.all(
      signers.map(async (member) => ({ index: shareOf.get(member)!.index, signature: fromHex((await client.getPartialSignature(hash, member))!.signature) })),
    );
    const combined = robustCombine({ messageHash: hash, partials, threshold: T, groupKey, shareKeys });
    const finalized = await client.submitAggregateSignature(hash, combined.signature);

    const status = await fetch(`${url}/status/0x${id}`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({
      request_id: id,
      status: "finalized",
      epoch: 1,
      aggregator: address("deployer"),
      finalized_at: finalized.blockHeight,
      settle_at: Number(finalized.value),
      fee_paid: false,
      refunded: false,
      closed_early: true,
      attempt: 1,
    });
    const signature = await fetch(`${url}/signature/${id}`);
    expect(signature.status).toBe(200);
    const body = await signature.json();
    expect(body).toMatchObject({ request_id: id, status: "finalized", signature: `0x${toHex(combined.signature)}`, group_public_key: `0x${toHex(groupKey)}`, epoch: 1, verified: true });
    expect(verify(fromHex(body.group_public_key.slice(2)), hash, fromHex(body.signature.slice(2)))).toBe(true);
  });

  it("reports a stored aggregate that does not verify as verified: false", async () => {
    const id = toHex(messageHash("a bad aggregate"));
    const res = await post(JSON.stringify({ message: "a bad aggregate" }));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ fee: "2000" }); // the configured default fee
    const hash = fromHex(id);
    const signers = committee.slice(0, T);
    for (const member of signers) await as(member).submitPartialSignature(hash, partialSign(shareOf.get(member)!, hash).signature);
    // A valid G2 point that is not the group's signature: one member's partial.
    await client.submitAggregateSignature(hash, partialSign(shareOf.get(signers[0]!)!, hash).signature);
    const body = (await gateway.app.inject({ method: "GET", url: `/signature/${id}` })).json();
    expect(body).toMatchObject({ status: "finalized", verified: false, group_public_key: `0x${toHex(groupKey)}` });
  });

  it("an invalid partial confirmed by the watchtower supermajority shows as faults and a slash", async () => {
    const towers = TOWERS.map(address);
    for (const tower of towers) await as(tower).registerWatchtower();
    expect(await client.getWatchtowerSupermajority()).toBe(3n);
    const id = toHex(messageHash("a bad partial"));
    expect((await post(JSON.stringify({ message: "a bad partial" }))).statusCode).toBe(201);
    const hash = fromHex(id);
    const [cheat, other] = committee;
    // A well-formed G2 point that is not the cheat's partial: another member's.
    await as(cheat!).submitPartialSignature(hash, partialSign(shareOf.get(other!)!, hash).signature);
    const confirmations: boolean[] = [];
    for (const tower of towers) confirmations.push((await as(tower).reportInvalidSignature(hash, cheat!)).value);
    expect(confirmations).toEqual([false, false, true]);
    const slash = (await client.events(0, "signer-slashed")).find((e) => e.data.signer === cheat && e.data.reason === "invalid-partial")!;
    expect(slash).toBeDefined();
    expect((await gateway.app.inject({ method: "GET", url: `/status/${id}` })).json()).toMatchObject({ status: "pending", partials: { count: 0 } });

    const metrics = await until("the slash in /metrics", async () => {
      const m = parseMetrics((await gateway.app.inject({ method: "GET", url: "/metrics" })).body);
      return m.get('dts_slashes_total{reason="invalid-partial"}') === 1 ? m : null;
    });
    expect(metrics.get('dts_faults_total{kind="invalid_partial_claimed"}')).toBe(3);
    expect(metrics.get('dts_faults_total{kind="invalid_partial_slashed"}')).toBe(1);
    expect(metrics.get('dts_slashed_ustx_total{reason="invalid-partial"}')).toBe(Number(slash.data.amount));
    const page = (await gateway.app.inject({ method: "GET", url: "/" })).body;
    expect(page).toContain("invalid-partial-slashed");
    expect(page).toContain(`<td><code>${cheat}</code></td><td>invalid-partial</td>`);
  });

  it("an expired request and a liveness penalty show in /status, /metrics and the page", async () => {
    const id = toHex(messageHash("left unsigned"));
    const res = await post(JSON.stringify({ messageHash: id, fee: 3000 }));
    expect(res.statusCode).toBe(201);
    const hash = fromHex(id);
    const [first, ...rest] = committee;
    await as(first!).submitPartialSignature(hash, partialSign(shareOf.get(first!)!, hash).signature);
    const deadline = (await client.getRequest(hash))!.deadline;
    // Past the deadline (the contract's Stacks clock).
    while ((await client.getClock()).stacksNow <= deadline) await devnet.mine(Number(deadline - (await client.getClock()).stacksNow) + 1);
    const status = (await gateway.app.inject({ method: "GET", url: `/status/${id}` })).json();
    expect(status).toMatchObject({ status: "expired", partials: { count: 1, threshold: T }, blocks_left: 0 });

    const missed = rest[0]!;
    const penalty = await client.penalizeMissedSignature(hash, missed);
    const slashed = penalty.events.find((e) => e.topic === "signer-slashed")!;
    expect(slashed.data).toMatchObject({ signer: missed, reason: "missed-signature" });

    const metrics = await until("the penalty in /metrics", async () => {
      const m = parseMetrics((await gateway.app.inject({ method: "GET", url: "/metrics" })).body);
      return m.get('dts_slashes_total{reason="missed-signature"}') === 1 && m.get('dts_requests{status="expired"}') === 2 ? m : null;
    });
    expect(metrics.get('dts_slashed_ustx_total{reason="missed-signature"}')).toBe(Number(slashed.data.amount));
    expect(metrics.get('dts_faults_total{kind="liveness_penalty"}')).toBe(1);
    expect(metrics.get('dts_slashes_total{reason="invalid-partial"}')).toBe(1);

    const page = (await gateway.app.inject({ method: "GET", url: "/" })).body;
    expect(page).toContain("missed-signature");
    expect(page).toContain(missed);
  });

  it("/metrics is Prometheus text with the request, latency, partial, fault, slash, epoch and committee metrics", async () => {
    const events = await client.events(0);
    const requested = new Map(events.filter((e) => e.topic === "signature-requested").map((e) => [e.data["message-hash"], e.blockHeight]));
    const latencies = events.filter((e) => e.topic === "signature-finalized").map((e) => e.blockHeight - requested.get(e.data["message-hash"])!);
    expect(latencies).toHaveLength(2);
    const partials = events.filter((e) => e.topic === "partial-signature").length;

    const res = await until("the gateway to follow every event", async () => {
      const r = await fetch(`${url}/metrics`);
      const m = parseMetrics(await r.text());
      return m.get("dts_gateway_synced_block")! >= events.at(-1)!.blockHeight ? r : null;
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = parseMetrics(text);
    for (const name of ["dts_requests_total", "dts_requests", "dts_signature_latency_blocks", "dts_partial_signatures_total", "dts_faults_total", "dts_slashes_total", "dts_slashed_ustx_total", "dts_current_epoch", "dts_committee_size"])
      expect(text).toContain(`# TYPE ${name} `);
    expect(m.get("dts_current_epoch")).toBe(1);
    expect(m.get("dts_committee_size")).toBe(N);
    expect(m.get("dts_threshold")).toBe(T);
    expect(m.get("dts_requests_total")).toBe(4);
    expect(m.get('dts_requests{status="finalized"}')).toBe(2);
    expect(m.get('dts_requests{status="expired"}')).toBe(2);
    expect(m.get('dts_requests{status="pending"}')).toBe(0);
    expect(m.get("dts_partial_signatures_total")).toBe(partials);
    expect(m.get("dts_signature_latency_blocks_count")).toBe(2);
    expect(m.get("dts_signature_latency_blocks_sum")).toBe(latencies[0]! + latencies[1]!);
    expect(m.get('dts_signature_latency_blocks_bucket{le="+Inf"}')).toBe(2);
    expect(m.get('dts_gateway_sign_requests_total{outcome="created"}')).toBe(4);
    expect(m.get('dts_faults_total{kind="invalid_partial_claimed"}')).toBe(3);
    expect(m.get('dts_faults_total{kind="liveness_penalty"}')).toBe(1);
    expect(m.get('dts_faults_total{kind="aggregate_rejected"}')).toBe(0);
    expect(m.get('dts_gateway_sign_requests_total{outcome="existing"}')).toBe(2);
    expect(m.get('dts_gateway_sign_requests_total{outcome="rejected"}')).toBe(rejectedCalls);
    expect(m.get('dts_gateway_sign_requests_total{outcome="failed"}')).toBe(0);
  });

  it("GET / is an HTML page with the epoch, its committee and reputations, and recent requests", async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("<h2>Epoch 1</h2>");
    expect(html).toContain(`Threshold <b>${T}</b> of <b>${N}</b>`);
    for (const member of committee) {
      expect(html).toContain(member);
      const reputation = Number((await client.getSignerInfo(member))!.reputationScore);
      expect(html).toContain(`${(reputation / 100).toFixed(2)}%`);
    }
    expect(html).toContain(toHex(messageHash("hello from the gateway")).slice(0, 12));
    const overview = (await gateway.app.inject({ method: "GET", url: "/overview" })).json();
    expect(overview).toMatchObject({ epoch: 1, threshold: T, group_public_key: `0x${toHex(groupKey)}` });
    expect(overview.committee.map((c: { signer: string }) => c.signer)).toEqual(committee);
  });

  it("every JSON route has a schema, and its answers lose nothing to it", async () => {
    // A second gateway on the same account, fed the chain's events, with a hook that keeps
    // each handler's payload before the response schema serializes it.
    const probe = await createGateway(loadConfig(join(dir, "gateway.toml")), {}, env);
    const payloads: unknown[] = [];
    probe.app.addHook("preSerialization", async (_request, _reply, payload) => {
      payloads.push(payload);
      return payload;
    });
    const events = await client.events(0);
    probe.monitor.handle(events, events.at(-1)!.blockHeight, (await client.getClock()).stacksNow);
    const finalized = toHex(messageHash("hello from the gateway"));
    const pending = toHex(messageHash("a bad partial"));
    const calls: [string, string, unknown?][] = [
      ["GET", `/status/${finalized}`],
      ["GET", `/status/${"ab".repeat(32)}`],
      ["GET", `/signature/0x${finalized}`],
      ["GET", `/signature/${pending}`],
      ["GET", "/health"],
      ["GET", "/overview"],
      ["POST", "/sign", { message: "hello from the gateway" }],
      ["POST", "/sign", { messageHash: "12" }],
    ];
    const routes = new Set<string>();
    for (const [method, path, body] of calls) {
      payloads.length = 0;
      const res = await probe.app.inject({ method: method as "GET" | "POST", url: path, ...(body ? { payload: body as object } : {}) });
      expect(res.headers["content-type"], path).toMatch(/^application\/json/);
      // What the handler (or the error handler) produced is what the client got.
      expect(payloads, path).toHaveLength(1);
      expect(res.json(), `${method} ${path} (${res.statusCode})`).toEqual(JSON.parse(JSON.stringify(payloads[0], (_, v) => (typeof v === "bigint" ? v.toString() : v))));
      routes.add(`${method} ${path.replace(/\/(0x)?[0-9a-f]{64}$/, "/:id")}`);
    }
    expect([...routes].sort()).toEqual(Object.keys(ROUTE_SCHEMAS).sort());
    for (const [route, schema] of Object.entries(ROUTE_SCHEMAS)) {
      const response = schema.response as Record<string, unknown>;
      expect(response[200], route).toBeDefined();
      expect(response["4xx"] ?? response["5xx"], route).toBeDefined();
    }
    expect(Object.keys(TEXT_ROUTES).sort()).toEqual(["GET /", "GET /metrics"]);
    await probe.app.close();
  });

  it("/health reports the node, the tip, the contract, the epoch and the account's balance; 503 when the node is unreachable", async () => {
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    const health = await res.json();
    expect(health).toMatchObject({
      status: "ok",
      node: { reachable: true, url: devnet.url },
      contract: { id: devnet.contractId, initialized: true, paused: false, min_fee: String(MIN_FEE) },
      current_epoch: 1,
      account: { address: gatewayAddress },
    });
    expect(health.chain_tip).toBeGreaterThan(0);
    expect(BigInt(health.account.balance)).toBe(await backend.balance(gatewayAddress));

    const file = join(dir, "down.toml");
    writeFileSync(file, `[chain]\nnetwork = "devnet"\nnode_url = "http://127.0.0.1:${await closedPort()}"\ncontract_id = "${devnet.contractId}"\n\n[account]\nprivate_key_env = "GW_TEST_KEY"\n`);
    const down = await createGateway(loadConfig(file), {}, env);
    const unreachable = await down.app.inject({ method: "GET", url: "/health" });
    expect(unreachable.statusCode).toBe(503);
    expect(unreachable.json()).toMatchObject({ status: "unavailable", node: { reachable: false } });
    expect(unreachable.json().message).toMatch(/^cannot reach the node at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED after \d+ attempts\)$/);
    await down.app.close();
  });

  it("scripts/gateway.ts serves with --json, stops cleanly on SIGTERM, and fails in one line on bad config or a port in use", async () => {
    const file = join(dir, "process.toml");
    writeFileSync(file, `[chain]\nnetwork = "devnet"\nnode_url = "${devnet.url}"\ncontract_id = "${devnet.contractId}"\npoll_interval_ms = 200\n\n[account]\nprivate_key_env = "GW_TEST_KEY"\n\n[gateway]\nport = 0\n`);
    const proc = gatewayProcess(["--config", file, "--json"], env);
    const line = await proc.firstLine;
    expect(line, proc.stderr()).not.toBeNull();
    const listening = JSON.parse(line!);
    expect(listening).toMatchObject({ event: "listening", address: gatewayAddress, contract: devnet.contractId });
    expect(listening.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${listening.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ current_epoch: 1, account: { address: gatewayAddress } });
    proc.kill("SIGTERM");
    expect(await proc.exit).toBe(0);
    expect(JSON.parse(proc.lines.at(-1)!)).toEqual({ event: "stopped", signal: "SIGTERM" });
    // No secret in anything it wrote.
    expect(proc.stderr() + proc.lines.join("\n")).not.toContain(env.GW_TEST_KEY!.slice(0, 32));

    // The port the test's gateway holds.
    const port = new URL(url).port;
    writeFileSync(file, `[chain]\nnetwork = "devnet"\nnode_url = "${devnet.url}"\ncontract_id = "${devnet.contractId}"\n\n[account]\nprivate_key_env = "GW_TEST_KEY"\n\n[gateway]\nport = ${port}\n`);
    const busy = gatewayProcess(["--config", file, "--json"], env);
    expect(await busy.exit).toBe(1);
    expect(busy.lines).toEqual([]);
    expect(busy.stderr()).toMatch(new RegExp(`gateway: port ${port} on 127\\.0\\.0\\.1 is in use\\n$`));

    writeFileSync(file, `[chain]\nnetwork = "devnet"\ncontract_id = "not-a-contract"\n\n[account]\nprivate_key_env = "GW_TEST_KEY"\n`);
    const bad = gatewayProcess(["--config", file], env);
    expect(await bad.exit).toBe(1);
    expect(bad.stderr()).toBe("gateway: chain.contract_id must be <address>.<contract-name>, got not-a-contract\n");

    writeFileSync(file, `[chain]\nnetwork = "devnet"\nnode_url = "${devnet.url}"\ncontract_id = "${devnet.contractId}"\n\n[account]\nprivate_key_env = "GW_UNSET_KEY"\n\n[gateway]\nport = 0\n`);
    const nokey = gatewayProcess(["--config", file], {});
    expect(await nokey.exit).toBe(1);
    expect(nokey.stderr()).toBe("gateway: set GW_UNSET_KEY (the account's private key)\n");
  });

  it("concurrent duplicates send one transaction; a request not mined in time answers 202 submitted and /status follows it", async () => {
    const id = toHex(messageHash("three at once"));
    const nonce = await backend.fetchNonce(gatewayAddress);
    const answers = await Promise.all([1, 2, 3].map(() => post(JSON.stringify({ message: "three at once" }))));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 201]);
    for (const a of answers) expect(a.json()).toMatchObject({ request_id: id, status: "pending" });
    expect(await backend.fetchNonce(gatewayAddress)).toBe(nonce + 1n);

    // No block is mined while the request waits: the answer comes after signWaitMs.
    const slow = await createGateway(loadConfig(join(dir, "gateway.toml")), { signWaitMs: 50 }, env);
    paused = true;
    await mining;
    try {
      const waiting = toHex(messageHash("while no block is mined"));
      const first = await slow.app.inject({ method: "POST", url: "/sign", headers: { "content-type": "application/json" }, payload: { message: "while no block is mined" } });
      expect(first.statusCode).toBe(202);
      const submitted = first.json();
      expect(submitted).toMatchObject({ request_id: waiting, status: "submitted", fee: "2000" });
      expect(submitted.txid).toMatch(/^0x[0-9a-f]{64}$/);
      expect(await readRequest(backend, waiting)).toBeNull();
      expect((await slow.app.inject({ method: "GET", url: `/status/${waiting}` })).json()).toMatchObject({ status: "submitted", txid: submitted.txid });
      const again = await slow.app.inject({ method: "POST", url: "/sign", headers: { "content-type": "application/json" }, payload: { messageHash: waiting } });
      expect(again.statusCode).toBe(202);
      expect(again.json()).toMatchObject({ status: "submitted", txid: submitted.txid, existing: true });
      expect((await slow.app.inject({ method: "GET", url: `/signature/${waiting}` })).statusCode).toBe(409);
      paused = false;
      const pending = await until("the submitted request on-chain", async () => {
        const body = (await slow.app.inject({ method: "GET", url: `/status/${waiting}` })).json();
        return body.status === "pending" ? body : null;
      });
      expect(pending).toMatchObject({ request_id: waiting, requester: gatewayAddress, fee: "2000", epoch: 1 });
      expect((await client.getRequest(fromHex(waiting)))!.requester).toBe(gatewayAddress);
    } finally {
      paused = false;
      await slow.stop();
    }
  });
});
