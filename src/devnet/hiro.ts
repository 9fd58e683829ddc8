// Transactions, events and post-conditions in the shapes of the Hiro API (the types are
// the ones generated in @stacks/blockchain-api-client), and post-condition checking.
import type { ClarityEvent } from "@stacks/clarinet-sdk";
import type { MempoolTransaction, OperationResponse, Transaction } from "@stacks/blockchain-api-client";
import {
  addressFromVersionHash,
  addressHashModeToVersion,
  addressToString,
  AnchorMode,
  AuthType,
  ClarityType,
  cvToHex,
  cvToString,
  FungibleConditionCode,
  NonFungibleConditionCode,
  PayloadType,
  PostConditionMode,
  PostConditionPrincipalId,
  PostConditionType,
  type AssetWire,
  type ClarityValue,
  type PostConditionPrincipalWire,
  type PostConditionWire,
  type StacksTransactionWire,
} from "@stacks/transactions";
import type { TxOutcome } from "./chain.js";

export type HiroEvent = Transaction["events"][number];
export type ContractEventsPage = OperationResponse["get_contract_events_by_id"];
export type NoncesResponse = OperationResponse["get_account_nonces"];
type HiroPostCondition = Transaction["post_conditions"][number];
type HiroPrincipal = HiroPostCondition["principal"];

/** The address of the account that signed (and, without a sponsor, pays for) a transaction. */
export function originAddress(tx: StacksTransactionWire): string {
  const c = tx.auth.spendingCondition;
  return addressToString(addressFromVersionHash(addressHashModeToVersion(c.hashMode, "testnet"), c.signer));
}

export function assetId(asset: AssetWire): string {
  return `${addressToString(asset.address)}.${asset.contractName.content}::${asset.assetName.content}`;
}

function principalOf(p: PostConditionPrincipalWire, origin: string): string {
  if (p.prefix === PostConditionPrincipalId.Origin) return origin;
  if (p.prefix === PostConditionPrincipalId.Standard) return addressToString(p.address);
  return `${addressToString(p.address)}.${p.contractName.content}`;
}

function principalJson(p: PostConditionPrincipalWire): HiroPrincipal {
  if (p.prefix === PostConditionPrincipalId.Origin) return { type_id: "principal_origin" };
  if (p.prefix === PostConditionPrincipalId.Standard) return { type_id: "principal_standard", address: addressToString(p.address) };
  return { type_id: "principal_contract", address: addressToString(p.address), contract_name: p.contractName.content };
}

const FUNGIBLE_CODES = {
  [FungibleConditionCode.Equal]: "sent_equal_to",
  [FungibleConditionCode.Greater]: "sent_greater_than",
  [FungibleConditionCode.GreaterEqual]: "sent_greater_than_or_equal_to",
  [FungibleConditionCode.Less]: "sent_less_than",
  [FungibleConditionCode.LessEqual]: "sent_less_than_or_equal_to",
} as const;

const NFT_CODES = {
  [NonFungibleConditionCode.Sends]: "sent",
  [NonFungibleConditionCode.DoesNotSend]: "not_sent",
  [NonFungibleConditionCode.MaybeSent]: "maybe_sent",
} as const;

function assetJson(a: AssetWire) {
  return { asset_name: a.assetName.content, contract_address: addressToString(a.address), contract_name: a.contractName.content };
}

export function postConditionsJson(tx: StacksTransactionWire): HiroPostCondition[] {
  return tx.postConditions.values.map((pc: PostConditionWire): HiroPostCondition => {
    const principal = principalJson(pc.principal);
    switch (pc.conditionType) {
      case PostConditionType.STX:
        return { principal, condition_code: FUNGIBLE_CODES[pc.conditionCode], amount: pc.amount.toString(), type: "stx" };
      case PostConditionType.Fungible:
        return { principal, condition_code: FUNGIBLE_CODES[pc.conditionCode], amount: pc.amount.toString(), type: "fungible", asset: assetJson(pc.asset) };
      case PostConditionType.NonFungible:
        return {
          principal,
          condition_code: NFT_CODES[pc.conditionCode],
          type: "non_fungible",
          asset_value: { hex: cvToHex(pc.assetName), repr: cvToString(pc.assetName) },
          asset: assetJson(pc.asset),
        };
    }
  });
}

