// The JSON schemas of the gateway's routes (fastify): request parameters and bodies are
// validated with them, JSON answers are serialized with them. A response schema is also a
// filter: fastify leaves out every property it does not list, so each schema here lists
// every field its route returns (tests/node/gateway.test.ts compares them with what the
// handlers produce). `GET /metrics` (Prometheus text) and `GET /` (HTML) answer text, which
// a JSON schema does not describe; they take no input either.

const HEX = "^(0x|0X)?[0-9a-fA-F]*$";

const string = { type: "string" } as const;
const integer = { type: "integer" } as const;
const boolean = { type: "boolean" } as const;
const nullable = <T extends string>(type: T) => ({ type: [type, "null"] }) as const;

/** An object with every property listed; `required` defaults to all of them. */
function object<P extends Record<string, unknown>>(properties: P, required: string[] = Object.keys(properties)) {
  return { type: "object", properties, required, additionalProperties: false } as const;
}

/** Every error answer: a stable code and a sentence; `status` where the request's state explains it (409). */
export const errorSchema = object({ error: string, message: string, status: string }, ["error", "message"]);

const errors = { "4xx": errorSchema, "5xx": errorSchema } as const;

/** `:id` of /status and /signature. Lengths are left to parseHash, whose message gives the byte count. */
export const idParams = object({ id: { type: "string", pattern: HEX } });

const clock = object({ stacks_now: integer, burn_now: integer });
const partials = object({ count: integer, threshold: integer, signers: { type: "array", items: string } });

/** The fields of a stored request (src/gateway/requests.ts statusBody). */
const requestFields = {
  request_id: string,
  message_hash: string,
  status: string,
  epoch: integer,
  requester: string,
  fee: string,
  attempt: integer,
  created_at: integer,
  deadline: integer,
  blocks_left: integer,
  partials,
  aggregator: nullable("string"),
  finalized_at: nullable("integer"),
  settle_at: nullable("integer"),
  closed_early: boolean,
  fee_paid: boolean,
  refunded: boolean,
  clock,
};

/**
 * GET /status/:id: a stored request, or (`status` "submitted") the gateway's own transaction
 * not mined yet, with only the id, hash, `txid` and `fee`.
 */
export const statusResponse = object({ ...requestFields, txid: string }, ["request_id", "message_hash", "status", "fee"]);

/** POST /sign: 201 the created request with its transaction; 200 an existing one; 202 submitted, not mined yet. */
const signAnswer = object({ ...requestFields, txid: nullable("string"), block: integer, existing: boolean }, ["request_id", "message_hash", "status"]);

export const signSchema = {
  body: {
    type: "object",
    properties: {
      message: { type: "string", maxLength: 262144 },
      // No length limit here: parseHash's message says how many bytes were given.
      messageHash: { type: "string", pattern: HEX },
      fee: { anyOf: [{ type: "string", pattern: "^[0-9]{1,30}$" }, { type: "integer", minimum: 0 }] },
    },
    additionalProperties: false,
  },
  response: { 200: signAnswer, 201: signAnswer, 202: signAnswer, ...errors },
} as const;

export const statusSchema = { params: idParams, response: { 200: statusResponse, ...errors } } as const;

/** GET /signature/:id: the stored aggregate and the gateway's own verification of it. */
export const signatureSchema = {
  params: idParams,
  response: {
    200: object({
      request_id: string,
      message_hash: string,
      status: string,
      signature: string,
      group_public_key: nullable("string"),
      epoch: integer,
      verified: boolean,
      scheme: string,
      aggregator: nullable("string"),
      finalized_at: integer,
      settle_at: integer,
      final: boolean,
    }),
    ...errors,
  },
} as const;

/** GET /health: 200 ok or degraded; 503 when the node cannot be reached. */
export const healthSchema = {
  response: {
    200: object({
      status: string,
      node: object({ reachable: boolean, url: string }),
      network: string,
      contract: object({ id: string, initialized: boolean, paused: boolean, min_fee: string }),
      chain_tip: integer,
      burn_block_height: integer,
      current_epoch: integer,
      account: object({ address: string, balance: string }),
      default_fee: string,
      events: object({ synced_to: integer, last_error: nullable("string") }),
    }),
    503: object({ status: string, error: string, message: string, node: object({ reachable: boolean }) }),
    "5xx": errorSchema,
  },
} as const;

/** GET /overview: the data of the status page (uSTX amounts as decimal strings). */
export const overviewSchema = {
  response: {
    200: object({
      epoch: integer,
      threshold: nullable("integer"),
      group_public_key: nullable("string"),
      committee: {
        type: "array",
        items: object({
          index: integer,
          signer: string,
          reputation: nullable("integer"),
          stake: nullable("string"),
          status: nullable("string"),
          slashes: nullable("integer"),
          slashed: nullable("string"),
          valid_signatures: nullable("integer"),
          total_signatures: nullable("integer"),
        }),
      },
      synced_to: integer,
      requests: {
        type: "array",
        items: object({
          request_id: string,
          status: string,
          epoch: integer,
          fee: string,
          requested_at: integer,
          partials: integer,
          threshold: integer,
          finalized_at: nullable("integer"),
          latency_blocks: nullable("integer"),
        }),
      },
      faults: {
        type: "array",
        items: object({
          kind: string,
          blockHeight: integer,
          txid: nullable("string"),
          messageHash: nullable("string"),
          signer: nullable("string"),
          detail: string,
        }),
      },
      slashes: {
        type: "array",
        items: object({
          blockHeight: integer,
          txid: nullable("string"),
          signer: string,
          reason: string,
          amount: string,
          messageHash: nullable("string"),
        }),
      },
    }),
    ...errors,
  },
} as const;

/** The schema of every JSON route, by method and path (tests check them against the answers). */
export const ROUTE_SCHEMAS = {
  "POST /sign": signSchema,
  "GET /status/:id": statusSchema,
  "GET /signature/:id": signatureSchema,
  "GET /health": healthSchema,
  "GET /overview": overviewSchema,
} as const;

/** Routes that answer text, not JSON, and so have no JSON schema. */
export const TEXT_ROUTES = { "GET /metrics": "Prometheus text (prom-client)", "GET /": "an HTML page" } as const;
