// Preloaded into the Temporal SDK's workflow threads (src/temporal/workflow-threads.ts):
// without createHook the SDK installs no stack-trace promise hook there.
require('node:v8').promiseHooks.createHook = () => {
  throw new Error('promise hooks are off in Flotilla workflow threads');
};
