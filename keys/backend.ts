import type { JWK } from 'jose';
import type { SigningAlgorithm } from './algorithms.js';

/** A key pair a backend has just created; `kid` is the RFC 7638 thumbprint of `publicJwk`. */
export interface GeneratedKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly publicJwk: JWK;
  /** What the key store seals into the row: the private JWK, or where the token keeps the private key. Never logged. */
  readonly privatePart: string;
}

/** A key whose private part stays in a module: the provider hands it the bytes to sign. */
export interface ExternalSigner {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly publicJwk: JWK;
  /** The JWS signature (RFC 7515) over `data`, in the form JWS uses (r‖s for ECDSA). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** What the provider signs with: a private JWK in process, or a key in a module. */
export type SigningKey = { readonly kind: 'jwk'; readonly jwk: JWK } | ({ readonly kind: 'external' } & ExternalSigner);

/**
 * Where private keys are made and kept. The key store holds the lifecycle
 * (rows, states, locks) whatever the backend; a backend only creates key
 * pairs, gives the provider something to sign with, and destroys private
 * parts once their keys are retired or revoked.
 */
export interface KeyBackend {
  /** TOLLGATE_KEY_BACKEND's value: named in messages. */
  readonly name: 'database' | 'pkcs11';
  /** The algorithms this backend can create keys for. */
  readonly algorithms: readonly SigningAlgorithm[];
  generate(alg: SigningAlgorithm): Promise<GeneratedKey>;
  /** A published key, from its opened private part (as `generate` made it). */
  load(key: { readonly kid: string; readonly alg: SigningAlgorithm; readonly publicJwk: JWK; readonly privatePart: string }): Promise<SigningKey>;
  /** Kids whose private parts the backend itself still holds (outside the database); [] when the database holds them. */
  heldKids(): Promise<string[]>;
  /** Destroys the private parts of `kids` where the backend holds them; kids it does not hold are ignored. */
  destroy(kids: readonly string[]): Promise<void>;
  /** Resolves when the backend can sign now; rejects with ERR_SIGNING_MODULE_UNAVAILABLE otherwise (readiness). */
  check(): Promise<void>;
  close(): Promise<void>;
}
