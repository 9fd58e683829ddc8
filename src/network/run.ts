// The whole DTS network on this machine, one OS process per role: a devnet node, the
// contract deployed and initialized by scripts/deploy.ts, seven signer nodes, three
// watchtowers, an aggregator and the gateway, each started as
// `scripts/<role>.ts --config <run-dir>/<role>.toml --json` under the supervisor
// (src/network/supervisor.ts). The flow only starts processes, writes their configuration
// and reads the chain: registration, the DKG, signing, claims and slashing are done by the
// role processes themselves.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { HttpBackend } from "../chain/http.js";
import { DtsClient } from "../chain/client.js";
import { encryptStacksKey } from "../chain/keys.js";
import type { ContractEvent } from "../chain/backend.js";
import { fromHex, messageHash as hashMessage, toHex, verify } from "../crypto/index.js";
import { devnetAccounts, devnetMnemonics, type DevnetAccountKey } from "./accounts.js";
import { PROJECT_ROOT, ProcessError, Supervisor, describeExit, type ChildEvent, type Managed, type ProcessSpec } from "./supervisor.js";

/** The seed's parameters: min-stake (uSTX), required-signers, total-signers, rotation-period (Bitcoin blocks), threshold. */
export const INIT_PARAMS = { minStake: 100_000n, requiredSigners: 3, totalSigners: 5, rotationPeriod: 144, threshold: 3 } as const;
export const SIGNERS = 7;
export const WATCHTOWERS = 3;
/** Environment variable that carries the run's keystore password to the role processes. */
export const PASSWORD_ENV = "DTS_RUN_PASSWORD";

const SIGNER_ACCOUNTS = ["wallet_1", "wallet_2", "wallet_3", "wallet_4", "wallet_5", "wallet_6", "wallet_7"];
const WATCHTOWER_ACCOUNTS = ["wallet_8", "wallet_9", "wallet_10"];
const AGGREGATOR_ACCOUNT = "wallet_11";
const GATEWAY_ACCOUNT = "wallet_12";
/** Sends rotate-signers (anyone may). */
const ROTATOR_ACCOUNT = "wallet_13";

export interface NetworkOptions {
  /** Signers that submit invalid partials (0..2: t of the committee stay honest). */
  faulty?: number;
  /** Stacks block time of the devnet, ms. */
  blockTimeMs?: number;
  /** Mine one Bitcoin block every this many Stacks blocks. */
  burnEvery?: number;
  /** DKG phase window (Stacks blocks) of the signer nodes. */
  dkgPhaseBlocks?: number;
  /**
   * Use this running devnet node (started with --no-deploy; its own timer mines the Stacks
   * blocks) instead of starting one.
   */
  nodeUrl?: string;
  /** Where the run directory goes; default <project>/.dts. */
  baseDir?: string;
  /** One line per step, for people. */
  progress?: (line: string) => void;
  /** Every structured step (the --json output). */
  record?: (event: Record<string, unknown>) => void;
  /** Also pass the role processes' stderr lines to `progress`. */
  verbose?: boolean;
}

export interface SignResult {
  requestId: string;
  message: string;
  messageHash: string;
  epoch: number;
  signature: string;
  groupPublicKey: string;
  /** BLS12-381 min-pk verification against the group key read from the contract. */
  verifies: boolean;
  requestedAt: number;
  finalizedAt: number;
  /** Stacks blocks from the request's block to the aggregate's. */
  latencyBlocks: number;
  /** Members whose partial is stored on-chain, in the order they landed. */
  signers: string[];
  gateway: unknown;
}

export interface RoleInfo {
  name: string;
  role: "signer" | "watchtower" | "aggregator" | "gateway";
  address: string;
  config: string;
  faulty?: boolean;
}

export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NetworkError";
  }
}

/**
 * Requests made after the sample, at most, so that a faulty member whose partial missed it
 * (landed after the aggregate, refused) submits one the watchtowers can catch.
 */
