import { createApp } from '../app.js';
import { loadConfig } from '../config/config.js';
import { failAndExit } from './fail.js';

/** `lo serve`: runs until SIGTERM/SIGINT, then shuts down gracefully (a second signal exits at once). */
export async function runServe(): Promise<void> {
  try {
    const config = loadConfig();
    const app = await createApp(config);
    const url = await app.listen();
    app.http.log.info({ url, data_dir: config.dataDir, database: config.databaseUrl.split(':')[0] }, `Lo listening on ${url}`);
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        app.http.log.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      app.http.log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        app.http.log.error('shutdown timed out: exiting');
        process.exit(1);
      }, config.shutdownTimeoutS * 1000);
      timer.unref();
      app.close().then(
        () => process.exit(0),
        (err: unknown) => {
          app.http.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  } catch (error) {
    failAndExit(error);
  }
}
