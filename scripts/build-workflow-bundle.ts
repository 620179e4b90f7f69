// Writes the workflow bundle a worker loads through FLOTILLA_WORKFLOW_BUNDLE
// (the Dockerfile runs it, so a worker in the image never bundles at start):
//   npx tsx scripts/build-workflow-bundle.ts workflow-bundle.js
import { writeWorkflowBundle } from '../src/temporal/workflow-bundle.js';

const path = process.argv[2];
if (!path) {
  console.error('usage: build-workflow-bundle.ts OUTPUT.js');
  process.exit(2);
}
await writeWorkflowBundle(path);
