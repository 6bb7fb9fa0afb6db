import { looksLikeApiKey, type ApiKeyVerifier } from '../api-keys/index.js';
import type { IntrospectionResponse } from './jwt-introspection.js';

/**
 * RFC 7662 for Tollgate API keys (`token_type_hint=api_key`, or recognised by
 * their `tg_` prefix): the same endpoint and client authentication resource
 * servers already use for tokens. Revoked, expired, unknown or malformed keys
 * are simply `active: false`; why is for the audit log, not the caller.
 */
export function createApiKeyIntrospector(verifier: ApiKeyVerifier, issuer: string) {
  return {
    handles(token: string, hint: unknown): boolean {
      return hint === 'api_key' || looksLikeApiKey(token);
    },
    async introspect(token: string): Promise<IntrospectionResponse> {
      const result = await verifier.verifyApiKey(token);
      if (!result.active) return { active: false };
      return {
        active: true,
        token_type: 'api_key',
        iss: issuer,
        sub: result.id,
        tenant_id: result.tenantId,
        tenant: result.tenant,
        // The resource servers the key is for, checked by @tollgate/resource-server as a JWT's aud is.
        aud: result.audiences,
        scope: result.scopes.join(' ') || undefined,
        exp: result.expiresAt === null ? undefined : Math.floor(result.expiresAt / 1000),
      };
    },
  };
}

export type ApiKeyIntrospector = ReturnType<typeof createApiKeyIntrospector>;
