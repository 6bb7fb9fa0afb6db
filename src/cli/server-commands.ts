import { migrate } from '../../adapters/database.js';
import { loadConfig } from '../config.js';
import { fileSecretSource } from '../dev-secret.js';
import { defineSessionCommand } from './command.js';

export const serverCommands = [
  defineSessionCommand({
    name: 'serve',
    summary: 'run the server (PORT, DATABASE_URL, ISSUER, TOLLGATE_SECRET)',
    options: { workers: { type: 'string', value: '<n>', description: 'worker processes (TOLLGATE_WORKERS); more than 1 needs PostgreSQL' } },
    examples: ['tollgate serve', 'DATABASE_URL=postgres://… tollgate serve --workers 4'],
    run: async ({ session, values }) => {
      // --workers is TOLLGATE_WORKERS given on the command line: validated by the same schema.
      const env = values.workers === undefined ? session.io.env : { ...session.io.env, TOLLGATE_WORKERS: values.workers };
      const config = loadConfig(env, fileSecretSource);
      // Loaded only here: oidc-provider is not needed (nor its Node-version
      // warning wanted) for registry commands.
      const { closeOnSignals, serveCluster } = await import('../cluster.js');
      if (config.workers > 1) {
        await serveCluster(config);
        return 'serving';
      }
      const { startTollgate } = await import('../main.js');
      const { createLogger } = await import('../logger.js');
      const logger = createLogger(config.logLevel);
      const running = await startTollgate(config, { logger });
      closeOnSignals(() => running.shutdown(), logger);
      return 'serving';
    },
  }),
  defineSessionCommand({
    name: 'migrate',
    summary: 'apply database migrations (every other command also does)',
    options: {},
    run: async ({ session }) => ({ applied: await migrate(session.database()) }),
  }),
];
