/**
 * Flotilla runs on the Node.js it brings: `npm ci` installs Node 24 from the
 * npm registry (package.json, optionalDependencies `node-linux-*`) and every
 * npm script finds it first on its PATH. Why 24: the workflow thread's cost
 * per await no longer grows with the worker's cache (AsyncLocalStorage on
 * AsyncContextFrame), and current SDKs need it. A process on another major
 * was started some other way: it stops here rather than run untested.
 */
export const NODE_MAJOR = 24;

export function requireNodeMajor(what: string): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major === NODE_MAJOR) return;
  throw new Error(
    `${what} runs on Node.js ${NODE_MAJOR}, installed by npm ci into node_modules/.bin; this process is Node.js ${process.versions.node} (${process.execPath}). ` +
      'Start it through npm (npm start, npm test, npm run …), or put node_modules/.bin first on PATH.',
  );
}
