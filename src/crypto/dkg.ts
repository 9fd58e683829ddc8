/**
 * Distributed key generation (joint-Feldman / Pedersen DKG, Gennaro et al.) and resharing,
 * as a message-driven state machine per participant.
 *
 * Lifecycle, driven by the caller from the contract's DKG deadlines:
 *
 *     const p = new DkgParticipant({ epoch, threshold, identityKeys, self });
 *     post(p.deal());                 // phase 1 frames
 *     p.receive(from, payload) ...    // every frame posted for this epoch, in chain order
 *     post(p.complain());             // at the deal deadline: closes phase 1, phase 2 frames
 *     post(p.justify());              // at the complaint deadline: closes phase 2, phase 3 frames
 *     const result = p.finish();      // at the justification deadline
 *
 * Deliver every frame posted for this epoch, the participant's own included (a deal counts
 * only once it is on the chain), and every frame mined before a deadline before calling the
 * method that closes that phase. Frames of a later phase may arrive early (they are held);
 * frames of a closed phase are ignored. Every decision that excludes a dealer is a function of the public transcript
 * only, so all honest participants end with the same qualified set, group key and share keys.
 *
 * A dealer is disqualified when it posts no (complete) deal, a malformed deal, the wrong
 * number of commitments or recipients, an invalid ephemeral key or commitment, two different
 * versions of a frame, or (resharing) a constant commitment that is not its previous share key;
 * and when a recipient complains about its share and the dealer does not reveal, in its
 * justification, a share that matches its commitments. An exact repeat of a frame is ignored.
 *
 * Absent members. A member whose registered identity key is not a valid G1 point (wrong
 * length or flags, infinity, x >= p, not on the curve, not in the subgroup) is absent from
 * the start: nobody encrypts a share to it (its ciphertext slot in a deal is 48 zero bytes,
 * which nobody reads), its frames are ignored, so it deals nothing (in a fresh DKG) and its
 * complaints are not answered, and it holds no share; its share key is still computed like
 * every other. A dealer that posts no frame at all by the end of the deal phase is absent
 * too ("no-deal"); in a fresh DKG it stays a recipient. Both are decided from public data
 * only (the identity keys and the deals on the chain), so every participant names the same
 * absent members; the DKG completes without them while at least t dealers (a reshare: the
 * previous threshold of old members) qualify and at least t members can hold a share.
 * @module
 */
import { concatBytes, equalBytes, toHex } from "./bytes.js";
import {
  type G1Point,
  type RandomSource,
  Fr,
  G1,
  assertScalar,
  decodeG1,
  defaultRandom,
  encodeG1,
  mulBaseG1,
  msm,
  randomScalar,
} from "./curve.js";
import {
  DkgPhase,
  MAX_DKG_COMMITTEE,
  decodeComplaint,
  decodeDeal,
  decodeDkgFrame,
  decodeJustification,
  encodeComplaint,
  encodeDeal,
  encodeDkgFrames,
  encodeJustification,
} from "./dkg-wire.js";
import { SHARE_CIPHERTEXT_LENGTH, decryptShare, encryptShare } from "./ecies.js";
import { DkgError, DkgFailedError, DkgMessageError, EncodingError } from "./errors.js";
import {
  type SecretShare,
  evaluateCommitments,
  evaluatePolynomial,
  feldmanCommitments,
  lagrangeAtZero,
  randomPolynomial,
} from "./shamir.js";

/** Options shared by fresh DKG and resharing. */
export interface DkgOptions {
  random?: RandomSource;
  /**
   * Decoded-point cache shared between participants that run in one process (see
   * `runLocalDkg`): each public point is then decoded once, not once per participant.
   * Points are immutable, so sharing them is safe. A single node does not need it.
   */
  pointCache?: Map<string, G1Point>;
}

export interface DkgConfig extends DkgOptions {
  /** The epoch whose key is generated (u32). */
  epoch: number;
  /** t: signatures needed; the shared polynomial has degree t-1. */
  threshold: number;
  /** The committee's registered identity keys (48 bytes each); position i-1 is member i. */
  identityKeys: Uint8Array[];
  /** This member's index and identity secret. Omit to follow the DKG as an observer. */
  self?: { index: number; identitySecret: bigint };
}

