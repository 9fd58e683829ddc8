// The HTTP gateway: requesters ask for threshold signatures over plain HTTP, the gateway
// pays for them from its own account (request-signature), and reports their state, the
// verified aggregate, its own health, Prometheus metrics and a status page. It listens on
// 127.0.0.1 by default: anyone who can reach it can spend the account's STX on fees.
import Fastify, { type FastifyInstance } from "fastify";
import { Cl, type ClarityValue } from "@stacks/transactions";
import type { ChainBackend } from "../chain/backend.js";
import { ERROR_NAMES } from "../chain/clarity.js";
import type { DtsClient } from "../chain/client.js";
import { BroadcastRejectedError, NodeError, TxTimeoutError } from "../chain/errors.js";
import { messageHash as sha256Message, verify } from "../crypto/index.js";
import { follow, type Follower } from "../roles/follow.js";
import { Monitor } from "./monitor.js";
import { BadIdError, canRequestAgain, hexToBytes, parseHash, readRequest, statusBody } from "./requests.js";
import { renderPage } from "./page.js";
import type { Config } from "../chain/functions.js";
import { healthSchema, overviewSchema, signSchema, signatureSchema, statusSchema } from "./schemas.js";

export interface GatewayOptions {
  client: DtsClient;
  backend: ChainBackend;
  /** The gateway's account: requests are sent and paid from it. */
  address: string;
  /** default 127.0.0.1 */
  host?: string;
  /** default 8080; 0 = a free port */
  port?: number;
  /** Fee (micro-STX) of a request that names none. */
  defaultFee: bigint;
  /** How often to follow new blocks, in ms. */
  pollIntervalMs: number;
  /** How long POST /sign waits for its transaction to be mined before answering 202 submitted; default 60 s. */
  signWaitMs?: number;
  /** Progress lines for people (never a secret). */
  log?: (line: string) => void;
  /** Notable actions as JSON objects (the --json lines of scripts/gateway.ts). */
  emit?: (event: Record<string, unknown>) => void;
}

/** A transaction the gateway sent and has not seen mined yet. */
interface InFlight {
  txid: string;
  fee: bigint;
  sentAt: number;
}

/** The gateway's error answer: a stable code and a sentence for people. */
class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const jsonBig = (value: unknown) => JSON.parse(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v)));

export class Gateway {
  readonly app: FastifyInstance;
  readonly monitor = new Monitor();
  readonly options: GatewayOptions;
  private readonly inflight = new Map<string, InFlight>();
  /** Failed request transactions, by id: reported by /status until a new request succeeds. */
  private readonly failed = new Map<string, { txid: string | null; error: string }>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private follower: Follower | null = null;
  private lastFollowError: string | null = null;
  private listening: string | null = null;

  constructor(options: GatewayOptions) {
    this.options = options;
    this.app = Fastify({
      logger: false,
      bodyLimit: 1024 * 1024,
      // An over-long id still reaches the route, whose answer says how many bytes it has.
      routerOptions: { maxParamLength: 1024 },
      // No coercion, no silent removal: a wrong type is a 400, not a guess.
      ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    });
    this.routes();
  }

  private get log(): (line: string) => void {
    return this.options.log ?? (() => {});
  }

  private emit(event: Record<string, unknown>): void {
    this.options.emit?.(jsonBig(event));
  }