export function postConditionModeJson(mode: PostConditionMode): Transaction["post_condition_mode"] {
  return mode === PostConditionMode.Allow ? "allow" : mode === PostConditionMode.Deny ? "deny" : "originator";
}

/**
 * The post-condition check of a Stacks node: every condition must hold on what each
 * principal sent (transfers and burns), and in deny mode every asset a principal sent
 * (in originator mode: every asset the origin sent) must be covered by a condition.
 */
export function postConditionsHold(tx: StacksTransactionWire, events: ClarityEvent[]): boolean {
  const origin = originAddress(tx);
  const fungibleSent = new Map<string, bigint>(); // `${principal}|${asset}` -> amount; asset "STX" for STX
  const nftSent = new Set<string>(); // `${principal}|${asset}|${valueHex}`
  for (const e of events) {
    const d = e.data as Record<string, unknown>;
    const add = (asset: string) => {
      const key = `${d.sender as string}|${asset}`;
      fungibleSent.set(key, (fungibleSent.get(key) ?? 0n) + BigInt(d.amount as string));
    };
    if (e.event === "stx_transfer_event" || e.event === "stx_burn_event") add("STX");
    else if (e.event === "ft_transfer_event" || e.event === "ft_burn_event") add(d.asset_identifier as string);
    else if (e.event === "nft_transfer_event" || e.event === "nft_burn_event")
      nftSent.add(`${d.sender as string}|${d.asset_identifier as string}|${nftValueHex(d)}`);
  }
  const covered = new Set<string>();
  for (const pc of tx.postConditions.values) {
    const principal = principalOf(pc.principal, origin);
    if (pc.conditionType === PostConditionType.NonFungible) {
      const key = `${principal}|${assetId(pc.asset)}|${cvToHex(pc.assetName)}`;
      covered.add(key);
      const sent = nftSent.has(key);
      if (pc.conditionCode === NonFungibleConditionCode.Sends && !sent) return false;
      if (pc.conditionCode === NonFungibleConditionCode.DoesNotSend && sent) return false;
    } else {
      const key = `${principal}|${pc.conditionType === PostConditionType.STX ? "STX" : assetId(pc.asset)}`;
      covered.add(key);
      const sent = fungibleSent.get(key) ?? 0n;
      const ok = {
        [FungibleConditionCode.Equal]: sent === pc.amount,
        [FungibleConditionCode.Greater]: sent > pc.amount,
        [FungibleConditionCode.GreaterEqual]: sent >= pc.amount,
        [FungibleConditionCode.Less]: sent < pc.amount,
        [FungibleConditionCode.LessEqual]: sent <= pc.amount,
      }[pc.conditionCode];
      if (!ok) return false;
    }
  }
  if (tx.postConditionMode === PostConditionMode.Allow) return true;
  const mustCover = (key: string) => tx.postConditionMode === PostConditionMode.Deny || key.startsWith(`${origin}|`);
  for (const key of [...fungibleSent.keys(), ...nftSent]) if (mustCover(key) && !covered.has(key)) return false;
  return true;
}

function nftValueHex(d: Record<string, unknown>): string {
  const raw = d.raw_value;
  if (typeof raw === "string") return raw.startsWith("0x") ? raw : `0x${raw}`;
  return cvToHex(d.value as ClarityValue);
}

export function clarityJson(value: ClarityValue): { hex: string; repr: string } {
  return { hex: cvToHex(value), repr: cvToString(value) };
}