export interface ReshareConfig extends DkgOptions {
  /** The new epoch (u32). */
  epoch: number;
  /** The new committee's threshold. */
  threshold: number;
  /** The new committee's identity keys; position i-1 is new member i. */
  identityKeys: Uint8Array[];
  /** Public data of the previous epoch. */
  previous: { threshold: number; groupKey: Uint8Array; shareKeys: Uint8Array[] };
  /** Set if this node is in the previous committee: its share there (index = old position). */
  dealer?: SecretShare;
  /** Set if this node is in the new committee: its new index and identity secret. */
  recipient?: { index: number; identitySecret: bigint };
}

export interface DkgFault {
  dealer: number;
  reason: string;
}

/**
 * Why a member is absent: its registered identity key is not a valid G1 point, or it posted
 * no deal frame at all before the deal phase closed.
 */
export type DkgAbsenceReason = "bad-identity-key" | "no-deal";

export interface DkgAbsence {
  /**
   * The member: for "bad-identity-key" its index in the committee being formed (in a reshare,
   * the new committee); for "no-deal" its dealer index (in a reshare, its index in the
   * previous committee).
   */
  index: number;
  reason: DkgAbsenceReason;
  /** What is wrong, for the operator: the identity key's decoding error, or "posted no deal". */
  detail: string;
}

export interface DkgResult {
  epoch: number;
  threshold: number;
  /** The group public key PK (48 bytes). */
  groupKey: Uint8Array;
  /** Share keys pk_1..pk_n (48 bytes each), position i-1 is member i. */
  shareKeys: Uint8Array[];
  /** Dealers whose contribution is in the key, ascending. */
  qualified: number[];
  /**
   * Dealers left out, ascending, with the reason: every dealer not in `qualified`, absent
   * dealers included ("posted no deal", "absent: identity key of member i ...").
   */
  disqualified: DkgFault[];
  /**
   * Absent members, by index then reason (see {@link DkgAbsence}). A member with an invalid
   * identity key holds no share; its share key in `shareKeys` exists but nobody can use it.
   */
  absent: DkgAbsence[];
  /** This member's share (absent for observers and dealers that are not recipients). */
  share?: SecretShare;
  /**
   * Qualified dealers from whom this member holds no valid share: non-empty only if this
   * member failed to post its complaint in time. It then has no share (the key is still valid).
   */
  missingShares: number[];
}

export type DkgReceipt =
  | { status: "accepted" }
  | { status: "duplicate" }
  | { status: "ignored"; reason: string }
  | { status: "fault"; reason: string };

type State = "deal" | "complaint" | "justification" | "done";

interface Assembly {
  chunks: number;
  parts: (Uint8Array | undefined)[];
  received: number;
  body?: Uint8Array;
}

interface AcceptedDeal {
  ephemeral: G1Point;
  ephemeralKey: Uint8Array;
  commitments: G1Point[];
  ciphertexts: Uint8Array[];
}

interface Setup {
  epoch: number;
  threshold: number;
  identityKeys: Uint8Array[];
  dealerCount: number;
  minQualified: number;
  recipientsAreDealers: boolean;
  previous?: { groupKey: G1Point; shareKeys: G1Point[] };
  dealer?: { index: number; constant?: bigint };
  recipient?: { index: number; identitySecret: bigint };
  random: RandomSource;
  pointCache?: Map<string, G1Point>;
}

const PHASE_ORDER: Record<DkgPhase, State> = { 1: "deal", 2: "complaint", 3: "justification" };
const STATE_RANK: Record<State, number> = { deal: 1, complaint: 2, justification: 3, done: 4 };

function checkCommittee(n: number, threshold: number, what: string) {
  if (!Number.isInteger(n) || n < 1 || n > MAX_DKG_COMMITTEE)
    throw new DkgError(`${what} must have 1..${MAX_DKG_COMMITTEE} members, got ${n}`);
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > n)
    throw new DkgError(`${what} threshold must be in 1..${n}, got ${threshold}`);
}

function checkEpoch(epoch: number) {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffffffff) throw new DkgError(`epoch must be a u32, got ${epoch}`);
}

