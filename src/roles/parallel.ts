// Concurrency for the roles' transactions: a burst of requests is answered with transactions
// sent together (the HTTP backend gives concurrent calls from one account consecutive
// nonces, so a node takes them into one block) rather than one block each.

/**
 * At most this many transactions of one role in flight at once: a Stacks node's mempool
 * refuses more than 25 pending transactions per sender (TooMuchChaining), and a signer's DKG
 * frames and votes send from the same account.
 */
export const MAX_TXS_IN_FLIGHT = 20;

/** Runs `run` on every item, at most `limit` at a time; resolves with the errors once all are done. */
export async function inParallel<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await run(item);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return errors;
}