/** Simnet events in the Hiro shape; event_index counts within the transaction. */
export function eventsJson(txId: string, events: ClarityEvent[]): HiroEvent[] {
  const out: HiroEvent[] = [];
  for (const e of events) {
    const d = e.data as Record<string, unknown>;
    const event_index = out.length;
    const str = (k: string) => String(d[k] ?? "");
    switch (e.event) {
      case "print_event":
        out.push({
          event_index,
          event_type: "smart_contract_log",
          tx_id: txId,
          contract_log: { contract_id: str("contract_identifier"), topic: str("topic") || "print", value: clarityJson(d.value as ClarityValue) },
        });
        break;
      case "stx_transfer_event":
      case "stx_mint_event":
      case "stx_burn_event":
        out.push({
          event_index,
          event_type: "stx_asset",
          tx_id: txId,
          asset: {
            asset_event_type: e.event === "stx_transfer_event" ? "transfer" : e.event === "stx_mint_event" ? "mint" : "burn",
            sender: str("sender"),
            recipient: str("recipient"),
            amount: str("amount"),
            ...(typeof d.memo === "string" && d.memo !== "" ? { memo: d.memo } : {}),
          },
        });
        break;
      case "stx_lock_event":
        out.push({
          event_index,
          event_type: "stx_lock",
          tx_id: txId,
          stx_lock_event: { locked_amount: str("locked_amount"), unlock_height: Number(d.unlock_height ?? 0), locked_address: str("locked_address") },
        });
        break;
      case "ft_transfer_event":
      case "ft_mint_event":
      case "ft_burn_event":
        out.push({
          event_index,
          event_type: "fungible_token_asset",
          tx_id: txId,
          asset: {
            asset_event_type: e.event === "ft_transfer_event" ? "transfer" : e.event === "ft_mint_event" ? "mint" : "burn",
            asset_id: str("asset_identifier"),
            sender: str("sender"),
            recipient: str("recipient"),
            amount: str("amount"),
          },
        });
        break;
      case "nft_transfer_event":
      case "nft_mint_event":
      case "nft_burn_event":
        out.push({
          event_index,
          event_type: "non_fungible_token_asset",
          tx_id: txId,
          asset: {
            asset_event_type: e.event === "nft_transfer_event" ? "transfer" : e.event === "nft_mint_event" ? "mint" : "burn",
            asset_id: str("asset_identifier"),
            sender: str("sender"),
            recipient: str("recipient"),
            value: clarityJson(d.value as ClarityValue),
          },
        });
        break;
    }
  }
  return out;
}

/** What a transaction is, in the Hiro shape: the fields common to mempool and mined records. */
function payloadFields(tx: StacksTransactionWire, origin: string) {
  const p = tx.payload;
  switch (p.payloadType) {
    case PayloadType.TokenTransfer:
      return {
        tx_type: "token_transfer" as const,
        token_transfer: {
          recipient_address: cvToString(p.recipient),
          amount: p.amount.toString(),
          memo: `0x${Buffer.from(p.memo.content.padEnd(34, "\0"), "utf8").toString("hex")}`,
        },
      };
    case PayloadType.ContractCall:
      return {
        tx_type: "contract_call" as const,
        contract_call: {
          contract_id: `${addressToString(p.contractAddress)}.${p.contractName.content}`,
          function_name: p.functionName.content,
          function_signature: "",
          function_args: p.functionArgs.map((a, i) => ({ hex: cvToHex(a), repr: cvToString(a), name: `arg${i}`, type: clarityTypeName(a) })),
        },
      };
    case PayloadType.SmartContract:
    case PayloadType.VersionedSmartContract:
      return {
        tx_type: "smart_contract" as const,
        smart_contract: {
          clarity_version: p.payloadType === PayloadType.VersionedSmartContract ? p.clarityVersion : null,
          contract_id: `${origin}.${p.contractName.content}`,
          source_code: p.codeBody.content,
        },
      };
    default:
      throw new Error(`payload type ${p.payloadType} is not accepted by the devnet node`);
  }
}

export interface FunctionInfo {
  signature: string;
  argNames: string[];
  argTypes: string[];
}

export interface PendingRecord {
  tx: StacksTransactionWire;
  txId: string; // 0x-prefixed
  origin: string;
  receiptTime: number; // unix seconds
  fn?: FunctionInfo;
}

export interface MinedRecord extends PendingRecord {
  outcome: TxOutcome;
  blockHeight: number;
  burnBlockHeight: number;
  blockTime: number;
  burnBlockTime: number;
  txIndex: number;
  hiroEvents: HiroEvent[];
}

