import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Clock } from './clock.js';
import { isSealed, seal, unseal } from './key-encryption.js';
import { generateId } from './secrets.js';
import type { Store, StoredKey } from './store.js';

/** The JWS algorithms Sesame signs with; a token naming any other is refused. */
export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface KeyRingConfig {
  /** Algorithm of the keys Sesame generates. */
  readonly algorithm: SigningAlgorithm;
  /** Signing keys from configuration (a PEM private key, a private JWK or a JWK Set; the first signs), or null to use stored keys. */
  readonly configuredSigningKeys: string | null;
  /** The refresh-token HMAC key from configuration, or null to use the stored one. */
  readonly configuredRefreshKey: Buffer | null;
  /** AES-256 key sealing private keys at rest, or null to store them as they are. */
  readonly encryptionKey: Buffer | null;
  /** Access-token lifetime: how long a replaced key must keep verifying. */
  readonly accessTokenTtlSeconds: number;
}

export interface SigningKey {
  readonly kid: string;
  readonly algorithm: SigningAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public JWK as published: with `kid`, `alg` and `use`. */
  readonly publicJwk: JWK;
}

/** The keys Sesame signs and derives with. Only public keys ever leave it. */
export interface KeyRing {
  /** The key new access tokens are signed with. */
  signingKey(): SigningKey;
  /** The key with this `kid`, if it may still verify tokens; reloads once (rate-limited) when it is unknown. */
  verificationKey(kid: string): Promise<SigningKey | null>;
  /** The public keys that may still verify unexpired tokens, as a JWK Set. */
  jwks(): { keys: JWK[] };
  /** The HMAC key refresh-token children are derived with. */
  refreshKey(): Buffer;
  /** Re-reads the stored keys: another instance may have rotated. */
  reload(): Promise<void>;
  /**
   * Stores a new signing key. It is published at once and signs once every instance has had
   * the time to load it; returns its kid and that moment.
   */
  rotate(): Promise<{ kid: string; signsFrom: Date }>;
  /** Things worth telling the operator at start (keys stored before encryption was turned on). */
  readonly warnings: readonly string[];
}

/** The keys cannot be used as configured; the message says what to change. */
export class KeyRingError extends Error {
  override readonly name = 'KeyRingError';
}

/** How often instances re-read the stored keys. */
export const KEY_RELOAD_INTERVAL_SECONDS = 60;
// Clocks of instances differ by a little.
const CLOCK_SKEW_SECONDS = 60;
// A new key is published this long before it signs, so that every instance can verify its
// tokens, and serve it in its JWKS, before any of them uses it.
const PUBLISH_BEFORE_SIGNING_SECONDS = KEY_RELOAD_INTERVAL_SECONDS + CLOCK_SKEW_SECONDS;
// An unknown kid triggers a reload at most this often, so forged kids cannot hammer the store.
const MIN_RELOAD_GAP_MS = 5_000;
const REFRESH_KEY_BYTES = 32;

/**
 * Opens the key ring: the configured keys, or the stored ones, generating and storing the
 * first signing key and the refresh key when there are none (insert-if-absent, so instances
 * starting together agree). Throws `KeyRingError` for unusable configuration.
 */
