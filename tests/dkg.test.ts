// The DKG channel: post-dkg-message is the broadcast channel of the key generation. Members
// of the forming committee (and, for a reshare, of the committee it reshares from) post
// opaque payloads; the contract checks who may post and prints the bytes. The last suite runs
// the real Pedersen DKG and a reshare of src/crypto with every message through the contract.
import { afterEach, describe, expect, it } from "vitest";
import { Cl } from "@stacks/transactions";
import { bytesToHex } from "@noble/hashes/utils.js";
import { type LocalDkgMessage, runLocalDkg, runLocalReshare } from "../src/crypto/local.js";
import { DkgPhase } from "../src/crypto/dkg-wire.js";
import {
  activeEpoch,
  blsKeyPair,
  burnNow,
  mineBurnNowTo,
  bytes,
  call,
  combine,
  decode,
  deployer,
  expectBalancedBooks,
  hex,
  initialize,
  messageHashOf,
  partialSign,
  printed,
  prints,
  read,
  registerSigners,
  signerInfo,
  stxTransfers,
  thresholdKeys,
  verifyBls,
  wallets,
  rotate,
  mineBurnNowAtLeast,
} from "./helpers";

// The books add up to the contract's STX balance after every test.
afterEach(() => expectBalancedBooks());

const ERR_INVALID_PARAMS = 101;
const ERR_NOT_ACTIVE_SIGNER = 106;
const ERR_UNKNOWN_EPOCH = 128;
const ERR_ROTATION_NOT_DUE = 129;
const ERR_EPOCH_CLOSED = 147;

const STX = 1_000_000n;
const ROTATION_PERIOD = 144n;
const CLAIM_WINDOW = 144n;
const [w1, w2, w3, w4, w5, w6, w7, requester] = wallets;

const post = (epoch: number, phase: number, payload: Uint8Array, sender: string) =>
  call("post-dkg-message", [Cl.uint(epoch), Cl.uint(phase), Cl.buffer(payload)], sender);
const epochOf = (epoch: number) =>
  decode(read("get-epoch", [Cl.uint(epoch)])) as { committee: string[]; "group-public-key": string | null; "share-public-keys": string[]; status: string };
const payloadOf = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

/** The burn-now at which the next rotation is due: last-rotation + rotation-period (Bitcoin blocks). */
const nextRotation = () => (decode(read("get-network-state")) as Record<string, bigint>)["last-rotation"] + ROTATION_PERIOD;

/** Epoch 1 formed by w1..w5 (w6 a registered backup), pending. */
function pendingEpoch() {
  initialize();
  registerSigners([w1, w2, w3, w4, w5, w6]);
  expect(rotate(w1).result).toBeOk(Cl.uint(1));
}

/** Epoch 1 [w1..w5] active; w6 outranks w5, so epoch 2 is [w6, w1, w2, w3, w4], pending. */
function reshareEpoch() {
  activeEpoch([w1, w2, w3, w4, w5, w6, w7], thresholdKeys(3, 5, "dkg-epoch-1"));
  expect(call("increase-stake", [Cl.uint(100n * STX)], w6).result).toBeOk(Cl.uint(200n * STX));
  mineBurnNowTo(nextRotation());
  expect(rotate(w1).result).toBeOk(Cl.uint(2));
  expect(epochOf(2).committee).toEqual([w6, w1, w2, w3, w4]);
}

