import type { AppClient } from '../registry/app-clients.js';

/**
 * oidc-provider metadata for a client that signs users in: authorization
 * code and refresh token grants, `code` responses only, its exact redirect
 * URIs. A public client authenticates with `none` (PKCE is then required,
 * see authorization-code.ts); a confidential one keeps client_secret_basic.
 * A private-use scheme redirect makes it a `native` application (RFC 8252).
 */
export function appClientMetadata(app: AppClient): Record<string, unknown> {
  const native = app.redirectUris.some((uri) => !/^https?:/.test(uri));
  return {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: app.redirectUris,
    post_logout_redirect_uris: app.postLogoutRedirectUris,
    application_type: native ? 'native' : 'web',
    token_endpoint_auth_method: app.public ? 'none' : 'client_secret_basic',
  };
}