export async function openKeyRing(store: Store, clock: Clock, config: KeyRingConfig): Promise<KeyRing> {
  const warnings = new Set<string>();
  const configured = config.configuredSigningKeys === null ? null : await parseConfiguredKeys(config.configuredSigningKeys);
  // Newest first. A stored key signs from `signsFrom`; configured keys sign from the start.
  let signing: Array<{ key: SigningKey; signsFrom: Date }> = [];
  let refreshKey: Buffer = config.configuredRefreshKey ?? Buffer.alloc(0);
  let lastLoad = 0;
  let loading: Promise<void> | null = null;

  function readPrivate(key: StoredKey): string {
    if (!isSealed(key.privateMaterial)) {
      if (config.encryptionKey) {
        warnings.add(`key ${key.kid} was stored before SESAME_KEY_ENCRYPTION_KEY was set and is not encrypted`);
      }
      return key.privateMaterial;
    }
    if (!config.encryptionKey) {
      throw new KeyRingError('the stored keys are encrypted: set SESAME_KEY_ENCRYPTION_KEY to the key they were sealed with');
    }
    try {
      return unseal(key.privateMaterial, config.encryptionKey, `${key.purpose}:${key.kid}`);
    } catch {
      throw new KeyRingError(`SESAME_KEY_ENCRYPTION_KEY does not open the stored key ${key.kid}: it is not the key the keys were sealed with`);
    }
  }

  function sealPrivate(material: string, purpose: StoredKey['purpose'], kid: string): string {
    return config.encryptionKey ? seal(material, config.encryptionKey, `${purpose}:${kid}`) : material;
  }

  async function newStoredSigningKey(position: number): Promise<StoredKey> {
    const key = await toSigningKey(generatePrivateKey(config.algorithm), null);
    const pem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    return {
      kid: key.kid,
      purpose: 'signing',
      position,
      algorithm: key.algorithm,
      publicJwk: JSON.stringify(key.publicJwk),
      privateMaterial: sealPrivate(pem, 'signing', key.kid),
      createdAt: clock.now(),
    };
  }

  async function load(): Promise<void> {
    lastLoad = clock.now().getTime();
    let stored = await store.listKeys();
    if (!configured && !stored.some((key) => key.purpose === 'signing')) {
      await store.insertKey(await newStoredSigningKey(1));
      stored = await store.listKeys();
    }
    if (!config.configuredRefreshKey && !stored.some((key) => key.purpose === 'refresh')) {
      const kid = generateId();
      const material = sealPrivate(randomBytes(REFRESH_KEY_BYTES).toString('base64url'), 'refresh', kid);
      await store.insertKey({ kid, purpose: 'refresh', position: 1, algorithm: null, publicJwk: null, privateMaterial: material, createdAt: clock.now() });
      stored = await store.listKeys();
    }
    const newestFirst = [...stored].sort((a, b) => b.position - a.position);
    if (!config.configuredRefreshKey) {
      const refresh = newestFirst.find((key) => key.purpose === 'refresh')!;
      refreshKey = Buffer.from(readPrivate(refresh), 'base64url');
    }
    if (configured) {
      signing = configured.map((key) => ({ key, signsFrom: new Date(0) }));
      return;
    }
    const storedSigning = newestFirst.filter((key) => key.purpose === 'signing');
    signing = await Promise.all(
      storedSigning.map(async (stored, index) => ({
        key: await toSigningKey(createPrivateKey(readPrivate(stored)), stored.kid),
        // The first key ever signs at once: there is nothing else to sign with.
        signsFrom: index === storedSigning.length - 1 ? new Date(0) : new Date(stored.createdAt.getTime() + PUBLISH_BEFORE_SIGNING_SECONDS * 1000),
      })),
    );
    const current = signing.find(({ signsFrom }) => signsFrom <= clock.now())?.key ?? signing.at(-1)!.key;
    if (current.algorithm !== config.algorithm) {
      warnings.add(`SESAME_JWT_ALGORITHM is ${config.algorithm} but the signing key is ${current.algorithm}: run \`sesame keys rotate\` to switch`);
    }
  }

  function currentSigningKey(): SigningKey {
    const now = clock.now();
    return (signing.find(({ signsFrom }) => signsFrom <= now) ?? signing.at(-1)!).key;
  }

  /** A key verifies until the last token it signed has expired: one TTL after its successor took over. */
  function stillVerifies(index: number): boolean {
    const successor = signing[index - 1];
    if (!successor || configured) return true;
    const graceSeconds = config.accessTokenTtlSeconds + CLOCK_SKEW_SECONDS;
    return clock.now().getTime() < successor.signsFrom.getTime() + graceSeconds * 1000;
  }

  function reload(): Promise<void> {
    loading ??= load().finally(() => (loading = null));
    return loading;
  }

  await load();

  return {
    get warnings() {
      return [...warnings];
    },
    signingKey: currentSigningKey,
    async verificationKey(kid) {
      let index = signing.findIndex(({ key }) => key.kid === kid);
      if (index < 0 && !configured && clock.now().getTime() - lastLoad >= MIN_RELOAD_GAP_MS) {
        await reload();
        index = signing.findIndex(({ key }) => key.kid === kid);
      }
      return index >= 0 && stillVerifies(index) ? signing[index]!.key : null;
    },
    jwks: () => ({ keys: signing.filter((_, index) => stillVerifies(index)).map(({ key }) => key.publicJwk) }),
    refreshKey: () => refreshKey,
    reload: () => (configured ? Promise.resolve() : reload()),
    async rotate() {
      if (configured) throw new KeyRingError('the signing keys come from configuration: rotate them there (SESAME_SIGNING_KEY or SESAME_SIGNING_KEY_FILE)');
      const position = Math.max(0, ...(await store.listKeys()).filter((key) => key.purpose === 'signing').map((key) => key.position)) + 1;
      const key = await newStoredSigningKey(position);
      if (!(await store.insertKey(key))) throw new KeyRingError('another rotation happened at the same moment; run it again if you need one more');
      await reload();
      return { kid: key.kid, signsFrom: new Date(key.createdAt.getTime() + PUBLISH_BEFORE_SIGNING_SECONDS * 1000) };
    },
  };
}

