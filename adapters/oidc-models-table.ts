/**
 * The one table every oidc-provider model is stored in (migration 001).
 * A module of its own so that code which only names the table (the CLI's
 * session revocation) does not load oidc-provider with the adapter.
 */
export const OIDC_MODELS_TABLE = 'oidc_models';
