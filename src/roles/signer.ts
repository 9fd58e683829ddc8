// The signer node: follows the DTS contract's events and takes part in the network as one
// registered signer.
//
// - Identity: an encrypted keystore (src/crypto/keystore.ts) holds the BLS identity key
//   (created on the very first start) and the node's shares by epoch.
// - DKG and resharing: on `committee-rotated` naming this node in the new committee (or, for
//   a reshare, in the previous one), it runs a DkgParticipant / ReshareParticipant whose
//   frames travel through `post-dkg-message` and come back from the `dkg-message` events.
//   Phase boundaries are decided from chain data only (see {@link DkgRun}), then the node
//   votes its result with `submit-epoch-key` after writing its share to the keystore.
// - Signing: every `signature-requested` of an epoch it holds a share for gets one partial
//   (`submit-partial-signature`), recorded in the database before it is sent. The partials
//   due in one batch of blocks are all recorded first, then sent concurrently, so that a
//   burst of requests is answered within about a block. A partial the contract refuses is
//   recorded as failed and the node moves on; a node error is retried.
//
// Restart safety: the database (src/roles/store.ts, WAL + synchronous=FULL) records every
// partial and every DKG frame before it is sent; a restart re-sends the recorded bytes,
// never new ones. The DKG randomness is derived from the identity secret and the epoch
// (HMAC-SHA256 counter mode), so a restarted node rebuilds exactly the polynomial it dealt
// and can still answer complaints; the frames it rebuilds are checked against the recorded
// ones. A DKG interrupted by a restart is replayed from the committee-rotated block; a member
// of an active epoch that lost its share (database and keystore restored from before) replays
// that DKG from the chain to recover it. Before signing, the chain is read too: a partial
// already there is never sent again.
import { existsSync, readFileSync, writeFileSync, renameSync, openSync, fsyncSync, closeSync, mkdirSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { Cl, type ClarityValue } from "@stacks/transactions";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { ChainBackend, ContractEvent, TxOutcome } from "../chain/backend.js";
import { encodeArgs, type DtsClient } from "../chain/client.js";
import { ContractCallError, ERROR_NAMES, decode, type Plain } from "../chain/clarity.js";
import {
  CURVE_ORDER,
  DkgFailedError,
  DkgParticipant,
  KeystoreCorruptError,
  KeystoreVersionError,
  KeystoreWrongPasswordError,
  ReshareParticipant,
  decodeDkgFrame,
  decryptKeystore,
  encryptKeystore,
  equalBytes,
  fromHex,
  generateIdentity,
  isValidPublicKey,
  partialSign,
  publicKeyOf,
  toHex,
  type DkgResult,
  type DkgSession,
  type KeystoreSecrets,
  type RandomSource,
} from "../crypto/index.js";
import { ConfigError, connect, secretFromEnv, type RoleConfig, type SignerConfig } from "./config.js";
import { follow, type Follower } from "./follow.js";
import { Store } from "./store.js";
import { Aggregator } from "./aggregator.js";
import { MAX_TXS_IN_FLIGHT, inParallel } from "./parallel.js";
import { RoleStore } from "./watchtower-store.js";

/** A start-up failure an operator must fix (wrong password, unreachable node, key mismatch). */
export class SignerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SignerError";
  }
}

export type SignerEvent = { event: string } & Record<string, unknown>;

/** The moments a test may interrupt (after the record is durable, before the transaction). */
export type SubmitKind = "dkg-message" | "partial" | "vote";

export interface SignerNodeOptions {
  config: RoleConfig;
  /** Environment holding the secrets the configuration names (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Human progress lines (never a secret). */
  log?: (line: string) => void;
  /** One object per notable action (the `--json` lines). */
  emit?: (event: SignerEvent) => void;
  /** The chain connection; default: `connect(config)` (HTTP). Tests may pass a simnet one. */
  connection?: { client: DtsClient; backend: ChainBackend; address: string };
  /**
   * Tests: called after a record is durable and before its transaction is sent. A throw
   * simulates a crash at that point: the node does nothing more until stopped.
   */
  beforeSubmit?: (kind: SubmitKind, detail: Record<string, unknown>) => void | Promise<void>;
  /** Attempts to reach the node at start, 1 s apart (the HTTP backend also retries each request with backoff); default 2. */
  connectAttempts?: number;
}

const SCHEMA = [
  // One row per partial this node made: written (status 'recorded') before it is sent.
  `CREATE TABLE IF NOT EXISTS signed (
     message_hash TEXT NOT NULL, attempt INTEGER NOT NULL, epoch INTEGER NOT NULL,
     share_index INTEGER NOT NULL, signature TEXT NOT NULL, faulty INTEGER NOT NULL,
     status TEXT NOT NULL, txid TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
     PRIMARY KEY (message_hash, attempt))`,
  // The exact DKG frames this node sends, by epoch and phase: written before the first is sent.
  `CREATE TABLE IF NOT EXISTS dkg_sent (
     epoch INTEGER NOT NULL, phase INTEGER NOT NULL, seq INTEGER NOT NULL, frame TEXT NOT NULL,
     created_at TEXT NOT NULL, PRIMARY KEY (epoch, phase, seq))`,
  // DKG sessions this node takes part in.
  `CREATE TABLE IF NOT EXISTS dkg_session (
     epoch INTEGER PRIMARY KEY, rotated_at INTEGER NOT NULL, status TEXT NOT NULL,
     identity_keys TEXT NOT NULL, group_key TEXT, share_keys TEXT, updated_at TEXT NOT NULL)`,
  // Key votes: written before submit-epoch-key is sent.
  `CREATE TABLE IF NOT EXISTS dkg_vote (
     epoch INTEGER PRIMARY KEY, group_key TEXT NOT NULL, share_keys TEXT NOT NULL,
     status TEXT NOT NULL, txid TEXT, updated_at TEXT NOT NULL)`,
];

