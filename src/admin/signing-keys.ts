import { KeyStoreError, type KeyStoreErrorCode } from '../../keys/key-store.js';
import { TollgateError } from '../errors.js';
import { recordAdminChange } from './audit.js';
import { page, type AdminServices } from './context.js';
import { snakeCased } from './presenters.js';
import { route, type CompiledRoute } from './route.js';
import { rotateSigningKeysBody } from './schemas.js';

const TAG = 'Signing keys';

/** Key-store refusals an operator can act on, as HTTP answers; anything else stays a server error. */
const REFUSALS: Partial<Record<KeyStoreErrorCode, [number, 'not_found' | 'conflict']>> = {
  ERR_KEY_NOT_FOUND: [404, 'not_found'],
  ERR_KEY_ALREADY_REVOKED: [409, 'conflict'],
  ERR_ROTATION_CONFLICT: [409, 'conflict'],
  ERR_NEXT_KEY_TOO_NEW: [409, 'conflict'],
};

async function keyStoreCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const refusal = error instanceof KeyStoreError ? REFUSALS[error.code] : undefined;
    if (!refusal) throw error;
    throw new TollgateError(refusal[0], refusal[1], (error as Error).message);
  }
}

/**
 * Signing keys sign every tenant's tokens: only `tollgate:admin` lists,
 * rotates or revokes them (a tenant admin gets 403). Same operations and
 * audit events as `tollgate keys …`; this instance swaps its provider at
 * once and the others are told (Redis) or notice within their poll.
 */
export function signingKeyRoutes({ keyStore, audit, keysChanged }: AdminServices): CompiledRoute[] {
  return [
    route({
      method: 'GET', path: '/signing-keys', operationId: 'listSigningKeys', summary: 'List signing keys (public metadata only)', tag: TAG,
      access: 'admin', status: 200, response: { ref: 'SigningKey', list: 'array' },
      handle: async () => page((await keyStore.list()).map(snakeCased)),
    }),
    route({
      method: 'POST', path: '/signing-keys/rotate', operationId: 'rotateSigningKeys', summary: 'next → active, active → retiring, a new next key', tag: TAG,
      access: 'admin', body: rotateSigningKeysBody, status: 200, response: { ref: 'KeyRotation' },
      handle: async ({ caller, body }) => {
        const result = await keyStoreCall(() => keyStore.rotate(body.alg ? { alg: body.alg } : {}));
        await recordAdminChange(audit, caller, { type: 'key.rotated', subject: result.activated, detail: { ...result } });
        return snakeCased({ ...result, announced: await keysChanged() });
      },
    }),
    route({
      method: 'POST', path: '/signing-keys/{kid}/revoke', operationId: 'revokeSigningKey', summary: 'Emergency: the key leaves /jwks and signing at once', tag: TAG,
      access: 'admin', status: 200, response: { ref: 'KeyRevocation' },
      handle: async ({ caller, params }) => {
        const kid = params['kid']!;
        const result = await keyStoreCall(() => keyStore.revoke(kid));
        const detail = { previousState: result.previousState, activated: result.activated ?? null, next: result.next ?? null };
        await recordAdminChange(audit, caller, { type: 'key.revoked', subject: kid, detail });
        return snakeCased({ ...result, announced: await keysChanged() });
      },
    }),
  ];
}
