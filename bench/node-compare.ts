// `npm run bench:node-compare [-- --node 20,24] [--rounds 2] [--smoke]`: the
// same figures with the API and the worker on each Node.js, in one run,
// interleaved (A B, then B A, ...) so that drift in the machine's load falls
// on both. Each (round, Node) gets a stack of its own (dev server, API,
// worker), so neither inherits the other's database or cache.
//   micro: the cost of an await and of a pending promise against the number
//          of enabled AsyncLocalStorage instances (bench/als-await.ts), on each
//          Node and on this Node with --no-async-context-frame;
//   fleet: 500 sim clusters provisioned at once (clusters per minute, worker
//          RSS per cached workflow), then node pool scales at a steady rate on
//          the fresh fleet and again after every cluster has had more operations.
import { Command } from 'commander';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ALS_COUNTS, type AlsAwaitResult } from './als-await.js';
import { measureLoad, scaleRequests, type Load } from './api.js';
import { pool } from './lib/context.js';
import { findNode, nodeEnv, type NodeBinary } from './lib/node-binary.js';
import { phase, type PhaseRun } from './orchestration.js';
import { CpuMeter, machine, rss } from './lib/proc.js';
import { notes, Section, writeReport, type Report } from './lib/report.js';
import { statusClause, waitForClusters } from './lib/sim-fleet.js';
import { BenchStack, tokenOf } from './lib/stack.js';
import { formatSummary, median, round } from './lib/stats.js';
import { requireNodeMajor } from '../src/node-version.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const MiB = 2 ** 20;

const program = new Command()
  .name('npm run bench:node-compare --')
  .description('The API and worker on two Node.js majors, side by side in one run, interleaved')
  .argument('[parts...]', 'micro, fleet (default: both)')
  .option('--node <majors>', 'Node.js majors to compare: this process’s, FLOTILLA_BENCH_NODE_<major>, or the first node of that major on PATH', '20,24')
  .option('--rounds <n>', 'rounds; each runs every Node once, the order alternating (default 2, smoke 1)')
  .option('--clusters <n>', 'fleet size (default 500, smoke 10)')
  .option('--small-fleet <n>', 'a smaller fleet provisioned first, for throughput before the knee (default 125; 0: none)', '125')
  .option('--accept-rate <n>', 'node pool scales per second on the fresh and the aged fleet (default 5)', '5')
  .option('--aging <n>', 'operations per cluster between the fresh and the aged measurement (default 2)', '2')
  .option('--smoke', 'tiny sizes: checks that the code runs')
  .option('--out <file>', 'where to write the JSON (default bench/results/<date>-node-compare.json)')
  .option('--report <file>', 'measure nothing: compute the figures and tables again from the raw runs in this JSON (e.g. of a run stopped early)')
  .parse();

interface Variant {
  label: string;
  node: NodeBinary;
  flags: string[];
}

interface FleetRun {
  /** The smaller fleet, provisioned and deleted first, where throughput had not yet fallen. */
  small?: PhaseRun;
  provision: PhaseRun;
  /** Worker RSS (MiB) when it has started (empty cache), after the small fleet came and went, after provisioning, after aging; and the workflows cached then. */
  rssEmptyMiB: number;
  rssAfterSmallMiB: number;
  rssFreshMiB: number;
  rssAgedMiB: number;
  cachedFresh: number;
  cachedAged: number;
  accept: { fresh: Load; aged: Load };
  aging: { operations: number; seconds: number };
  machine: { minutes: number; busy: number; load1mAtStart: number; load1mAtEnd: number };
}

const run = promisify(execFile);

/** The stack of the run in progress, for Ctrl-C to stop (its dev server, API and worker). */
const live = new Set<BenchStack>();

/**
 * Why the API or the worker cannot load on this Node, if they cannot: a dependency may need a newer
 * one (undici 8, under @kubernetes/client-node 2, calls zlib.createZstdDecompress: Node >= 22.15).
 */
