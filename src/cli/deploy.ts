// Deploys contracts/dts.clar (Clarity 4) and optionally initializes it once the deploy is
// confirmed. --dry-run builds and signs the transaction and prints its id, size and fee
// without any network access (nonce 0 and a size-based fee unless --nonce/--fee are given).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { ClarityVersion, PostConditionMode, makeContractDeploy, privateKeyToAddress } from "@stacks/transactions";
import { ContractCallError, toJson } from "../chain/clarity.js";
import { DtsClient } from "../chain/client.js";
import { NETWORKS } from "../chain/http.js";
import { UsageError, addCommonOptions, backendFor, nodeUrlOf, packageVersion, print, requireKey, runAction, runProgram, type CommonOptions } from "./common.js";

/** Micro-STX per byte for a dry run's default fee (Clarinet's default deployment_fee_rate). */
export const DRY_RUN_FEE_PER_BYTE = 10n;

/**
 * The largest contract source @stacks/transactions will put in a transaction (its wire
 * codec's limit for the code body); past it the library fails with a bare "String length
 * exceeds maximum bytes", so the size is checked first and named.
 */
export const MAX_CODE_BODY_BYTES = 100_000;

/** The project's contract, wherever the script is run from. */
const DEFAULT_CONTRACT_FILE = fileURLToPath(new URL("../../contracts/dts.clar", import.meta.url));

interface DeployOptions extends CommonOptions {
  name: string;
  contractFile: string;
  dryRun?: boolean;
  yes?: boolean;
  initialize?: string[];
}

const INIT_NAMES = ["min-stake", "required-signers", "total-signers", "rotation-period", "signature-threshold"];

function initArgs(values: string[] | undefined): bigint[] | null {
  if (!values) return null;
  if (values.length !== 5) throw new UsageError(`--initialize takes 5 values: ${INIT_NAMES.join(" ")}; got ${values.length}`);
  return values.map((v, i) => {
    if (!/^\d+$/.test(v)) throw new UsageError(`--initialize ${INIT_NAMES[i]} must be a non-negative integer, got ${JSON.stringify(v)}`);
    return BigInt(v);
  });
}

export function buildDeployProgram(): Command {
  const program = new Command("deploy")
    .description("Deploy the DTS contract (Clarity 4). Key: DTS_PRIVATE_KEY, DTS_MNEMONIC, --mnemonic-file or --keystore.")
    .option("--name <contract-name>", "contract name", "dts")
    .option("--contract-file <path>", "the Clarity source", DEFAULT_CONTRACT_FILE)
    .option("--initialize <values...>", `call initialize after the deploy: ${INIT_NAMES.join(" ")}`)
    .option("--dry-run", "sign and print the transaction's id, size and fee; broadcast nothing (offline: nonce 0 and 10 uSTX/byte unless --nonce/--fee)")
    .option("--yes", "confirm a mainnet deploy")
    .version(packageVersion())
    .showHelpAfterError();
  addCommonOptions(program);
  program.action(async () => {
    const options = program.opts<DeployOptions>();
    await runAction(options.json, async () => {
      if (!/^[a-zA-Z]([a-zA-Z0-9]|[-_]){0,39}$/.test(options.name)) throw new UsageError(`--name must be a Clarity contract name (letter first, at most 40 of [a-zA-Z0-9-_]), got ${options.name}`);
      const init = initArgs(options.initialize);
      if (options.network === "mainnet" && !options.yes && !options.dryRun) throw new UsageError("refusing to deploy to mainnet without --yes");
      let codeBody: string;
      try {
        codeBody = readFileSync(options.contractFile, "utf8");
      } catch (e) {
        throw new UsageError(`cannot read ${options.contractFile}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
      }
      const codeBytes = Buffer.byteLength(codeBody, "utf8");
      if (codeBytes > MAX_CODE_BODY_BYTES) throw new UsageError(`${options.contractFile} is ${codeBytes} bytes; @stacks/transactions deploys at most ${MAX_CODE_BODY_BYTES}`);
      const nodeUrl = nodeUrlOf(options);
      const { key, address } = await requireKey(options);
      const contractId = `${address}.${options.name}`;

      if (options.dryRun) {
        const network = NETWORKS[options.network];
        const build = (fee: bigint) =>
          makeContractDeploy({ contractName: options.name, codeBody, clarityVersion: ClarityVersion.Clarity4, senderKey: key, network, fee, nonce: options.nonce ?? 0n, postConditionMode: PostConditionMode.Allow });
        const probe = await build(0n);
        const size = probe.serializeBytes().length;
        const fee = options.fee ?? BigInt(size) * DRY_RUN_FEE_PER_BYTE;
        const tx = await build(fee);
        const result = {
          dryRun: true,
          network: options.network,
          contractId,
          txid: `0x${tx.txid()}`,
          size: tx.serializeBytes().length,
          fee,
          feeSource: options.fee !== undefined ? "--fee" : `default ${DRY_RUN_FEE_PER_BYTE} uSTX/byte`,
          nonce: options.nonce ?? 0n,
          nonceSource: options.nonce !== undefined ? "--nonce" : "default 0",
          clarityVersion: 4,
          initialize: init,
        };
        print(result, options.json, () =>
          [
            `dry run (${options.network}): nothing broadcast`,
            `contract  ${contractId}`,
            `txid      ${result.txid}`,
            `size      ${result.size} bytes`,
            `fee       ${fee} uSTX (${result.feeSource})`,
            `nonce     ${result.nonce} (${result.nonceSource})`,
          ].join("\n"),
        );
        return;
      }

      const backend = backendFor({ ...options, nodeUrl }, contractId, [key]);
      if (privateKeyToAddress(key, NETWORKS[options.network]) !== address) throw new Error("address mismatch");
      const deployed = await backend.deployContract(options.name, codeBody, address, { fee: options.fee, nonce: options.nonce, timeoutMs: options.timeout * 1000 });
      if (!deployed.ok) throw new Error(`the deploy transaction ${deployed.txid} failed: ${toJson(deployed.value, 0)}`);
      const result: Record<string, unknown> = { network: options.network, contractId, txid: deployed.txid, blockHeight: deployed.blockHeight, fee: deployed.fee, nonce: deployed.nonce };
      const lines = [`deployed ${contractId}`, `  txid ${deployed.txid} in block ${deployed.blockHeight}, fee ${deployed.fee} uSTX, nonce ${deployed.nonce}`];
      if (init) {
        const client = new DtsClient(backend, address);
        try {
          const tx = await client.call("initialize", init as [bigint, bigint, bigint, bigint, bigint], { timeoutMs: options.timeout * 1000 });
          result.initialize = { txid: tx.txid, blockHeight: tx.blockHeight, values: Object.fromEntries(INIT_NAMES.map((n, i) => [n, init[i]])) };
          lines.push(`initialized (${INIT_NAMES.map((n, i) => `${n} ${init[i]}`).join(", ")})`, `  txid ${tx.txid} in block ${tx.blockHeight}`);
        } catch (error) {
          // The contract is deployed either way: say so before the error.
          if (!options.json) process.stdout.write(`${lines.join("\n")}\n`);
          if (error instanceof ContractCallError || error instanceof Error) error.message = `deployed ${contractId}, but initialize failed: ${error.message}`;
          throw error;
        }
      }
      print(result, options.json, () => lines.join("\n"));
    });
  });
  return program;
}

export async function runDeploy(argv: string[]): Promise<void> {
  await runProgram(buildDeployProgram(), argv);
}
