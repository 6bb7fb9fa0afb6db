import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import pkcs11js, { type PKCS11, type Template } from 'pkcs11js';
import type { SigningAlgorithm } from './algorithms.js';
import type { ExternalSigner, GeneratedKey, KeyBackend, SigningKey } from './backend.js';
import { KeyStoreError } from './errors.js';
import { PKCS11_ALGORITHMS, PKCS11_PROFILES, isPkcs11Algorithm, type Pkcs11Algorithm } from './pkcs11/mechanisms.js';
import { Pkcs11Token, type TokenLocation, type TokenOptions, type TokenSession } from './pkcs11/token.js';

export type { TokenLocation } from './pkcs11/token.js';

/**
 * Generating a key is off the request path (rotations, start-up) and an RSA
 * key pair can take seconds in a busy module: a wider bound than signing's.
 */
const GENERATION_TIMEOUT_MS = 60_000;

/** Every object Tollgate creates in the token is labelled this, then the kid. */
export const OBJECT_LABEL_PREFIX = 'tollgate:';

/** A key's objects in the token: CKA_LABEL `tollgate:<kid>`, CKA_ID the kid's 32 thumbprint bytes. */
export function objectTemplate(kid: string): Template {
  return [
    { type: pkcs11js.CKA_LABEL, value: `${OBJECT_LABEL_PREFIX}${kid}` },
    { type: pkcs11js.CKA_ID, value: Buffer.from(kid, 'base64url') },
  ];
}

/** What the row seals for a key in the token: where it is, never the key. */
interface TokenReference {
  readonly pkcs11: { readonly label: string };
}

function findObjects(api: PKCS11, session: Buffer, template: Template): Buffer[] {
  api.C_FindObjectsInit(session, template);
  try {
    const found: Buffer[] = [];
    for (let batch = api.C_FindObjects(session, 64); batch.length; batch = api.C_FindObjects(session, 64)) found.push(...batch);
    return found;
  } finally {
    api.C_FindObjectsFinal(session);
  }
}

function privateKeyHandle({ api, session, handles }: TokenSession, kid: string): Buffer {
  let handle = handles.get(kid);
  if (!handle) {
    [handle] = findObjects(api, session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, ...objectTemplate(kid)]);
    if (!handle) throw new KeyStoreError('ERR_KEY_UNREADABLE', `signing key ${kid} has no private key in the token (label ${OBJECT_LABEL_PREFIX}${kid})`);
    handles.set(kid, handle);
  }
  return handle;
}

/**
 * Private keys generated in a PKCS#11 token and never out of it
 * (CKA_SENSITIVE, not CKA_EXTRACTABLE): the provider hands each JWS signing
 * input to the token. The database keeps the lifecycle as with the
 * database backend; instances sharing one token find a key's objects by the
 * label and ID derived from its kid.
 */
class Pkcs11Backend implements KeyBackend {
  readonly name = 'pkcs11';
  readonly algorithms: readonly SigningAlgorithm[] = PKCS11_ALGORITHMS;

  constructor(private readonly token: Pkcs11Token) {}

  async generate(alg: SigningAlgorithm): Promise<GeneratedKey> {
    const profile = PKCS11_PROFILES[this.#supported(alg)];
    return this.token.run(async ({ api, session }) => {
      // The kid is the thumbprint of a public key that does not exist yet:
      // create under a random ID, then label both objects with the kid.
      const pending: Template = [
        { type: pkcs11js.CKA_LABEL, value: `${OBJECT_LABEL_PREFIX}pending` },
        { type: pkcs11js.CKA_ID, value: randomBytes(16) },
      ];
      const pair = await api.C_GenerateKeyPairAsync(
        session,
        profile.generation,
        [{ type: pkcs11js.CKA_TOKEN, value: true }, { type: pkcs11js.CKA_VERIFY, value: true }, { type: pkcs11js.CKA_PRIVATE, value: false }, ...profile.publicAttributes, ...pending],
        [
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_SIGN, value: true },
          { type: pkcs11js.CKA_PRIVATE, value: true },
          { type: pkcs11js.CKA_SENSITIVE, value: true },
          { type: pkcs11js.CKA_EXTRACTABLE, value: false },
          ...pending,
        ],
      );
      const values = api.C_GetAttributeValue(session, pair.publicKey, profile.publicAttributeTypes.map((type) => ({ type })));
      const publicJwk = profile.publicJwk(values.map((attribute) => Buffer.from(attribute.value as Buffer)));
      const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
      for (const handle of [pair.publicKey, pair.privateKey]) api.C_SetAttributeValue(session, handle, objectTemplate(kid));
      const reference: TokenReference = { pkcs11: { label: `${OBJECT_LABEL_PREFIX}${kid}` } };
      return { kid, alg, publicJwk, privatePart: JSON.stringify(reference) };
    }, GENERATION_TIMEOUT_MS);
  }