function generatePrivateKey(algorithm: SigningAlgorithm): KeyObject {
  switch (algorithm) {
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey;
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey;
  }
}

/** The algorithm a private key signs with: each key is bound to exactly one (RFC 8725 §3.1). */
function algorithmOf(privateKey: KeyObject): SigningAlgorithm {
  const details = privateKey.asymmetricKeyDetails;
  if (privateKey.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (privateKey.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return 'ES256';
  if (privateKey.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) return 'RS256';
  throw new KeyRingError('a signing key must be Ed25519 (EdDSA), P-256 (ES256) or RSA of 2048 bits or more (RS256)');
}

async function toSigningKey(privateKey: KeyObject, kid: string | null): Promise<SigningKey> {
  const algorithm = algorithmOf(privateKey);
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const keyId = kid ?? (await calculateJwkThumbprint(jwk));
  return { kid: keyId, algorithm, privateKey, publicKey, publicJwk: { ...jwk, kid: keyId, alg: algorithm, use: 'sig' } };
}

/** Parses configured key text: a PEM private key, a private JWK, or a JWK Set whose first key signs. */
async function parseConfiguredKeys(text: string): Promise<SigningKey[]> {
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith('-----BEGIN')) return [await toSigningKey(createPrivateKey(trimmed), null)];
    const parsed = JSON.parse(trimmed) as JWK & { keys?: JWK[] };
    const jwks = Array.isArray(parsed.keys) ? parsed.keys : [parsed];
    if (jwks.length === 0) throw new KeyRingError('the configured JWK Set has no keys');
    return await Promise.all(
      jwks.map(async (jwk) => {
        if (typeof jwk.d !== 'string') throw new KeyRingError('a configured JWK must be a private key (with "d")');
        const key = await toSigningKey(createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }), jwk.kid ?? null);
        if (jwk.alg !== undefined && jwk.alg !== key.algorithm) {
          throw new KeyRingError(`configured key ${key.kid} says alg ${jwk.alg}, but it is a ${key.algorithm} key`);
        }
        return key;
      }),
    );
  } catch (error) {
    if (error instanceof KeyRingError) throw error;
    throw new KeyRingError('the configured signing key is neither a PEM private key, a private JWK nor a JWK Set');
  }
}
