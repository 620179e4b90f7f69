// `npm run bench [-- <name>...] [--smoke]`: the benchmarks of issue 7 against the
// embedded stack, a table on stdout, the figures in bench/results/<date>.json.
import { Command } from 'commander';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { accepts, api } from './api.js';
import { fanout } from './fanout.js';
import type { BenchContext } from './lib/context.js';
import { CpuMeter, machine } from './lib/proc.js';
import { notes, table, writeReport, type Report, type SectionResult } from './lib/report.js';
import { BenchStack } from './lib/stack.js';
import { orchestration } from './orchestration.js';
import { reconcile } from './reconcile.js';
import { rollout } from './rollout.js';
import { requireNodeMajor } from '../src/node-version.js';

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<SectionResult>> = { fanout, reconcile, orchestration, api, accepts, rollout };
/** The benchmarks that share the KWOK clusters; after the last of them the clusters go, leaving the CPU to the rest. */
const ON_KWOK = ['fanout', 'reconcile'];

const program = new Command()
  .name('npm run bench --')
  .description('Flotilla benchmarks: figures as median [p25–p75] over repeated runs, headline figures as ratios of the same run')
  .argument('[names...]', `benchmarks to run: ${Object.keys(BENCHMARKS).join(', ')} (default: all)`)
  .option('--smoke', 'tiny sizes, seconds per benchmark: checks that the bench code still runs')
  .option('--repeats <n>', 'repeats of each measurement (default 3, smoke 1)')
  .option('--out <file>', 'where to write the JSON (default bench/results/<date>.json; smoke: the work folder)')
  .option('--keep', 'keep the work folder (dev server database, logs)')
  .option('--profile', 'run the workers with --cpu-prof; the profiles stay in the work folder (implies --keep)')
  .parse();

async function main(): Promise<void> {
  requireNodeMajor('The benchmark');
  const opts = program.opts<{ smoke?: boolean; repeats?: string; out?: string; keep?: boolean; profile?: boolean }>();
  // In the order of BENCHMARKS whatever the order asked: the KWOK ones first, sharing their clusters.
  const names = Object.keys(BENCHMARKS).filter((n) => !program.args.length || program.args.includes(n));
  const unknown = program.args.filter((n) => !BENCHMARKS[n]);
  if (unknown.length) program.error(`unknown benchmark ${unknown.join(', ')}; there are ${Object.keys(BENCHMARKS).join(', ')}`);
  const smoke = opts.smoke ?? false;
  const repeats = Number(opts.repeats ?? (smoke ? 1 : 3));
  const started = Date.now();
  const log = (message: string) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);

  const report: Report = { date: new Date().toISOString(), smoke, machine: machine(), sections: [] };
  const day = report.date.slice(0, 10);
  const all = names.length === Object.keys(BENCHMARKS).length;
  const out = opts.out ?? (smoke ? join(tmpdir(), `flotilla-bench-smoke-${day}.json`) : fileURLToPath(new URL(`./results/${day}${all ? '' : `-${names.join('-')}`}.json`, import.meta.url)));
  const stack = await BenchStack.start(log);
  stack.profile = opts.profile ?? false;
  let failed = false;
  // Ctrl-C: stop what the bench started and keep the sections done so far.
  const interrupted = new Promise<never>((_, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => reject(new Error(`stopped by ${signal}`)));
  });
  try {
    for (const name of names) {
      log(`— ${name}${smoke ? ' (smoke)' : ''}`);
      const load = loadavg()[0]!;
      const cpu = new CpuMeter({});
      const section = await Promise.race([BENCHMARKS[name]!({ stack, smoke, repeats, log }), interrupted]);
      // Others share this machine: how busy it was while this section ran, for reading its figures.
      const busy = cpu.read();
      section.params.machine = { minutes: Number((busy.wallSeconds / 60).toFixed(1)), busy: Number(busy.machineBusy.toFixed(2)), load1mAtStart: load, load1mAtEnd: loadavg()[0] };
      section.notes.push(`Machine while this ran: ${Math.round(100 * busy.machineBusy)} % of all cores busy, load average ${load.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}, ${(busy.wallSeconds / 60).toFixed(1)} min.`);
      report.sections.push(section);
      // Written after every section, so a later failure keeps what was measured.
      writeReport(out, { ...report, machine: { ...report.machine, minutes: Number(((Date.now() - started) / 60_000).toFixed(1)) } });
      log(`${name} done:\n${table([section])}`);
      if (ON_KWOK.includes(name) && !names.slice(names.indexOf(name) + 1).some((n) => ON_KWOK.includes(n))) await stack.removeKwokClusters();
    }
  } catch (err) {
    failed = true;
    console.error(err);
  } finally {
    await stack.stop(opts.keep || opts.profile || failed);
    if (failed) log(`kept the work folder for a look: ${stack.dir}`);
  }
  report.machine.loadAverageAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
  report.machine.minutes = Number(((Date.now() - started) / 60_000).toFixed(1));
  if (report.sections.length) writeReport(out, report);
  console.log(`\n${table(report.sections)}\n\n${notes(report.sections)}\n\n${report.sections.length ? `Figures written to ${out}` : 'No figures.'}`);
  // A benchmark that failed may leave timers and connections behind.
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
