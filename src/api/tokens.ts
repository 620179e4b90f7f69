import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The token table for the embedded default when FLOTILLA_API_TOKENS is unset:
 * one token for org `default`, generated once and kept in the data directory.
 */
export function defaultTokenSpec(dataDir: string): { spec: string; token: string } {
  const file = join(dataDir, 'api-token');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  }
  const token = readFileSync(file, 'utf8').trim();
  return { spec: `${token}:default`, token };
}
