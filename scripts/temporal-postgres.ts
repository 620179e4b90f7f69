// Temporal as production runs it — the server on PostgreSQL — on this machine,
// without Docker: `npm run temporal:postgres [-- --dir D --port P]` runs it
// until Ctrl-C; `npm run test:postgres` runs test suites against it (test/setup).
// PostgreSQL comes from the system (scripts/install-tools.sh postgresql), the
// server and its schema tool from scripts/install-tools.sh temporal-server.
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { stopProcess } from '../src/temporal/dev-server.js';
import { registerSearchAttributes } from '../src/temporal/search-attributes.js';
import { temporalServerPaths } from '../src/toolchain.js';

export interface PostgresTemporal {
  /** The frontend, host:port. */
  address: string;
  stop(): Promise<void>;
}

// Local only (127.0.0.1), so a fixed password is no secret; it still goes through password authentication.
const DB_USER = 'temporal';
const DB_PASSWORD = 'temporal';
const DATABASES = { temporal: 'temporal', visibility: 'temporal_visibility' } as const;

/**
 * Starts PostgreSQL (a cluster of its own in `dir`/postgresql) and the
 * Temporal server on it, with the namespace and Flotilla's search attributes.
 * A `dir` used before is reused: same data, schema brought up to date.
 */
export async function startPostgresTemporal(options: {
  dir: string;
  /** The frontend's port; a free one by default. */
  port?: number;
  namespace?: string;
  progress?: (message: string) => void;
}): Promise<PostgresTemporal> {
  const dir = resolve(options.dir);
  const namespace = options.namespace ?? 'default';
  const progress = options.progress ?? (() => {});
  const tools = temporalServerPaths();
  if (!existsSync(tools.server)) throw new Error(`no Temporal server at ${tools.server}: run scripts/install-tools.sh temporal-server`);
  mkdirSync(dir, { recursive: true });

  // Cluster membership ports are stored in a smallint column: they must stay below 32768.
  const [pgPort, grpcPort, httpPort, matchingPort, historyPort, workerPort, ...membership] = await freePorts(10, 20_000, 32_767);
  const frontendPort = options.port ?? grpcPort!;

  progress(`PostgreSQL on 127.0.0.1:${pgPort}`);
  const postgres = await startPostgres(join(dir, 'postgresql'), pgPort!);
  let server: ChildProcess | undefined;
  try {
    progress(`schema (temporal-sql-tool ${tools.version})`);
    await setUpSchema(tools, pgPort!, dir);

    const serverDir = join(dir, 'temporal-server');
    writeServerConfig(serverDir, {
      pgPort: pgPort!,
      ports: { frontendPort, httpPort: httpPort!, matchingPort: matchingPort!, historyPort: historyPort!, workerPort: workerPort!, membership: membership as number[] },
    });
    progress(`Temporal server ${tools.version} on 127.0.0.1:${frontendPort}`);
    server = spawn(tools.server, ['--root', serverDir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'], {
      cwd: serverDir,
      stdio: ['ignore', openSync(join(dir, 'temporal-server.log'), 'a'), openSync(join(dir, 'temporal-server.log'), 'a')],
    });
    const address = `127.0.0.1:${frontendPort}`;
    await registerNamespace(address, namespace, server, join(dir, 'temporal-server.log'));
    progress(`namespace ${namespace} and search attributes registered`);
    const running = server;
    return {
      address,
      async stop() {
        await stopProcess(running);
        await postgres.stop();
      },
    };
  } catch (err) {
    if (server) await stopProcess(server);
    await postgres.stop();
    throw err;
  }
}

/** Where the PostgreSQL programs are: Debian's versioned folder (newest), or PATH. */
function postgresBin(): string {
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian)
    ? readdirSync(debian).filter((v) => existsSync(join(debian, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return join(debian, versions[0], 'bin');
  const onPath = (process.env.PATH ?? '').split(delimiter).find((d) => d && existsSync(join(d, 'initdb')));
  if (onPath) return onPath;
  throw new Error('PostgreSQL not found (initdb): run scripts/install-tools.sh postgresql');
}

/**
 * PostgreSQL refuses to run as root. As root, it runs as the `postgres` user
 * (Debian's package creates it), or `nobody`; otherwise as ourselves.
 */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const users = readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':'));
  const user = users.find((u) => u[0] === 'postgres') ?? users.find((u) => u[0] === 'nobody');
  if (!user) throw new Error('running as root, and there is no postgres or nobody user for PostgreSQL to run as');
  return { uid: Number(user[2]), gid: Number(user[3]) };
}

