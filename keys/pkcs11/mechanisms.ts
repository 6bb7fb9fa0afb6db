import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import pkcs11js, { type Mechanism, type RsaPSS, type Template } from 'pkcs11js';
import type { SigningAlgorithm } from '../algorithms.js';
import { RSA_MODULUS_BITS } from '../database-backend.js';

/** The algorithms the PKCS#11 backend creates keys for (EdDSA: pkcs11js has no CKM_EDDSA yet). */
export const PKCS11_ALGORITHMS = ['ES256', 'RS256', 'PS256'] as const satisfies readonly SigningAlgorithm[];
export type Pkcs11Algorithm = (typeof PKCS11_ALGORITHMS)[number];

// DER of the P-256 curve's OID (1.2.840.10045.3.1.7), as CKA_EC_PARAMS wants it.
const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');
const RSA_PUBLIC_EXPONENT = Buffer.from([0x01, 0x00, 0x01]);
// RFC 7518 §3.5: SHA-256, MGF1 with SHA-256, a salt as long as the hash.
const PS256_PARAMETERS: RsaPSS = { type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256, saltLen: 32 };

/** How one JWS algorithm maps onto the module: key generation, signing, and the public key read back. */
export interface Pkcs11Profile {
  readonly generation: Mechanism;
  /** Attributes only this key type needs, on the public object. */
  readonly publicAttributes: Template;
  readonly signing: Mechanism;
  /** The bytes handed to C_Sign: the JWS signing input, or its digest for a mechanism that does not hash. */
  signingInput(data: Uint8Array): Buffer;
  /** Upper bound of the signature's length (C_Sign's output buffer). */
  readonly signatureBytes: number;
  readonly publicAttributeTypes: readonly number[];
  /** The public JWK from the attributes read back, in `publicAttributeTypes` order. */
  publicJwk(values: readonly Buffer[]): JWK;
}

const rsaPublicJwk = ([modulus, exponent]: readonly Buffer[]): JWK => ({
  kty: 'RSA',
  n: stripLeadingZeros(modulus!).toString('base64url'),
  e: stripLeadingZeros(exponent!).toString('base64url'),
});

function rsaProfile(signing: Mechanism): Pkcs11Profile {
  return {
    generation: { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
    publicAttributes: [
      { type: pkcs11js.CKA_MODULUS_BITS, value: RSA_MODULUS_BITS },
      { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: RSA_PUBLIC_EXPONENT },
    ],
    signing,
    signingInput: (data) => Buffer.from(data),
    signatureBytes: RSA_MODULUS_BITS / 8,
    publicAttributeTypes: [pkcs11js.CKA_MODULUS, pkcs11js.CKA_PUBLIC_EXPONENT],
    publicJwk: rsaPublicJwk,
  };
}

export const PKCS11_PROFILES: Readonly<Record<Pkcs11Algorithm, Pkcs11Profile>> = {
  ES256: {
    generation: { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
    publicAttributes: [{ type: pkcs11js.CKA_EC_PARAMS, value: P256_PARAMS }],
    // CKM_ECDSA signs a digest and returns r‖s, each 32 bytes: JWS's form already.
    signing: { mechanism: pkcs11js.CKM_ECDSA },
    signingInput: (data) => createHash('sha256').update(data).digest(),
    signatureBytes: 64,
    publicAttributeTypes: [pkcs11js.CKA_EC_POINT],
    publicJwk: ([point]) => {
      const xy = uncompressedPoint(point!);
      return { kty: 'EC', crv: 'P-256', x: xy.subarray(1, 33).toString('base64url'), y: xy.subarray(33, 65).toString('base64url') };
    },
  },
  RS256: rsaProfile({ mechanism: pkcs11js.CKM_SHA256_RSA_PKCS }),
  PS256: rsaProfile({ mechanism: pkcs11js.CKM_SHA256_RSA_PKCS_PSS, parameter: PS256_PARAMETERS }),
};

export const isPkcs11Algorithm = (alg: SigningAlgorithm): alg is Pkcs11Algorithm => (PKCS11_ALGORITHMS as readonly string[]).includes(alg);

/**
 * CKA_EC_POINT is a DER OCTET STRING around the uncompressed point (04‖x‖y)
 * per PKCS#11 2.40; some modules return the bare point. Accepts both.
 */
function uncompressedPoint(value: Buffer): Buffer {
  const point = value.length === 67 && value[0] === 0x04 && value[1] === 65 ? value.subarray(2) : value;
  if (point.length !== 65 || point[0] !== 0x04) throw new Error('the module returned an EC point that is not an uncompressed P-256 point');
  return point;
}

function stripLeadingZeros(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start += 1;
  return value.subarray(start);
}