  /** Runs `fn` after every earlier call for the same id has finished. */
  private async serialized<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const task = previous.catch(() => {}).then(fn);
    this.locks.set(id, task);
    try {
      return await task;
    } finally {
      if (this.locks.get(id) === task) this.locks.delete(id);
    }
  }

  private async clock(): Promise<{ stacksNow: bigint; burnNow: bigint }> {
    const clock = await this.options.client.getClock();
    return { stacksNow: clock.stacksNow, burnNow: clock.burnNow };
  }

  private async thresholdOf(epoch: bigint): Promise<bigint> {
    const known = this.monitor.epochs.get(Number(epoch));
    if (known) return BigInt(known.threshold);
    const record = await this.options.client.getEpoch(epoch);
    return record?.threshold ?? 0n;
  }

  private async status(id: string) {
    const request = await readRequest(this.options.backend, id);
    if (!request) return null;
    const [threshold, clock] = await Promise.all([this.thresholdOf(request.epoch), this.clock()]);
    return { request, body: statusBody(id, request, threshold, clock), clock };
  }

  private routes(): void {
    const app = this.app;

    app.setErrorHandler((error: unknown, _request, reply) => {
      if (error instanceof HttpError) return reply.code(error.statusCode).send({ error: error.code, message: error.message, ...error.extra });
      const e = error as { validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[]; validationContext?: string; statusCode?: number; code?: string; message?: string };
      if (e.validation) {
        const v = e.validation[0]!;
        const where = `${e.validationContext ?? "request"}${v.instancePath ? v.instancePath.replace(/\//g, ".") : ""}`;
        const extra = v.params && "additionalProperty" in v.params ? ` (${String(v.params.additionalProperty)})` : "";
        return reply.code(400).send({ error: "invalid-request", message: `${where} ${v.message ?? "is invalid"}${extra}` });
      }
      if (e.code === "FST_ERR_CTP_INVALID_JSON_BODY" || (e.statusCode === 400 && /JSON/i.test(e.message ?? "")))
        return reply.code(400).send({ error: "invalid-json", message: `the body is not valid JSON: ${e.message ?? ""}`.trim() });
      if (e.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
        return reply.code(415).send({ error: "unsupported-media-type", message: "send the body as JSON with content-type: application/json" });
      if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)
        return reply.code(e.statusCode).send({ error: e.code?.toLowerCase().replace(/^fst_err_/, "").replace(/_/g, "-") ?? "bad-request", message: e.message ?? "bad request" });
      if (error instanceof NodeError) {
        this.log(`node error: ${error.message}`);
        return reply.code(503).send({ error: "node-unavailable", message: error.message });
      }
      this.log(`internal error: ${error instanceof Error ? error.message : String(error)}`);
      return reply.code(500).send({ error: "internal", message: error instanceof Error ? error.message : String(error) });
    });

    app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: "not-found", message: `no route ${request.method} ${request.url.split("?")[0]}` }));

    app.post<{ Body: { message?: string; messageHash?: string; fee?: string | number } }>(
      "/sign",
      {
        // 4xx and 5xx answers, schema refusals included (they never reach the handler).
        onResponse: async (_request, reply) => {
          if (reply.statusCode >= 500) this.monitor.signCalls.inc({ outcome: "failed" });
          else if (reply.statusCode >= 400) this.monitor.signCalls.inc({ outcome: "rejected" });
        },
        schema: signSchema,
      },
      async (request, reply) => {
        const body = request.body ?? {};
        if (typeof body !== "object" || Array.isArray(body)) throw new HttpError(400, "invalid-request", "the body must be a JSON object");
        const hasMessage = body.message !== undefined;
        const hasHash = body.messageHash !== undefined;
        if (hasMessage === hasHash)
          throw new HttpError(400, "invalid-request", hasMessage ? "give either message or messageHash, not both" : "give message (text to sign) or messageHash (32-byte hex)");
        let id: string;
        try {
          id = hasHash ? parseHash(body.messageHash!, "messageHash") : Buffer.from(sha256Message(body.message!)).toString("hex");
        } catch (e) {
          if (e instanceof BadIdError) throw new HttpError(400, "invalid-message-hash", e.message);
          throw e;
        }
        const fee = body.fee === undefined ? this.options.defaultFee : BigInt(body.fee);
        const { code, payload, outcome } = await this.serialized(id, () => this.sign(id, fee));
        this.monitor.signCalls.inc({ outcome });
        return reply.code(code).send(payload);
      },
    );

    app.get<{ Params: { id: string } }>("/status/:id", { schema: statusSchema }, async (request, reply) => {
      const id = this.parseId(request.params.id);
      const found = await this.status(id);
      if (found) return reply.send(found.body);
      const pending = this.inflight.get(id);
      if (pending) return reply.code(200).send({ request_id: id, message_hash: `0x${id}`, status: "submitted", txid: pending.txid, fee: pending.fee.toString() });
      const failed = this.failed.get(id);
      if (failed) throw new HttpError(404, "request-failed", `no request ${id} on-chain: the gateway's transaction${failed.txid ? ` ${failed.txid}` : ""} failed (${failed.error})`);
      throw new HttpError(404, "unknown-request", `no signing request with id ${id}`);
    });

    app.get<{ Params: { id: string } }>("/signature/:id", { schema: signatureSchema }, async (request, reply) => {
      const id = this.parseId(request.params.id);
      const found = await this.status(id);
      if (!found) {
        if (this.inflight.has(id)) throw new HttpError(409, "not-finalized", `request ${id} is submitted but not yet on-chain`, { status: "submitted" });
        throw new HttpError(404, "unknown-request", `no signing request with id ${id}`);
      }
      const { request: record, body } = found;
      if (record.aggregateSignature === null)
        throw new HttpError(409, "not-finalized", `request ${id} has no aggregate signature yet (status ${body.status}, ${body.partials.count} of ${body.partials.threshold} partials)`, { status: body.status });
      const epoch = await this.options.client.getEpoch(record.epoch);
      const groupKey = epoch?.groupPublicKey ?? null;
      const verified = groupKey !== null && verify(hexToBytes(groupKey), hexToBytes(id), hexToBytes(record.aggregateSignature));
      return reply.send({
        request_id: id,
        message_hash: `0x${id}`,
        status: body.status,
        signature: record.aggregateSignature,
        group_public_key: groupKey,
        epoch: Number(record.epoch),
        verified,
        scheme: "BLS12-381 min-pk, ciphersuite BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_, signed message: the 32-byte message hash",
        aggregator: record.aggregator,
        finalized_at: Number(record.finalizedAt),
        settle_at: Number(record.settleAt),
        final: record.feePaid,
      });
    });

    app.get("/health", { schema: healthSchema }, async (_request, reply) => {
      const { backend, client, address } = this.options;
      try {
        const [tip, burn, config, epoch, balance] = await Promise.all([
          backend.blockHeight(),
          backend.burnBlockHeight(),
          client.getConfig(),
          client.getCurrentEpoch(),
          backend.balance(address),
        ]);
        const ok = config.initialized && epoch > 0n && !config.paused;
        return reply.send({
          status: ok ? "ok" : "degraded",
          node: { reachable: true, url: "nodeUrl" in backend ? String((backend as { nodeUrl: unknown }).nodeUrl) : backend.network },
          network: backend.network,
          contract: { id: backend.contractId, initialized: config.initialized, paused: config.paused, min_fee: config.minFee.toString() },
          chain_tip: tip,
          burn_block_height: burn,
          current_epoch: Number(epoch),
          account: { address, balance: balance.toString() },
          default_fee: this.options.defaultFee.toString(),
          events: { synced_to: this.monitor.syncedTo, last_error: this.lastFollowError },
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return reply.code(503).send({ status: "unavailable", error: "node-unavailable", message, node: { reachable: false } });
      }
    });

    // Prometheus text: no JSON schema describes it (src/gateway/schemas.ts TEXT_ROUTES).
    app.get("/metrics", async (_request, reply) => {
      return reply.type(this.monitor.registry.contentType).send(await this.monitor.metrics());
    });

    app.get("/overview", { schema: overviewSchema }, async (_request, reply) => reply.send(jsonBig(await this.overview())));

    // An HTML page: no JSON schema describes it.
    app.get("/", async (_request, reply) => {
      let overview: Awaited<ReturnType<Gateway["overview"]>> | null = null;
      let error: string | null = null;
      try {
        overview = await this.overview();
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      return reply.type("text/html; charset=utf-8").send(renderPage(overview, error));
    });
  }

  private parseId(text: string): string {
    try {
      return parseHash(text, "the request id");
    } catch (e) {
      if (e instanceof BadIdError) throw new HttpError(400, "invalid-request-id", e.message);
      throw e;
    }
  }

  /** The epoch, its committee with reputations, recent requests, faults and slashes. */
  async overview() {
    const { client } = this.options;
    const epochNumber = await client.getCurrentEpoch();
    const epoch = epochNumber > 0n ? await client.getEpoch(epochNumber) : null;
    const committee = epoch
      ? await Promise.all(
          epoch.committee.map(async (signer, i) => {
            const info = await client.getSignerInfo(signer);
            return {
              index: i + 1,
              signer,
              reputation: info ? Number(info.reputationScore) : null,
              stake: info?.stake ?? null,
              status: info?.status ?? null,
              slashes: info ? Number(info.slashingHistory.totalSlashes) : null,
              slashed: info?.slashingHistory.slashedAmount ?? null,
              valid_signatures: info ? Number(info.performanceMetrics.validSignatures) : null,
              total_signatures: info ? Number(info.performanceMetrics.totalSignatures) : null,
            };
          }),
        )
      : [];
    return {
      epoch: Number(epochNumber),
      threshold: epoch ? Number(epoch.threshold) : null,
      group_public_key: epoch?.groupPublicKey ?? null,
      committee,
      synced_to: this.monitor.syncedTo,
      requests: this.monitor.recentRequests().map((r) => ({
        request_id: r.id,
        status: r.state,
        epoch: r.epoch,
        fee: r.fee,
        requested_at: r.requestedAt,
        partials: r.partials,
        threshold: r.threshold,
        finalized_at: r.finalizedAt,
        latency_blocks: r.finalizedAt === null ? null : r.finalizedAt - r.requestedAt,
      })),
      faults: [...this.monitor.faults].reverse().slice(0, 20),
      slashes: [...this.monitor.slashes].reverse().slice(0, 20),
    };
  }

  /** POST /sign once the id is known and no other call for it runs. */
  private async sign(id: string, fee: bigint): Promise<{ code: number; payload: Record<string, unknown>; outcome: string }> {
    const { client, backend, address } = this.options;
    const existing = await this.status(id);
    if (existing && !canRequestAgain(existing.request, existing.clock.burnNow)) {
      return { code: 200, payload: { ...existing.body, existing: true }, outcome: "existing" };
    }
    const pending = this.inflight.get(id);
    if (pending) {
      return { code: 202, payload: { request_id: id, message_hash: `0x${id}`, status: "submitted", txid: pending.txid, fee: pending.fee.toString(), existing: true }, outcome: "existing" };
    }
    const [config, epoch] = await Promise.all([client.getConfig(), client.getCurrentEpoch()]);
    this.check(config, epoch, fee);
    const balance = await backend.balance(address);
    if (balance < fee) throw new HttpError(503, "insufficient-funds", `the gateway's account holds ${balance} uSTX, less than the fee ${fee} uSTX`);

    const args: ClarityValue[] = [Cl.buffer(hexToBytes(id)), Cl.uint(fee)];
    const http = backend as ChainBackend & {
      submit?: (fn: string, args: ClarityValue[], sender: string) => Promise<{ txid: string; nonce: bigint; fee: bigint }>;
      waitForTx?: (txid: string, timeoutMs?: number) => Promise<{ ok: boolean; value: unknown; blockHeight: number; txid: string | null }>;
    };
    let outcome: { ok: boolean; value: unknown; blockHeight: number; txid: string | null };
    if (http.submit && http.waitForTx) {
      let txid: string;
      try {
        ({ txid } = await http.submit.call(backend, "request-signature", args, address));
      } catch (error) {
        if (error instanceof BroadcastRejectedError) {
          this.log(`request ${id}: the node refused the transaction: ${error.message}`);
          throw new HttpError(503, "broadcast-rejected", `the node refused the request transaction: ${error.reason}`);
        }
        throw error;
      }
      this.inflight.set(id, { txid, fee, sentAt: Date.now() });
      this.failed.delete(id);
      this.log(`request ${id}: request-signature sent (${txid}), fee ${fee} uSTX`);
      this.emit({ event: "request-sent", request_id: id, txid, fee });
      const mined = http.waitForTx.call(backend, txid);
      // Whenever it ends, the in-flight entry goes; a failure is remembered for /status.
      void mined.then(
        (o) => {
          this.inflight.delete(id);
          if (!o.ok) this.failed.set(id, { txid, error: ERROR_NAMES[Number(o.value)] ?? `err u${String(o.value)}` });
        },
        (e: unknown) => {
          this.inflight.delete(id);
          this.failed.set(id, { txid, error: e instanceof Error ? e.message : String(e) });
        },
      );
      const waitMs = this.options.signWaitMs ?? 60_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), waitMs)));
      try {
        const first = await Promise.race([mined, timeout]);
        if (first === null) {
          return { code: 202, payload: { request_id: id, message_hash: `0x${id}`, status: "submitted", txid, fee: fee.toString() }, outcome: "submitted" };
        }
        outcome = first;
      } catch (error) {
        if (error instanceof TxTimeoutError) return { code: 202, payload: { request_id: id, message_hash: `0x${id}`, status: "submitted", txid, fee: fee.toString() }, outcome: "submitted" };
        this.emit({ event: "request-failed", request_id: id, txid, error: error instanceof Error ? error.message : String(error) });
        throw new HttpError(502, "transaction-failed", `the request transaction ${txid} failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        clearTimeout(timer);
      }
      this.inflight.delete(id);
    } else {
      const sent = await client.send("request-signature", [hexToBytes(id), fee]);
      outcome = sent;
    }

    if (!outcome.ok) {
      const name = ERROR_NAMES[Number(outcome.value)] ?? `u${String(outcome.value)}`;
      this.failed.set(id, { txid: outcome.txid, error: name });
      this.emit({ event: "request-failed", request_id: id, txid: outcome.txid, error: name });
      const after = await this.status(id);
      if (name === "ERR-REQUEST-EXISTS" && after) return { code: 200, payload: { ...after.body, existing: true }, outcome: "existing" };
      const code = name === "ERR-FEE-TOO-LOW" || name === "ERR-INVALID-PARAMS" ? 400 : 503;
      throw new HttpError(code, name.toLowerCase().replace(/^err-/, ""), `request-signature failed on-chain with ${name} (transaction ${outcome.txid ?? "simnet"})`);
    }
    this.failed.delete(id);
    const created = await this.status(id);
    this.emit({ event: "request-created", request_id: id, txid: outcome.txid, block: outcome.blockHeight, fee });
    this.log(`request ${id}: on-chain in block ${outcome.blockHeight}`);
    const body = created?.body ?? { request_id: id, message_hash: `0x${id}`, status: "pending" };
    return { code: 201, payload: { ...body, txid: outcome.txid, block: outcome.blockHeight }, outcome: "created" };
  }

  /** The contract's preconditions, checked before anything is sent. */
  private check(config: Config, epoch: bigint, fee: bigint): void {
    if (!config.initialized) throw new HttpError(503, "not-initialized", "the DTS contract is not initialized yet");
    if (config.paused) throw new HttpError(503, "paused", "the DTS contract is paused: no requests are taken");
    if (epoch === 0n) throw new HttpError(503, "no-active-epoch", "no epoch is active yet: the committee has no group key");
    if (fee < config.minFee) throw new HttpError(400, "fee-too-low", `fee ${fee} uSTX is below the contract's min-fee of ${config.minFee} uSTX`);
  }

  /** Follows the contract's events and listens. Resolves with the URL. */
  async start(): Promise<string> {
    const { backend, pollIntervalMs } = this.options;
    this.follower = follow({
      backend,
      fromBlock: 0,
      pollIntervalMs,
      onBlocks: async (events, { tip }) => {
        const stacksNow = this.monitor.hasPending || events.some((e) => e.topic === "signature-requested") ? (await this.clock()).stacksNow : null;
        this.monitor.handle(events, tip, stacksNow);
        this.lastFollowError = null;
      },
      onError: (error) => {
        const message = error instanceof Error ? error.message : String(error);
        if (message !== this.lastFollowError) this.log(`following events: ${message}`);
        this.lastFollowError = message;
      },
    });
    const host = this.options.host ?? "127.0.0.1";
    try {
      await this.app.listen({ host, port: this.options.port ?? 8080 });
    } catch (error) {
      await this.follower.stop();
      this.follower = null;
      if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") throw new Error(`port ${this.options.port ?? 8080} on ${host} is in use`);
      throw error;
    }
    const address = this.app.server.address();
    const port = typeof address === "object" && address ? address.port : this.options.port;
    this.listening = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    return this.listening;
  }

  get url(): string | null {
    return this.listening;
  }

  /** Stops following and closes the server. */
  async stop(): Promise<void> {
    await this.follower?.stop();
    this.follower = null;
    await this.app.close();
    this.listening = null;
  }
}
