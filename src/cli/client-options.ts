/**
 * `clients create`'s options, grouped as its help lists them: what every
 * client has, the admin bootstrap, apps that sign users in, and stronger
 * client credentials.
 */
export const CLIENT_CREATE_OPTIONS = {
  name: { type: 'string', value: '<name>', description: 'display name' },
  tenant: { type: 'string', value: '<slug>', description: 'the tenant it belongs to' },
  resource: { type: 'string', multiple: true, value: '<uri>', description: 'a resource server (audience) it may get tokens for' },
  scopes: { type: 'string', value: '"<s1> <s2>"', description: 'the scopes it may ask for' },
  roles: { type: 'string', value: '"<r1> <r2>"', description: 'roles put in its tokens' },
  'ip-allowlist': { type: 'string', value: '"<cidr> …"', description: 'addresses it may ask for tokens from' },
  'cors-origins': { type: 'string', value: '"<origin> …"', description: 'browser origins that may call the token endpoints' },
  'secret-expires-in': { type: 'string', value: '<seconds>', description: 'the secret stops working after this long' },
  'token-quota': { type: 'string', value: '<count>/<unit>|none', description: 'tokens it may get per window (s, min, h, day); none removes it' },
  introspect: { type: 'string', value: '"<uri> …"', description: 'audiences whose tokens and API keys it may introspect (a resource service\'s own client)' },
  admin: { type: 'boolean', group: 'admin API client', description: 'an admin API client: global (tollgate:admin), or with --tenant that tenant\'s admin; sets its resource and scopes itself' },
  grant: { type: 'string', value: 'client_credentials|authorization_code', group: 'apps that sign users in', description: 'authorization_code for a web app, native app or SPA (default client_credentials)' },
  'redirect-uri': { type: 'string', multiple: true, value: '<uri>', group: 'apps that sign users in', description: 'where sign-in returns (exact match); required with --grant authorization_code' },
  'post-logout-redirect-uri': { type: 'string', multiple: true, value: '<uri>', group: 'apps that sign users in', description: 'where sign-out may return' },
  public: { type: 'boolean', group: 'apps that sign users in', description: 'a native app or SPA: no secret, PKCE required' },
  auth: { type: 'string', value: 'client_secret_basic|private_key_jwt', group: 'client authentication', description: 'how it authenticates at the token endpoint (default client_secret_basic)' },
  'jwks-uri': { type: 'string', value: '<https url>', group: 'client authentication', description: 'where a private_key_jwt client publishes its public keys' },
  'jwks-file': { type: 'string', value: '<path>', group: 'client authentication', description: 'a JWKS (or single JWK) JSON file of its public keys, stored inline' },
  'dpop-bound': { type: 'boolean', group: 'sender-constrained tokens', description: 'its tokens must be DPoP-bound (RFC 9449): a request without a DPoP proof is refused' },
  'exchange-audience': { type: 'string', multiple: true, value: '<uri>', group: 'token exchange (RFC 8693)', description: 'an audience it may exchange tokens for' },
  'exchange-scope': { type: 'string', value: '"<s1> <s2>"', group: 'token exchange (RFC 8693)', description: 'the scopes it may get by exchange; needs --exchange-audience' },
} as const;