/** Shared protocol of {@link DkgParticipant} and {@link ReshareParticipant}. */
export class DkgSession {
  readonly epoch: number;
  readonly threshold: number;
  /** Committee size of the new sharing (recipients). */
  readonly n: number;
  private readonly setup: Setup;
  /** Recipients' identity keys as points; undefined for a member whose key is invalid (absent). */
  private readonly recipients: (G1Point | undefined)[];
  /** Members whose identity key is invalid, with the decoding error. */
  private readonly badKeys = new Map<number, string>();
  /** Dealers that posted no frame at all in the deal phase (known once it is closed). */
  private readonly noDeal = new Set<number>();
  private state: State = "deal";
  private readonly assemblies = new Map<string, Assembly>();
  private readonly deals = new Map<number, AcceptedDeal>();
  private readonly faults = new Map<number, string>();
  private readonly muted = new Set<number>();
  private readonly myComplaints = new Set<number>();
  private readonly myShares = new Map<number, bigint>();
  private readonly complaints = new Map<number, Set<number>>();
  private polynomial?: bigint[];

  protected constructor(setup: Setup) {
    this.setup = setup;
    this.epoch = setup.epoch;
    this.threshold = setup.threshold;
    this.n = setup.identityKeys.length;
    // An invalid identity key is public data that every participant decodes the same way: the
    // member is absent (no share is encrypted to it; in a fresh DKG it cannot deal either).
    this.recipients = setup.identityKeys.map((k, i) => {
      const index = i + 1;
      try {
        return this.point(k, true, `identity key of ${setup.recipientsAreDealers ? "member" : "new member"} ${index}`);
      } catch (e) {
        if (!(e instanceof EncodingError)) throw e;
        this.badKeys.set(index, e.message);
        if (setup.recipientsAreDealers) this.disqualify(index, `absent: ${e.message}`);
        return undefined;
      }
    });
  }

  /**
   * Members known to be absent so far: those with an invalid identity key from the start,
   * dealers that posted nothing once the deal phase is closed (`complain()`).
   */
  get absent(): DkgAbsence[] {
    return this.absentList();
  }

  /** The current phase: "deal", "complaint", "justification" or "done". */
  get phase(): State {
    return this.state;
  }

  /** Phase 1: this dealer's frames (one for n <= 42; see dkg-wire). Call once. */
  deal(): Uint8Array[] {
    const dealer = this.setup.dealer;
    if (!dealer) throw new DkgError("this participant is not a dealer in this DKG");
    this.expectState("deal", "deal()");
    if (this.polynomial) throw new DkgError("deal() was already called: a dealer deals once");
    const { random, epoch } = this.setup;
    const poly = randomPolynomial(this.threshold, dealer.constant, random);
    const e = randomScalar(random);
    const ephemeralKey = encodeG1(mulBaseG1(e));
    const ciphertexts = this.recipients.map((X, j) =>
      X === undefined
        ? new Uint8Array(SHARE_CIPHERTEXT_LENGTH) // absent member: no share, a placeholder nobody reads
        : encryptShare(
            e,
            ephemeralKey,
            { key: this.setup.identityKeys[j]!, point: X },
            { epoch, dealer: dealer.index, recipient: j + 1 },
            evaluatePolynomial(poly, j + 1),
          ),
    );
    const body = encodeDeal({ ephemeralKey, commitments: feldmanCommitments(poly), ciphertexts });
    this.polynomial = poly;
    return encodeDkgFrames(DkgPhase.Deal, epoch, dealer.index, body);
  }

