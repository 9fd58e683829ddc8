import { describe, expect, it } from "vitest";
import {
  KeystoreCorruptError,
  KeystoreError,
  KeystoreVersionError,
  KeystoreWrongPasswordError,
  decryptKeystore,
  encryptKeystore,
  generateIdentity,
  keystorePublicKey,
  scalarToBytes,
  toHex,
} from "../../src/crypto/index.js";
import { seededRandom } from "./helpers.js";

const random = seededRandom("keystore");
const identity = generateIdentity(random);
const secrets = {
  identitySecret: identity.secretKey,
  shares: [
    { epoch: 1, index: 3, value: 0x1234n },
    { epoch: 2, index: 5, value: 0n },
  ],
};
const password = "correct horse battery staple";
const scryptN = 2 ** 10; // the minimum: tests only

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

describe("keystore", () => {
  it("round-trips the identity key and the shares", async () => {
    const json = await encryptKeystore(secrets, password, { scryptN, description: "signer-1", random });
    expect(await decryptKeystore(json, password)).toEqual(secrets);
    const file = JSON.parse(json);
    expect(file).toMatchObject({
      format: "dts-keystore",
      version: 1,
      description: "signer-1",
      publicKey: toHex(identity.publicKey),
      crypto: { kdf: { function: "scrypt", params: { n: 1024, r: 8, p: 1, dklen: 64 } }, cipher: { function: "aes-256-gcm" } },
    });
    expect(file.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keystorePublicKey(json)).toEqual(identity.publicKey);
    // No secret appears in the file.
    expect(json).not.toContain(toHex(scalarToBytes(identity.secretKey)));
    expect(json).not.toContain(password);
  });

  it("uses fresh salt and IV each time", async () => {
    const a = JSON.parse(await encryptKeystore(secrets, password, { scryptN }));
    const b = JSON.parse(await encryptKeystore(secrets, password, { scryptN }));
    expect(a.crypto.kdf.params.salt).not.toBe(b.crypto.kdf.params.salt);
    expect(a.crypto.cipher.message).not.toBe(b.crypto.cipher.message);
  });

  it("normalizes the password (NFKD) like EIP-2335", async () => {
    const json = await encryptKeystore(secrets, "caf\u00e9", { scryptN });
    expect((await decryptKeystore(json, "cafe\u0301")).identitySecret).toBe(identity.secretKey);
  });

  it("a wrong password is a KeystoreWrongPasswordError that reveals nothing", async () => {
    const json = await encryptKeystore(secrets, password, { scryptN });
    const e = await rejection(decryptKeystore(json, "correct horse battery stapler"));
    expect(e).toBeInstanceOf(KeystoreWrongPasswordError);
    expect(e).toBeInstanceOf(KeystoreError);
    expect(e.message).toBe("keystore password is wrong");
  });

  it("a damaged file is a KeystoreCorruptError, never a wrong password", async () => {
    const json = await encryptKeystore(secrets, password, { scryptN });
    const file = JSON.parse(json);
    const flip = (s: string) => (s[0] === "0" ? "1" : "0") + s.slice(1);
    const damaged: [string, string][] = [
      [json.slice(0, json.length / 2), "not valid JSON"],
      ["[]", "not a dts-keystore file"],
      [JSON.stringify({ ...file, crypto: { ...file.crypto, cipher: { ...file.crypto.cipher, message: flip(file.crypto.cipher.message) } } }), "integrity hash mismatch"],
      [JSON.stringify({ ...file, crypto: { ...file.crypto, checksum: { ...file.crypto.checksum, message: flip(file.crypto.checksum.message) } } }), "integrity hash mismatch"],
      [JSON.stringify({ ...file, crypto: { ...file.crypto, kdf: { ...file.crypto.kdf, params: { ...file.crypto.kdf.params, n: 2048 } } } }), "integrity hash mismatch"],
      [JSON.stringify({ ...file, publicKey: flip(file.publicKey) }), "integrity hash mismatch"],
      [JSON.stringify({ ...file, integrity: undefined }), "missing or invalid field integrity"],
      [JSON.stringify({ ...file, crypto: { ...file.crypto, cipher: undefined } }), "missing or invalid field crypto.cipher"],
    ];
    for (const [text, detail] of damaged) {
      const e = await rejection(decryptKeystore(text, password));
      expect(e).toBeInstanceOf(KeystoreCorruptError);
      expect(e.message).toBe(`keystore file is damaged (${detail}): restore it from a backup`);
    }
  });

  it("an unknown version is a KeystoreVersionError", async () => {
    const file = JSON.parse(await encryptKeystore(secrets, password, { scryptN }));
    const e = await rejection(decryptKeystore(JSON.stringify({ ...file, version: 2 }), password));
    expect(e).toBeInstanceOf(KeystoreVersionError);
    expect(e.message).toBe("keystore version 2 is not supported (this software reads version 1): upgrade the software or convert the keystore");
  });

  it("refuses weak or absurd scrypt costs and invalid secrets", async () => {
    await expect(encryptKeystore(secrets, password, { scryptN: 512 })).rejects.toThrow(/scryptN must be a power of two/);
    await expect(encryptKeystore({ ...secrets, identitySecret: 0n }, password, { scryptN })).rejects.toThrow(/identity secret/);
  });
});
