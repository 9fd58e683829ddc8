/**
 * The DKG wire format (version 1). Every DKG message is posted with the contract's
 * `post-dkg-message (epoch uint) (phase uint) (payload (buff 4096))`, so a message is a
 * sequence of frames of at most 4096 bytes each.
 *
 * Frame (9-byte header, then a fragment of at most 4087 bytes):
 *
 *     0  u8   version (1)
 *     1  u8   phase: 1 deal, 2 complaint, 3 justification (the contract's `phase` argument)
 *     2  u32  epoch, big-endian (the contract's `epoch` argument)
 *     6  u8   sender: dealer index for phases 1 and 3, recipient index for phase 2 (1-based)
 *     7  u8   chunk number, 0-based
 *     8  u8   chunk count, 1..255
 *
 * The fragments of one message, in chunk order, form its body:
 *
 *     deal (1):          u8 n | u8 t | E (48) | t commitments C_0..C_{t-1} (48 each)
 *                        | n share ciphertexts for recipients 1..n (48 each: 32 + GCM tag)
 *     complaint (2):     u8 k | k accused dealer indexes (u8, ascending)
 *     justification (3): u8 k | k × (u8 recipient index | 32-byte share), recipients ascending
 *
 * A deal body is 50 + 48·(t + n) bytes, so it fits in one frame iff t + n <= 84: always for
 * n <= 42, in particular for every committee of the contract (MAX-COMMITTEE = 32, at most
 * 3,131 bytes at t = n = 32). Larger deals are split into ceil(size / 4087) frames, e.g. 2
 * for (t, n) = (67, 100). Indexes are u8, so committees have at most 255 members.
 * @module
 */
import { bigIntToBytes, bytesToBigInt, concatBytes } from "./bytes.js";
import { CURVE_ORDER, PUBLIC_KEY_LENGTH, scalarToBytes } from "./curve.js";
import { SHARE_CIPHERTEXT_LENGTH } from "./ecies.js";
import { DkgMessageError } from "./errors.js";

export const DKG_WIRE_VERSION = 1;
/** The contract's payload limit: `(buff 4096)`. */
export const MAX_DKG_PAYLOAD = 4096;
export const DKG_FRAME_HEADER_LENGTH = 9;
export const MAX_DKG_FRAGMENT = MAX_DKG_PAYLOAD - DKG_FRAME_HEADER_LENGTH;
/** Share indexes are one byte on the wire. */
export const MAX_DKG_COMMITTEE = 255;

export const DkgPhase = { Deal: 1, Complaint: 2, Justification: 3 } as const;
export type DkgPhase = (typeof DkgPhase)[keyof typeof DkgPhase];

export interface DkgFrame {
  version: number;
  phase: DkgPhase;
  epoch: number;
  sender: number;
  chunk: number;
  chunks: number;
  fragment: Uint8Array;
}

/** Size in bytes of a deal body for t commitments and n recipients. */
export function dealBodyLength(t: number, n: number): number {
  return 2 + PUBLIC_KEY_LENGTH + PUBLIC_KEY_LENGTH * t + SHARE_CIPHERTEXT_LENGTH * n;
}

/** Number of frames (contract messages) a deal for (t, n) takes. */
export function dealFrameCount(t: number, n: number): number {
  return Math.ceil(dealBodyLength(t, n) / MAX_DKG_FRAGMENT);
}

function checkU8Index(v: number, what: string) {
  if (!Number.isInteger(v) || v < 1 || v > MAX_DKG_COMMITTEE)
    throw new DkgMessageError(`${what} must be in 1..${MAX_DKG_COMMITTEE}, got ${v}`);
}

