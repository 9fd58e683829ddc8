// The HTTP routes: the Stacks node RPC (/v2) and the Hiro API (/extended) subsets, and the
// non-standard POST /devnet/mine.
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { ChainId, PeerNetworkId } from "@stacks/network";
import { cvToHex, deserializeCV, validateStacksAddress, type ClarityValue } from "@stacks/transactions";
import { hexToBytes } from "@noble/hashes/utils.js";
import { blockHash } from "./hiro.js";
import type { DevnetNode } from "./node.js";

const SERVER_VERSION = "dts-devnet/0.1.0 (simnet, @stacks/clarinet-sdk)";
const u128Hex = (n: bigint) => `0x${n.toString(16).padStart(32, "0")}`;
const principalPattern = "^S[0-9A-Z]{39,40}(\\.[a-zA-Z]([a-zA-Z0-9]|[-_]){0,127})?$";
const addressPattern = "^S[0-9A-Z]{39,40}$";
const contractNamePattern = "^[a-zA-Z]([a-zA-Z0-9]|[-_]){0,127}$";

function isPrincipal(p: string): boolean {
  const [address, name] = p.split(".");
  return validateStacksAddress(address) && (name === undefined || new RegExp(contractNamePattern).test(name));
}

export async function buildServer(node: DevnetNode): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
  app.addContentTypeParser("application/octet-stream", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  const badRequest = (reply: FastifyReply, message: string) => reply.code(400).type("text/plain").send(message);

  // ---- Stacks node RPC ----

  app.get("/v2/info", async () => {
    const chain = node.chain;
    return {
      peer_version: 4207599113,
      pox_consensus: blockHash(chain.burnHeight, "burn").slice(2, 42),
      burn_block_height: chain.burnHeight,
      stable_pox_consensus: blockHash(Math.max(0, chain.burnHeight - 1), "burn").slice(2, 42),
      stable_burn_block_height: Math.max(0, chain.burnHeight - 1),
      server_version: SERVER_VERSION,
      network_id: ChainId.Testnet,
      parent_network_id: PeerNetworkId.Testnet,
      stacks_tip_height: chain.stacksHeight,
      stacks_tip: blockHash(chain.stacksHeight).slice(2),
      stacks_tip_consensus_hash: blockHash(chain.burnHeight, "burn").slice(2, 42),
      genesis_chainstate_hash: "0".repeat(64),
      unanchored_tip: null,
      unanchored_seq: null,
      tenure_height: chain.burnHeight,
      exit_at_block_height: null,
      is_fully_synced: true,
      node_public_key: null,
      node_public_key_hash: null,
      last_pox_anchor: null,
      stackerdbs: [],
    };
  });

  app.get<{ Params: { principal: string } }>("/v2/accounts/:principal", async (req, reply) => {
    const { principal } = req.params;
    if (!isPrincipal(principal)) return badRequest(reply, `Failed to parse principal: ${principal}`);
    return { balance: u128Hex(node.chain.stxBalance(principal)), locked: u128Hex(0n), unlock_height: 0, nonce: Number(node.nonce(principal)) };
  });

  app.post("/v2/transactions", async (req, reply) => {
    let bytes: Uint8Array;
    const body = req.body as unknown;
    if (Buffer.isBuffer(body)) bytes = new Uint8Array(body);
    else if (body && typeof body === "object" && typeof (body as { tx?: unknown }).tx === "string") {
      const hex = (body as { tx: string }).tx.replace(/^0x/, "");
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) return badRequest(reply, "tx is not hex");
      bytes = hexToBytes(hex);
    } else return badRequest(reply, "expected the transaction as application/octet-stream or JSON {tx: hex}");
    const result = node.submit(bytes);
    if (!result.ok) return reply.code(400).send(result.rejection);
    return reply.type("application/json").send(JSON.stringify(result.txid));
  });

  app.post<{ Params: { address: string; name: string; fn: string }; Body: { sender: string; arguments: string[]; sponsor?: string } }>(
    "/v2/contracts/call-read/:address/:name/:fn",
    {
      schema: {
        params: {
          type: "object",
          properties: { address: { type: "string", pattern: addressPattern }, name: { type: "string", pattern: contractNamePattern }, fn: { type: "string" } },
        },
        body: {
          type: "object",
          required: ["sender", "arguments"],
          properties: { sender: { type: "string", pattern: principalPattern }, sponsor: { type: "string" }, arguments: { type: "array", items: { type: "string" } } },
        },
      },
    },
    async (req, reply) => {
      const { address, name, fn } = req.params;
      let args: ClarityValue[];
      try {
        args = req.body.arguments.map((a) => deserializeCV(a.replace(/^0x/, "")));
      } catch (e) {
        return badRequest(reply, `Failed to deserialize argument: ${e instanceof Error ? e.message : String(e)}`);
      }
      const contractId = `${address}.${name}`;
      if (!node.contractInterfaces().has(contractId)) return { okay: false, cause: `Unchecked(NoSuchContract("${contractId}"))` };
      try {
        return { okay: true, result: cvToHex(node.chain.callReadOnly(contractId, fn, args, req.body.sender)) };
      } catch (e) {
        return { okay: false, cause: e instanceof Error ? e.message : String(e) };
      }
    },
  );

  app.get("/v2/fees/transfer", async () => 1);

  app.post<{ Body: { transaction_payload: string; estimated_len?: number } }>(
    "/v2/fees/transaction",
    {
      schema: {
        body: {
          type: "object",
          required: ["transaction_payload"],
          properties: { transaction_payload: { type: "string", pattern: "^(0x)?([0-9a-fA-F]{2})+$" }, estimated_len: { type: "integer", minimum: 0 } },
        },
      },
    },
    async (req) => {
      // Not cost-based: a devnet has no fee market. The fee is a multiple of the length.
      const payloadLen = req.body.transaction_payload.replace(/^0x/, "").length / 2;
      const len = Math.max(req.body.estimated_len ?? 0, payloadLen);
      const rates = [1, 2, 4];
      return {
        estimated_cost: { read_count: 0, read_length: 0, runtime: 0, write_count: 0, write_length: 0 },
        estimated_cost_scalar: 0,
        cost_scalar_change_by_byte: 0,
        estimations: rates.map((r) => ({ fee_rate: r, fee: Math.max(r * len, 180) })),
      };
    },
  );

  app.get<{ Params: { address: string; name: string } }>("/v2/contracts/interface/:address/:name", async (req, reply) => {
    const iface = node.contractInterfaces().get(`${req.params.address}.${req.params.name}`);
    if (!iface) return reply.code(404).type("text/plain").send("No contract interface data found");
    return iface;
  });

  app.get<{ Params: { address: string; name: string } }>("/v2/contracts/source/:address/:name", async (req, reply) => {
    const id = `${req.params.address}.${req.params.name}`;
    const source = node.chain.simnet.getContractSource(id);
    if (source === undefined) return reply.code(404).type("text/plain").send("No contract source data found");
    return { source, publish_height: node.deployHeight(id) };
  });

  // ---- Hiro API ----

  app.get<{ Params: { txid: string }; Querystring: { event_limit?: number; event_offset?: number } }>(
    "/extended/v1/tx/:txid",
    {
      schema: {
        querystring: {
          type: "object",
          properties: { event_limit: { type: "integer", minimum: 0, default: 96 }, event_offset: { type: "integer", minimum: 0, default: 0 } },
        },
      },
    },
    async (req, reply) => {
      const { txid } = req.params;
      if (!/^(0x)?[0-9a-fA-F]{64}$/.test(txid)) return reply.code(400).send({ error: `The tx_id is invalid: ${txid}` });
      const tx = node.transaction(txid);
      if (!tx) return reply.code(404).send({ error: `could not find transaction by ID`, tx_id: txid.startsWith("0x") ? txid : `0x${txid}` });
      if (!("events" in tx)) return tx;
      // event_count stays the total, as in the Hiro API; events is the requested page
      const offset = req.query.event_offset ?? 0;
      return { ...tx, events: tx.events.slice(offset, offset + (req.query.event_limit ?? 96)) };
    },
  );

  app.get<{ Params: { contractId: string }; Querystring: { limit?: number; offset?: number } }>(
    "/extended/v1/contract/:contractId/events",
    {
      schema: {
        params: { type: "object", properties: { contractId: { type: "string", pattern: principalPattern } } },
        querystring: {
          type: "object",
          properties: { limit: { type: "integer", minimum: 0, maximum: 50, default: 20 }, offset: { type: "integer", minimum: 0, default: 0 } },
        },
      },
    },
    async (req) => node.contractEvents(req.params.contractId, req.query.limit ?? 20, req.query.offset ?? 0),
  );

  app.get<{ Params: { principal: string } }>("/extended/v1/address/:principal/nonces", async (req, reply) => {
    const { principal } = req.params;
    if (!isPrincipal(principal)) return reply.code(400).send({ error: `invalid STX address "${principal}"` });
    return node.nonces(principal);
  });

  app.get("/extended", async () => ({
    server_version: SERVER_VERSION,
    status: "ready",
    chain_tip: {
      block_height: node.chain.stacksHeight,
      block_hash: blockHash(node.chain.stacksHeight),
      index_block_hash: blockHash(node.chain.stacksHeight),
      burn_block_height: node.chain.burnHeight,
    },
  }));

  app.get<{ Params: { principal: string } }>("/extended/v1/address/:principal/stx", async (req, reply) => {
    const { principal } = req.params;
    if (!isPrincipal(principal)) return reply.code(400).send({ error: `invalid STX address "${principal}"` });
    const balance = node.chain.stxBalance(principal);
    const { inbound, outbound } = node.pendingFlows(principal);
    return {
      balance: balance.toString(),
      estimated_balance: (balance + inbound - outbound).toString(),
      pending_balance_inbound: inbound.toString(),
      pending_balance_outbound: outbound.toString(),
      total_miner_rewards_received: "0",
      lock_tx_id: "",
      locked: "0",
      lock_height: 0,
      burnchain_lock_height: 0,
      burnchain_unlock_height: 0,
    };
  });

  // ---- devnet extension ----

  app.post<{ Body: { blocks?: number; burnBlocks?: number } | undefined }>(
    "/devnet/mine",
    {
      schema: {
        body: {
          type: ["object", "null"],
          properties: { blocks: { type: "integer", minimum: 0, maximum: 10000 }, burnBlocks: { type: "integer", minimum: 0, maximum: 10000 } },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const body = req.body ?? {};
      const blocks = body.blocks ?? (body.burnBlocks ? 0 : 1);
      await node.mine(blocks, body.burnBlocks ?? 0);
      return { stacks_tip_height: node.chain.stacksHeight, burn_block_height: node.chain.burnHeight, mempool_size: node.pendingCount() };
    },
  );

  return app;
}