  async load({ kid, alg, publicJwk, privatePart }: Parameters<KeyBackend['load']>[0]): Promise<SigningKey> {
    const reference = JSON.parse(privatePart) as Partial<TokenReference>;
    if (reference.pkcs11?.label !== `${OBJECT_LABEL_PREFIX}${kid}`) {
      // Never sign in process with this backend: a key sealed in the
      // database is exactly what the operator chose the token to avoid.
      throw new KeyStoreError(
        'ERR_KEY_UNREADABLE',
        `signing key ${kid} is sealed in the database, not held in the token: TOLLGATE_KEY_BACKEND=pkcs11 signs only inside the token (see docs/hsm.md, "Switching backends")`,
      );
    }
    const profile = PKCS11_PROFILES[this.#supported(alg)];
    // Found now, so a key missing from the token stops a start or a key refresh instead of a request.
    await this.token.run((session) => privateKeyHandle(session, kid));
    const signer: ExternalSigner = {
      kid,
      alg,
      publicJwk,
      sign: (data) =>
        this.token.run(async (session) => {
          let handle: Buffer;
          try {
            handle = privateKeyHandle(session, kid);
          } catch (error) {
            // Another instance revoked or retired the key and destroyed it;
            // this one swaps its keys within the key poll (5 s, or at once
            // with Redis). Until then: retry later, never another key.
            throw new KeyStoreError('ERR_SIGNING_MODULE_UNAVAILABLE', `signing key ${kid} is no longer in the token; the key change is being picked up`, { cause: error });
          }
          session.api.C_SignInit(session.session, profile.signing, handle);
          return session.api.C_SignAsync(session.session, profile.signingInput(data), Buffer.alloc(profile.signatureBytes));
        }),
    };
    return { kind: 'external', ...signer };
  }

  heldKids(): Promise<string[]> {
    return this.token.run(({ api, session }) => {
      const kids = new Set<string>();
      for (const handle of findObjects(api, session, [{ type: pkcs11js.CKA_TOKEN, value: true }])) {
        const [label] = api.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_LABEL }]);
        const text = Buffer.from(label?.value as Buffer).toString('utf8');
        if (text.startsWith(OBJECT_LABEL_PREFIX) && text !== `${OBJECT_LABEL_PREFIX}pending`) kids.add(text.slice(OBJECT_LABEL_PREFIX.length));
      }
      return [...kids].sort();
    });
  }

  destroy(kids: readonly string[]): Promise<void> {
    return this.token.run(({ api, session, handles }) => {
      for (const kid of kids) {
        for (const handle of findObjects(api, session, objectTemplate(kid))) api.C_DestroyObject(session, handle);
        handles.delete(kid);
      }
    });
  }

  check(): Promise<void> {
    return this.token.check();
  }

  close(): Promise<void> {
    return this.token.close();
  }

  #supported(alg: SigningAlgorithm): Pkcs11Algorithm {
    if (!isPkcs11Algorithm(alg)) {
      throw new KeyStoreError('ERR_UNSUPPORTED_ALGORITHM', `the pkcs11 key backend creates ${PKCS11_ALGORITHMS.join(', ')} keys, not ${alg}`);
    }
    return alg;
  }
}

/**
 * Opens the token and logs in; fails with ERR_SIGNING_MODULE_MISCONFIGURED
 * (one line naming the setting) when the module, token or PIN is wrong.
 *
 * @example
 * const backend = await openPkcs11Backend({ modulePath: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'tollgate', pin });
 * const keys = new KeyStore(knex, sealer, { retireAfterMs, backend });
 */
export async function openPkcs11Backend(location: TokenLocation, options?: TokenOptions): Promise<KeyBackend> {
  return new Pkcs11Backend(await Pkcs11Token.open(location, options));
}