export const FAULTY_EXTRA_REQUESTS = 5;

const TIMEOUT = { devnet: 120_000, deploy: 180_000, register: 180_000, dkg: 600_000, gateway: 60_000, sign: 300_000, slash: 300_000 };

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
}

/** TOML for a flat two-level table (strings, numbers, booleans). */
function toToml(sections: Record<string, Record<string, string | number | boolean>>): string {
  const value = (v: string | number | boolean) => (typeof v === "string" ? JSON.stringify(v) : String(v));
  return Object.entries(sections)
    .map(([name, entries]) => `[${name}]\n${Object.entries(entries).map(([k, v]) => `${k} = ${value(v)}`).join("\n")}\n`)
    .join("\n");
}

function writeSecretFile(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** The role scripts the network needs and which of them exist in this checkout. */
export function missingRoleScripts(): string[] {
  return ["signer", "watchtower", "aggregator", "gateway"].map((r) => `scripts/${r}.ts`).filter((s) => !existsSync(resolve(PROJECT_ROOT, s)));
}

export class EpochCancelledError extends NetworkError {
  constructor(readonly epoch: number) {
    super(`epoch ${epoch} was cancelled (its DKG did not agree on a key in time)`);
    this.name = "EpochCancelledError";
  }
}

export class ProcessNetwork {
  readonly supervisor = new Supervisor();
  readonly runDir: string;
  readonly roles: RoleInfo[] = [];
  nodeUrl = "";
  contractId = "";
  gatewayUrl = "";
  client!: DtsClient;
  backend!: HttpBackend;
  private readonly password = randomBytes(32).toString("hex");
  private readonly say: (line: string) => void;
  private readonly record: (event: Record<string, unknown>) => void;
  private failure: Error | null = null;
  private ticker: { stop: () => Promise<void> } | null = null;
  private stopped = false;
  private readonly externalNode: string | undefined;
  readonly options: Required<Pick<NetworkOptions, "faulty" | "blockTimeMs" | "burnEvery" | "dkgPhaseBlocks">>;
  private accounts = new Map<string, DevnetAccountKey>();
  /** Counts of notable role events, for the status line. */
  readonly counts = { signed: 0, aggregated: 0, claimed: 0 };

  constructor(options: NetworkOptions = {}) {
    this.options = {
      faulty: options.faulty ?? 0,
      blockTimeMs: options.blockTimeMs ?? 1000,
      burnEvery: options.burnEvery ?? 3,
      dkgPhaseBlocks: options.dkgPhaseBlocks ?? 10,
    };
    const maxFaulty = INIT_PARAMS.totalSigners - INIT_PARAMS.threshold;
    if (!Number.isInteger(this.options.faulty) || this.options.faulty < 0 || this.options.faulty > maxFaulty)
      throw new NetworkError(`--faulty must be 0..${maxFaulty} (t=${INIT_PARAMS.threshold} of n=${INIT_PARAMS.totalSigners} must stay honest)`);
    const base = options.baseDir ?? resolve(PROJECT_ROOT, ".dts");
    this.runDir = join(base, `run-${timestamp()}-${randomBytes(2).toString("hex")}`);
    this.externalNode = options.nodeUrl;
    this.say = options.progress ?? (() => {});
    this.record = options.record ?? (() => {});
    this.supervisor.on("event", (name, event) => this.onRoleEvent(name, event));
    this.supervisor.on("log", (name, line) => {
      if (options.verbose) this.say(`  ${name}: ${line}`);
    });
    this.supervisor.on("exit", (name, info, expected) => {
      if (expected || this.stopped) return;
      const managed = this.supervisor.get(name);
      if (managed.running) {
        this.step("restarted", `${name} exited (${describeExit(info)}) and was restarted`, { role: name });
        return;
      }
      if (name === "deploy" || name === "rotate" || name === "devnet-info") return;
      this.failure ??= new NetworkError(`${name} exited unexpectedly (${describeExit(info)})${managed.tailText()}`);
      this.step("exited", `${name} exited unexpectedly (${describeExit(info)})`, { role: name, code: info.code, signal: info.signal });
    });
  }

  private step(event: string, line: string, data: Record<string, unknown> = {}): void {
    this.say(line);
    this.record({ event, ...data, message: line });
  }

  private onRoleEvent(name: string, event: ChildEvent): void {
    const kind = typeof event.event === "string" ? event.event : "event";
    if (kind === "signed") this.counts.signed += 1;
    if (kind === "aggregated") this.counts.aggregated += 1;
    if (kind === "claimed") this.counts.claimed += 1;
    this.record({ event: "role", role: name, data: event });
    if (name === "devnet") return;
    const details = Object.entries(event)
      .filter(([k]) => k !== "event")
      .map(([k, v]) => `${k} ${typeof v === "string" && v.length > 20 ? `${v.slice(0, 18)}…` : typeof v === "object" ? JSON.stringify(v) : String(v)}`)
      .join(", ");
    this.say(`  ${name}: ${kind}${details ? ` (${details})` : ""}`);
  }

  /** Polls `check` until it yields a value; role failures and the timeout throw. */
  async until<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs: number, intervalMs = 250): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.stopped) throw new NetworkError(`stopped while waiting for ${what}`);
      let value: T | null | undefined | false = null;
      try {
        value = await check();
      } catch (error) {
        // A verdict of the flow's own ends the wait; a node error is retried until the deadline.
        if (error instanceof NetworkError || Date.now() > deadline) throw error;
      }
      if (value !== null && value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new NetworkError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  private spec(name: string, script: string, args: string[], env: Record<string, string> = {}, restarts = 0): ProcessSpec {
    return { name, script, args, env, restarts, logFile: join(this.runDir, `${name}.log`) };
  }

  /** Everything up to a serving network: devnet, contract, roles, first rotation, DKG, gateway. */
  async start(): Promise<void> {
    const missing = missingRoleScripts();
    if (missing.length) throw new NetworkError(`this checkout lacks ${missing.join(", ")}`);
    mkdirSync(this.runDir, { recursive: true, mode: 0o700 });
    this.step("run-dir", `run directory ${this.runDir}`, { runDir: this.runDir });

    // 1. The devnet node.
    if (this.externalNode) {
      this.nodeUrl = this.externalNode.replace(/\/+$/, "");
      this.step("devnet", `using the devnet node at ${this.nodeUrl}`, { url: this.nodeUrl });
    } else {
      const devnet = this.supervisor.start(
        this.spec("devnet", "scripts/devnet.ts", ["--port", "0", "--block-time", String(this.options.blockTimeMs), "--no-deploy", "--json"]),
      );
      const ready = await devnet.waitFor((e) => typeof e.url === "string", { timeoutMs: TIMEOUT.devnet, what: "the devnet's ready line" });
      this.nodeUrl = ready.url as string;
      this.step("devnet", `devnet node ${this.nodeUrl} (pid ${devnet.pid}), a Stacks block every ${this.options.blockTimeMs} ms`, { url: this.nodeUrl, pid: devnet.pid });
    }

    const names = [...SIGNER_ACCOUNTS, ...WATCHTOWER_ACCOUNTS, AGGREGATOR_ACCOUNT, GATEWAY_ACCOUNT, ROTATOR_ACCOUNT, "deployer"];
    this.accounts = await devnetAccounts(names);
    const mnemonics = devnetMnemonics();

    // 2. Deploy and initialize (the deployer's public devnet mnemonic through DTS_MNEMONIC).
    const p = INIT_PARAMS;
    const init = [p.minStake, p.requiredSigners, p.totalSigners, p.rotationPeriod, p.threshold].map(String);
    this.say(`deploying contracts/dts.clar and initializing (${init.join(" ")})…`);
    const deployed = await this.supervisor.run(
      this.spec("deploy", "scripts/deploy.ts", ["--network", "devnet", "--node-url", this.nodeUrl, "--initialize", ...init, "--json"], {
        DTS_MNEMONIC: mnemonics.get("deployer")!,
      }),
      { timeoutMs: TIMEOUT.deploy },
    );
    const deployResult = deployed.find((e) => typeof e.contractId === "string");
    if (!deployResult) throw new NetworkError("deploy printed no result");
    this.contractId = deployResult.contractId as string;
    this.step("deployed", `deployed ${this.contractId} (block ${String(deployResult.blockHeight)}), initialized: min-stake ${p.minStake} uSTX, committee ${p.totalSigners}, threshold ${p.threshold}, rotation every ${p.rotationPeriod} Bitcoin blocks`, {
      contractId: this.contractId,
    });
    this.backend = new HttpBackend({ network: "devnet", nodeUrl: this.nodeUrl, contractId: this.contractId, pollIntervalMs: 250 });
    this.client = new DtsClient(this.backend);
    this.startTicker();

    // 3. One TOML file per role, keystores encrypted under this run's password.
    await this.writeConfigs();
    this.step("configs", `wrote ${this.roles.length} role configurations and encrypted keystores to ${this.runDir}`, { roles: this.roles });

    // 4. Signers 1..5 first (they rank first: the first committee), then the two backups.
    const signers = this.roles.filter((r) => r.role === "signer");
    const startRole = (role: RoleInfo) =>
      this.supervisor.start(this.spec(role.name, `scripts/${role.role}.ts`, ["--config", role.config, "--json"], { [PASSWORD_ENV]: this.password }, 3));
    const registered = async (group: RoleInfo[]) =>
      this.until(
        `${group.map((r) => r.name).join(", ")} to register`,
        async () => {
          for (const r of group) if (!(await this.client.getSignerInfo(r.address))) return null;
          return true;
        },
        TIMEOUT.register,
      );
    const first = signers.slice(0, p.totalSigners);
    for (const r of first) startRole(r);
    this.say(`started ${first.map((r) => `${r.name} (pid ${this.supervisor.get(r.name).pid})`).join(", ")}; waiting for them to register…`);
    await registered(first);
    const backups = signers.slice(p.totalSigners);
    for (const r of backups) startRole(r);
    const towers = this.roles.filter((r) => r.role === "watchtower");
    for (const r of towers) startRole(r);
    const aggregator = this.roles.find((r) => r.role === "aggregator")!;
    startRole(aggregator);
    await registered(backups);
    this.step("signers", `${signers.length} signers registered (stake ${p.minStake} uSTX each)`, { signers: signers.map((r) => r.address) });
    await this.until(
      "the watchtowers to bond",
      async () => {
        for (const r of towers) if (!(await this.client.getWatchtower(r.address))?.isActive) return null;
        return true;
      },
      TIMEOUT.register,
    );
    this.step("watchtowers", `${towers.length} watchtowers bonded`, { watchtowers: towers.map((r) => r.address) });

    // 5. The first rotation; the signer nodes run the DKG themselves.
    const { epoch, groupPublicKey: groupKey } = await this.rotateAndWait();
    this.step("dkg", `DKG done: epoch ${epoch} active, group key ${groupKey}`, { epoch, groupPublicKey: groupKey });

    // 6. The gateway.
    const gatewayRole = this.roles.find((r) => r.role === "gateway")!;
    const gateway = startRole(gatewayRole);
    const listening = await gateway.waitFor((e) => e.event === "listening" && typeof e.url === "string", { timeoutMs: TIMEOUT.gateway, what: "the gateway's listening event" });
    this.gatewayUrl = (listening.url as string).replace(/\/+$/, "");
    this.step("gateway", `gateway listening on ${this.gatewayUrl}`, { url: this.gatewayUrl });
  }

  private async writeConfigs(): Promise<void> {
    const chain = { network: "devnet", node_url: this.nodeUrl, contract_id: this.contractId, poll_interval_ms: 250, fee: 10_000 };
    const account = async (role: string, accountName: string) => {
      const key = this.accounts.get(accountName)!;
      const file = `${role}.account.json`;
      // A lighter scrypt than the default: this is a throw-away run on public devnet keys,
      // and twelve processes open their keystores at once.
      writeSecretFile(join(this.runDir, file), await encryptStacksKey(key.privateKey, this.password, { scryptN: 2 ** 14 }));
      return { keystore: file, password_env: PASSWORD_ENV };
    };
    const add = (info: Omit<RoleInfo, "config">, sections: Record<string, Record<string, string | number | boolean>>) => {
      const config = join(this.runDir, `${info.name}.toml`);
      writeFileSync(config, `# ${info.name}: written by npm start (src/network/run.ts)\n${toToml(sections)}`);
      this.roles.push({ ...info, config });
    };
    const { faulty } = this.options;
    for (const [i, name] of SIGNER_ACCOUNTS.entries()) {
      const role = `signer-${i + 1}`;
      // The last `faulty` members of the first committee (signers 1..5) misbehave.
      const isFaulty = i < INIT_PARAMS.totalSigners && i >= INIT_PARAMS.totalSigners - faulty;
      add(
        { name: role, role: "signer", address: this.accounts.get(name)!.address, ...(isFaulty ? { faulty: true } : {}) },
        {
          chain,
          account: await account(role, name),
          signer: {
            identity_keystore: `${role}.identity.json`,
            password_env: PASSWORD_ENV,
            database: `${role}.db`,
            register: true,
            aggregate: false,
            rotate: false,
            faulty: isFaulty,
            dkg_phase_blocks: this.options.dkgPhaseBlocks,
            keystore_scrypt_n: 2 ** 14,
          },
        },
      );
    }
    for (const [i, name] of WATCHTOWER_ACCOUNTS.entries()) {
      const role = `watchtower-${i + 1}`;
      add(
        { name: role, role: "watchtower", address: this.accounts.get(name)!.address },
        { chain, account: await account(role, name), watchtower: { database: `${role}.db`, bond: true, report: true } },
      );
    }
    add(
      { name: "aggregator", role: "aggregator", address: this.accounts.get(AGGREGATOR_ACCOUNT)!.address },
      { chain, account: await account("aggregator", AGGREGATOR_ACCOUNT), aggregator: { database: "aggregator.db" } },
    );
    add(
      { name: "gateway", role: "gateway", address: this.accounts.get(GATEWAY_ACCOUNT)!.address },
      { chain, account: await account("gateway", GATEWAY_ACCOUNT), gateway: { host: "127.0.0.1", port: 0, default_fee: 10_000 } },
    );
  }

  /** rotate-signers with the committee get-ranking yields, sent by scripts/dts.ts; returns the new epoch. */
  async rotate(): Promise<number> {
    const out = await this.supervisor.run(
      this.spec(
        `rotate`,
        "scripts/dts.ts",
        ["rotate-signers", "auto", "--network", "devnet", "--node-url", this.nodeUrl, "--contract", this.contractId, "--json", "--timeout", "120"],
        { DTS_MNEMONIC: devnetMnemonics().get(ROTATOR_ACCOUNT)! },
      ),
      { timeoutMs: TIMEOUT.deploy },
    );
    const result = out.find((e) => e.ok === true && e.function === "rotate-signers");
    if (!result) throw new NetworkError("rotate-signers printed no result");
    const epoch = Number(result.value);
    const info = await this.client.getEpoch(epoch);
    if (!info) throw new NetworkError(`epoch ${epoch} is not on-chain after rotate-signers`);
    const names = info.committee.map((a) => this.roles.find((r) => r.address === a)?.name ?? a);
    this.step("rotated", `rotate-signers: epoch ${epoch} forming, committee ${names.join(", ")} (threshold ${info.threshold}); the signer nodes run the DKG…`, {
      epoch,
      committee: info.committee,
      threshold: Number(info.threshold),
    });
    return epoch;
  }

  /** Waits until `epoch` is active; returns its group key as read from the contract. */
  async waitForEpoch(epoch: number): Promise<string> {
    return this.until(
      `epoch ${epoch} to activate (DKG)`,
      async () => {
        const info = await this.client.getEpoch(epoch);
        if (info?.status === "cancelled") throw new EpochCancelledError(epoch);
        return info?.status === "active" && info.groupPublicKey ? info.groupPublicKey : null;
      },
      TIMEOUT.dkg,
    );
  }

  /**
   * Rotates and waits for the nodes' DKG (or reshare). A forming epoch that a watchtower
   * cancels (no key within dkg-timeout) makes the next rotation due at once: rotate again,
   * at most `attempts` times in all.
   */
  async rotateAndWait(attempts = 3): Promise<{ epoch: number; groupPublicKey: string }> {
    for (let attempt = 1; ; attempt++) {
      const epoch = await this.rotate();
      try {
        return { epoch, groupPublicKey: await this.waitForEpoch(epoch) };
      } catch (error) {
        if (!(error instanceof EpochCancelledError) || attempt >= attempts) throw error;
        this.step("cancelled", `epoch ${epoch} was cancelled before its key was agreed; rotating again`, { epoch });
      }
    }
  }

  /** The group key of the serving epoch, read from the contract. */
  async groupKey(): Promise<{ epoch: number; groupPublicKey: string }> {
    const state = await this.client.getNetworkState();
    const epoch = Number(state.currentEpoch);
    const info = await this.client.getEpoch(epoch);
    if (!info?.groupPublicKey) throw new NetworkError(`epoch ${epoch} has no group key`);
    return { epoch, groupPublicKey: info.groupPublicKey };
  }

  private async http(method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${this.gatewayUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, json };
  }

  /** POST /sign on the gateway; resolves with the request's id and hash once it is on-chain. */
  async request(message: string): Promise<{ requestId: string; messageHash: string; createdAt: number; epoch: number }> {
    const hash = `0x${toHex(hashMessage(message))}`;
    const posted = await this.http("POST", "/sign", { message });
    if (posted.status >= 300) throw new NetworkError(`POST /sign answered ${posted.status}: ${JSON.stringify(posted.json)}`);
    const body = posted.json as Record<string, unknown>;
    const requestId = String(body.request_id ?? body.requestId ?? "");
    if (!requestId) throw new NetworkError(`POST /sign gave no request_id: ${JSON.stringify(body)}`);
    const reported = [body.message_hash, body.messageHash, requestId].find((v) => typeof v === "string" && /^0x[0-9a-f]{64}$/i.test(v)) as string | undefined;
    if (reported && reported.toLowerCase() !== hash) throw new NetworkError(`the gateway hashed the message to ${reported}, expected SHA-256 ${hash}`);
    const request = await this.until(`request ${requestId} on-chain`, () => this.client.getRequest(hash), TIMEOUT.sign);
    return { requestId, messageHash: hash, createdAt: Number(request.createdAt), epoch: Number(request.epoch) };
  }

  /** Waits for a request's aggregate on-chain and verifies it against the contract's group key. */
  async finalized(message: string, requested: { requestId: string; messageHash: string }): Promise<SignResult> {
    const request = await this.until(
      `the aggregate of ${requested.messageHash.slice(0, 18)}…`,
      async () => {
        const r = await this.client.getRequest(requested.messageHash);
        return r?.aggregateSignature ? r : null;
      },
      TIMEOUT.sign,
    );
    const epoch = Number(request.epoch);
    const info = await this.client.getEpoch(epoch);
    if (!info?.groupPublicKey) throw new NetworkError(`epoch ${epoch} has no group key`);
    const signature = request.aggregateSignature!;
    const verifies = verify(fromHex(info.groupPublicKey), fromHex(requested.messageHash), fromHex(signature));
    let gateway: unknown = null;
    try {
      const answer = await this.http("GET", `/signature/${encodeURIComponent(requested.requestId)}`);
      gateway = answer.json;
    } catch {
      gateway = null;
    }
    return {
      requestId: requested.requestId,
      message,
      messageHash: requested.messageHash,
      epoch,
      signature,
      groupPublicKey: info.groupPublicKey,
      verifies,
      requestedAt: Number(request.createdAt),
      finalizedAt: Number(request.finalizedAt),
      latencyBlocks: Number(request.finalizedAt) - Number(request.createdAt),
      signers: request.signers,
      gateway,
    };
  }

  /** Signs a message through the gateway, end to end. */
  async sign(message: string): Promise<SignResult> {
    const requested = await this.request(message);
    this.say(`POST /sign "${message}": request ${requested.requestId} in block ${requested.createdAt} (epoch ${requested.epoch})`);
    return this.finalized(message, requested);
  }

  /** Contract events since `fromBlock` (by the devnet's event API). */
  events(fromBlock: number): Promise<ContractEvent[]> {
    return this.backend.events(fromBlock);
  }

  /**
   * Waits until every faulty signer was slashed for an invalid partial; returns the slash
   * events. A faulty member's partial that arrives after a request's aggregate is refused
   * (ERR-ALREADY-FINALIZED) and leaves nothing to catch; so while a faulty member has no
   * partial on-chain since `fromBlock`, another request is signed (at most
   * FAULTY_EXTRA_REQUESTS), each after the previous one's aggregate, when every partial that
   * could land has.
   */
  async faultySlashed(fromBlock: number, message = "faulty check"): Promise<{ role: string; signer: string; amount: string; messageHash: string; totalSlashes: number }[]> {
    const faulty = this.roles.filter((r) => r.faulty);
    for (let extra = 1; ; extra++) {
      const partials = (await this.events(fromBlock)).filter((e) => e.topic === "partial-signature");
      const missing = faulty.filter((r) => !partials.some((e) => e.data.signer === r.address));
      if (missing.length === 0) break;
      const names = missing.map((r) => r.name).join(", ");
      if (extra > FAULTY_EXTRA_REQUESTS)
        throw new NetworkError(`${names} got no partial on-chain in ${FAULTY_EXTRA_REQUESTS + 1} requests (each landed after the aggregate): nothing for the watchtowers to catch`);
      this.step("faulty-retry", `${names}: no partial on-chain yet (it came after the aggregate); request ${extra} of at most ${FAULTY_EXTRA_REQUESTS} so that it sends one`, {
        roles: missing.map((r) => r.name),
        attempt: extra,
      });
      const signed = await this.sign(`${message} #${extra}`);
      if (!signed.verifies) throw new NetworkError(`the signature of "${signed.message}" does not verify against the group key read from the contract`);
    }
    const slashes = await this.until(
      `the watchtowers to slash ${faulty.map((r) => r.name).join(", ")}`,
      async () => {
        const events = (await this.events(fromBlock)).filter((e) => e.topic === "signer-slashed" && e.data.reason === "invalid-partial");
        const found = faulty.map((r) => events.find((e) => e.data.signer === r.address));
        return found.every(Boolean) ? (found as ContractEvent[]) : null;
      },
      TIMEOUT.slash,
    );
    const out = [];
    for (const [i, event] of slashes.entries()) {
      const info = await this.client.getSignerInfo(faulty[i].address);
      out.push({
        role: faulty[i].name,
        signer: faulty[i].address,
        amount: String(event.data.amount),
        messageHash: String(event.data["message-hash"]),
        totalSlashes: Number(info?.slashingHistory.totalSlashes ?? 0),
      });
    }
    return out;
  }

  /**
   * A rotation with resharing by the nodes: mine the rotation period's Bitcoin blocks,
   * rotate, sign a request while the new epoch forms, wait for it to activate.
   */
  async rotateWithReshare(message: string): Promise<{
    before: { epoch: number; groupPublicKey: string };
    after: { epoch: number; groupPublicKey: string };
    unchanged: boolean;
    duringSwitch: SignResult & { pendingEpoch: number; pendingAtRequest: boolean };
  }> {
    const before = await this.groupKey();
    const config = await this.client.getConfig();
    const state = await this.client.getNetworkState();
    const due = Number(state.lastRotation) + Number(config.rotationPeriod) - Number(state.burnNow);
    if (due > 0) {
      this.say(`mining ${due} Bitcoin blocks (the rotation period)…`);
      await this.mine({ burnBlocks: due });
    }
    const epoch = await this.rotate();
    // A request while the new epoch forms: the serving committee signs it.
    const requested = await this.request(message);
    const pending = await this.client.getEpoch(epoch);
    const pendingAtRequest = pending !== null && (pending.status === "pending" || Number(pending.activatedAt) > requested.createdAt);
    this.step("switch-request", `request during the switch: ${requested.requestId} in block ${requested.createdAt}, served by epoch ${requested.epoch} while epoch ${epoch} is ${pending?.status}`, {
      requestId: requested.requestId,
      epoch: requested.epoch,
      pendingEpoch: epoch,
    });
    const signed = await this.finalized(message, requested);
    this.step("switch-signed", `request during the switch signed in block ${signed.finalizedAt} (${signed.latencyBlocks} blocks), verifies: ${signed.verifies}`, { ...signed });
    const groupPublicKey = await this.waitForEpoch(epoch);
    const after = { epoch, groupPublicKey };
    const unchanged = after.groupPublicKey === before.groupPublicKey;
    this.step("reshared", `reshare done: epoch ${epoch} active, group key ${unchanged ? "unchanged" : "CHANGED"} (${groupPublicKey})`, { before, after, unchanged });
    return { before, after, unchanged, duringSwitch: { ...signed, pendingEpoch: epoch, pendingAtRequest } };
  }

  async mine(body: { blocks?: number; burnBlocks?: number }): Promise<void> {
    const response = await fetch(`${this.nodeUrl}/devnet/mine`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!response.ok) throw new NetworkError(`POST /devnet/mine answered ${response.status}: ${await response.text()}`);
  }

  /** One status line per Stacks block (when `onBlock` is set) and a Bitcoin block every burnEvery Stacks blocks. */
  private startTicker(): void {
    let last = 0;
    let lastBurnAt = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        try {
          const height = await this.backend.blockHeight();
          if (height > last) {
            if (lastBurnAt === 0) lastBurnAt = height;
            if (height - lastBurnAt >= this.options.burnEvery) {
              lastBurnAt = height;
              await this.mine({ burnBlocks: 1 });
            }
            if (last > 0) this.onBlock?.(height);
            last = height;
          }
        } catch {
          // the node is starting or stopping
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    this.ticker = {
      stop: async () => {
        running = false;
        await loop;
      },
    };
  }

  /** Called once per new Stacks block. */
  onBlock: ((height: number) => void) | null = null;

  /** A short status line: heights, epoch, processes up, activity. */
  async statusLine(height: number): Promise<string> {
    const state = await this.client.getNetworkState();
    const up = (role: string) => this.roles.filter((r) => r.role === role && this.supervisor.get(r.name).running).length;
    const total = (role: string) => this.roles.filter((r) => r.role === role).length;
    return (
      `block ${height} · burn ${state.burnBlockHeight} · epoch ${state.currentEpoch}${state.latestEpoch !== state.currentEpoch ? ` (epoch ${state.latestEpoch} forming)` : ""} · ` +
      `up: signers ${up("signer")}/${total("signer")}, watchtowers ${up("watchtower")}/${total("watchtower")}, aggregator ${up("aggregator")}, gateway ${up("gateway")} · ` +
      `partials ${this.counts.signed}, aggregates ${this.counts.aggregated}`
    );
  }

  role(name: string): Managed {
    return this.supervisor.get(name);
  }

  /** Stops every role, then the devnet. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.ticker?.stop();
    await this.supervisor.stopAll({ last: ["devnet"] });
  }
}

export { ProcessError };
