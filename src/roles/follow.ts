// The loop every role runs: follow the chain tip and hand each new block's DTS events, in
// chain order, to the role; resume from the last block the role handled. Works unchanged
// on the simnet and the HTTP backends.
import { readableTip, type ChainBackend, type ContractEvent } from "../chain/backend.js";

export interface FollowOptions {
  backend: ChainBackend;
  /** The first block to handle (the block after the last one the role handled). */
  fromBlock: number;
  pollIntervalMs: number;
  /**
   * Handles the events of blocks `from..tip` (possibly none) and anything due at `tip`.
   * Resolves when done; the next call starts at tip + 1. A throw is reported through
   * `onError` and the same range is tried again on the next poll.
   */
  onBlocks: (events: ContractEvent[], range: { from: number; tip: number }) => Promise<void>;
  onError?: (error: unknown) => void;
}

export interface Follower {
  /** The next block to be handled. */
  readonly next: number;
  /** Stops after the current step; resolves when the loop has ended. */
  stop(): Promise<void>;
  /** Resolves when the loop ends (after stop()). */
  readonly done: Promise<void>;
}

/** Starts following; the first step runs at once. */
export function follow(options: FollowOptions): Follower {
  let next = options.fromBlock;
  let stopped = false;
  let wake: (() => void) | null = null;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });

  const done = (async () => {
    while (!stopped) {
      try {
        const tip = await readableTip(options.backend);
        if (tip >= next) {
          const events = await options.backend.events(next);
          await options.onBlocks(
            events.filter((e) => e.blockHeight <= tip),
            { from: next, tip },
          );
          next = tip + 1;
        }
      } catch (error) {
        options.onError?.(error);
      }
      if (!stopped) await sleep(options.pollIntervalMs);
    }
  })();

  return {
    get next() {
      return next;
    },
    async stop() {
      stopped = true;
      wake?.();
      await done;
    },
    done,
  };
}

/**
 * follow() for a role that keeps its position in a store: from `fromBlock` or the stored
 * next block, each batch handled and then recorded, so that a restart resumes after it.
 */
export function followStored(options: {
  backend: ChainBackend;
  store: { next: number };
  fromBlock?: number;
  pollIntervalMs?: number;
  handle: (events: ContractEvent[]) => Promise<void>;
  onError: (error: unknown) => void;
}): Follower {
  return follow({
    backend: options.backend,
    fromBlock: options.fromBlock ?? options.store.next,
    pollIntervalMs: options.pollIntervalMs ?? 500,
    onBlocks: async (events, range) => {
      await options.handle(events);
      options.store.next = range.tip + 1;
    },
    onError: options.onError,
  });
}
