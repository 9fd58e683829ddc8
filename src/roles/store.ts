// The local database every role process keeps (better-sqlite3): where its follower stands
// (cursors), small key/value facts, and the role's own tables. Durability: WAL journal with
// synchronous=FULL, so a commit is on disk (the WAL fsynced) before the call returns; a role
// records what it is about to send in a committed transaction BEFORE it sends it, and a
// crash after the commit loses nothing (the record is read back on restart).
//
//     const store = Store.open(file, { role: "signer", schema: [`CREATE TABLE IF NOT EXISTS ...`] });
//     const from = store.cursor("follower") ?? 0;
//     store.transaction(() => { ...; store.setCursor("follower", next); });
//
// Reuse: a role passes its own `CREATE TABLE IF NOT EXISTS` statements in `schema` (run in
// one transaction at open) and uses `store.db` (a better-sqlite3 Database) for its queries.
// The store refuses a database made by another role (`role`), so that two processes do not
// share one file by mistake.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreError";
  }
}

export interface StoreOptions {
  /** The role owning this database ("signer", "watchtower", ...); checked on every open. */
  role?: string;
  /** The role's own schema: idempotent statements (CREATE TABLE IF NOT EXISTS ...), run at open. */
  schema?: string[];
  /** Open read-only (inspection, tests). */
  readonly?: boolean;
}

const BASE_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS cursor (name TEXT PRIMARY KEY, next_block INTEGER NOT NULL, updated_at TEXT NOT NULL)`,
];

export class Store {
  private constructor(
    /** The better-sqlite3 connection, for the role's own queries. */
    readonly db: Database.Database,
    readonly file: string,
  ) {}

  /** Opens (creating if needed) the database at `file`. */
  static open(file: string, options: StoreOptions = {}): Store {
    let db: Database.Database;
    try {
      if (!options.readonly && file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
      db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    } catch (e) {
      throw new StoreError(`cannot open database ${file}: ${(e as Error).message}`);
    }
    try {
      if (!options.readonly) {
        db.pragma("journal_mode = WAL");
        db.pragma("synchronous = FULL");
        db.pragma("foreign_keys = ON");
        db.pragma("busy_timeout = 5000");
        db.transaction(() => {
          for (const sql of [...BASE_SCHEMA, ...(options.schema ?? [])]) db.exec(sql);
        })();
      }
      const store = new Store(db, file);
      if (options.role) {
        const owner = store.get("role");
        if (owner === undefined && !options.readonly) store.set("role", options.role);
        else if (owner !== undefined && owner !== options.role)
          throw new StoreError(`database ${file} belongs to a ${owner}, not a ${options.role}: give each role process its own database`);
      }
      return store;
    } catch (e) {
      db.close();
      if (e instanceof StoreError) throw e;
      throw new StoreError(`database ${file}: ${(e as Error).message}`);
    }
  }

  /** A value of the key/value table, or undefined. */
  get(key: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM kv WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  set(key: string, value: string): void {
    this.db.prepare("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  delete(key: string): void {
    this.db.prepare("DELETE FROM kv WHERE key = ?").run(key);
  }

  /** A JSON value of the key/value table (bigints are not supported: store them as strings). */
  getJson<T>(key: string): T | undefined {
    const value = this.get(key);
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }

  setJson(key: string, value: unknown): void {
    this.set(key, JSON.stringify(value));
  }

  /** The next block a follower named `name` handles, or undefined if it never ran. */
  cursor(name = "follower"): number | undefined {
    const row = this.db.prepare("SELECT next_block FROM cursor WHERE name = ?").get(name) as { next_block: number } | undefined;
    return row?.next_block;
  }

  setCursor(name: string, nextBlock: number): void {
    if (!Number.isInteger(nextBlock) || nextBlock < 0) throw new StoreError(`cursor ${name}: next block must be a whole number, got ${nextBlock}`);
    this.db
      .prepare(
        "INSERT INTO cursor (name, next_block, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET next_block = excluded.next_block, updated_at = excluded.updated_at",
      )
      .run(name, nextBlock, new Date().toISOString());
  }

  /** Runs `fn` in one transaction (committed, and durable, when it returns). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  get open(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
