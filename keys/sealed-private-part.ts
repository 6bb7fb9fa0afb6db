import type { GeneratedKey } from './backend.js';
import { KeyStoreError } from './errors.js';
import type { NewSigningKey } from './rotation.js';
import { SealError, type Sealer } from './seal.js';
import type { SigningKeyRow } from './signing-keys-table.js';

/** The AAD that binds a sealed private part to its row, so it cannot be moved to another kid. */
export function privateKeyAad(kid: string): string {
  return `tollgate/signing-key/${kid}`;
}

/** A generated key as its row stores it: the private part (a JWK, or where a token keeps it) sealed under the newest secret. */
export function sealGeneratedKey(key: GeneratedKey, sealer: Sealer): NewSigningKey {
  return {
    kid: key.kid,
    alg: key.alg,
    publicJwk: JSON.stringify(key.publicJwk),
    sealedPrivate: sealer.seal(key.privatePart, privateKeyAad(key.kid)),
  };
}

/** Opens one sealed private part; a wrong secret or a row moved to another kid is ERR_KEY_UNREADABLE. */
export function openSealed(sealer: Sealer, kid: string, sealed: string): string {
  try {
    return sealer.open(sealed, privateKeyAad(kid));
  } catch (error) {
    if (!(error instanceof SealError)) throw error;
    throw new KeyStoreError('ERR_KEY_UNREADABLE', `private part of signing key ${kid} cannot be opened: ${error.message}`, { cause: error });
  }
}

/** The opened private part of a published key (a retired or revoked row has none). */
export function openPrivatePart(sealer: Sealer, row: SigningKeyRow): string {
  if (row.sealed_private === null) {
    throw new KeyStoreError('ERR_KEY_UNREADABLE', `signing key ${row.kid} is ${row.state} but has no private part`);
  }
  return openSealed(sealer, row.kid, row.sealed_private);
}
