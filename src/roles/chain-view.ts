// What the watchtower and the aggregator read from the contract, in one place: raw records
// (fields the typed decoders leave out: a request's attempt, an epoch's formed-at, the
// dkg-timeout), epochs' keys (cached once active: they never change), the pause clocks, and
// the names of contract errors.
import { ContractCallError, decode, ERROR_NAMES, type Plain } from "../chain/clarity.js";
import { encodeArgs, type DtsClient } from "../chain/client.js";
import type { ReadOnlyName } from "../chain/functions.js";
import { fromHex } from "../crypto/index.js";

export interface EpochKeys {
  epoch: number;
  committee: string[];
  threshold: number;
  status: string;
  groupKey: Uint8Array | null;
  /** Position i-1 is member i. */
  shareKeys: Uint8Array[];
}

export interface Clock {
  stacksNow: bigint;
  burnNow: bigint;
  paused: boolean;
}

/** The contract error's name (ERR-ALREADY-REPORTED, ...) or null for anything else. */
export function contractErrorName(error: unknown): string | null {
  return error instanceof ContractCallError ? (ERROR_NAMES[error.code] ?? `u${error.code}`) : null;
}

/** A one-line description of an error, for logs (never carries a key: errors here name calls). */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0]! : String(error);
}

export const hex = (bytes: string): Uint8Array => fromHex(bytes.startsWith("0x") ? bytes.slice(2) : bytes);

export class ChainView {
  private readonly epochs = new Map<number, EpochKeys>();

  constructor(readonly client: DtsClient) {}

  /** A read-only call decoded to plain values, every field included. */
  async raw(fn: ReadOnlyName, ...args: unknown[]): Promise<Plain> {
    return decode(await this.client.backend.callReadOnly(fn, encodeArgs(fn, args), this.client.sender ?? undefined));
  }

  async record(fn: ReadOnlyName, ...args: unknown[]): Promise<Record<string, Plain> | null> {
    const value = await this.raw(fn, ...args);
    return value === null ? null : (value as Record<string, Plain>);
  }

  async clock(): Promise<Clock> {
    const c = await this.client.getClock();
    return { stacksNow: c.stacksNow, burnNow: c.burnNow, paused: c.paused };
  }

  /** An epoch's committee and keys; active epochs are cached (their keys never change). */
  async epoch(epoch: number): Promise<EpochKeys | null> {
    const cached = this.epochs.get(epoch);
    if (cached) return cached;
    const info = await this.client.getEpoch(epoch);
    if (!info) return null;
    const keys: EpochKeys = {
      epoch,
      committee: info.committee,
      threshold: Number(info.threshold),
      status: info.status,
      groupKey: info.groupPublicKey ? hex(info.groupPublicKey) : null,
      shareKeys: info.sharePublicKeys.map(hex),
    };
    if (keys.groupKey && keys.shareKeys.length === keys.committee.length) this.epochs.set(epoch, keys);
    return keys;
  }
}

// Event field readers: events arrive decoded (uints as bigint, buffers as 0x-hex).
export const field = {
  str(data: Record<string, Plain>, key: string): string {
    const v = data[key];
    if (typeof v !== "string") throw new Error(`event field ${key} is not a string`);
    return v;
  },
  num(data: Record<string, Plain>, key: string): number {
    const v = data[key];
    if (typeof v !== "bigint") throw new Error(`event field ${key} is not a uint`);
    return Number(v);
  },
  big(data: Record<string, Plain>, key: string): bigint {
    const v = data[key];
    if (typeof v !== "bigint") throw new Error(`event field ${key} is not a uint`);
    return v;
  },
};
