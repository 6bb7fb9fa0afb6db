/**
 * Machine clients: the registry's public face for them. Each part has a
 * file of its own under clients/ (types, input schemas, row mapping, IP and
 * CORS validators, the repository with its cache, presenters); callers
 * import from here.
 */
export type { Client, ClientView, CreateClientInput, UpdateClientInput } from './clients/types.js';
export { createClientSchema, updateClientSchema } from './clients/schema.js';
export { clientView } from './clients/rows.js';
export { withClientSecret } from './clients/presenters.js';
export { ClientRepository } from './clients/repository.js';