describe("post-dkg-message", () => {
  it("lets a member of the forming committee post and prints the exact payload, up to 4096 bytes", () => {
    pendingEpoch();
    const payload = payloadOf(4096, 7);
    const posted = post(1, 1, payload, w3);
    expect(posted.result).toBeOk(Cl.bool(true));
    expect(printed(posted.events, "dkg-message")).toEqual({
      topic: "dkg-message",
      epoch: 1n,
      phase: 1n,
      sender: w3,
      index: 3n,
      "old-index": 0n,
      payload: hex(payload),
    });
    expect(stxTransfers(posted.events)).toEqual([]);

    const small = post(1, 2, Uint8Array.of(0x2a), w5);
    expect(small.result).toBeOk(Cl.bool(true));
    expect(printed(small.events, "dkg-message")).toMatchObject({ phase: 2n, sender: w5, index: 5n, payload: "0x2a" });
    // The channel changes no state: the epoch is still pending and has no key.
    expect(epochOf(1)).toMatchObject({ status: "pending", "group-public-key": null });
  });

  it("lets members of the previous committee post for a reshare, with their old index", () => {
    reshareEpoch();
    const cases: [string, bigint, bigint][] = [
      [w5, 0n, 5n], // left: deals its old share only
      [w6, 1n, 0n], // joined: receives only
      [w1, 2n, 1n], // in both committees
    ];
    for (const [sender, index, oldIndex] of cases) {
      const payload = payloadOf(100, Number(oldIndex) + 10);
      const posted = post(2, 1, payload, sender);
      expect(posted.result).toBeOk(Cl.bool(true));
      expect(printed(posted.events, "dkg-message")).toEqual({
        topic: "dkg-message",
        epoch: 2n,
        phase: 1n,
        sender,
        index,
        "old-index": oldIndex,
        payload: hex(payload),
      });
    }
  });

  it("refuses callers in neither committee with ERR-NOT-ACTIVE-SIGNER", () => {
    pendingEpoch();
    expect(post(1, 1, payloadOf(10, 1), w6).result).toBeErr(Cl.uint(ERR_NOT_ACTIVE_SIGNER)); // registered backup
    expect(post(1, 1, payloadOf(10, 1), deployer).result).toBeErr(Cl.uint(ERR_NOT_ACTIVE_SIGNER)); // not a signer
  });

  it("refuses a backup during a reshare with ERR-NOT-ACTIVE-SIGNER", () => {
    reshareEpoch();
    expect(signerInfo(w7)!.status).toBe("backup");
    const refused = post(2, 1, payloadOf(10, 1), w7);
    expect(refused.result).toBeErr(Cl.uint(ERR_NOT_ACTIVE_SIGNER));
    expect(prints(refused.events)).toEqual([]);
  });

  it("refuses an epoch that was never formed with ERR-UNKNOWN-EPOCH", () => {
    pendingEpoch();
    expect(post(2, 1, payloadOf(10, 1), w1).result).toBeErr(Cl.uint(ERR_UNKNOWN_EPOCH));
    expect(post(0, 1, payloadOf(10, 1), w1).result).toBeErr(Cl.uint(ERR_UNKNOWN_EPOCH));
  });

  it("refuses an empty payload with ERR-INVALID-PARAMS", () => {
    pendingEpoch();
    const refused = post(1, 1, new Uint8Array(0), w1);
    expect(refused.result).toBeErr(Cl.uint(ERR_INVALID_PARAMS));
    expect(prints(refused.events)).toEqual([]);
  });

  it("refuses messages once the epoch is active with ERR-EPOCH-CLOSED", () => {
    activeEpoch([w1, w2, w3, w4, w5], thresholdKeys(3, 5, "dkg-epoch-1"));
    const refused = post(1, 3, payloadOf(10, 1), w4);
    expect(refused.result).toBeErr(Cl.uint(ERR_EPOCH_CLOSED));
    expect(prints(refused.events)).toEqual([]);
  });

  it("refuses messages for a cancelled epoch with ERR-EPOCH-CLOSED (a pending one cannot be superseded: it activates or is cancelled)", () => {
    pendingEpoch();
    expect(post(1, 1, payloadOf(10, 1), w1).result).toBeOk(Cl.bool(true));
    mineBurnNowTo(nextRotation());
    expect(rotate(w1).result).toBeErr(Cl.uint(ERR_ROTATION_NOT_DUE));
    mineBurnNowAtLeast((decode(read("get-epoch", [Cl.uint(1)])) as { "formed-at": bigint })["formed-at"] + 145n); // dkg-timeout 144
    expect(call("cancel-epoch", [Cl.uint(1)], w1).result).toBeOk(expect.anything());
    const late = post(1, 1, payloadOf(10, 2), w2);
    expect(late.result).toBeErr(Cl.uint(ERR_EPOCH_CLOSED));
    expect(late.events).toEqual([]);
  });
});

/**
 * Routes the in-process DKG of src/crypto/local.ts through the contract: every message is
 * posted by the committee member it comes from, and what the participants receive is the
 * payload the contract printed, from a sender whose index the contract vouched for.
 * `senders(message)` names the poster; `tamper` may corrupt a frame before it is posted.
 */
function throughContract(
  epoch: number,
  senders: (message: LocalDkgMessage) => string,
  tamper: (message: LocalDkgMessage, frame: Uint8Array) => Uint8Array = (_, frame) => frame,
) {
  const log: { phase: number; sender: string }[] = [];
  const intercept = (message: LocalDkgMessage) =>
    message.frames.map((frame) => {
      const sender = senders(message);
      const posted = post(epoch, message.phase, tamper(message, frame), sender);
      expect(posted.result).toBeOk(Cl.bool(true));
      const event = printed(posted.events, "dkg-message") as { phase: bigint; index: bigint; "old-index": bigint; payload: string };
      // Deals and justifications come from dealers (old indexes in a reshare), complaints from recipients.
      const vouched = message.phase === DkgPhase.Complaint || epoch === 1 ? event.index : event["old-index"];
      expect(vouched).toBe(BigInt(message.from));
      expect(event.phase).toBe(BigInt(message.phase));
      log.push({ phase: message.phase, sender });
      return bytes(event.payload);
    });
  return { intercept, log };
}

/** t members vote the DKG result in; returns the key as stored by the contract. */
function voteIn(epoch: number, committee: string[], t: number, result: { groupKey: Uint8Array; shareKeys: Uint8Array[] }) {
  const args = [Cl.uint(epoch), Cl.buffer(result.groupKey), Cl.list(result.shareKeys.map((k) => Cl.buffer(k)))];
  committee.slice(0, t).forEach((member, i) => expect(call("submit-epoch-key", args, member).result).toBeOk(Cl.bool(i === t - 1)));
  expect(read("get-current-epoch")).toBeUint(epoch);
  const stored = epochOf(epoch);
  expect(stored["group-public-key"]).toBe(hex(result.groupKey));
  expect(stored["share-public-keys"]).toEqual(result.shareKeys.map(hex));
  return bytes(stored["group-public-key"]!);
}