/** Splits a message body into frames of at most {@link MAX_DKG_PAYLOAD} bytes. */
export function encodeDkgFrames(phase: DkgPhase, epoch: number, sender: number, body: Uint8Array): Uint8Array[] {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffffffff)
    throw new DkgMessageError(`epoch must be a u32, got ${epoch}`);
  checkU8Index(sender, "sender index");
  const chunks = Math.max(1, Math.ceil(body.length / MAX_DKG_FRAGMENT));
  if (chunks > 255) throw new DkgMessageError(`message of ${body.length} bytes needs more than 255 frames`);
  const frames: Uint8Array[] = [];
  for (let c = 0; c < chunks; c++) {
    const header = concatBytes(Uint8Array.of(DKG_WIRE_VERSION, phase), bigIntToBytes(BigInt(epoch), 4), Uint8Array.of(sender, c, chunks));
    frames.push(concatBytes(header, body.subarray(c * MAX_DKG_FRAGMENT, (c + 1) * MAX_DKG_FRAGMENT)));
  }
  return frames;
}

/** Parses one frame's header; throws {@link DkgMessageError} if it is not a version-1 DKG frame. */
export function decodeDkgFrame(payload: Uint8Array): DkgFrame {
  if (!(payload instanceof Uint8Array)) throw new DkgMessageError("DKG payload must be a Uint8Array");
  if (payload.length < DKG_FRAME_HEADER_LENGTH)
    throw new DkgMessageError(`DKG payload of ${payload.length} bytes is shorter than the ${DKG_FRAME_HEADER_LENGTH}-byte header`);
  if (payload.length > MAX_DKG_PAYLOAD)
    throw new DkgMessageError(`DKG payload of ${payload.length} bytes exceeds the contract limit of ${MAX_DKG_PAYLOAD}`);
  const version = payload[0]!;
  if (version !== DKG_WIRE_VERSION)
    throw new DkgMessageError(`DKG wire version ${version} is not supported (this software speaks version ${DKG_WIRE_VERSION})`);
  const phase = payload[1]!;
  if (phase !== 1 && phase !== 2 && phase !== 3) throw new DkgMessageError(`unknown DKG phase ${phase}`);
  const epoch = Number(bytesToBigInt(payload.subarray(2, 6)));
  const [sender, chunk, chunks] = [payload[6]!, payload[7]!, payload[8]!];
  if (sender === 0) throw new DkgMessageError("DKG sender index 0 is invalid (indexes are 1-based)");
  if (chunks === 0 || chunk >= chunks) throw new DkgMessageError(`DKG chunk ${chunk} of ${chunks} is invalid`);
  const fragment = payload.subarray(DKG_FRAME_HEADER_LENGTH);
  if (chunk < chunks - 1 && fragment.length !== MAX_DKG_FRAGMENT)
    throw new DkgMessageError(`DKG chunk ${chunk} of ${chunks} must be full (${MAX_DKG_FRAGMENT} bytes)`);
  return { version, phase, epoch, sender, chunk, chunks, fragment };
}

// ---------------------------------------------------------------------------------------------
// Bodies

export interface DealBody {
  /** E = e·G1, the dealer's ephemeral ECIES key (48 bytes). */
  ephemeralKey: Uint8Array;
  /** Feldman commitments C_0..C_{t-1} (48 bytes each). */
  commitments: Uint8Array[];
  /** Encrypted shares for recipients 1..n (48 bytes each). */
  ciphertexts: Uint8Array[];
}

export function encodeDeal(deal: DealBody): Uint8Array {
  const t = deal.commitments.length;
  const n = deal.ciphertexts.length;
  if (t < 1 || t > 255 || n < 1 || n > 255) throw new DkgMessageError(`deal with ${t} commitments for ${n} recipients cannot be encoded`);
  const parts = [Uint8Array.of(n, t), deal.ephemeralKey, ...deal.commitments, ...deal.ciphertexts];
  if (deal.ephemeralKey.length !== PUBLIC_KEY_LENGTH || deal.commitments.some((c) => c.length !== PUBLIC_KEY_LENGTH))
    throw new DkgMessageError("deal keys and commitments must be 48 bytes each");
  if (deal.ciphertexts.some((c) => c.length !== SHARE_CIPHERTEXT_LENGTH))
    throw new DkgMessageError(`deal ciphertexts must be ${SHARE_CIPHERTEXT_LENGTH} bytes each`);
  return concatBytes(...parts);
}

