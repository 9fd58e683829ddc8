import { beforeAll, describe, expect, it } from "vitest";
import { SimnetChain } from "../../src/chain/simnet.js";
import { FUNCTIONS, type FunctionSpec } from "../../src/chain/functions.js";
import { DtsClient } from "../../src/chain/client.js";
import { SimnetBackend } from "../../src/chain/simnet.js";
import { camel, type AbiType } from "../../src/chain/types.js";

type AbiFunction = { name: string; access: string; args: { name: string; type: AbiType }[]; outputs: { type: AbiType } };

/**
 * Whether the client's decoder type `mine` reads the contract's type `theirs`: equal, except
 * that a decoder may name only some of a tuple's fields (new fields must not break it).
 */
function reads(mine: AbiType, theirs: AbiType, path: string, problems: string[]): void {
  if (typeof mine === "string" || typeof theirs === "string") {
    if (mine !== theirs) problems.push(`${path}: client ${JSON.stringify(mine)}, contract ${JSON.stringify(theirs)}`);
    return;
  }
  if ("tuple" in mine && "tuple" in theirs) {
    for (const field of mine.tuple) {
      const other = theirs.tuple.find((f) => f.name === field.name);
      if (!other) problems.push(`${path}.${field.name}: the contract has no such field`);
      else reads(field.type, other.type, `${path}.${field.name}`, problems);
    }
    return;
  }
  if ("optional" in mine && "optional" in theirs) return reads(mine.optional, theirs.optional, `${path}?`, problems);
  if ("list" in mine && "list" in theirs) {
    if (mine.list.length !== theirs.list.length) problems.push(`${path}: list length ${mine.list.length} vs ${theirs.list.length}`);
    return reads(mine.list.type, theirs.list.type, `${path}[]`, problems);
  }
  // Strings: any length reads as a string; buffers must agree on the length.
  if ("string-ascii" in mine && "string-ascii" in theirs) return;
  if (JSON.stringify(mine) !== JSON.stringify(theirs)) problems.push(`${path}: client ${JSON.stringify(mine)}, contract ${JSON.stringify(theirs)}`);
}

describe("the client's function table against the contract's interface", () => {
  let functions: AbiFunction[];

  beforeAll(async () => {
    const chain = await SimnetChain.open();
    const iface = chain.simnet.getContractsInterfaces().get(chain.contractId);
    if (!iface) throw new Error(`no interface for ${chain.contractId}`);
    functions = iface.functions as unknown as AbiFunction[];
  }, 60_000);

  it("has an entry for every public and read-only function, and no other", () => {
    const contract = functions.filter((f) => f.access !== "private").map((f) => f.name).sort();
    expect(contract.length).toBeGreaterThan(40);
    expect(Object.keys(FUNCTIONS).sort()).toEqual(contract);
  });

  it("agrees on access, argument names and argument types", () => {
    const problems: string[] = [];
    for (const f of functions.filter((f) => f.access !== "private")) {
      const spec = (FUNCTIONS as Record<string, FunctionSpec>)[f.name];
      if (!spec) continue;
      if (spec.access !== f.access) problems.push(`${f.name}: client ${spec.access}, contract ${f.access}`);
      const mine = spec.args.map((a) => ({ name: a.name, type: a.type }));
      if (JSON.stringify(mine) !== JSON.stringify(f.args))
        problems.push(`${f.name}: client args ${JSON.stringify(mine)}, contract ${JSON.stringify(f.args)}`);
    }
    expect(problems).toEqual([]);
  });

  it("decodes the type each function returns (a public function's ok type; its err is a uint code)", () => {
    const problems: string[] = [];
    for (const f of functions.filter((f) => f.access !== "private")) {
      const spec = (FUNCTIONS as Record<string, FunctionSpec>)[f.name];
      if (!spec) continue;
      let out = f.outputs.type;
      if (typeof out === "object" && "response" in out) {
        if (out.response.error !== "uint128") problems.push(`${f.name}: err type ${JSON.stringify(out.response.error)}`);
        out = out.response.ok;
      }
      reads(spec.result.type, out, f.name, problems);
    }
    expect(problems).toEqual([]);
  });

  it("gives the client a camelCase method for every function", async () => {
    const client = new DtsClient(await SimnetBackend.open());
    for (const name of Object.keys(FUNCTIONS)) expect(typeof (client as unknown as Record<string, unknown>)[camel(name)]).toBe("function");
  });
});
