/**
 * Threshold BLS benchmarks: `npm run bench` (add `-- --skip-dkg` or `-- --skip-signing`).
 * Prints JSON on stdout, progress on stderr. Figures are medians of several runs, in ms.
 */
import os from "node:os";
import {
  DkgParticipant,
  DkgPhase,
  type BlsBackend,
  type PartialSignature,
  combinePartials,
  dealFrameCount,
  decodeG1,
  encodeDeal,
  encodeDkgFrames,
  encryptShare,
  evaluatePolynomial,
  feldmanCommitments,
  generateIdentity,
  loadBlstBackend,
  messageHash,
  nobleBackend,
  partialSign,
  publicKeyOf,
  randomPolynomial,
  randomScalar,
  robustCombine,
  runLocalDkg,
  sign,
  splitSecret,
  verifyPartial,
  verifyPartials,
} from "../src/crypto/index.js";

const SIZES: [number, number][] = [
  [3, 5],
  [11, 15],
  [22, 32],
  [67, 100],
];
const args = new Set(process.argv.slice(2));
const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Median wall time of `runs` calls (after one warm-up); `setup` runs untimed before each call. */
function time<T>(runs: number, fn: (input: T) => unknown, setup: () => T = () => undefined as T): number {
  fn(setup());
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const input = setup();
    const start = performance.now();
    fn(input);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return round1(samples[samples.length >> 1]!);
}

let counter = 0;
const freshMessage = () => messageHash(`bench message ${counter++}`);

function signingFigures(t: number, n: number, backend: BlsBackend) {
  const secret = randomScalar();
  const { shares } = splitSecret(secret, t, n);
  const groupKey = publicKeyOf(secret);
  const shareKeys = shares.map((s) => publicKeyOf(s.value));
  const runs = t > 30 ? 3 : 5;
  const round = () => {
    const mh = freshMessage();
    return { mh, partials: shares.slice(0, t + 1).map((s) => partialSign(s, mh)) };
  };
  const input = (mh: Uint8Array, partials: PartialSignature[]) => ({ messageHash: mh, partials, threshold: t, groupKey, shareKeys, backend });
  return {
    partialSign: time(runs, (mh: Uint8Array) => partialSign(shares[0]!, mh, backend), freshMessage),
    partialVerify: time(runs, ({ mh, partials }) => verifyPartial(shareKeys[0]!, mh, partials[0]!, backend), round),
    combine: time(runs, ({ partials }) => combinePartials(partials.slice(0, t), backend), round),
    verify: time(runs, ({ mh, sig }) => backend.verify(groupKey, mh, sig), () => {
      const r = round();
      return { mh: r.mh, sig: combinePartials(r.partials.slice(0, t)) };
    }),
    honestRound: time(runs, ({ mh, partials }) => robustCombine(input(mh, partials.slice(0, t))), round),
    naiveRound: time(runs, ({ mh, partials }) => {
      const ok = verifyPartials(mh, partials.slice(0, t), shareKeys, backend);
      if (!ok.every(Boolean)) throw new Error("bench: a partial failed");
      const sig = combinePartials(partials.slice(0, t), backend);
      if (!backend.verify(groupKey, mh, sig)) throw new Error("bench: combined signature failed");
    }, round),
    oneBadPartialRound: time(runs, ({ mh, partials }) => {
      const r = robustCombine(input(mh, partials));
      if (r.invalid.length !== 1) throw new Error("bench: robust combine missed the bad partial");
    }, () => {
      const r = round();
      const bad = Math.floor(t / 2); // one of the first t partials is bad; t + 1 are available
      r.partials[bad] = { ...r.partials[bad]!, signature: sign(randomScalar(), r.mh) };
      return r;
    }),
  };
}

/**
 * One node's DKG work at (t, n): its own deal, receiving every deal, complaint and
 * justification phases (empty), and finishing (all share keys). The other dealers' deals are
 * prepared beforehand: real commitments and a real share for the measured node; their
 * ciphertexts for other members are random, since this node never opens them.
 */
