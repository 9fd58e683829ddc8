// Stateful property tests (issue 10): random sequences of calls by many accounts against the
// real contract on simnet, beside a TypeScript model of it (tests/model/), in the manner of
// stacks-core's boot-contract property tests (fast-check commands run by fc.modelRun).
//
// Each sequence starts from a fresh simnet (the SDK's initSession, as the vitest setup does
// before every test), runs a random setup (configuration, signers, shorter clocks by
// governance, epoch 1 with its key, requests with partials, watchtowers) and then exactly
// STEPS random steps. Every call's result is checked against the model's prediction (ok and
// its value, or the error code), and after every step the contract's whole state is compared
// with the model and these invariants are checked:
//   INV-ACCOUNTING  the contract's STX balance is the sum of get-accounting's parts
//   INV-STAKE       no stake is negative or above what its owner deposited less withdrawals
//                   and slashes (deposits and withdrawals from the STX transfer events)
//   INV-COMMITTEE   the serving and forming committees never exceed n, never seat anyone
//                   twice, seat only registered signers (a wound-down serving epoch excepted)
//   INV-SLASHABLE   a signer stays registered while one of its partials can be contested
//                   (README: withdraw-stake waits until none of them can)
//   INV-FINALIZED   no request stands finalized on fewer than t partials not confirmed invalid
//   INV-FEE         a confirmed-invalid partial never earns a fee (at every settle-fee)
//   INV-PAUSE       paused, exactly the documented calls are ERR-PAUSED, the others never are
//   INV-REFUSED-UNCHANGED  a refused call (and a block advance) changes no state and no STX
//   INV-EXIT        after unbonding, a signer outside every committee with no contestable
//                   partial can withdraw everything it has left
//   MODEL / VIEW    the contract's result, state or a read-only view differs from the model
//
// DTS_PROPERTY_SEED (default below) and DTS_PROPERTY_RUNS (default 200) choose the seed and
// the number of sequences; DTS_PROPERTY_STATS=1 prints how often each call succeeded or was
// refused, by error. A failure prints the seed and path, the shrunk counterexample (setup
// and steps) and the broken rule with the calls that led to it; DTS_PROPERTY_SEED=<seed>
// DTS_PROPERTY_PATH=<path> replays that counterexample alone (DTS_PROPERTY_VERBOSE=1 or 2:
// fast-check's verbose report as well).
import { expect, it } from "vitest";
import fc from "fast-check";
import { accounts, programArb, runSetup, setupArb, showSetup, type Program, type Setup } from "./model/commands.js";
import { Model } from "./model/model.js";
import { NEVER_REFUSED_WHEN_PAUSED, REFUSED_WHEN_PAUSED, World } from "./model/world.js";
import { contractPrincipal, deployer } from "./helpers.js";

const SEED = Number(process.env.DTS_PROPERTY_SEED ?? 20251122);
const RUNS = Number(process.env.DTS_PROPERTY_RUNS ?? 200);
/** With the seed, the `path` a failure printed: replays that counterexample alone. */
const PATH = process.env.DTS_PROPERTY_PATH;
/** fast-check's verbosity: 1 also lists every failing case met while shrinking (long). */
const VERBOSE = Number(process.env.DTS_PROPERTY_VERBOSE ?? 0);
const STEPS = 50;

if (!Number.isSafeInteger(SEED)) throw new Error(`DTS_PROPERTY_SEED must be an integer, got ${process.env.DTS_PROPERTY_SEED}`);
if (!(Number.isSafeInteger(RUNS) && RUNS > 0)) throw new Error(`DTS_PROPERTY_RUNS must be a positive integer, got ${process.env.DTS_PROPERTY_RUNS}`);

/** One generated case: the setup and the steps, printed as the counterexample. */
class Scenario {
  constructor(
    readonly setup: Setup,
    readonly program: Program,
  ) {}
  toString() {
    return `\n${showSetup(this.setup)}\n${this.program}`;
  }
}

it("classifies every public function for the pause rule (README Emergency)", () => {
  const publics = simnet
    .getContractsInterfaces()
    .get(contractPrincipal)!
    .functions.filter((f) => f.access === "public")
    .map((f) => f.name);
  const classified = new Set([...REFUSED_WHEN_PAUSED, ...NEVER_REFUSED_WHEN_PAUSED, "initialize", "pause", "unpause"]);
  expect(publics.filter((f) => !classified.has(f))).toEqual([]);
  expect([...classified].filter((f) => !publics.includes(f))).toEqual([]);
});

it(`keeps every invariant over ${RUNS} random sequences of ${STEPS} steps (seed ${SEED})`, async () => {
  const started = Date.now();
  let runs = 0;
  let steps = 0;
  let calls = 0;
  // The simnet logs the print event of every call: silenced while the sequences run, so that
  // a failure's report is not buried under a hundred thousand lines.
  const log = console.log;
  console.log = () => {};
  try {
    await fc.assert(
      fc.asyncProperty(fc.tuple(setupArb, programArb(STEPS)).map(([setup, program]) => new Scenario(setup, program)), async (scenario) => {
        await simnet.initSession(process.cwd(), "./Clarinet.toml", null);
        const world = new World(new Model(deployer));
        const accts = accounts();
        runSetup(world, accts, scenario.setup);
        fc.modelRun(() => ({ model: world.model, real: { world, accounts: accts } }), scenario.program);
        world.checkViews(runs);
        runs++;
        steps += world.steps;
        calls += world.calls;
      }),
      { seed: SEED, numRuns: RUNS, verbose: VERBOSE, includeErrorInReport: true, ...(PATH ? { path: PATH, endOnFailure: true } : {}) },
    );
  } finally {
    console.log = log;
  }
  if (process.env.DTS_PROPERTY_STATS) console.log([...World.outcomes.entries()].sort().map(([k, v]) => `${k}: ${v}`).join("\n"));
  console.log(`property: seed ${SEED}, ${runs} sequences, ${steps} steps, ${calls} calls, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (!PATH) expect(steps).toBe(RUNS * STEPS);
}, Math.max(900_000, RUNS * 5_000));