async function loadFailure(node: NodeBinary): Promise<string | undefined> {
  try {
    await run(node.path, ['--import', 'tsx', '-e', "await import('./src/worker.ts'); await import('./src/api/app.ts');"], { cwd: repoRoot, env: { ...process.env, ...nodeEnv(node) }, timeout: 120_000 });
    return undefined;
  } catch (err) {
    const lines = String((err as { stderr?: string }).stderr ?? err).split('\n');
    const where = /node_modules\/[^:)]+:\d+/.exec(lines.find((l) => l.includes('node_modules/') && !l.includes('/tsx/')) ?? '')?.[0];
    return `${lines.find((l) => /^\w*Error/.test(l)) ?? lines[0]}${where ? ` (${where})` : ''}`;
  }
}

async function micro(variant: Variant, counts: readonly number[]): Promise<AlsAwaitResult> {
  const { stdout } = await run(variant.node.path, ['--expose-gc', ...variant.flags, '--import', 'tsx', join(repoRoot, 'bench/als-await.ts'), counts.join(',')], {
    cwd: repoRoot,
    env: { ...process.env, ...nodeEnv(variant.node) },
    timeout: 10 * 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as AlsAwaitResult;
}

async function fleet(node: NodeBinary, opts: { clusters: number; smallFleet: number; latencyMs: number; acceptRate: number; acceptSeconds: number; warmupSeconds: number; aging: number }, log: (m: string) => void): Promise<FleetRun> {
  const load1mAtStart = loadavg()[0]!;
  const machineCpu = new CpuMeter({});
  const stack = await BenchStack.start(log, node);
  live.add(stack);
  const ctx = { stack, smoke: false, repeats: 1, log };
  const worker = await stack.startWorker({ providers: ['sim'], simLatencyMs: opts.latencyMs });
  try {
    const names = Array.from({ length: opts.clusters }, (_, i) => `c${String(i).padStart(3, '0')}`);
    const settledRss = async () => {
      await sleep(5000);
      return rss(worker.pid) / MiB;
    };
    const rssEmptyMiB = await settledRss();
    let small: PhaseRun | undefined;
    if (opts.smallFleet) {
      const smallNames = Array.from({ length: opts.smallFleet }, (_, i) => `s${String(i).padStart(3, '0')}`);
      log(`Node ${node.version}: provisioning ${opts.smallFleet} sim clusters at once, then deleting them`);
      const sizes = new Map();
      small = await phase(ctx, worker, 'provision', smallNames, opts.latencyMs, sizes);
      await phase(ctx, worker, 'delete', smallNames, opts.latencyMs, sizes);
    }
    // Deleted entities have left the cache; the heap they grew stays, in part.
    const rssAfterSmallMiB = await settledRss();
    log(`Node ${node.version}: provisioning ${opts.clusters} sim clusters at once`);
    const provision = await phase(ctx, worker, 'provision', names, opts.latencyMs, new Map());
    const rssFreshMiB = await settledRss();
    const cachedFresh = (await worker.stats(false)).cachedWorkflows;

    const scale = scaleRequests('orch', names);
    const accepts = async (): Promise<Load> => {
      log(`Node ${node.version}: node pool scales at ${opts.acceptRate}/s for ${opts.acceptSeconds} s`);
      const load = await measureLoad(ctx, 'orch', opts.acceptRate, opts.acceptSeconds, opts.warmupSeconds, scale);
      await waitForClusters(stack, 'orch', statusClause('RUNNING'), opts.clusters, 30 * 60_000);
      return load;
    };
    const fresh = await accepts();

    // Aging: every cluster takes more operations, as in the API benchmark's second run.
    const operations = opts.aging * opts.clusters;
    log(`Node ${node.version}: aging the fleet, ${operations} node pool scales`);
    const agingStarted = Date.now();
    await pool(
      Array.from({ length: operations }, (_, i) => opts.clusters + i),
      25,
      async (i) => {
        const { method, path, body } = scale(i);
        const res = await fetch(`${stack.apiUrl}${path}`, { method, body, headers: { authorization: `Bearer ${tokenOf('orch')}`, 'content-type': 'application/json' } });
        if (res.status !== 202) throw new Error(`${method} ${path}: ${res.status} ${(await res.text()).slice(0, 300)}`);
      },
    );
    await waitForClusters(stack, 'orch', statusClause('RUNNING'), opts.clusters, 30 * 60_000);
    const aging = { operations, seconds: (Date.now() - agingStarted) / 1000 };
    const rssAgedMiB = await settledRss();
    const cachedAged = (await worker.stats(false)).cachedWorkflows;
    const aged = await accepts();
    const busy = machineCpu.read();
    return {
      ...(small ? { small } : {}),
      provision,
      rssEmptyMiB,
      rssAfterSmallMiB,
      rssFreshMiB,
      rssAgedMiB,
      cachedFresh,
      cachedAged,
      accept: { fresh, aged },
      aging,
      machine: { minutes: Number((busy.wallSeconds / 60).toFixed(1)), busy: Number(busy.machineBusy.toFixed(2)), load1mAtStart, load1mAtEnd: loadavg()[0]! },
    };
  } finally {
    await worker.stop();
    await stack.stop();
    live.delete(stack);
  }
}

/** Rows of figure × variant: a column per variant, and the ratio of the second to the first. */
function sideBySide(section: Section, labels: readonly string[]): string {
  const names = [...new Set(section.figures.map((f) => f.name.slice(f.name.indexOf(': ') + 2)))];
  const rows = [['Figure', ...labels, `${labels[1]} / ${labels[0]}`]];
  for (const name of names) {
    const of = (label: string) => section.figures.find((f) => f.name === `${label}: ${name}`);
    const cells = labels.map((l) => of(l));
    const first = cells[0]?.summary.median;
    const last = cells[1]?.summary.median;
    rows.push([`${name} (${cells.find(Boolean)!.unit})`, ...cells.map((c) => (c ? formatSummary(c.summary) : '')), first && last !== undefined ? String(round(last / first)) : '']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w, i) => (i ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** The micro-benchmark's figures from its raw results (section.raw.results: per variant, one result per round). */
function microFigures(section: Section): string[] {
  const results = section.raw.results as Record<string, AlsAwaitResult[]>;
  const counts = section.params.counts as number[];
  for (const [label, rows] of Object.entries(results)) {
    for (const n of counts) section.figure(`${label}: await, ${n} instances`, 'µs', rows.map((x) => x.rows.find((row) => row.instances === n)!.usPerAwait));
    for (const n of counts) section.figure(`${label}: pending promise, ${n} instances`, 'bytes', rows.map((x) => x.rows.find((row) => row.instances === n)!.bytesPerPendingPromise));
  }
  return Object.keys(results);
}

type FleetSettings = Parameters<typeof fleet>[1];

/** The fleet's figures and notes from its raw runs (section.raw.runs: per Node, one run per round). */
function fleetFigures(section: Section): string[] {
  const runs = section.raw.runs as Record<string, FleetRun[]>;
  const settings = section.params as unknown as FleetSettings;
  for (const [label, rs] of Object.entries(runs)) {
    section.figure(`${label}: provision ${settings.clusters} at once: clusters per minute`, '/min', rs.map((x) => (60 * x.provision.clusters) / x.provision.wallSeconds));
    if (settings.smallFleet) {
      section.figure(`${label}: provision ${settings.smallFleet} at once: clusters per minute`, '/min', rs.map((x) => (60 * x.small!.clusters) / x.small!.wallSeconds));
      section.figure(`${label}: clusters per minute, ${settings.clusters} over ${settings.smallFleet}`, 'ratio', rs.map((x) => x.small!.wallSeconds / x.small!.clusters / (x.provision.wallSeconds / x.provision.clusters)));
      section.figure(`${label}: provision ${settings.smallFleet}: worker CPU per cluster`, 'CPU-s', rs.map((x) => x.small!.cpu.cpuSeconds.worker! / x.small!.clusters));
    }
    section.figure(`${label}: provision: wall / bound`, 'ratio', rs.map((x) => x.provision.wallSeconds / x.provision.boundSeconds));
    section.figure(`${label}: provision: workflow task run (median)`, 'ms', rs.map((x) => x.provision.latency.workflowTaskRun));
    section.figure(`${label}: provision: workflow task queue (median)`, 'ms', rs.map((x) => x.provision.latency.workflowTaskQueue));
    section.figure(`${label}: provision: worker CPU`, '% of a core', rs.map((x) => 100 * x.provision.cpu.coreShare.worker!));
    // CPU time, unlike wall time, hardly depends on what else the machine runs.
    section.figure(`${label}: provision: worker CPU per cluster`, 'CPU-s', rs.map((x) => x.provision.cpu.cpuSeconds.worker! / x.provision.clusters));
    section.figure(`${label}: provision: dev server CPU per cluster`, 'CPU-s', rs.map((x) => x.provision.cpu.cpuSeconds.temporal! / x.provision.clusters));
    section.figure(`${label}: provision: dev server CPU`, '% of a core', rs.map((x) => 100 * x.provision.cpu.coreShare.temporal!));
    section.figure(`${label}: worker peak RSS while provisioning`, 'MiB', rs.map((x) => x.provision.workerPeakRssMiB));
    section.figure(`${label}: worker RSS, started (empty cache)`, 'MiB', rs.map((x) => x.rssEmptyMiB));
    if (settings.smallFleet) section.figure(`${label}: worker RSS, ${settings.smallFleet} provisioned and deleted`, 'MiB', rs.map((x) => x.rssAfterSmallMiB));
    section.figure(`${label}: worker RSS, fleet provisioned`, 'MiB', rs.map((x) => x.rssFreshMiB));
    section.figure(`${label}: workflows cached, fleet provisioned`, 'workflows', rs.map((x) => x.cachedFresh));
    section.figure(`${label}: worker RSS per cached workflow`, 'KiB', rs.map((x) => (1024 * (x.rssFreshMiB - x.rssEmptyMiB)) / x.cachedFresh));
    section.figure(`${label}: worker RSS, fleet aged`, 'MiB', rs.map((x) => x.rssAgedMiB));
    section.figure(`${label}: workflows cached, fleet aged`, 'workflows', rs.map((x) => x.cachedAged));
    for (const age of ['fresh', 'aged'] as const) {
      section.figure(`${label}: accept @ ${settings.acceptRate}/s, ${age} fleet: p50`, 'ms', rs.map((x) => x.accept[age].p50));
      section.figure(`${label}: accept @ ${settings.acceptRate}/s, ${age} fleet: p99`, 'ms', rs.map((x) => x.accept[age].p99));
      section.figure(`${label}: accept @ ${settings.acceptRate}/s, ${age} fleet: errors`, 'requests', rs.map((x) => x.accept[age].errors));
    }
    section.figure(`${label}: aging, ${settings.aging * settings.clusters} scales: operations per minute`, '/min', rs.map((x) => (60 * x.aging.operations) / x.aging.seconds));
    section.note(
      `${label}, machine per run (the block of one stack, in run order): ` +
        rs.map((x) => `${x.machine.minutes} min, ${Math.round(100 * x.machine.busy)} % of all cores busy, load average ${round(x.machine.load1mAtStart)} → ${round(x.machine.load1mAtEnd)}`).join('; ') +
        `. Machine busy while provisioning ${settings.clusters}: ${rs.map((x) => `${Math.round(100 * x.provision.cpu.machineBusy)} %`).join(', ')}.`,
    );
  }
  section.note(`Median per-run machine busy share: ${Object.entries(runs).map(([label, rs]) => `${label} ${Math.round(100 * median(rs.map((x) => x.machine.busy)))} %`).join(', ')}.`);
  return Object.keys(runs);
}

/** `--report <file>`: the figures, notes and tables again from a JSON's raw data (a run stopped early keeps its raw runs). */
function reReport(file: string): void {
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  const tables: string[] = [];
  report.sections = report.sections.map((saved) => {
    const section = new Section(saved.name, saved.title, saved.params);
    Object.assign(section.raw, saved.raw);
    const labels = saved.name === 'als-await' ? microFigures(section) : fleetFigures(section);
    tables.push(`${section.title}:\n${sideBySide(section, labels)}`);
    return section;
  });
  writeReport(file, report);
  console.log(`\n${tables.join('\n\n')}\n\n${notes(report.sections)}\n\nFigures written to ${file}`);
}

async function main(): Promise<void> {
  requireNodeMajor('The benchmark');
  const opts = program.opts<{ report?: string; node: string; rounds?: string; clusters?: string; smallFleet: string; acceptRate: string; aging: string; smoke?: boolean; out?: string }>();
  if (opts.report) return reReport(opts.report);
  const parts = program.args.length ? program.args : ['micro', 'fleet'];
  const unknown = parts.filter((p) => p !== 'micro' && p !== 'fleet');
  if (unknown.length) program.error(`unknown part ${unknown.join(', ')}; there are micro, fleet`);
  const smoke = opts.smoke ?? false;
  const rounds = Number(opts.rounds ?? (smoke ? 1 : 2));
  const nodes = opts.node.split(',').map((m) => findNode(Number(m)));
  const started = Date.now();
  const log = (message: string) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`stopped by ${signal}; the runs done so far are in the JSON`);
      void Promise.all([...live].map((stack) => stack.stop())).finally(() => process.exit(1));
    });
  }
  const report: Report = { date: new Date().toISOString(), smoke, machine: { ...machine(), nodes: nodes.map((n) => `${n.version} (${n.path})`) }, sections: [] };
  const out = opts.out ?? fileURLToPath(new URL(`./results/${report.date.slice(0, 10)}-node-compare${smoke ? '-smoke' : ''}.json`, import.meta.url));
  const save = () => writeReport(out, { ...report, machine: { ...report.machine, loadAverageAtEnd: loadavg().map((l) => Number(l.toFixed(2))), minutes: Number(((Date.now() - started) / 60_000).toFixed(1)) } });
  // A, B, then B, A: a drift over the run weighs on both alike.
  const order = <T>(items: readonly T[], r: number) => (r % 2 ? [...items].reverse() : [...items]);
  const tables: string[] = [];

  if (parts.includes('micro')) {
    const variants: Variant[] = nodes.map((node) => ({ label: `Node ${node.major}`, node, flags: [] }));
    const own = nodes.find((n) => n.path === process.execPath);
    // The same Node with AsyncLocalStorage on async hooks again: whether AsyncContextFrame is what makes the difference.
    if (own && own.major >= 24) variants.push({ label: `Node ${own.major} --no-async-context-frame`, node: own, flags: ['--no-async-context-frame'] });
    const counts = smoke ? [0, 100] : ALS_COUNTS;
    const section = new Section('als-await', 'AsyncLocalStorage and the cost of an await', { counts, rounds, variants: variants.map((v) => `${v.label}: ${v.node.version} ${v.flags.join(' ')}`.trim()) });
    const results: Record<string, AlsAwaitResult[]> = {};
    for (let r = 0; r < rounds; r++) {
      for (const v of order(variants, r)) {
        log(`micro, round ${r + 1}/${rounds}: ${v.label}`);
        (results[v.label] ??= []).push(await micro(v, counts));
      }
    }
    section.raw.results = results;
    const labels = microFigures(section);
    report.sections.push(section);
    save();
    tables.push(`${section.title}:\n${sideBySide(section, labels)}`);
  }

  if (parts.includes('fleet')) {
    const settings = {
      clusters: Number(opts.clusters ?? (smoke ? 10 : 500)),
      smallFleet: smoke ? 0 : Number(opts.smallFleet),
      latencyMs: smoke ? 200 : 1000,
      acceptRate: Number(opts.acceptRate),
      acceptSeconds: smoke ? 2 : 30,
      warmupSeconds: smoke ? 1 : 5,
      aging: smoke ? 1 : Number(opts.aging),
    };
    const failures = (await Promise.all(nodes.map(async (n) => [n, await loadFailure(n)] as const))).filter(([, f]) => f);
    if (failures.length) {
      const why = failures.map(([n, f]) => `the API and worker do not load on Node ${n.version}: ${f}`).join('; ');
      log(`fleet skipped: ${why}`);
      report.machine.fleetSkipped = why;
      save();
      console.log(`\n${tables.join('\n\n')}\n\nFleet not measured: ${why}.\n\nFigures written to ${out}`);
      return;
    }
    const section = new Section('node-fleet', 'Sim fleet: provisioning, worker memory, accepts on a fresh and an aged fleet', { ...settings, rounds, nodes: nodes.map((n) => n.version) });
    const runs: Record<string, FleetRun[]> = {};
    // In the report from the start, so that each run's raw data is saved as soon as it is done.
    report.sections.push(section);
    section.raw.runs = runs;
    for (let r = 0; r < rounds; r++) {
      for (const node of order(nodes, r)) {
        log(`fleet, round ${r + 1}/${rounds}: Node ${node.version}`);
        (runs[`Node ${node.major}`] ??= []).push(await fleet(node, settings, log));
        save();
      }
    }
    const labels = fleetFigures(section);
    save();
    tables.push(`${section.title}:\n${sideBySide(section, labels)}`);
  }
  console.log(`\n${tables.join('\n\n')}\n\n${notes(report.sections)}\n\nFigures written to ${out}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