  /**
   * Delivers one frame posted with `post-dkg-message` by committee member `from` (the dealer
   * index for deals and justifications, the recipient index for complaints; the same in a
   * fresh DKG). Never throws on bad input: the receipt says what happened.
   */
  receive(from: number, payload: Uint8Array): DkgReceipt {
    let frame;
    try {
      frame = decodeDkgFrame(payload);
    } catch (e) {
      if (e instanceof DkgMessageError) return { status: "ignored", reason: e.message };
      throw e;
    }
    if (frame.epoch !== this.epoch)
      return { status: "ignored", reason: `frame is for epoch ${frame.epoch}, this DKG is epoch ${this.epoch}` };
    if (frame.sender !== from)
      return { status: "ignored", reason: `frame claims sender ${frame.sender} but was posted by member ${from}` };
    const fromDealer = frame.phase !== DkgPhase.Complaint;
    const count = fromDealer ? this.setup.dealerCount : this.n;
    if (from > count) return { status: "ignored", reason: `sender ${from} is not in the committee of ${count}` };
    if (this.badKeys.has(from) && (!fromDealer || this.setup.recipientsAreDealers))
      return {
        status: "ignored",
        reason: `${this.setup.recipientsAreDealers ? "member" : "new member"} ${from} is absent: its identity key is invalid, so it holds no share and takes no part`,
      };
    if (STATE_RANK[this.state] > STATE_RANK[PHASE_ORDER[frame.phase]])
      return { status: "ignored", reason: `late: the ${PHASE_ORDER[frame.phase]} phase is closed` };
    if (fromDealer && this.faults.has(from)) return { status: "ignored", reason: `dealer ${from} is already disqualified` };
    if (!fromDealer && this.muted.has(from)) return { status: "ignored", reason: `member ${from} equivocated; its complaints are discarded` };

    const key = `${frame.phase}:${from}`;
    let a = this.assemblies.get(key);
    if (!a) {
      a = { chunks: frame.chunks, parts: new Array(frame.chunks), received: 0 };
      this.assemblies.set(key, a);
    } else if (a.chunks !== frame.chunks) {
      return this.equivocation(frame.phase, from, `sent ${PHASE_ORDER[frame.phase]} messages with different frame counts`);
    }
    const existing = a.parts[frame.chunk];
    if (existing) {
      if (equalBytes(existing, frame.fragment)) return { status: "duplicate" };
      return this.equivocation(frame.phase, from, `sent two different versions of ${PHASE_ORDER[frame.phase]} frame ${frame.chunk}`);
    }
    a.parts[frame.chunk] = frame.fragment.slice();
    a.received++;
    if (a.received === a.chunks) {
      a.body = concatBytes(...(a.parts as Uint8Array[]));
      if (frame.phase === DkgPhase.Deal) {
        const fault = this.acceptDeal(from, a.body);
        if (fault) return { status: "fault", reason: fault };
      }
    }
    return { status: "accepted" };
  }

  /** Closes phase 1. Returns this member's complaint frames (none if all its shares are valid). */
  complain(): Uint8Array[] {
    this.expectState("deal", "complain()");
    this.state = "complaint";
    for (let d = 1; d <= this.setup.dealerCount; d++) {
      if (this.faults.has(d) || this.deals.has(d)) continue;
      const a = this.assemblies.get(`${DkgPhase.Deal}:${d}`);
      if (!a) this.noDeal.add(d);
      this.disqualify(d, a ? `deal incomplete: ${a.received} of ${a.chunks} frames posted` : "posted no deal");
    }
    const me = this.setup.recipient;
    const accused = [...this.myComplaints].filter((d) => !this.faults.has(d));
    if (!me || accused.length === 0) return [];
    return encodeDkgFrames(DkgPhase.Complaint, this.epoch, me.index, encodeComplaint(accused));
  }

  /** Closes phase 2. Returns this dealer's justification frames (none if nobody complained). */
  justify(): Uint8Array[] {
    this.expectState("complaint", "justify()");
    this.state = "justification";
    for (let j = 1; j <= this.n; j++) {
      const body = this.assemblies.get(`${DkgPhase.Complaint}:${j}`)?.body;
      if (!body || this.muted.has(j)) continue;
      let accused: number[];
      try {
        accused = decodeComplaint(body);
      } catch {
        this.muted.add(j);
        continue;
      }
      for (const d of accused) {
        if (!this.deals.has(d) || this.faults.has(d)) continue;
        let set = this.complaints.get(d);
        if (!set) this.complaints.set(d, (set = new Set()));
        set.add(j);
      }
    }
    const dealer = this.setup.dealer;
    const against = dealer && !this.faults.has(dealer.index) ? this.complaints.get(dealer.index) : undefined;
    if (!dealer || !against || !this.polynomial) return [];
    const poly = this.polynomial;
    const entries = [...against].map((j) => ({ recipient: j, share: evaluatePolynomial(poly, j) }));
    return encodeDkgFrames(DkgPhase.Justification, this.epoch, dealer.index, encodeJustification(entries));
  }