/** The committee signs `text` with its DKG shares (members at `indexes`); returns the signature. */
function signWith(shares: { index: number; value: bigint }[], committee: string[], indexes: number[], text: string) {
  const hash = messageHashOf(text);
  expect(call("request-signature", [Cl.buffer(hash), Cl.uint(3000)], requester).result).toBeOk(expect.anything());
  const partials = indexes.map((index) => {
    const signature = partialSign(shares[index - 1].value, hash);
    expect(call("submit-partial-signature", [Cl.buffer(hash), Cl.buffer(signature)], committee[index - 1]).result).toBeOk(expect.anything());
    return { index, signature };
  });
  const signature = combine(partials);
  expect(call("submit-aggregate-signature", [Cl.buffer(hash), Cl.buffer(signature)], requester).result).toBeOk(Cl.uint(burnNow() + CLAIM_WINDOW));
  return { hash, signature };
}

const identityOf = (member: string) => {
  const { secret, publicKey } = blsKeyPair(member);
  return { secretKey: BigInt(`0x${bytesToHex(secret)}`), publicKey };
};

describe("a real DKG through post-dkg-message", () => {
  it("runs a Pedersen DKG (with a complaint and its justification) over the contract and agrees on the key by submit-epoch-key", () => {
    pendingEpoch();
    const committee = epochOf(1).committee;
    // Identity keys are the ones registered on-chain; the DKG encrypts shares to them.
    const identities = committee.map(identityOf);
    committee.forEach((member, i) => expect(signerInfo(member)!["public-key"]).toBe(hex(identities[i].publicKey)));

    // Dealer 2 posts a deal whose share for member 5 does not decrypt (last byte of its tag):
    // member 5 complains, dealer 2 justifies in public, and stays qualified.
    const { intercept, log } = throughContract(
      1,
      (message) => committee[message.from - 1],
      (message, frame) => {
        if (message.phase !== DkgPhase.Deal || message.from !== 2) return frame;
        const bad = Uint8Array.from(frame);
        bad[bad.length - 1] ^= 0x01;
        return bad;
      },
    );
    const dkg = runLocalDkg({ n: 5, t: 3, epoch: 1, identities, intercept });
    expect(log.map((m) => m.phase)).toEqual([1, 1, 1, 1, 1, 2, 3]);
    expect(log.slice(5)).toEqual([
      { phase: DkgPhase.Complaint, sender: w5 },
      { phase: DkgPhase.Justification, sender: w2 },
    ]);
    expect(dkg.qualified).toEqual([1, 2, 3, 4, 5]);
    expect(dkg.shares.map((s) => s.index)).toEqual([1, 2, 3, 4, 5]);

    const groupKey = voteIn(1, committee, 3, dkg);
    const { hash, signature } = signWith(dkg.shares, committee, [5, 2, 4], "signed with a DKG key");
    expect(verifyBls(groupKey, hash, signature)).toBe(true);
    expectBalancedBooks();
  });

  it("reshares the key to the next committee over the contract; the group key does not change", () => {
    pendingEpoch();
    const old = epochOf(1).committee;
    const { intercept: first } = throughContract(1, (message) => old[message.from - 1]);
    const dkg = runLocalDkg({ n: 5, t: 3, epoch: 1, identities: old.map(identityOf), intercept: first });
    const groupKey = voteIn(1, old, 3, dkg);

    expect(call("increase-stake", [Cl.uint(100n * STX)], w6).result).toBeOk(Cl.uint(200n * STX));
    mineBurnNowTo(nextRotation());
    expect(rotate(w1).result).toBeOk(Cl.uint(2));
    const next = epochOf(2).committee;
    expect(next).toEqual([w6, w1, w2, w3, w4]);

    // Old members 5, 1 and 3 deal their shares (old indexes); the new members complain, if at all, by new index.
    const { intercept, log } = throughContract(2, (message) =>
      message.phase === DkgPhase.Complaint ? next[message.from - 1] : old[message.from - 1],
    );
    const reshared = runLocalReshare({
      previous: { epoch: 1, threshold: 3, groupKey: dkg.groupKey, shareKeys: dkg.shareKeys, shares: [dkg.shares[4], dkg.shares[0], dkg.shares[2]] },
      n: 5,
      t: 3,
      epoch: 2,
      identities: next.map(identityOf),
      intercept,
    });
    expect(log).toEqual([
      { phase: DkgPhase.Deal, sender: w5 },
      { phase: DkgPhase.Deal, sender: w1 },
      { phase: DkgPhase.Deal, sender: w3 },
    ]);
    expect(hex(reshared.groupKey)).toBe(hex(dkg.groupKey));

    expect(voteIn(2, next, 3, reshared)).toEqual(groupKey);
    const { hash, signature } = signWith(reshared.shares, next, [1, 3, 5], "signed after the reshare");
    expect(verifyBls(groupKey, hash, signature)).toBe(true);
    expectBalancedBooks();
  });
});
