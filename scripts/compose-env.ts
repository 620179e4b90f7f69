// Writes the variables docker-compose.yml requires, as a .env file:
// `npx tsx scripts/compose-env.ts > .env`. Values already in the environment
// are kept (rotate a codec key by exporting the new FLOTILLA_CODEC_KEYS and
// running it again); the rest are generated. The Web UI's codec token is
// always derived from the codec keys, as the API derives it.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { AesGcmCodec, newCodecKeyEntry, parseCodecKeys } from '../src/temporal/codec.js';

export function composeEnv(existing: NodeJS.ProcessEnv = {}): Record<string, string> {
  const codecKeys = existing.FLOTILLA_CODEC_KEYS || newCodecKeyEntry('k1');
  return {
    FLOTILLA_API_TOKENS: existing.FLOTILLA_API_TOKENS || `${randomBytes(24).toString('base64url')}:default`,
    FLOTILLA_CODEC_KEYS: codecKeys,
    FLOTILLA_CODEC_UI_TOKEN: new AesGcmCodec(parseCodecKeys(codecKeys)).uiToken(),
    FLOTILLA_SECRET_KEY: existing.FLOTILLA_SECRET_KEY || randomBytes(32).toString('base64'),
    TEMPORAL_DB_PASSWORD: existing.TEMPORAL_DB_PASSWORD || randomBytes(18).toString('base64url'),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const lines = Object.entries(composeEnv(process.env)).map(([name, value]) => `${name}=${value}`);
  process.stdout.write(`# docker-compose.yml's secrets (scripts/compose-env.ts). Keep this file private.\n${lines.join('\n')}\n`);
}