  /** Closes phase 3 and computes the result. Throws {@link DkgFailedError} if too few dealers qualify. */
  finish(): DkgResult {
    this.expectState("justification", "finish()");
    this.state = "done";
    const me = this.setup.recipient?.index;
    for (const d of [...this.complaints.keys()].sort((a, b) => a - b)) {
      if (this.faults.has(d)) continue;
      const complainers = [...this.complaints.get(d)!].sort((a, b) => a - b);
      const body = this.assemblies.get(`${DkgPhase.Justification}:${d}`)?.body;
      if (!body) {
        this.disqualify(d, `did not answer the complaint(s) of member(s) ${complainers.join(", ")}`);
        continue;
      }
      let entries;
      try {
        entries = decodeJustification(body);
      } catch (e) {
        this.disqualify(d, `malformed justification: ${(e as Error).message}`);
        continue;
      }
      const commitments = this.deals.get(d)!.commitments;
      for (const j of complainers) {
        const entry = entries.find((x) => x.recipient === j);
        if (!entry) {
          this.disqualify(d, `did not answer the complaint of member ${j}`);
          break;
        }
        if (!mulBaseG1(entry.share).equals(evaluateCommitments(commitments, j))) {
          this.disqualify(d, `revealed a share for member ${j} that does not match its commitments`);
          break;
        }
        if (j === me) this.myShares.set(d, entry.share);
      }
    }
    return this.computeResult();
  }

  // -------------------------------------------------------------------------------------------

  private computeResult(): DkgResult {
    const { previous, minQualified, threshold: t } = this.setup;
    const holders = this.n - this.badKeys.size;
    if (holders < t)
      throw this.failure(
        `only ${holders} of ${this.n} members have a valid identity key, threshold ${t} needs ${t} share holders`,
        "the members with an invalid identity key must register a valid one (or be replaced) before it is run again",
      );
    for (;;) {
      const qualified = [...this.deals.keys()].filter((d) => !this.faults.has(d)).sort((a, b) => a - b);
      if (qualified.length < minQualified)
        throw this.failure(`${qualified.length} dealers qualified, at least ${minQualified} are needed`, "run it again");
      const weights = previous ? lagrangeAtZero(qualified) : qualified.map(() => 1n);
      const sums: G1Point[] = [];
      for (let k = 0; k < t; k++) {
        const column = qualified.map((d) => this.deals.get(d)!.commitments[k]!);
        sums.push(previous ? msm(column, weights) : column.reduce((acc, p) => acc.add(p), G1.ZERO));
      }
      const groupKey = sums[0]!;
      const shareKeys = Array.from({ length: this.n }, (_, i) => evaluateCommitments(sums, i + 1));
      // Commitments were decoded without the subgroup check (see acceptDeal); the outputs are
      // checked instead. Only if one fails are the dealers' commitments checked one by one.
      if (![groupKey, ...shareKeys].every((p) => p.is0() || p.isTorsionFree())) {
        let found = false;
        for (const d of qualified) {
          const k = this.deals.get(d)!.commitments.findIndex((c) => !c.isTorsionFree());
          if (k >= 0) {
            this.disqualify(d, `commitment ${k} is not in the prime-order subgroup`);
            found = true;
          }
        }
        if (!found) throw new DkgError("internal error: derived keys left the subgroup");
        continue;
      }
      if (groupKey.is0() || shareKeys.some((p) => p.is0())) throw this.failure("it produced a degenerate key", "run it again");
      if (previous && !groupKey.equals(previous.groupKey))
        throw new DkgError(
          "the previous epoch's share keys do not interpolate to its group key: check `previous` (wrong epoch's keys?)",
        );
      return {
        epoch: this.epoch,
        threshold: t,
        groupKey: encodeG1(groupKey),
        shareKeys: shareKeys.map(encodeG1),
        qualified,
        disqualified: this.faultList(),
        absent: this.absentList(),
        ...this.ownShare(qualified, weights, shareKeys),
      };
    }
  }

