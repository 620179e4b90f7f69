// The watchdog startWatchdog() starts (processes.ts): `watchdog.ts <workdir>`.
// When its stdin, a pipe from the process that started it, reaches end of
// file, that process has ended: it stops the KWOK control planes under the
// work directory and exits.
import { toolPaths } from '../../../toolchain.js';
import { Kwokctl } from './kwokctl.js';

const workdir = process.argv[2]!;
process.stdin.on('data', () => {});
process.stdin.on('error', () => {}); // then 'close'
process.stdin.on('close', () => {
  void new Kwokctl(toolPaths(), workdir).stopAll().finally(() => process.exit(0));
});