function common(r: PendingRecord) {
  const c = r.tx.auth.spendingCondition;
  const base = {
    tx_id: r.txId,
    nonce: Number(c.nonce),
    fee_rate: c.fee.toString(),
    sender_address: r.origin,
    sponsored: r.tx.auth.authType === AuthType.Sponsored,
    post_condition_mode: postConditionModeJson(r.tx.postConditionMode),
    post_conditions: postConditionsJson(r.tx),
    anchor_mode: (r.tx.anchorMode === AnchorMode.OnChainOnly ? "on_chain_only" : r.tx.anchorMode === AnchorMode.OffChainOnly ? "off_chain_only" : "any") as Transaction["anchor_mode"],
  };
  const fields = payloadFields(r.tx, r.origin);
  if (fields.tx_type === "contract_call" && r.fn) {
    fields.contract_call.function_signature = r.fn.signature;
    fields.contract_call.function_args = fields.contract_call.function_args.map((a, i) => ({
      ...a,
      name: r.fn!.argNames[i] ?? a.name,
      type: r.fn!.argTypes[i] ?? a.type,
    }));
  }
  return { ...base, ...fields };
}

export function mempoolJson(r: PendingRecord): MempoolTransaction {
  return {
    ...common(r),
    tx_status: "pending",
    replaced_by_tx_id: null,
    receipt_time: r.receiptTime,
    receipt_time_iso: new Date(r.receiptTime * 1000).toISOString(),
  };
}

export function blockHash(height: number, kind: "stacks" | "burn" = "stacks"): string {
  return `0x${height.toString(16).padStart(8, "0")}${(kind === "stacks" ? "5d" : "b7").repeat(28)}`;
}

export function minedJson(r: MinedRecord): Transaction {
  const iso = (t: number) => new Date(t * 1000).toISOString();
  return {
    ...common(r),
    block_hash: blockHash(r.blockHeight),
    block_height: r.blockHeight,
    block_time: r.blockTime,
    block_time_iso: iso(r.blockTime),
    burn_block_time: r.burnBlockTime,
    burn_block_height: r.burnBlockHeight,
    burn_block_time_iso: iso(r.burnBlockTime),
    parent_burn_block_time: r.burnBlockTime,
    parent_burn_block_time_iso: iso(r.burnBlockTime),
    canonical: true,
    tx_index: r.txIndex,
    tx_status: r.outcome.status,
    tx_result: clarityJson(r.outcome.result),
    event_count: r.hiroEvents.length,
    parent_block_hash: blockHash(r.blockHeight - 1),
    is_unanchored: false,
    microblock_hash: "0x",
    microblock_sequence: 2147483647,
    microblock_canonical: true,
    execution_cost_read_count: 0,
    execution_cost_read_length: 0,
    execution_cost_runtime: 0,
    execution_cost_write_count: 0,
    execution_cost_write_length: 0,
    vm_error: r.outcome.vmError,
    events: r.hiroEvents,
  };
}

/** A Clarity type name for a value, as the Hiro API writes it in function_args. */
export function clarityTypeName(v: ClarityValue): string {
  switch (v.type) {
    case ClarityType.UInt:
      return "uint";
    case ClarityType.Int:
      return "int";
    case ClarityType.BoolTrue:
    case ClarityType.BoolFalse:
      return "bool";
    case ClarityType.Buffer:
      return `(buff ${v.value.length / 2})`;
    case ClarityType.StringASCII:
      return `(string-ascii ${v.value.length})`;
    case ClarityType.StringUTF8:
      return `(string-utf8 ${Buffer.byteLength(v.value, "utf8")})`;
    case ClarityType.PrincipalStandard:
    case ClarityType.PrincipalContract:
      return "principal";
    case ClarityType.OptionalNone:
    case ClarityType.OptionalSome:
      return "optional";
    case ClarityType.ResponseOk:
    case ClarityType.ResponseErr:
      return "response";
    case ClarityType.List:
      return "list";
    case ClarityType.Tuple:
      return "tuple";
  }
}
