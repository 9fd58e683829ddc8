// A local Stacks node for development: the simnet behind the part of the Stacks node RPC
// and of the Hiro API that clients on @stacks/transactions and
// @stacks/blockchain-api-client use. See README.md, "Local node: `npm run devnet`".
import { resolve } from "node:path";
import { DevnetChain } from "./chain.js";
import { DevnetNode } from "./node.js";
import { buildServer } from "./server.js";

export { MINER_ADDRESS } from "./chain.js";

export interface DevnetOptions {
  /** 0 = a free port; default 3999 */
  port?: number;
  /** default "127.0.0.1" */
  host?: string;
  /** default 2000; 0 = on demand only */
  blockTimeMs?: number;
  /** default true */
  deployContract?: boolean;
  /** default "./Clarinet.toml" */
  manifest?: string;
  log?: (line: string) => void;
}

export interface DevnetAccount {
  name: string;
  address: string;
  mnemonic: string;
}

export interface Devnet {
  url: string;
  port: number;
  /** `${deployer}.dts` */
  contractId: string;
  accounts: DevnetAccount[];
  mine(blocks?: number, burnBlocks?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const host = options.host ?? "127.0.0.1";
  const blockTimeMs = options.blockTimeMs ?? 2000;
  const log = options.log ?? (() => {});
  if (!Number.isInteger(blockTimeMs) || blockTimeMs < 0) throw new Error(`blockTimeMs must be a whole number >= 0, got ${blockTimeMs}`);
  const port = options.port ?? 3999;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port must be 0..65535, got ${port}`);

  const chain = await DevnetChain.open({ manifest: resolve(options.manifest ?? "./Clarinet.toml"), deployContract: options.deployContract ?? true });
  const node = new DevnetNode(chain, (block) => {
    const counts = new Map<string, number>();
    for (const t of block.txs) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
    log(
      `block ${block.height} (burn ${block.burnHeight}): ${block.txs.length} tx ` +
        `(${[...counts].map(([s, n]) => `${n} ${s}`).join(", ")}): ${block.txs.map((t) => t.summary).join(", ")}`,
    );
  });
  const server = await buildServer(node);
  let address: string;
  try {
    address = await server.listen({ port, host });
  } catch (e) {
    await chain.close();
    throw e;
  }
  const actualPort = server.server.address() && typeof server.server.address() === "object" ? (server.server.address() as { port: number }).port : port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}`;
  void address;

  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const tick = () => {
    timer = setTimeout(() => {
      node
        .mine(1, 0)
        .catch((e) => log(`mining failed: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => {
          if (!closed) tick();
        });
    }, blockTimeMs);
  };
  if (blockTimeMs > 0) tick();

  log(`devnet node listening on ${url} (stacks height ${chain.stacksHeight}, burn height ${chain.burnHeight})`);
  return {
    url,
    port: actualPort,
    contractId: `${chain.deployer}.dts`,
    accounts: chain.accounts.map((a) => ({ ...a })),
    mine: (blocks = 1, burnBlocks = 0) => {
      if (!Number.isInteger(blocks) || blocks < 0 || !Number.isInteger(burnBlocks) || burnBlocks < 0) {
        return Promise.reject(new Error("blocks and burnBlocks must be whole numbers >= 0"));
      }
      return node.mine(blocks, burnBlocks);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      await node.idle();
      await server.close();
      await chain.close();
    },
  };
}
