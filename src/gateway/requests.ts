// Signing requests as the gateway reports them: ids (the 32-byte message hash), the state a
// request is in (derived from its record in the contract and the contract's clock), and the
// JSON shape of /status.
import { Cl } from "@stacks/transactions";
import { decode, type Plain } from "../chain/clarity.js";
import type { ChainBackend } from "../chain/backend.js";
import { RequestDecoder, type Request } from "../chain/functions.js";

/** A request's state. `submitted`: the gateway's transaction is not mined yet. */
export type RequestState = "submitted" | "pending" | "aggregating" | "finalized" | "settled" | "expired" | "refunded";

/** A request record with the fields the typed decoder leaves out (attempt, contest-until). */
export interface RequestRecord extends Request {
  attempt: bigint;
  contestUntil: bigint;
}

export class BadIdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadIdError";
  }
}

/**
 * A message hash given as hex (0x optional): exactly 32 bytes. Returns 64 lowercase hex
 * digits without 0x (the request id), or throws BadIdError with a message naming `what`.
 */
export function parseHash(text: string, what: string): string {
  const hex = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]*$/.test(hex)) throw new BadIdError(`${what} must be hex (0x optional), got ${JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text)}`);
  if (hex.length % 2 !== 0) throw new BadIdError(`${what} must be a whole number of bytes of hex, got ${hex.length} hex digits`);
  if (hex.length !== 64) throw new BadIdError(`${what} must be exactly 32 bytes (64 hex digits), got ${hex.length / 2} bytes`);
  return hex.toLowerCase();
}

export const hexToBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/^0x/, ""), "hex"));

/** The request record stored under a message hash, or null. */
export async function readRequest(backend: ChainBackend, id: string): Promise<RequestRecord | null> {
  const raw = decode(await backend.callReadOnly("get-request", [Cl.buffer(hexToBytes(id))]));
  if (raw === null) return null;
  const fields = raw as Record<string, Plain>;
  const typed = RequestDecoder.decode(raw, "get-request");
  return {
    ...typed,
    attempt: typeof fields.attempt === "bigint" ? fields.attempt : 1n,
    contestUntil: typeof fields["contest-until"] === "bigint" ? fields["contest-until"] : 0n,
  };
}

/**
 * The state of a stored request: refunded; settled (fee paid); finalized (an aggregate
 * stands, still contestable until settle-at); aggregating (t partials in, no aggregate yet:
 * anyone can combine them, also after the deadline); expired (past the deadline with fewer
 * than t partials: the fee can be reclaimed); otherwise pending.
 */
export function stateOf(request: Request, threshold: bigint, stacksNow: bigint): RequestState {
  if (request.refunded) return "refunded";
  if (request.aggregateSignature !== null) return request.feePaid ? "settled" : "finalized";
  if (request.partialCount >= threshold) return "aggregating";
  if (stacksNow > request.deadline) return "expired";
  return "pending";
}

/** Can the contract take a new request for this hash (a refunded one past its contest window)? */
export function canRequestAgain(request: RequestRecord, burnNow: bigint): boolean {
  return request.refunded && burnNow > request.contestUntil;
}

/** The JSON body of /status/:id for a stored request. */
export function statusBody(id: string, request: RequestRecord, threshold: bigint, clock: { stacksNow: bigint; burnNow: bigint }) {
  const state = stateOf(request, threshold, clock.stacksNow);
  return {
    request_id: id,
    message_hash: `0x${id}`,
    status: state,
    epoch: Number(request.epoch),
    requester: request.requester,
    fee: request.fee.toString(),
    attempt: Number(request.attempt),
    created_at: Number(request.createdAt),
    deadline: Number(request.deadline),
    blocks_left: state === "pending" ? Number(request.deadline - clock.stacksNow) : 0,
    partials: { count: Number(request.partialCount), threshold: Number(threshold), signers: request.signers },
    aggregator: request.aggregator,
    finalized_at: request.aggregateSignature !== null ? Number(request.finalizedAt) : null,
    settle_at: request.aggregateSignature !== null ? Number(request.settleAt) : null,
    closed_early: request.closedEarly,
    fee_paid: request.feePaid,
    refunded: request.refunded,
    clock: { stacks_now: Number(clock.stacksNow), burn_now: Number(clock.burnNow) },
  };
}