function perNodeDkg(t: number, n: number) {
  const epoch = 1;
  const identities = Array.from({ length: n }, () => generateIdentity());
  const identityKeys = identities.map((i) => i.publicKey);
  const me = 1;
  const myKey = { key: identityKeys[me - 1]!, point: decodeG1(identityKeys[me - 1]!) };
  progress(`  preparing ${n - 1} deals for the per-node DKG at (${t},${n})`);
  const deals = new Map<number, Uint8Array[]>();
  for (let d = 2; d <= n; d++) {
    const poly = randomPolynomial(t);
    const e = randomScalar();
    const ephemeralKey = publicKeyOf(e);
    const ciphertexts = identityKeys.map((_, j) =>
      j + 1 === me
        ? encryptShare(e, ephemeralKey, myKey, { epoch, dealer: d, recipient: me }, evaluatePolynomial(poly, me))
        : crypto.getRandomValues(new Uint8Array(48)),
    );
    deals.set(d, encodeDkgFrames(DkgPhase.Deal, epoch, d, encodeDeal({ ephemeralKey, commitments: feldmanCommitments(poly), ciphertexts })));
  }
  const node = new DkgParticipant({ epoch, threshold: t, identityKeys, self: { index: me, identitySecret: identities[me - 1]!.secretKey } });
  const t0 = performance.now();
  const own = node.deal();
  const t1 = performance.now();
  for (const f of own) node.receive(me, f);
  for (const [d, frames] of deals) for (const f of frames) node.receive(d, f);
  const t2 = performance.now();
  if (node.complain().length !== 0) throw new Error("bench: unexpected complaint");
  node.justify();
  const result = node.finish();
  const t3 = performance.now();
  if (result.qualified.length !== n || !result.share) throw new Error("bench: per-node DKG failed");
  return {
    dealMs: round1(t1 - t0),
    receiveDealsMs: round1(t2 - t1),
    finishMs: round1(t3 - t2),
    totalMs: round1(t3 - t0),
    framesPerDeal: dealFrameCount(t, n),
  };
}

async function main() {
  const out: Record<string, unknown> = {
    machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? "unknown", loadavg: os.loadavg().map(round1) },
  };
  let blst: BlsBackend | undefined;
  try {
    blst = await loadBlstBackend();
  } catch (e) {
    progress(`blst backend unavailable: ${(e as Error).message}`);
  }
  if (!args.has("--skip-signing")) {
    const signing = [];
    for (const [t, n] of SIZES) {
      progress(`signing (${t},${n}) with noble`);
      const noble = signingFigures(t, n, nobleBackend);
      let native;
      if (blst) {
        progress(`signing (${t},${n}) with blst`);
        native = signingFigures(t, n, blst);
      }
      signing.push({
        t,
        n,
        noble,
        honestVsNaiveSpeedup: round1(noble.naiveRound / noble.honestRound),
        ...(native ? { blst: native, blstHonestVsNaiveSpeedup: round1(native.naiveRound / native.honestRound) } : {}),
      });
    }
    out.signing = signing;
    out.signingNotes =
      "blst: signing, verification and signature decompression native; the Lagrange MSM stays on noble, as the blst binding has no point-scalar multiplication. " +
      "honestRound = robustCombine with t honest partials (combine, verify once); naiveRound = verify each of t partials, combine, verify; " +
      "oneBadPartialRound = robustCombine with t+1 partials, one bad among the first t.";
  }
  if (!args.has("--skip-dkg")) {
    const dkg = [];
    for (const [t, n] of SIZES.slice(0, 3)) {
      progress(`DKG (${t},${n}), whole committee in one process`);
      const start = performance.now();
      const r = runLocalDkg({ n, t });
      const ms = round1(performance.now() - start);
      if (r.qualified.length !== n) throw new Error("bench: local DKG lost a dealer");
      dkg.push({ t, n, wholeCommitteeMs: ms, perMemberMs: round1(ms / n), framesPerDeal: dealFrameCount(t, n) });
    }
    progress("DKG (67,100), one node");
    dkg.push({ t: 67, n: 100, perNode: perNodeDkg(67, 100) });
    out.dkg = dkg;
  }
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
}

await main();
