// `npm run secrets:rotate`: rewrites every stored secret under the newest key of
// FLOTILLA_SECRET_KEY (unset: <data dir>/secret-key). Run it once every process
// has been restarted with the new key; when nothing failed, older keys can go.
import { openSecretStore } from './adapters/secrets/store.js';
import { loadConfig } from './config.js';

const { keyId, rewritten, unchanged, failed } = await openSecretStore(loadConfig().dataDir).rotate();
console.log(`secrets: ${rewritten} rewritten under key '${keyId}', ${unchanged} already under it, ${failed.length} failed`);
for (const { org, id, error } of failed) console.error(`secrets: ${org}/${id}: ${error}`);
if (failed.length) process.exitCode = 1;
