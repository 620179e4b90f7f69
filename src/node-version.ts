/**
 * Flotilla runs on the Node.js it brings: `npm ci` installs Node 24 from the
 * npm registry (package.json, optionalDependencies `node-linux-*`) and every
 * npm script finds it first on its PATH. Why 24: the workflow thread's cost
 * per await no longer grows with the worker's cache (AsyncLocalStorage on
 * AsyncContextFrame), and current SDKs need it. A process on another major
 * was started some other way: it stops here rather than run untested.
 */
export const NODE_MAJOR = 24;

/**
 * The one way past the check: `FLOTILLA_ALLOW_NODE_MAJOR=<major>` names the
 * other major a process may run on. `npm run bench:node-compare` sets it for
 * the processes it starts on the older Node, to measure the difference; a
 * process let through says so on stderr.
 */
export const ALLOW_NODE_MAJOR_ENV = 'FLOTILLA_ALLOW_NODE_MAJOR';

export function requireNodeMajor(what: string, version = process.versions.node, env: NodeJS.ProcessEnv = process.env): void {
  const major = Number(version.split('.')[0]);
  if (major === NODE_MAJOR) return;
  if (env[ALLOW_NODE_MAJOR_ENV] !== undefined && Number(env[ALLOW_NODE_MAJOR_ENV]) === major) {
    console.error(`${what} runs on Node.js ${version}, not ${NODE_MAJOR}: allowed by ${ALLOW_NODE_MAJOR_ENV}=${env[ALLOW_NODE_MAJOR_ENV]}.`);
    return;
  }
  throw new Error(
    `${what} runs on Node.js ${NODE_MAJOR}, installed by npm ci into node_modules/.bin; this process is Node.js ${version} (${process.execPath}). ` +
      `Start it through npm (npm start, npm test, npm run …), or put node_modules/.bin first on PATH. (${ALLOW_NODE_MAJOR_ENV}=<major> lets one other major through, for benchmarks that compare them.)`,
  );
}