/** Structural decoding only (lengths and counts); points are validated by the DKG. */
export function decodeDeal(body: Uint8Array): DealBody {
  if (body.length < 2) throw new DkgMessageError("deal is truncated");
  const n = body[0]!;
  const t = body[1]!;
  if (body.length !== dealBodyLength(t, n))
    throw new DkgMessageError(`deal of ${body.length} bytes does not match its counts (t=${t}, n=${n}: ${dealBodyLength(t, n)} bytes)`);
  const at = (i: number, len: number) => body.slice(i, i + len);
  const commitmentsAt = 2 + PUBLIC_KEY_LENGTH;
  const ciphertextsAt = commitmentsAt + PUBLIC_KEY_LENGTH * t;
  return {
    ephemeralKey: at(2, PUBLIC_KEY_LENGTH),
    commitments: Array.from({ length: t }, (_, k) => at(commitmentsAt + PUBLIC_KEY_LENGTH * k, PUBLIC_KEY_LENGTH)),
    ciphertexts: Array.from({ length: n }, (_, j) => at(ciphertextsAt + SHARE_CIPHERTEXT_LENGTH * j, SHARE_CIPHERTEXT_LENGTH)),
  };
}

function ascendingIndexes(xs: number[], what: string): void {
  xs.forEach((x, k) => {
    checkU8Index(x, what);
    if (k > 0 && x <= xs[k - 1]!) throw new DkgMessageError(`${what}es must be distinct and ascending`);
  });
}

export function encodeComplaint(accused: number[]): Uint8Array {
  const sorted = [...accused].sort((a, b) => a - b);
  ascendingIndexes(sorted, "accused dealer index");
  if (sorted.length === 0 || sorted.length > 255) throw new DkgMessageError("a complaint accuses 1..255 dealers");
  return Uint8Array.of(sorted.length, ...sorted);
}

export function decodeComplaint(body: Uint8Array): number[] {
  const k = body[0] ?? 0;
  if (k === 0 || body.length !== 1 + k) throw new DkgMessageError(`complaint of ${body.length} bytes is malformed`);
  const accused = [...body.subarray(1)];
  ascendingIndexes(accused, "accused dealer index");
  return accused;
}

export interface JustificationEntry {
  /** The complaining recipient. */
  recipient: number;
  /** The dealer's share for that recipient, revealed in the clear. */
  share: bigint;
}

export function encodeJustification(entries: JustificationEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => a.recipient - b.recipient);
  ascendingIndexes(sorted.map((e) => e.recipient), "recipient index");
  if (sorted.length === 0 || sorted.length > 255) throw new DkgMessageError("a justification answers 1..255 complaints");
  return concatBytes(Uint8Array.of(sorted.length), ...sorted.flatMap((e) => [Uint8Array.of(e.recipient), scalarToBytes(e.share)]));
}

export function decodeJustification(body: Uint8Array): JustificationEntry[] {
  const k = body[0] ?? 0;
  if (k === 0 || body.length !== 1 + 33 * k) throw new DkgMessageError(`justification of ${body.length} bytes is malformed`);
  const entries: JustificationEntry[] = [];
  for (let i = 0; i < k; i++) {
    const off = 1 + 33 * i;
    const share = bytesToBigInt(body.subarray(off + 1, off + 33));
    if (share >= CURVE_ORDER) throw new DkgMessageError("justification share is not below the curve order");
    entries.push({ recipient: body[off]!, share });
  }
  ascendingIndexes(entries.map((e) => e.recipient), "recipient index");
  return entries;
}