const now = () => new Date().toISOString();
const hex0x = (b: Uint8Array) => `0x${toHex(b)}`;
const bytesOf = (v: Plain): Uint8Array => fromHex(String(v).replace(/^0x/, ""));
const errorName = (e: unknown) => (e instanceof ContractCallError ? (ERROR_NAMES[e.code] ?? `u${e.code}`) : undefined);

/** What the HTTP backend adds to ChainBackend: broadcasting and waiting apart (src/chain/http.ts). */
interface Broadcaster {
  submit(fn: string, args: ClarityValue[], sender: string): Promise<{ txid: string }>;
  waitForTx(txid: string, timeoutMs?: number): Promise<TxOutcome>;
}

/** A partial due: recorded in the database (`signed`, status 'recorded'), or about to be, and not on the chain. */
interface DuePartial {
  hashHex: string;
  hash: Uint8Array;
  attempt: number;
  epoch: number;
  index: number;
  /** The recorded bytes (hex): the only ones ever sent for this hash and attempt. */
  signature: string;
  /** Made in this batch: recorded (with the batch's others) before anything is sent. */
  fresh: boolean;
}

/** Writes a file atomically and durably (temporary file, fsync, rename, fsync of the folder). */
function writeDurably(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.tmp`);
  writeFileSync(tmp, text, { mode: 0o600 });
  const fd = openSync(tmp, "r");
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
  const dir = openSync(dirname(file), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * Deterministic DKG randomness: HMAC-SHA256(identity secret, label || epoch || committee
 * digest || counter). A node deals once per epoch; deriving the polynomial this way means a
 * restarted node rebuilds the same deal (and can answer complaints about it), and can never
 * deal two different versions.
 */
export function dkgRandom(identitySecret: bigint, epoch: number, committeeDigest: Uint8Array): RandomSource {
  const key = fromHex(identitySecret.toString(16).padStart(64, "0"));
  const label = new TextEncoder().encode("dts-signer-dkg-v1");
  const epochBytes = new Uint8Array(4);
  new DataView(epochBytes.buffer).setUint32(0, epoch);
  let counter = 0;
  return (length: number) => {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const c = new Uint8Array(4);
      new DataView(c.buffer).setUint32(0, counter++);
      const block = hmac(sha256, key, new Uint8Array([...label, ...epochBytes, ...committeeDigest, ...c]));
      out.set(block.subarray(0, Math.min(32, length - filled)), filled);
      filled += 32;
    }
    return out;
  };
}

type Phase = 1 | 2 | 3;

/**
 * One DKG (or reshare) as this node sees it, driven block by block from chain data only, so
 * every honest node decides the same phase boundaries:
 *
 * - deal phase: frames in blocks R..D, where R is the committee-rotated block and D the first
 *   block >= R at whose end every expected dealer (members with a valid identity key; for a
 *   reshare, every member of the previous committee) has posted a complete deal, or R + K;
 * - complaint phase: frames in blocks D+1..C, C = D + K;
 * - justification phase: none if nobody posted a complaint frame by C (the DKG finishes at
 *   C); else frames in blocks C+1..J, J = C + K.
 *
 * Frames are delivered in chain order; a frame of a phase that closed is ignored by the
 * participant. K is `signer.dkg_phase_blocks`. All nodes of a committee must use the same K.
 */
export class DkgRun {
  readonly participant: DkgSession;
  private readonly expected: Set<number>;
  private readonly dealt = new Map<number, { chunks: number; got: Set<number> }>();
  private complaintFrames = 0;
  /** Closing block of each phase, once decided. */
  readonly closed: Partial<Record<Phase, number>> = {};
  /** This node's frames per phase (computed when the phase opens). */
  readonly mine: Partial<Record<Phase, Uint8Array[]>> = {};
  /** Payloads this node's account posted that are on the chain. */
  readonly seen = new Set<string>();
  result?: DkgResult;
  failure?: string;
  /** Last block handled. */
  handledThrough: number;

  constructor(
    readonly epoch: number,
    readonly rotatedAt: number,
    readonly reshare: boolean,
    readonly k: number,
    participant: DkgSession,
    expectedDealers: number[],
    readonly me: string,
  ) {
    this.participant = participant;
    this.expected = new Set(expectedDealers);
    this.handledThrough = rotatedAt - 1;
  }

  /** Delivers one dkg-message event (of this epoch). */
  deliver(e: ContractEvent): void {
    if (Number(e.data.epoch) !== this.epoch) return;
    const payload = bytesOf(e.data.payload!);
    if (e.data.sender === this.me) this.seen.add(toHex(payload));
    let frame;
    try {
      frame = decodeDkgFrame(payload);
    } catch {
      return; // not a DKG frame: every participant ignores it
    }
    const from = Number(!this.reshare || frame.phase === 2 ? e.data.index : e.data["old-index"]);
    if (from === 0) return;
    const receipt = this.participant.receive(from, payload);
    if (frame.phase === 1 && this.closed[1] === undefined && frame.epoch === this.epoch && frame.sender === from) {
      let d = this.dealt.get(from);
      if (!d) this.dealt.set(from, (d = { chunks: frame.chunks, got: new Set() }));
      if (d.chunks === frame.chunks) d.got.add(frame.chunk);
    }
    if (frame.phase === 2 && this.closed[2] === undefined && receipt.status !== "ignored") this.complaintFrames++;
  }

  private allDealt(): boolean {
    for (const d of this.expected) {
      const x = this.dealt.get(d);
      if (!x || x.got.size < x.chunks) return false;
    }
    return true;
  }

  /** Closes the phases due at the end of block h; returns the phases closed. */
  endOfBlock(h: number): Phase[] {
    this.handledThrough = h;
    const closedNow: Phase[] = [];
    if (this.closed[1] === undefined) {
      if (h >= this.rotatedAt + this.k || this.allDealt()) {
        this.closed[1] = h;
        this.mine[2] = this.participant.complain();
        closedNow.push(1);
      } else return closedNow;
    }
    if (this.closed[2] === undefined) {
      if (h >= this.closed[1] + this.k) {
        this.closed[2] = h;
        this.mine[3] = this.participant.justify();
        closedNow.push(2);
      } else return closedNow;
    }
    if (this.closed[3] === undefined) {
      if (this.complaintFrames === 0 || h >= this.closed[2] + this.k) {
        this.closed[3] = h;
        closedNow.push(3);
        try {
          this.result = this.participant.finish();
        } catch (e) {
          this.failure = e instanceof DkgFailedError ? e.message : `DKG failed: ${(e as Error).message}`;
        }
      }
    }
    return closedNow;
  }

  /** The phase whose frames may still be posted, or null once the DKG is over. */
  get openPhase(): Phase | null {
    if (this.closed[1] === undefined) return 1;
    if (this.closed[2] === undefined) return 2;
    if (this.closed[3] === undefined) return 3;
    return null;
  }
}

/** A signer node. `start()` resolves once it follows the chain; `stop()` ends it cleanly. */
export class SignerNode {
  private readonly signer: SignerConfig;
  private readonly log: (line: string) => void;
  private readonly emit: (event: SignerEvent) => void;
  private store?: Store;
  private secrets?: KeystoreSecrets;
  private password?: string;
  private identityKey?: Uint8Array;
  private client!: DtsClient;
  private backend!: ChainBackend;
  private follower?: Follower;
  private readonly runs = new Map<number, DkgRun>();
  private address = "";
  private halted = false;
  private aggregator?: Aggregator;
  private aggregatorStore?: RoleStore;

  constructor(private readonly options: SignerNodeOptions) {
    if (!options.config.signer) throw new ConfigError(`${options.config.source}: missing section [signer]`);
    this.signer = options.config.signer;
    this.log = options.log ?? (() => {});
    this.emit = options.emit ?? (() => {});
  }

  /** The account this node sends from. */
  get account(): string {
    return this.address;
  }

  /** The identity public key (after start). */
  get publicKey(): Uint8Array | undefined {
    return this.identityKey;
  }

  /** Epochs for which the keystore holds a share (after start). */
  shareEpochs(): number[] {
    return (this.secrets?.shares ?? []).map((s) => s.epoch).sort((a, b) => a - b);
  }

  /** The database (after start; tests and tools read it). */
  get database(): Store | undefined {
    return this.store;
  }

  async start(): Promise<void> {
    const env = this.options.env ?? process.env;
    this.password = secretFromEnv(this.signer.passwordEnv, `the password of ${this.signer.identityKeystore}`, env);
    await this.openKeystore();
    const connection = this.options.connection ?? (await connect(this.options.config, env));
    this.client = connection.client;
    this.backend = connection.backend;
    this.address = connection.address;
    this.store = Store.open(this.signer.database, { role: "signer", schema: SCHEMA });
    try {
      await this.begin();
    } catch (e) {
      await this.follower?.stop();
      await this.aggregator?.stop();
      this.aggregatorStore?.close();
      this.store.close();
      throw e;
    }
  }

  private async begin(): Promise<void> {
    const store = this.store!;
    const storedAccount = store.get("account");
    if (storedAccount && storedAccount !== this.address)
      throw new SignerError(`database ${this.signer.database} belongs to ${storedAccount}, not to ${this.address}`);
    const storedKey = store.get("identity_key");
    if (storedKey && storedKey !== toHex(this.identityKey!))
      throw new SignerError(`database ${this.signer.database} belongs to identity key ${storedKey.slice(0, 16)}…, not to the one in ${this.signer.identityKeystore}`);
    store.set("account", this.address);
    store.set("identity_key", toHex(this.identityKey!));

    const tip = await this.reachNode();
    this.log(`signer ${this.address}: identity key ${toHex(this.identityKey!).slice(0, 16)}…, chain tip ${tip}`);
    await this.ensureRegistered();

    const from = store.cursor("follower") ?? 0;
    await this.resumeRuns(from);
    this.follower = follow({
      backend: this.backend,
      fromBlock: from,
      pollIntervalMs: this.options.config.chain.pollIntervalMs,
      onBlocks: (events, range) => this.onBlocks(events, range),
      onError: (e) => this.log(`error (will retry): ${e instanceof Error ? e.message : String(e)}`),
    });
    this.log(`following ${this.options.config.chain.contractId} from block ${from}`);
    if (this.signer.aggregate) await this.startAggregator();
  }

  /**
   * `[signer] aggregate = true`: the aggregator role (src/roles/aggregator.ts) in this
   * process, sending from the same account through the same backend (one nonce allocator).
   * Its database: `[aggregator] database` if the file has that section, else the signer's
   * database name with `.aggregator.db`.
   */
  private async startAggregator(): Promise<void> {
    const file = this.options.config.aggregator?.database ?? this.signer.database.replace(/(\.db|\.sqlite)?$/, ".aggregator.db");
    this.aggregatorStore = RoleStore.open(file, "aggregator");
    this.aggregator = new Aggregator({
      client: this.client,
      store: this.aggregatorStore,
      pollIntervalMs: this.options.config.chain.pollIntervalMs,
      log: (line) => this.log(line),
      onAction: (action) => this.emit({ ...action, role: "aggregator" }),
    });
    await this.aggregator.start();
  }

  /** Stops after the current step and closes the database. */
  async stop(): Promise<void> {
    await this.follower?.stop();
    await this.aggregator?.stop();
    this.aggregatorStore?.close();
    this.store?.close();
    this.log("stopped");
  }

  // ---- identity keystore -------------------------------------------------------------------

  private async openKeystore(): Promise<void> {
    const file = this.signer.identityKeystore;
    if (!existsSync(file)) {
      const identity = generateIdentity();
      this.secrets = { identitySecret: identity.secretKey, shares: [] };
      await this.saveKeystore();
      this.log(`created identity keystore ${file}`);
      this.emit({ event: "keystore-created", keystore: file, publicKey: hex0x(identity.publicKey) });
    } else {
      try {
        this.secrets = await decryptKeystore(readFileSync(file, "utf8"), this.password!);
      } catch (e) {
        if (e instanceof KeystoreWrongPasswordError)
          throw new SignerError(`${file}: wrong password (from ${this.signer.passwordEnv}), or the file is damaged`);
        if (e instanceof KeystoreCorruptError || e instanceof KeystoreVersionError) throw new SignerError(`${file}: ${e.message}`);
        throw e;
      }
    }
    this.identityKey = publicKeyOf(this.secrets!.identitySecret);
  }

  private async saveKeystore(secrets: KeystoreSecrets = this.secrets!): Promise<void> {
    const text = await encryptKeystore(secrets, this.password!, { scryptN: this.signer.keystoreScryptN, description: "DTS signer identity and shares" });
    writeDurably(this.signer.identityKeystore, text);
  }

  private shareFor(epoch: number) {
    return this.secrets!.shares.find((s) => s.epoch === epoch);
  }

  // ---- start-up ----------------------------------------------------------------------------

  private async reachNode(): Promise<number> {
    const attempts = this.options.connectAttempts ?? 2;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        return await this.backend.blockHeight();
      } catch (e) {
        last = e;
        if (i + 1 < attempts) await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const where = this.options.config.chain.nodeUrl ?? `the ${this.options.config.chain.network} node`;
    throw new SignerError(`cannot reach ${where} (tried ${attempts} times): ${last instanceof Error ? last.message : String(last)}`);
  }

  private async ensureRegistered(): Promise<void> {
    const info = await this.client.getSignerInfo(this.address);
    const mine = hex0x(this.identityKey!);
    if (info) {
      if (info.publicKey.toLowerCase() !== mine)
        throw new SignerError(
          `${this.address} is registered with identity key ${info.publicKey.slice(0, 18)}…, but ${this.signer.identityKeystore} holds ${mine.slice(0, 18)}…`,
        );
      this.log(`registered (stake ${info.stake} uSTX, ${info.status})`);
      return;
    }
    if (!this.signer.register) {
      this.log(`not registered and signer.register is false: register ${mine} with register-signer to join`);
      return;
    }
    const result = await this.client.registerSigner(this.identityKey!);
    this.log(`registered: register-signer ${result.txid ?? ""} in block ${result.blockHeight}`);
    this.emit({ event: "registered", signer: this.address, publicKey: mine, txid: result.txid, block: result.blockHeight });
  }

  /** Rebuilds the DKG runs the database says are in progress, from their rotation block to `upTo - 1`. */
  private async resumeRuns(upTo: number): Promise<void> {
    const rows = this.store!.db.prepare("SELECT epoch, rotated_at FROM dkg_session WHERE status = 'running'").all() as { epoch: number; rotated_at: number }[];
    for (const row of rows) {
      // A rotation in the range the follower has not finished: it meets the event again.
      if (row.rotated_at >= upTo) continue;
      const events = (await this.backend.events(row.rotated_at)).filter((e) => e.blockHeight < upTo);
      const rotated = events.find((e) => e.topic === "committee-rotated" && Number(e.data.epoch) === row.epoch);
      if (!rotated) {
        this.log(`epoch ${row.epoch}: committee-rotated not found at block ${row.rotated_at}; abandoning its DKG`);
        this.setSession(row.epoch, "abandoned");
        continue;
      }
      const run = await this.createRun(rotated, false);
      if (!run) continue;
      for (let h = row.rotated_at; h < upTo; h++) {
        for (const e of events) if (e.blockHeight === h && e.topic === "dkg-message") run.deliver(e);
        this.closePhases(run, h, true);
      }
      this.log(`epoch ${row.epoch}: DKG resumed from the chain (blocks ${row.rotated_at}..${upTo - 1})`);
    }
  }

  // ---- following -----------------------------------------------------------------------------

  /** The test hook; a throw halts the node as a crash would. */
  private async checkpoint(kind: SubmitKind, detail: Record<string, unknown>): Promise<void> {
    try {
      await this.options.beforeSubmit?.(kind, detail);
    } catch (e) {
      this.halted = true;
      throw e;
    }
  }

  private async onBlocks(events: ContractEvent[], range: { from: number; tip: number }): Promise<void> {
    if (this.halted) return;
    const byBlock = new Map<number, ContractEvent[]>();
    for (const e of events) byBlock.set(e.blockHeight, [...(byBlock.get(e.blockHeight) ?? []), e]);
    // The range's requests are signed together once its other events are handled (an epoch
    // activated in the range has its share stored by then).
    const requested: ContractEvent[] = [];
    for (let h = range.from; h <= range.tip; h++) {
      for (const e of byBlock.get(h) ?? []) await this.handle(e, requested);
      for (const run of this.runs.values()) if (run.handledThrough < h) this.closePhases(run, h, false);
    }
    await this.signRequests(requested);
    await this.act();
    this.store!.setCursor("follower", range.tip + 1);
  }

  private async handle(e: ContractEvent, requested: ContractEvent[]): Promise<void> {
    switch (e.topic) {
      case "committee-rotated":
        await this.createRun(e, true);
        break;
      case "dkg-message": {
        const run = this.runs.get(Number(e.data.epoch));
        if (run && run.handledThrough < e.blockHeight) run.deliver(e);
        break;
      }
      case "signature-requested":
        requested.push(e);
        break;
      case "epoch-activated": {
        const epoch = Number(e.data.epoch);
        const run = this.runs.get(epoch);
        const key = String(e.data["group-public-key"]);
        if (run?.result && hex0x(run.result.groupKey) !== key.toLowerCase())
          this.log(`WARNING epoch ${epoch} activated with group key ${key.slice(0, 18)}…, this node computed ${hex0x(run.result.groupKey).slice(0, 18)}…`);
        if (run?.result || this.shareFor(epoch)) {
          this.log(`epoch ${epoch} active, group key ${key.slice(0, 18)}…`);
          this.emit({ event: "epoch-activated", epoch, groupKey: key });
        }
        if (run) {
          // Activated by the others' votes before this node voted: keep the share all the same.
          if (run.result) await this.storeShare(run);
          this.runs.delete(epoch);
          this.setSession(epoch, "done", run.result);
        }
        break;
      }
      case "epoch-cancelled": {
        const epoch = Number(e.data.epoch);
        if (this.runs.delete(epoch)) {
          this.setSession(epoch, "cancelled");
          this.log(`epoch ${epoch} cancelled`);
          this.emit({ event: "epoch-cancelled", epoch });
        }
        break;
      }
    }
  }

  private setSession(epoch: number, status: string, result?: DkgResult): void {
    this.store!.db
      .prepare("UPDATE dkg_session SET status = ?, group_key = coalesce(?, group_key), share_keys = coalesce(?, share_keys), updated_at = ? WHERE epoch = ?")
      .run(status, result ? toHex(result.groupKey) : null, result ? JSON.stringify(result.shareKeys.map(toHex)) : null, now(), epoch);
  }

  /** A DKG run for a committee-rotated event naming this node, or null. */
  private async createRun(e: ContractEvent, fresh: boolean): Promise<DkgRun | null> {
    const epoch = Number(e.data.epoch);
    if (this.runs.has(epoch)) return this.runs.get(epoch)!;
    const committee = e.data.committee as string[];
    const previous = Number(e.data.previous);
    const threshold = Number(e.data.threshold);
    const newIndex = committee.indexOf(this.address) + 1;
    const prevInfo = previous > 0 ? await this.client.getEpoch(previous) : null;
    const oldIndex = prevInfo ? prevInfo.committee.indexOf(this.address) + 1 : 0;
    if (newIndex === 0 && oldIndex === 0) return null;
    if (fresh) {
      const row = this.store!.db.prepare("SELECT status FROM dkg_session WHERE epoch = ?").get(epoch) as { status: string } | undefined;
      if (row && row.status !== "running") return null;
      if (!row) {
        // An old rotation met while catching up: nothing to take part in, unless this node is
        // a member of that (active) epoch without its share: replaying the DKG from the chain
        // recovers it (nothing is posted or voted once the phases are closed).
        const info = await this.client.getEpoch(epoch);
        const recover = info?.status === "active" && newIndex > 0 && !this.shareFor(epoch);
        if (!info || (info.status !== "pending" && !recover)) return null;
      }
    }
    // The committee's registered identity keys (one that is not a valid point is absent),
    // read once and kept with the session so that a resumed DKG uses exactly the same.
    const session = this.store!.db.prepare("SELECT identity_keys FROM dkg_session WHERE epoch = ?").get(epoch) as { identity_keys: string } | undefined;
    const identityKeys = session
      ? (JSON.parse(session.identity_keys) as string[]).map((k) => fromHex(k))
      : await Promise.all(
          committee.map(async (m) => {
            const info = await this.client.getSignerInfo(m);
            return info ? bytesOf(info.publicKey) : new Uint8Array(48);
          }),
        );
    const digest = sha256(new Uint8Array(identityKeys.flatMap((k) => [...k])));
    const random = dkgRandom(this.secrets!.identitySecret, epoch, digest);
    const self = newIndex > 0 ? { index: newIndex, identitySecret: this.secrets!.identitySecret } : undefined;
    let participant: DkgSession;
    let expected: number[];
    if (prevInfo) {
      const oldShare = oldIndex > 0 ? this.shareFor(previous) : undefined;
      if (oldIndex > 0 && !oldShare) this.log(`epoch ${epoch}: this node was member ${oldIndex} of epoch ${previous} but holds no share of it: it cannot deal`);
      participant = new ReshareParticipant({
        epoch,
        threshold,
        identityKeys,
        previous: {
          threshold: Number(prevInfo.threshold),
          groupKey: bytesOf(prevInfo.groupPublicKey!),
          shareKeys: prevInfo.sharePublicKeys.map(bytesOf),
        },
        dealer: oldShare ? { index: oldIndex, value: oldShare.value } : undefined,
        recipient: self,
        random,
      });
      expected = prevInfo.committee.map((_, i) => i + 1);
    } else {
      participant = new DkgParticipant({ epoch, threshold, identityKeys, self, random });
      expected = identityKeys.flatMap((k, i) => (isValidPublicKey(k) ? [i + 1] : []));
    }
    const run = new DkgRun(epoch, e.blockHeight, prevInfo !== null, this.signer.dkgPhaseBlocks, participant, expected, this.address);
    const dealing = prevInfo ? oldIndex > 0 && this.shareFor(previous) !== undefined : true;
    if (dealing) run.mine[1] = participant.deal();
    this.store!.db
      .prepare("INSERT INTO dkg_session (epoch, rotated_at, status, identity_keys, updated_at) VALUES (?, ?, 'running', ?, ?) ON CONFLICT(epoch) DO NOTHING")
      .run(epoch, e.blockHeight, JSON.stringify(identityKeys.map(toHex)), now());
    this.runs.set(epoch, run);
    if (fresh) {
      const role = [newIndex > 0 ? `member ${newIndex}` : "", oldIndex > 0 && prevInfo ? `dealer ${oldIndex} of epoch ${previous}` : ""].filter(Boolean).join(", ");
      this.log(`epoch ${epoch}: committee of ${committee.length}, threshold ${threshold}${prevInfo ? `, reshare from epoch ${previous}` : ""}; this node is ${role}`);
      this.emit({ event: "dkg-started", epoch, index: newIndex, oldIndex, reshare: prevInfo !== null });
    }
    return run;
  }

  private closePhases(run: DkgRun, h: number, replay: boolean): void {
    for (const phase of run.endOfBlock(h)) {
      if (!replay) this.log(`epoch ${run.epoch}: ${["deal", "complaint", "justification"][phase - 1]} phase closed at block ${h}`);
      if (phase === 3) {
        if (run.result) this.setSession(run.epoch, "running", run.result);
        else {
          this.log(`epoch ${run.epoch}: ${run.failure}`);
          this.emit({ event: "dkg-failed", epoch: run.epoch, reason: run.failure });
          this.setSession(run.epoch, "failed");
          this.runs.delete(run.epoch);
        }
      }
    }
  }

  // ---- actions at the tip ------------------------------------------------------------------

  private async act(): Promise<void> {
    for (const run of [...this.runs.values()]) {
      const phase = run.openPhase;
      if (phase !== null) await this.postFrames(run, phase);
      else if (run.result) await this.vote(run);
    }
    if (this.signer.rotate) await this.rotateIfDue();
  }

  /** Records this node's frames for the open phase (once), then posts those not yet on the chain. */
  private async postFrames(run: DkgRun, phase: Phase): Promise<void> {
    const frames = run.mine[phase] ?? [];
    if (frames.length === 0) return;
    const db = this.store!.db;
    const recorded = db.prepare("SELECT seq, frame FROM dkg_sent WHERE epoch = ? AND phase = ? ORDER BY seq").all(run.epoch, phase) as { seq: number; frame: string }[];
    if (recorded.length === 0) {
      this.store!.transaction(() => {
        const insert = db.prepare("INSERT INTO dkg_sent (epoch, phase, seq, frame, created_at) VALUES (?, ?, ?, ?, ?)");
        frames.forEach((f, i) => insert.run(run.epoch, phase, i, toHex(f), now()));
      });
    } else if (recorded.length !== frames.length || recorded.some((r, i) => !equalBytes(fromHex(r.frame), frames[i]!))) {
      // Cannot happen with the derived randomness; never send a second version.
      throw new SignerError(`epoch ${run.epoch}: the phase ${phase} frames rebuilt differ from those recorded in ${this.signer.database}; refusing to send another version`);
    }
    const pending = frames.filter((f) => !run.seen.has(toHex(f)));
    for (const [i, frame] of pending.entries()) {
      await this.checkpoint("dkg-message", { epoch: run.epoch, phase, frame: i });
      try {
        const result = await this.client.postDkgMessage(run.epoch, phase, frame);
        run.seen.add(toHex(frame));
        this.log(`epoch ${run.epoch}: posted ${["deal", "complaint", "justification"][phase - 1]} frame ${i + 1}/${pending.length} in block ${result.blockHeight}`);
      } catch (e) {
        if (errorName(e) === "ERR-EPOCH-CLOSED") {
          this.log(`epoch ${run.epoch}: closed before this node's phase ${phase} frames landed`);
          return;
        }
        throw e;
      }
    }
    if (pending.length > 0) {
      const name = ["dealt", "complained", "justified"][phase - 1]!;
      this.emit({ event: name, epoch: run.epoch, frames: pending.length });
    }
  }

  /** Writes a finished DKG's share to the keystore (once), before it is used or voted for. */
  private async storeShare(run: DkgRun): Promise<void> {
    const result = run.result!;
    if (result.share) {
      const have = this.shareFor(run.epoch);
      if (!have) {
        // In memory only once it is on disk.
        const next = { ...this.secrets!, shares: [...this.secrets!.shares, { epoch: run.epoch, index: result.share.index, value: result.share.value }] };
        await this.saveKeystore(next);
        this.secrets = next;
        this.log(`epoch ${run.epoch}: share ${result.share.index} written to the keystore`);
        this.emit({ event: "share-stored", epoch: run.epoch, index: result.share.index });
      } else if (have.value !== result.share.value || have.index !== result.share.index) {
        throw new SignerError(`epoch ${run.epoch}: the keystore holds a different share than the DKG computed; refusing to vote`);
      }
    }
  }

  /** Writes the share to the keystore, records the vote, then sends submit-epoch-key. */
  private async vote(run: DkgRun): Promise<void> {
    const result = run.result!;
    await this.storeShare(run);
    if (!result.share && result.missingShares.length > 0) {
      this.log(`epoch ${run.epoch}: WARNING no share (missing from dealer(s) ${result.missingShares.join(", ")})`);
    }
    const db = this.store!.db;
    const groupKey = toHex(result.groupKey);
    const shareKeys = JSON.stringify(result.shareKeys.map(toHex));
    const row = db.prepare("SELECT status FROM dkg_vote WHERE epoch = ?").get(run.epoch) as { status: string } | undefined;
    const done = () => {
      this.runs.delete(run.epoch);
      this.setSession(run.epoch, "voted", result);
    };
    if (row && row.status !== "recorded") return done();
    // Only members of the new committee vote.
    const index = await this.client.getMemberIndex(run.epoch, this.address);
    if (index === null) return done();
    if (!row) db.prepare("INSERT INTO dkg_vote (epoch, group_key, share_keys, status, updated_at) VALUES (?, ?, ?, 'recorded', ?)").run(run.epoch, groupKey, shareKeys, now());
    await this.checkpoint("vote", { epoch: run.epoch });
    const info = await this.client.getEpoch(run.epoch);
    if (!info || info.status !== "pending") {
      // Activated by the others' votes (or cancelled) first: nothing to send.
      db.prepare("UPDATE dkg_vote SET status = 'closed', updated_at = ? WHERE epoch = ?").run(now(), run.epoch);
      return done();
    }
    let status = "voted";
    let txid: string | null = null;
    try {
      const sent = await this.client.submitEpochKey(run.epoch, result.groupKey, result.shareKeys);
      txid = sent.txid;
      this.log(`epoch ${run.epoch}: voted group key ${groupKey.slice(0, 16)}… (${sent.value ? "epoch activated" : "vote counted"})`);
      this.emit({ event: "voted", epoch: run.epoch, groupKey: hex0x(result.groupKey), activated: sent.value, txid });
    } catch (e) {
      const name = errorName(e);
      if (name !== "ERR-ALREADY-VOTED" && name !== "ERR-EPOCH-CLOSED") throw e;
      status = name === "ERR-ALREADY-VOTED" ? "voted" : "closed";
    }
    db.prepare("UPDATE dkg_vote SET status = ?, txid = ?, updated_at = ? WHERE epoch = ?").run(status, txid, now(), run.epoch);
    done();
  }

  // ---- signing -----------------------------------------------------------------------------

  private async readPartial(hash: Uint8Array): Promise<{ signature: string; attempt: bigint } | null> {
    const raw = decode(await this.backend.callReadOnly("get-partial-signature", [Cl.buffer(hash), Cl.principal(this.address)]));
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return null;
    const record = raw as Record<string, Plain>;
    return { signature: String(record.signature).toLowerCase(), attempt: record.attempt as bigint };
  }

  /**
   * Signs a batch of signature-requested events: decides which partials this node owes
   * (reading the chain for each request at once), records every new one in one durable
   * transaction, and only then sends them all (see {@link submitPartials}).
   */
  private async signRequests(events: ContractEvent[]): Promise<void> {
    if (events.length === 0) return;
    // The epoch may have activated (t votes from others) before this node, catching up, stored its share.
    for (const epoch of new Set(events.map((e) => Number(e.data.epoch)))) {
      const run = this.runs.get(epoch);
      if (!this.shareFor(epoch) && run?.result?.share) await this.storeShare(run);
    }
    const { stacksNow } = await this.client.getClock();
    const due: DuePartial[] = [];
    const errors = await inParallel(events, MAX_TXS_IN_FLIGHT, async (e) => {
      const partial = await this.preparePartial(e, stacksNow);
      if (partial) due.push(partial);
    });
    // A read failed: nothing recorded or sent yet; the follower retries the whole range.
    if (errors.length > 0) throw errors[0];
    const fresh = due.filter((p) => p.fresh);
    if (fresh.length > 0) {
      const db = this.store!.db;
      const insert = db.prepare(
        "INSERT INTO signed (message_hash, attempt, epoch, share_index, signature, faulty, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'recorded', ?, ?)",
      );
      this.store!.transaction(() => {
        for (const p of fresh) insert.run(p.hashHex, p.attempt, p.epoch, p.index, p.signature, this.signer.faulty ? 1 : 0, now(), now());
      });
    }
    await this.submitPartials(due);
  }

  /**
   * The partial this node owes for a signature-requested event: the one recorded before a
   * restart, or a new one (`fresh`, not recorded yet), or null when there is nothing to send
   * (no share, already on the chain, finalized, expired, or a later attempt).
   */
  private async preparePartial(e: ContractEvent, stacksNow: bigint): Promise<DuePartial | null> {
    const epoch = Number(e.data.epoch);
    const share = this.shareFor(epoch);
    const hashHex = String(e.data["message-hash"]).toLowerCase();
    if (!share) {
      const index = await this.client.getMemberIndex(epoch, this.address);
      if (index !== null) this.log(`request ${hashHex.slice(0, 18)}…: WARNING this node is member ${index} of epoch ${epoch} but holds no share of it: cannot sign`);
      return null;
    }
    const hash = bytesOf(hashHex);
    const attempt = Number(e.data.attempt);
    type Row = { signature: string; status: string };
    const row = this.store!.db.prepare("SELECT signature, status FROM signed WHERE message_hash = ? AND attempt = ?").get(hashHex, attempt) as Row | undefined;
    if (row && row.status !== "recorded") return null; // submitted, closed or failed
    const onChain = await this.readPartial(hash);
    if (onChain && Number(onChain.attempt) >= attempt) {
      if (row) this.setPartialStatus(hashHex, attempt, "submitted", null);
      return null;
    }
    const due = { hashHex, hash, attempt, epoch, index: share.index };
    if (row) {
      this.log(`request ${hashHex.slice(0, 18)}…: resubmitting the recorded partial`);
      return { ...due, signature: row.signature, fresh: false };
    }
    const request = await this.client.getRequest(hash);
    if (!request || request.aggregateSignature !== null) return null; // finalized: nothing to add
    if (request.epoch !== BigInt(epoch) || request.deadline < stacksNow) return null; // a later attempt, or expired
    const value = this.signer.faulty ? (share.value + 1n) % CURVE_ORDER : share.value;
    return { ...due, signature: toHex(partialSign({ index: share.index, value }, hash).signature), fresh: true };
  }

  /**
   * Sends a batch of recorded partials concurrently and waits for them together, so that a
   * burst of requests costs about one block instead of one block per request (the HTTP
   * backend gives concurrent calls from one account consecutive nonces; a node takes them
   * all into one block). Every partial is durable before any is sent. A partial whose
   * sending failed for a reason other than the contract's answer (node unreachable, broadcast
   * refused, not mined in time) stays `recorded`: the first such error is thrown once the
   * others are done, and the follower retries the batch, re-sending only those bytes.
   */
  private async submitPartials(due: DuePartial[]): Promise<void> {
    if (due.length === 0) return;
    for (const p of due) await this.checkpoint("partial", { messageHash: p.hashHex, attempt: p.attempt });
    // Paused: every partial would be refused (and cost its fee). The deadlines stand still
    // while paused, so the batch is simply retried once the contract runs again.
    if ((await this.client.getNetworkState()).paused) throw new Error(`the contract is paused: ${due.length} recorded partial(s) wait`);
    const blocks = new Map<number, Promise<number>>();
    const blockAfter = (tip: number) => {
      if (!blocks.has(tip)) blocks.set(tip, this.backend.waitForBlock(tip + 1));
      return blocks.get(tip)!;
    };
    const errors = await inParallel(due, MAX_TXS_IN_FLIGHT, (p) => this.sendPartial(p, blockAfter));
    if (errors.length > 0) throw errors[0];
  }

  /**
   * submit-partial-signature and its result. Over HTTP the transaction is broadcast, then its
   * result looked up once a block has passed (one wait for the whole batch), rather than
   * polled from the moment it is sent: a batch of n partials would otherwise poll the node n
   * times per poll interval. On the simnet a call is mined at once.
   */
  private async submitPartial(p: DuePartial, blockAfter: (tip: number) => Promise<number>): Promise<{ txid: string | null; blockHeight: number }> {
    const http = this.backend as ChainBackend & Partial<Broadcaster>;
    if (!http.submit || !http.waitForTx) return this.client.submitPartialSignature(p.hash, fromHex(p.signature));
    const fn = "submit-partial-signature";
    const tip = await http.blockHeight();
    const { txid } = await http.submit(fn, encodeArgs(fn, [p.hash, fromHex(p.signature)]), this.address);
    await blockAfter(tip);
    const outcome = await http.waitForTx(txid);
    if (!outcome.ok) throw new ContractCallError(fn, Number(outcome.value));
    return { txid, blockHeight: outcome.blockHeight };
  }

  /** Sends one recorded partial; a contract error closes it (recorded as such), anything else throws. */
  private async sendPartial(p: DuePartial, blockAfter: (tip: number) => Promise<number>): Promise<void> {
    const tag = `request ${p.hashHex.slice(0, 18)}…`;
    let status = "submitted";
    let txid: string | null = null;
    try {
      const sent = await this.submitPartial(p, blockAfter);
      txid = sent.txid;
      this.log(`${tag}: partial ${p.index} submitted${this.signer.faulty ? " (FAULTY)" : ""} in block ${sent.blockHeight}`);
      this.emit({ event: "signed", messageHash: p.hashHex, attempt: p.attempt, epoch: p.epoch, index: p.index, faulty: this.signer.faulty, txid });
    } catch (err) {
      const name = errorName(err);
      // Not the contract's answer: the transaction may not have run at all. Retried. A pause
      // (begun after the batch's check) costs nobody anything: retried too, never closed.
      if (name === undefined || name === "ERR-PAUSED") throw err;
      if (name === "ERR-ALREADY-SIGNED") status = "submitted";
      else if (name === "ERR-ALREADY-FINALIZED" || name === "ERR-REQUEST-EXPIRED") {
        status = `closed:${name}`;
        this.log(`${tag}: not signed (${name})`);
      } else {
        // The contract refused this partial: sending the same bytes again gets the same
        // answer, and retrying would hold up every later request and the DKG.
        status = `failed:${name}`;
        this.log(`${tag}: WARNING the contract refused partial ${p.index} with ${name}; recorded as failed, moving on`);
        this.emit({ event: "sign-failed", messageHash: p.hashHex, attempt: p.attempt, epoch: p.epoch, index: p.index, error: name });
      }
    }
    this.setPartialStatus(p.hashHex, p.attempt, status, txid);
  }

  private setPartialStatus(hashHex: string, attempt: number, status: string, txid: string | null): void {
    this.store!.db
      .prepare("UPDATE signed SET status = ?, txid = coalesce(?, txid), updated_at = ? WHERE message_hash = ? AND attempt = ?")
      .run(status, txid, now(), hashHex, attempt);
  }

  // ---- rotation ----------------------------------------------------------------------------

  private async rotateIfDue(): Promise<void> {
    const state = await this.client.getNetworkState();
    const config = await this.client.getConfig();
    if (state.paused || !state.initialized) return;
    const latest = state.latestEpoch > 0n ? await this.client.getEpoch(state.latestEpoch) : null;
    if (latest?.status === "pending") {
      // A stalled DKG: anyone may cancel it after dkg-timeout Bitcoin blocks.
      const raw = decode(await this.backend.callReadOnly("get-epoch", [Cl.uint(state.latestEpoch)])) as Record<string, Plain>;
      const timeout = (decode(await this.backend.callReadOnly("get-config", [])) as Record<string, Plain>)["dkg-timeout"] as bigint;
      if (state.burnNow > (raw["formed-at"] as bigint) + timeout) {
        try {
          await this.client.cancelEpoch(state.latestEpoch);
          this.log(`cancel-epoch ${state.latestEpoch}: its DKG passed dkg-timeout`);
          this.emit({ event: "epoch-cancel-sent", epoch: Number(state.latestEpoch) });
        } catch (e) {
          if (!errorName(e)) throw e;
        }
      }
      return;
    }
    const due = latest === null ? state.signerCount >= config.requiredSigners : latest.status === "cancelled" || state.burnNow >= state.lastRotation + config.rotationPeriod;
    if (!due) return;
    try {
      const committee = await this.client.proposedCommittee();
      const sent = await this.client.rotateSigners(committee);
      this.log(`rotate-signers: epoch ${sent.value} formed (${committee.length} members)`);
      this.emit({ event: "rotated", epoch: Number(sent.value), committee, txid: sent.txid });
    } catch (e) {
      const name = errorName(e);
      if (!name) throw e;
      // Another node rotated first, or too few signers yet.
      if (name !== "ERR-ROTATION-NOT-DUE" && name !== "ERR-INSUFFICIENT-SIGNERS") this.log(`rotate-signers: ${name}`);
    }
  }
}
