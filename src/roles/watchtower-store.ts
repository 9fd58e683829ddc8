// The watchtower's and the aggregator's own state, on the role database of store.ts
// (better-sqlite3, WAL, synchronous=FULL): where the event follower stands (its cursor),
// what the role observed (requests, partials, claims, forming epochs) and what it has done
// (one row per finished action, so nothing is filed twice across restarts). One database
// file per process; ":memory:" for tests.
import type Database from "better-sqlite3";
import { Store } from "./store.js";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS role_done (kind TEXT NOT NULL, item TEXT NOT NULL, detail TEXT, PRIMARY KEY (kind, item))`,
  `CREATE TABLE IF NOT EXISTS role_requests (
     hash TEXT NOT NULL, attempt INTEGER NOT NULL, epoch INTEGER NOT NULL, block INTEGER NOT NULL,
     deadline TEXT NOT NULL, interval INTEGER NOT NULL, PRIMARY KEY (hash, attempt))`,
  `CREATE TABLE IF NOT EXISTS role_partials (
     hash TEXT NOT NULL, attempt INTEGER NOT NULL, signer TEXT NOT NULL, idx INTEGER NOT NULL,
     signature TEXT NOT NULL, epoch INTEGER NOT NULL, block INTEGER NOT NULL, valid INTEGER,
     interval INTEGER NOT NULL, PRIMARY KEY (hash, attempt, signer))`,
  `CREATE TABLE IF NOT EXISTS role_claims (
     kind TEXT NOT NULL, hash TEXT NOT NULL, subject TEXT NOT NULL, claimant TEXT NOT NULL,
     PRIMARY KEY (kind, hash, subject, claimant))`,
  `CREATE TABLE IF NOT EXISTS role_epochs (epoch INTEGER PRIMARY KEY, status TEXT NOT NULL)`,
];

export interface StoredRequest {
  hash: string;
  attempt: number;
  epoch: number;
  /** Stacks block of the signature-requested event. */
  block: number;
  deadline: bigint;
  /** Report interval in which the role observed it. */
  interval: number;
}

export interface StoredPartial {
  hash: string;
  attempt: number;
  signer: string;
  index: number;
  signature: string;
  epoch: number;
  block: number;
  /** 1 valid, 0 invalid, null not checked (the aggregator checks when it combines). */
  valid: boolean | null;
  interval: number;
}

export interface StoredClaim {
  kind: "partial" | "aggregate";
  hash: string;
  /** The accused signer (partial claims) or the aggregate (aggregate claims). */
  subject: string;
  claimant: string;
}

export class RoleStore {
  private readonly db: Database.Database;

  /**
   * @param store an open role database holding this schema (see open / attach)
   * @param cursorName the follower cursor this role keeps in it
   */
  constructor(
    readonly store: Store,
    private readonly cursorName = "follower",
  ) {
    this.db = store.db;
  }

  /** Opens (creating) the database of a watchtower or an aggregator process. */
  static open(file: string, role: "watchtower" | "aggregator"): RoleStore {
    return new RoleStore(Store.open(file, { role, schema: SCHEMA }));
  }

  /**
   * This state inside another role's database (a signer node running the aggregator
   * in-process): the tables (prefixed role_) are added, the follower cursor is `cursorName`.
   */
  static attach(store: Store, cursorName: string): RoleStore {
    store.transaction(() => {
      for (const sql of SCHEMA) store.db.exec(sql);
    });
    return new RoleStore(store, cursorName);
  }

  /** Runs `fn` in one transaction: a batch of events is recorded whole or not at all. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  getMeta(key: string): string | null {
    return this.store.get(key) ?? null;
  }

  setMeta(key: string, value: string): void {
    this.store.set(key, value);
  }

  /** The next block the follower handles (0 when new). */
  get next(): number {
    return this.store.cursor(this.cursorName) ?? 0;
  }

  set next(block: number) {
    this.store.setCursor(this.cursorName, block);
  }

  isDone(kind: string, item: string): boolean {
    return this.db.prepare("SELECT 1 FROM role_done WHERE kind = ? AND item = ?").get(kind, item) !== undefined;
  }

  markDone(kind: string, item: string, detail = ""): void {
    this.db.prepare("INSERT OR REPLACE INTO role_done (kind, item, detail) VALUES (?, ?, ?)").run(kind, item, detail);
  }

  doneItems(kind: string): { item: string; detail: string }[] {
    return this.db.prepare("SELECT item, detail FROM role_done WHERE kind = ? ORDER BY rowid").all(kind) as { item: string; detail: string }[];
  }

  addRequest(r: StoredRequest): void {
    this.db
      .prepare("INSERT OR IGNORE INTO role_requests (hash, attempt, epoch, block, deadline, interval) VALUES (?, ?, ?, ?, ?, ?)")
      .run(r.hash, r.attempt, r.epoch, r.block, r.deadline.toString(), r.interval);
  }

  /** The newest attempt of a request. */
  request(hash: string): StoredRequest | null {
    const row = this.db.prepare("SELECT * FROM role_requests WHERE hash = ? ORDER BY attempt DESC LIMIT 1").get(hash) as RequestRow | undefined;
    return row ? requestOf(row) : null;
  }

  /** Every request attempt, oldest first. */
  requests(): StoredRequest[] {
    return (this.db.prepare("SELECT * FROM role_requests ORDER BY block, rowid").all() as RequestRow[]).map(requestOf);
  }

  requestsInInterval(interval: number): StoredRequest[] {
    return (this.db.prepare("SELECT * FROM role_requests WHERE interval = ? ORDER BY block, rowid").all(interval) as RequestRow[]).map(requestOf);
  }

  addPartial(p: StoredPartial): void {
    this.db
      .prepare(
        "INSERT OR IGNORE INTO role_partials (hash, attempt, signer, idx, signature, epoch, block, valid, interval) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(p.hash, p.attempt, p.signer, p.index, p.signature, p.epoch, p.block, p.valid === null ? null : p.valid ? 1 : 0, p.interval);
  }

  hasPartial(hash: string, attempt: number, signer: string): boolean {
    return this.db.prepare("SELECT 1 FROM role_partials WHERE hash = ? AND attempt = ? AND signer = ?").get(hash, attempt, signer) !== undefined;
  }

  /** The partials of one attempt, in arrival order. */
  partials(hash: string, attempt: number): StoredPartial[] {
    return (this.db.prepare("SELECT * FROM role_partials WHERE hash = ? AND attempt = ? ORDER BY block, rowid").all(hash, attempt) as PartialRow[]).map(partialOf);
  }

  /** Every partial this role found invalid, oldest first. */
  invalidPartials(): StoredPartial[] {
    return (this.db.prepare("SELECT * FROM role_partials WHERE valid = 0 ORDER BY block, rowid").all() as PartialRow[]).map(partialOf);
  }

  /** Every partial a signer submitted that this role found invalid. */
  invalidCount(signer: string): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM role_partials WHERE signer = ? AND valid = 0").get(signer) as { n: number }).n;
  }

  addClaim(c: StoredClaim): void {
    this.db.prepare("INSERT OR IGNORE INTO role_claims (kind, hash, subject, claimant) VALUES (?, ?, ?, ?)").run(c.kind, c.hash, c.subject, c.claimant);
  }

  /** Open claims as (kind, hash, subject) with their claimants. */
  claims(): { kind: "partial" | "aggregate"; hash: string; subject: string; claimants: string[] }[] {
    const rows = this.db.prepare("SELECT * FROM role_claims ORDER BY rowid").all() as StoredClaim[];
    const out = new Map<string, { kind: "partial" | "aggregate"; hash: string; subject: string; claimants: string[] }>();
    for (const row of rows) {
      const key = `${row.kind}:${row.hash}:${row.subject}`;
      const entry = out.get(key) ?? { kind: row.kind, hash: row.hash, subject: row.subject, claimants: [] };
      entry.claimants.push(row.claimant);
      out.set(key, entry);
    }
    return [...out.values()];
  }

  removeClaim(kind: string, hash: string, subject: string): void {
    this.db.prepare("DELETE FROM role_claims WHERE kind = ? AND hash = ? AND subject = ?").run(kind, hash, subject);
  }

  setEpoch(epoch: number, status: string): void {
    this.db.prepare("INSERT INTO role_epochs (epoch, status) VALUES (?, ?) ON CONFLICT(epoch) DO UPDATE SET status = excluded.status").run(epoch, status);
  }

  epochsWithStatus(status: string): number[] {
    return (this.db.prepare("SELECT epoch FROM role_epochs WHERE status = ? ORDER BY epoch").all(status) as { epoch: number }[]).map((r) => r.epoch);
  }

  close(): void {
    this.store.close();
  }
}

interface RequestRow {
  hash: string;
  attempt: number;
  epoch: number;
  block: number;
  deadline: string;
  interval: number;
}

interface PartialRow {
  hash: string;
  attempt: number;
  signer: string;
  idx: number;
  signature: string;
  epoch: number;
  block: number;
  valid: number | null;
  interval: number;
}

function requestOf(row: RequestRow): StoredRequest {
  return { ...row, deadline: BigInt(row.deadline) };
}

function partialOf(row: PartialRow): StoredPartial {
  return {
    hash: row.hash,
    attempt: row.attempt,
    signer: row.signer,
    index: row.idx,
    signature: row.signature,
    epoch: row.epoch,
    block: row.block,
    valid: row.valid === null ? null : row.valid === 1,
    interval: row.interval,
  };
}
