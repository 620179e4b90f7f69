import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { contextOf, seg } from '../context.js';
import { usageError } from '../errors.js';
import { details, print, table } from '../output.js';
import { collect, pairFlag } from '../specs.js';

interface SecretInfo {
  id: string;
  name: string;
  type: string;
  createdAt: string;
}

const secretTable = (items: SecretInfo[]) =>
  table(items, [
    { header: 'ID', value: (s) => s.id },
    { header: 'NAME', value: (s) => s.name },
    { header: 'TYPE', value: (s) => s.type },
    { header: 'CREATED', value: (s) => s.createdAt },
  ]);

function readValueFile([key, path]: [string, string]): [string, string] {
  try {
    return [key, readFileSync(path, 'utf8')];
  } catch (err) {
    throw usageError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

export function secretCommands(program: Command): void {
  const secret = program.command('secret').description('credentials for providers and imported clusters (values never come back)');

  secret
    .command('create')
    .description('store credentials')
    .argument('<name>')
    .requiredOption('--type <type>', 'aws, gcp, azure, kubeconfig, proxy-ca or proxy-credentials')
    .option('--value <KEY=VALUE>', 'a value, e.g. accessKeyId=AKIA...; repeat for more', collect(pairFlag))
    .option('--value-file <KEY=FILE>', "a value read from a file, e.g. kubeconfig=./edge.yaml or serviceAccountKey=./key.json", collect(pairFlag))
    .action(async (name: string, opts: { type: string; value?: [string, string][]; valueFile?: [string, string][] }, command: Command) => {
      const { api, format } = contextOf(command);
      const values = Object.fromEntries([...(opts.value ?? []), ...(opts.valueFile ?? []).map(readValueFile)]);
      const info = await api.inOrg<SecretInfo>('POST', '/secrets', { name, type: opts.type, values });
      print(format, info, () => details([['ID', info.id], ['Name', info.name], ['Type', info.type], ['Created', info.createdAt]]));
    });

  secret
    .command('list')
    .description('list secrets: names and types')
    .action(async (_opts, command: Command) => {
      const { api, format } = contextOf(command);
      const items = await api.listAll<SecretInfo>('/secrets');
      print(format, items, () => secretTable(items));
    });

  secret
    .command('delete')
    .description('delete a secret no cluster uses')
    .argument('<secret>', 'its ID (sec-...) or name')
    .action(async (ref: string, _opts, command: Command) => {
      const { api } = contextOf(command);
      let id = ref;
      if (!/^sec-/.test(ref)) {
        const items = await api.listAll<SecretInfo>('/secrets');
        const found = items.find((s) => s.name === ref);
        if (!found) throw usageError(`no secret named '${ref}'`);
        id = found.id;
      }
      await api.inOrg('DELETE', `/secrets/${seg(id)}`);
      process.stdout.write(`deleted secret ${id}\n`);
    });
}
