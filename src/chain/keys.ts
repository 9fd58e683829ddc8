// Where a sending key comes from: an environment variable (DTS_PRIVATE_KEY or DTS_MNEMONIC),
// a mnemonic file, or an encrypted keystore (scrypt + AES-256-GCM, the same construction as
// the node keystore of src/crypto/keystore.ts; that one holds a BLS scalar, which a
// secp256k1 Stacks key need not be, hence this small format of its own).
//
// No function here ever puts a key, a mnemonic or a password into an error message or a log.
import { readFileSync } from "node:fs";
import { gcm } from "@noble/ciphers/aes.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { privateKeyToPublic } from "@stacks/transactions";
import { generateNewAccount, generateWallet } from "@stacks/wallet-sdk";

export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyError";
  }
}

/** A Stacks private key: 32 bytes of hex, optionally with the 01 "compressed" suffix. */
export function checkPrivateKey(key: string, source: string): string {
  const k = key.trim().replace(/^0x/, "");
  if (!/^[0-9a-fA-F]{64}(01)?$/.test(k)) throw new KeyError(`${source} is not a Stacks private key (64 hex digits, optionally followed by 01)`);
  return k.length === 64 ? `${k}01` : k;
}

/** The private key of account `index` (m/44'/5757'/0'/0/index) of a BIP-39 mnemonic. */
export async function privateKeyFromMnemonic(mnemonic: string, source: string, index = 0): Promise<string> {
  const words = mnemonic.trim().split(/\s+/).join(" ");
  const error = console.error;
  const log = console.log;
  // The wallet SDK logs a rejected phrase's stack; keep anything phrase-related off the console.
  console.error = () => {};
  console.log = () => {};
  try {
    let wallet = await generateWallet({ secretKey: words, password: "" });
    while (wallet.accounts.length <= index) wallet = { ...wallet, ...generateNewAccount(wallet) };
    return wallet.accounts[index]!.stxPrivateKey;
  } catch {
    throw new KeyError(`${source} is not a valid BIP-39 mnemonic`);
  } finally {
    console.error = error;
    console.log = log;
  }
}

// ---------------------------------------------------------------------------------------
// Keystore
// ---------------------------------------------------------------------------------------

const FORMAT = "dts-stacks-keystore";
const VERSION = 1;