  private ownShare(qualified: number[], weights: bigint[], shareKeys: G1Point[]) {
    const me = this.setup.recipient?.index;
    if (me === undefined) return { missingShares: [] };
    const missingShares = qualified.filter((d) => !this.myShares.has(d));
    if (missingShares.length > 0) return { missingShares };
    let value = 0n;
    qualified.forEach((d, k) => {
      value = Fr.add(value, Fr.mul(weights[k]!, this.myShares.get(d)!));
    });
    if (!mulBaseG1(value).equals(shareKeys[me - 1]!)) throw new DkgError("internal error: own share does not match its share key");
    return { share: { index: me, value }, missingShares };
  }

  private acceptDeal(d: number, body: Uint8Array): string | undefined {
    const fail = (reason: string) => {
      this.disqualify(d, reason);
      return reason;
    };
    let deal;
    try {
      deal = decodeDeal(body);
    } catch (e) {
      return fail(`malformed deal: ${(e as Error).message}`);
    }
    if (deal.ciphertexts.length !== this.n)
      return fail(`deal has shares for ${deal.ciphertexts.length} recipients, the committee has ${this.n}`);
    if (deal.commitments.length !== this.threshold)
      return fail(`deal has ${deal.commitments.length} commitments, threshold ${this.threshold} needs ${this.threshold}`);
    let ephemeral: G1Point;
    let commitments: G1Point[];
    try {
      // Full validation of E: a small-order component would leak the recipients' identity keys.
      ephemeral = this.point(deal.ephemeralKey, true, "ephemeral key");
      // Commitments: on-curve check now, subgroup check on the derived keys (computeResult).
      commitments = deal.commitments.map((c, k) => this.point(c, false, `commitment ${k}`));
    } catch (e) {
      if (e instanceof EncodingError) return fail(e.message);
      throw e;
    }
    const previous = this.setup.previous;
    if (previous && !commitments[0]!.equals(previous.shareKeys[d - 1]!))
      return fail("constant commitment is not the dealer's share key of the previous epoch");
    this.deals.set(d, { ephemeral, ephemeralKey: deal.ephemeralKey, commitments, ciphertexts: deal.ciphertexts });

    const me = this.setup.recipient;
    if (me) {
      const ctx = { epoch: this.epoch, dealer: d, recipient: me.index };
      const myKey = this.setup.identityKeys[me.index - 1]!;
      const share = decryptShare(me.identitySecret, myKey, ephemeral, deal.ephemeralKey, ctx, deal.ciphertexts[me.index - 1]!);
      if (share !== null && mulBaseG1(share).equals(evaluateCommitments(commitments, me.index))) this.myShares.set(d, share);
      else this.myComplaints.add(d);
    }
    return undefined;
  }

  private equivocation(phase: DkgPhase, from: number, reason: string): DkgReceipt {
    if (phase === DkgPhase.Complaint) {
      this.muted.add(from);
      if (this.setup.recipientsAreDealers) this.disqualify(from, reason);
    } else {
      this.disqualify(from, reason);
    }
    return { status: "fault", reason };
  }

  private disqualify(d: number, reason: string) {
    if (!this.faults.has(d)) this.faults.set(d, reason);
  }

  private faultList(): DkgFault[] {
    return [...this.faults].sort((a, b) => a[0] - b[0]).map(([dealer, reason]) => ({ dealer, reason }));
  }

