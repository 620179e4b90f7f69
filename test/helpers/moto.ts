import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toolsDir } from '../../src/toolchain.js';
import { freePort } from './ports.js';
import { eventually } from './stack.js';

const versions = JSON.parse(readFileSync(fileURLToPath(new URL('../../tools/versions.json', import.meta.url)), 'utf8')) as { moto: string };

/** moto's server (the AWS API emulator), installed by scripts/install-tools.sh, on a free loopback port. */
export async function startMoto(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(join(toolsDir(), `moto-${versions.moto}`, 'bin', 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    // Real AWS has its managed policies (AmazonEKSClusterPolicy, ...); moto loads them only when asked.
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await eventually(async () => ((await fetch(`${endpoint}/moto-api/`)).ok ? true : undefined), 'moto to answer', 60_000);
  return {
    endpoint,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