interface StacksKeystore {
  format: string;
  version: number;
  publicKey: string;
  crypto: {
    kdf: { function: "scrypt"; params: { n: number; r: number; p: number; dklen: 32; salt: string } };
    cipher: { function: "aes-256-gcm"; params: { iv: string }; message: string };
  };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

async function kdf(password: string, salt: Uint8Array, n: number, r: number, p: number): Promise<Uint8Array> {
  if (!Number.isInteger(Math.log2(n)) || n < 2 ** 10 || n > 2 ** 20 || r < 1 || r > 32 || p < 1 || p > 16 || 128 * n * r > 2 ** 30)
    throw new KeyError("keystore: scrypt parameters out of range");
  return scryptAsync(new TextEncoder().encode(password.normalize("NFKD")), salt, { N: n, r, p, dkLen: 32, maxmem: 2 ** 30 + 2 ** 20 });
}

/** Encrypts a Stacks private key under a password; returns the keystore's JSON text. */
export async function encryptStacksKey(privateKey: string, password: string, options: { scryptN?: number } = {}): Promise<string> {
  const key = checkPrivateKey(privateKey, "the key");
  if (password.length === 0) throw new KeyError("the keystore password must not be empty");
  const n = options.scryptN ?? 2 ** 18;
  const salt = randomBytes(32);
  const iv = randomBytes(12);
  const publicKey = privateKeyToPublic(key) as string;
  const ciphertext = gcm(await kdf(password, salt, n, 8, 1), iv, new TextEncoder().encode(FORMAT + publicKey)).encrypt(unhex(key));
  const file: StacksKeystore = {
    format: FORMAT,
    version: VERSION,
    publicKey,
    crypto: {
      kdf: { function: "scrypt", params: { n, r: 8, p: 1, dklen: 32, salt: hex(salt) } },
      cipher: { function: "aes-256-gcm", params: { iv: hex(iv) }, message: hex(ciphertext) },
    },
  };
  return JSON.stringify(file, null, 2);
}

/** Opens a keystore; a wrong password or a damaged file is a KeyError that says which file. */
export async function decryptStacksKey(json: string, password: string, source = "the keystore"): Promise<string> {
  let k: StacksKeystore;
  try {
    k = JSON.parse(json) as StacksKeystore;
  } catch {
    throw new KeyError(`${source} is not JSON`);
  }
  if (k?.format !== FORMAT) throw new KeyError(`${source} is not a ${FORMAT} file`);
  if (k.version !== VERSION) throw new KeyError(`${source} has version ${String(k.version)}; this client reads version ${VERSION}`);
  const params = k.crypto?.kdf?.params;
  const cipher = k.crypto?.cipher;
  if (k.crypto?.kdf?.function !== "scrypt" || !params || cipher?.function !== "aes-256-gcm" || typeof cipher.message !== "string" || typeof params.salt !== "string")
    throw new KeyError(`${source} is damaged`);
  const dk = await kdf(password, unhex(params.salt), params.n, params.r, params.p);
  let plain: Uint8Array;
  try {
    plain = gcm(dk, unhex(cipher.params.iv), new TextEncoder().encode(FORMAT + k.publicKey)).decrypt(unhex(cipher.message));
  } catch {
    throw new KeyError(`${source}: wrong password, or the file is damaged`);
  }
  const key = checkPrivateKey(hex(plain), source);
  plain.fill(0);
  if (privateKeyToPublic(key) !== k.publicKey) throw new KeyError(`${source} is damaged (the key does not match its public key)`);
  return key;
}

// ---------------------------------------------------------------------------------------
// Key sources
// ---------------------------------------------------------------------------------------

export interface KeySourceOptions {
  /** Path of a file holding a BIP-39 mnemonic. */
  mnemonicFile?: string;
  /** Path of a dts-stacks-keystore file. */
  keystore?: string;
  /** Account index within a mnemonic; default 0. */
  accountIndex?: number;
  env?: NodeJS.ProcessEnv;
  /** Asks for the keystore password when DTS_KEYSTORE_PASSWORD is not set. */
  askPassword?: (question: string) => Promise<string>;
}

/**
 * The sending key: --keystore, else --mnemonic-file, else DTS_PRIVATE_KEY, else DTS_MNEMONIC;
 * null when none is given. Two explicit sources at once are refused.
 */
export async function loadPrivateKey(options: KeySourceOptions): Promise<string | null> {
  const env = options.env ?? process.env;
  if (options.keystore && options.mnemonicFile) throw new KeyError("give either --keystore or --mnemonic-file, not both");
  if (options.keystore) {
    let json: string;
    try {
      json = readFileSync(options.keystore, "utf8");
    } catch (e) {
      throw new KeyError(`cannot read the keystore ${options.keystore}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
    }
    let password = env.DTS_KEYSTORE_PASSWORD;
    if (password === undefined) {
      if (!options.askPassword) throw new KeyError("set DTS_KEYSTORE_PASSWORD, or run on a terminal to be asked for the keystore password");
      password = await options.askPassword(`Password for ${options.keystore}: `);
    }
    return decryptStacksKey(json, password, options.keystore);
  }
  if (options.mnemonicFile) {
    let text: string;
    try {
      text = readFileSync(options.mnemonicFile, "utf8");
    } catch (e) {
      throw new KeyError(`cannot read the mnemonic file ${options.mnemonicFile}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
    }
    return privateKeyFromMnemonic(text, options.mnemonicFile, options.accountIndex);
  }
  if (env.DTS_PRIVATE_KEY) return checkPrivateKey(env.DTS_PRIVATE_KEY, "DTS_PRIVATE_KEY");
  if (env.DTS_MNEMONIC) return privateKeyFromMnemonic(env.DTS_MNEMONIC, "DTS_MNEMONIC", options.accountIndex);
  return null;
}

/** Reads a line from the terminal without echoing it (for passwords). */
export function askHidden(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) return Promise.reject(new KeyError("no terminal to ask for a password on: set DTS_KEYSTORE_PASSWORD"));
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = "";
    input.setRawMode(true);
    input.resume();
    input.setEncoding("utf8");
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.removeListener("data", onData);
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return done();
        if (ch === "\u0003") return done(new KeyError("cancelled"));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    input.on("data", onData);
  });
}