async function startPostgres(root: string, port: number): Promise<{ stop(): Promise<void> }> {
  const bin = postgresBin();
  const user = postgresUser();
  const data = join(root, 'data');
  const log = join(root, 'postgresql.log');
  mkdirSync(root, { recursive: true, mode: 0o700 });
  if (user) {
    chownSync(root, user.uid, user.gid);
    chmodSync(join(root, '..'), 0o711); // the user must be able to pass through to its folder
  }
  const as: SpawnOptions = user ? { uid: user.uid, gid: user.gid } : {};
  if (!existsSync(join(data, 'PG_VERSION'))) {
    const pwfile = join(root, 'password');
    writeFileSync(pwfile, DB_PASSWORD, { mode: 0o600 });
    if (user) chownSync(pwfile, user.uid, user.gid);
    await run(join(bin, 'initdb'), ['-D', data, '-U', DB_USER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-instructions'], log, as);
  }
  const child = spawn(
    join(bin, 'postgres'),
    // Four Temporal services with up to 30 connections each: more than the default 100.
    ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'],
    { ...as, stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')] },
  );
  const stop = () => stopProcess(child);
  try {
    await until(() => run(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)], log), child, `PostgreSQL (see ${log})`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}

/** Every step is a no-op on a database that has it already, so a reused folder goes through them too. */
async function setUpSchema(tools: ReturnType<typeof temporalServerPaths>, port: number, dir: string): Promise<void> {
  const log = join(dir, 'temporal-sql-tool.log');
  const sql = (db: string, ...args: string[]) =>
    run(tools.sqlTool, ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(port), '-u', DB_USER, '--pw', DB_PASSWORD, '--db', db, ...args], log);
  for (const [kind, db] of Object.entries(DATABASES)) {
    await sql(db, 'create-database');
    await sql(db, 'setup-schema', '-v', '0.0');
    await sql(db, 'update-schema', '-d', join(tools.postgresSchema, kind, 'versioned'));
  }
}

/** A single-node server (all four services in one process), as Temporal's development-postgres12.yaml. */
function writeServerConfig(
  serverDir: string,
  options: { pgPort: number; ports: { frontendPort: number; httpPort: number; matchingPort: number; historyPort: number; workerPort: number; membership: number[] } },
): void {
  const { pgPort, ports } = options;
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `127.0.0.1:${pgPort}`,
      connectProtocol: 'tcp',
      user: DB_USER,
      password: DB_PASSWORD,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (grpcPort: number, membershipPort: number, extra: object = {}) => ({ rpc: { grpcPort, membershipPort, bindOnIP: '127.0.0.1', ...extra } });
  const [m1, m2, m3, m4] = ports.membership as [number, number, number, number];
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: 4,
      datastores: { default: datastore(DATABASES.temporal, 20), visibility: datastore(DATABASES.visibility, 10) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: rpc(ports.frontendPort, m1, { httpPort: ports.httpPort }),
      matching: rpc(ports.matchingPort, m2),
      history: rpc(ports.historyPort, m3),
      worker: rpc(ports.workerPort, m4),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontendPort}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: 'config/dynamicconfig/development.yaml', pollInterval: '10s' },
  };
  // As the dev server does: new search attributes are usable at once, with persistence limits raised to match.
  const dynamicConfig = {
    'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true }],
    'frontend.persistenceMaxQPS': [{ value: 10000 }],
    'history.persistenceMaxQPS': [{ value: 45000 }],
  };
  mkdirSync(join(serverDir, 'config', 'dynamicconfig'), { recursive: true });
  writeFileSync(join(serverDir, 'config', 'development.yaml'), stringify(config));
  writeFileSync(join(serverDir, 'config', 'dynamicconfig', 'development.yaml'), stringify(dynamicConfig));
}

async function registerNamespace(address: string, namespace: string, server: ChildProcess, log: string): Promise<void> {
  const connection = await until(() => Connection.connect({ address, connectTimeout: 2_000 }), server, `the Temporal server (see ${log})`);
  try {
    await until(
      async () => {
        await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') }).catch((err: { code?: number }) => {
          if (err.code !== 6) throw err; // ALREADY_EXISTS: a reused data folder
        });
        // Fails until the namespace is in the frontend's registry.
        await registerSearchAttributes(connection, namespace);
      },
      server,
      `namespace ${namespace} (see ${log})`,
    );
  } finally {
    await connection.close();
  }
}

/** Retries `attempt` until it succeeds, the process it waits on exits, or a minute passes. */
async function until<T>(attempt: () => Promise<T>, child: ChildProcess, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode})`);
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what} not ready after a minute: ${err instanceof Error ? err.message : String(err)}`);
      await sleep(250);
    }
  }
}

/** Runs a program to completion, its output appended to `log`. */
function run(file: string, args: string[], log: string, options: SpawnOptions = {}): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const out = openSync(log, 'a');
    const child = spawn(file, args, { ...options, stdio: ['ignore', out, out] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`${file} ${args[0] ?? ''} exited with ${code} (see ${log})`))));
  });
}

/** `count` distinct ports in [low, high] that were free a moment ago on 127.0.0.1. */
async function freePorts(count: number, low: number, high: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (!ports.has(port) && (await isFree(port))) ports.add(port);
  }
  return [...ports];
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const probe = createServer();
    probe.once('error', () => resolvePromise(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePromise(true)));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, port: { type: 'string' }, namespace: { type: 'string' } } });
  const dir = values.dir ?? join(tmpdir(), 'flotilla-temporal-postgres');
  const temporal = await startPostgresTemporal({
    dir,
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    progress: (message) => console.log(`[temporal-postgres] ${message}`),
  });
  console.log(`[temporal-postgres] ready: TEMPORAL_ADDRESS=${temporal.address} (data and logs in ${dir}; Ctrl-C stops)`);
  await new Promise<void>((resolvePromise) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolvePromise());
  });
  await temporal.stop();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`[temporal-postgres] ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
