// Real threshold BLS for the property runs, memoized across runs: every run draws its
// messages from one small pool and every epoch's shares come from one polynomial family
// (same seed, so the same group secret for any t and n), so after the first few runs every
// partial, every share-key list and every valid aggregate is a lookup. BLS on noble takes
// 30-150 ms an operation; computed afresh, it would dominate the whole suite.
import { blsKey, combine, hex, junkSignature, messageHashOf, partialSign, thresholdKeys, verifyBls, type ThresholdKeys } from "../helpers.js";

/** One seed for every epoch: a reshare keeps the group key (the constant term). */
const GROUP_SEED = "property";

/** The messages requests are drawn from. */
export const MESSAGES: Uint8Array[] = Array.from({ length: 6 }, (_, i) => messageHashOf(`dts-property-message-${i}`));
export const messageHex = (i: number) => hex(MESSAGES[i]);
const messageIndex = new Map(MESSAGES.map((m, i) => [hex(m), i]));

const keysMemo = new Map<string, ThresholdKeys>();
/** Shares of the group secret for a committee of `n` with threshold `t`. */
export function epochKeys(t: number, n: number): ThresholdKeys {
  const k = `${t}/${n}`;
  let keys = keysMemo.get(k);
  if (!keys) keysMemo.set(k, (keys = thresholdKeys(t, n, GROUP_SEED)));
  return keys;
}

const partialMemo = new Map<string, Uint8Array>();
/** The partial of share `index` (1-based) of the degree t-1 polynomial over message `m`. */
export function partialOf(t: number, index: number, messageHash: string): Uint8Array {
  const k = `${t}/${index}/${messageHash}`;
  let sig = partialMemo.get(k);
  if (!sig) {
    const m = messageIndex.get(messageHash);
    if (m === undefined) throw new Error(`not a pool message: ${messageHash}`);
    // shares at x = 1..index do not depend on n: take the smallest keys that hold the index
    sig = partialSign(epochKeys(t, Math.max(t, index)).shares[index - 1], MESSAGES[m]);
    partialMemo.set(k, sig);
  }
  return sig;
}

const aggregateMemo = new Map<string, Uint8Array>();
/** The valid group signature over `m`: combine() of t valid partials (Lagrange at zero;
 *  every set of t valid partials gives the same point, so it is computed once per message
 *  and checked once against the group key). */
export function validAggregate(t: number, indices: number[], messageHash: string): Uint8Array {
  let sig = aggregateMemo.get(messageHash);
  if (!sig) {
    const chosen = indices.slice(0, t);
    sig = combine(chosen.map((index) => ({ index, signature: partialOf(t, index, messageHash) })));
    const m = messageIndex.get(messageHash)!;
    if (!verifyBls(epochKeys(t, Math.max(...chosen)).groupKey, MESSAGES[m], sig)) throw new Error("combine() gave an aggregate that does not verify");
    aggregateMemo.set(messageHash, sig);
  }
  return sig;
}

export const junkAggregate = (messageHash: string, k: number) => junkSignature(`${messageHash}-${k}`);

const identityMemo = new Map<string, Uint8Array>();
/** A principal's BLS identity key (real, 48-byte compressed G1). */
export function identityKey(who: string): Uint8Array {
  let key = identityMemo.get(who);
  if (!key) identityMemo.set(who, (key = blsKey(`property-${who}`)));
  return key;
}
