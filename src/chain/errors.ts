// Errors of the chain client. None of them ever carries a private key, a mnemonic or a
// password: messages name the function, the argument or the node's reason only.

/** An argument that does not fit its Clarity type; nothing was sent. */
export class ArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArgumentError";
  }
}

/** A contract value whose shape is not what the client's function table expects. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

/** The node refused a transaction before it reached a block (POST /v2/transactions). */
export class BroadcastRejectedError extends Error {
  constructor(
    /** The node's reason, e.g. "BadNonce", "NotEnoughFunds", "SignatureValidation". */
    readonly reason: string,
    readonly reasonData: unknown,
    readonly txid: string | null,
    readonly fn: string | null = null,
  ) {
    super(`${fn ? `${fn}: ` : ""}transaction rejected by the node: ${reason}${describeReasonData(reasonData)}`);
    this.name = "BroadcastRejectedError";
  }
}

/** A mined transaction that did not succeed for a reason other than an (err uN) response. */
export class TransactionFailedError extends Error {
  constructor(
    readonly txid: string,
    readonly status: string,
    readonly detail: string,
  ) {
    super(`transaction ${txid} failed: ${status}${detail ? ` (${detail})` : ""}`);
    this.name = "TransactionFailedError";
  }
}

/** A transaction that was not confirmed within the wait. It may still confirm later. */
export class TxTimeoutError extends Error {
  constructor(
    readonly txid: string,
    readonly timeoutMs: number,
  ) {
    super(`transaction ${txid} not confirmed within ${Math.round(timeoutMs / 1000)} s (it may still confirm)`);
    this.name = "TxTimeoutError";
  }
}

/** The node answered with an unexpected status or could not be reached after retries. */
export class NodeError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = "NodeError";
  }
}

function describeReasonData(data: unknown): string {
  if (data === null || data === undefined) return "";
  if (typeof data !== "object") return ` (${String(data)})`;
  const d = data as Record<string, unknown>;
  // BadNonce: {expected, actual, is_origin, principal}; NotEnoughFunds: {expected, actual}.
  if ("expected" in d && "actual" in d) return ` (expected ${String(d.expected)}, got ${String(d.actual)})`;
  if (typeof d.message === "string") return ` (${d.message})`;
  return "";
}