  private absentList(): DkgAbsence[] {
    const list: DkgAbsence[] = [
      ...[...this.badKeys].map(([index, detail]) => ({ index, reason: "bad-identity-key" as const, detail })),
      ...[...this.noDeal].map((index) => ({ index, reason: "no-deal" as const, detail: "posted no deal" })),
    ];
    return list.sort((a, b) => a.index - b.index || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  }

  /** A DkgFailedError whose message names the absent members. */
  private failure(what: string, advice: string): DkgFailedError {
    const fresh = this.setup.recipientsAreDealers;
    const absent = this.absentList();
    const named = absent.map((a) =>
      a.reason === "bad-identity-key"
        ? `${fresh ? "member" : "new member"} ${a.index} (invalid identity key)`
        : `${fresh ? "member" : "old member"} ${a.index} (posted no deal)`,
    );
    const message =
      `${fresh ? "DKG" : "reshare"} for epoch ${this.epoch} failed: ${what}` +
      (named.length > 0 ? `; absent: ${named.join(", ")}` : "") +
      `; ${advice}`;
    return new DkgFailedError(message, this.faultList(), absent);
  }

  private expectState(state: State, method: string) {
    if (this.state !== state) throw new DkgError(`${method} belongs to the ${state} phase, but the DKG is in the ${this.state} phase`);
  }

  private point(bytes: Uint8Array, checkSubgroup: boolean, what: string): G1Point {
    const cache = this.setup.pointCache;
    const key = cache && (checkSubgroup ? "g:" : "c:") + toHex(bytes);
    const hit = key && cache.get(key);
    if (hit) return hit;
    const p = decodeG1(bytes, what, checkSubgroup);
    if (key) cache.set(key, p);
    return p;
  }
}

/** One committee member (or an observer) in a fresh DKG. */
export class DkgParticipant extends DkgSession {
  constructor(config: DkgConfig) {
    const n = config.identityKeys.length;
    checkCommittee(n, config.threshold, "committee");
    checkEpoch(config.epoch);
    const self = config.self;
    if (self) {
      if (!Number.isInteger(self.index) || self.index < 1 || self.index > n)
        throw new DkgError(`self.index must be in 1..${n}, got ${self.index}`);
      assertScalar(self.identitySecret, "identity secret");
      if (!equalBytes(encodeG1(mulBaseG1(self.identitySecret)), config.identityKeys[self.index - 1]!))
        throw new DkgError(`the identity secret does not match the identity key of member ${self.index}`);
    }
    super({
      epoch: config.epoch,
      threshold: config.threshold,
      identityKeys: config.identityKeys,
      dealerCount: n,
      minQualified: config.threshold,
      recipientsAreDealers: true,
      dealer: self && { index: self.index },
      recipient: self && { index: self.index, identitySecret: self.identitySecret },
      random: config.random ?? defaultRandom,
      pointCache: config.pointCache,
    });
  }
}

/**
 * A participant in a resharing from the previous committee (dealers, who deal their old share
 * as the constant term) to a new committee (recipients), possibly with a new threshold. The
 * group key stays the same. A node in both committees is one participant with both roles.
 */
export class ReshareParticipant extends DkgSession {
  constructor(config: ReshareConfig) {
    const n = config.identityKeys.length;
    checkCommittee(n, config.threshold, "new committee");
    checkEpoch(config.epoch);
    const prev = config.previous;
    checkCommittee(prev.shareKeys.length, prev.threshold, "previous committee");
    let groupKey: G1Point;
    let shareKeys: G1Point[];
    try {
      groupKey = decodeG1(prev.groupKey, "previous group key");
      shareKeys = prev.shareKeys.map((k, i) =>
        config.pointCache?.get("g:" + toHex(k)) ?? decodeG1(k, `previous share key ${i + 1}`),
      );
    } catch (e) {
      if (e instanceof EncodingError) throw new DkgError(e.message);
      throw e;
    }
    const dealer = config.dealer;
    if (dealer) {
      if (!Number.isInteger(dealer.index) || dealer.index < 1 || dealer.index > shareKeys.length)
        throw new DkgError(`dealer.index must be in 1..${shareKeys.length}, got ${dealer.index}`);
      assertScalar(dealer.value, "previous share", true);
      if (!mulBaseG1(dealer.value).equals(shareKeys[dealer.index - 1]!))
        throw new DkgError(`this node's previous share does not match share key ${dealer.index} of the previous epoch`);
    }
    const recipient = config.recipient;
    if (recipient) {
      if (!Number.isInteger(recipient.index) || recipient.index < 1 || recipient.index > n)
        throw new DkgError(`recipient.index must be in 1..${n}, got ${recipient.index}`);
      assertScalar(recipient.identitySecret, "identity secret");
      if (!equalBytes(encodeG1(mulBaseG1(recipient.identitySecret)), config.identityKeys[recipient.index - 1]!))
        throw new DkgError(`the identity secret does not match the identity key of new member ${recipient.index}`);
    }
    super({
      epoch: config.epoch,
      threshold: config.threshold,
      identityKeys: config.identityKeys,
      dealerCount: shareKeys.length,
      minQualified: prev.threshold,
      recipientsAreDealers: false,
      previous: { groupKey, shareKeys },
      dealer: dealer && { index: dealer.index, constant: dealer.value },
      recipient,
      random: config.random ?? defaultRandom,
      pointCache: config.pointCache,
    });
  }
}
