import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { run } from '../../src/adapters/exec.js';
import { toolPaths } from '../../src/toolchain.js';

/** A real chart repository: the charts packaged and indexed by helm, served over HTTP on loopback. */
export async function serveChartRepository(charts: readonly string[]): Promise<{ url: string; close: () => void }> {
  const dir = mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'repo-'));
  for (const chart of charts) await run(toolPaths().helm, ['package', chart, '--destination', dir]);
  const server = createServer((req, res) => {
    const file = join(dir, (req.url ?? '/').split('?')[0]!);
    if (!file.startsWith(dir) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await run(toolPaths().helm, ['repo', 'index', dir, '--url', url]);
  return { url, close: () => server.close() };
}
