import { setTimeout as sleep } from 'node:timers/promises';
import type { Api } from './api.js';
import { operationFailed, timedOut } from './errors.js';
import { print, type Format } from './output.js';
import type { RolloutProgress } from '../domain/rollout.js';

/** GET /operations/{id}, for a cluster or a deployment operation. */
export interface OperationView {
  id: string;
  type: string;
  state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  error?: string;
  links?: { run?: string };
  // cluster operations
  cluster?: string;
  steps?: { name: string; state: string; message?: string }[];
  totalSteps?: number;
  currentStep?: string;
  leftovers?: string[];
  // deployment operations
  release?: string;
  targets?: string[];
  results?: { clusterName: string; status: string; message?: string }[];
  skipped?: string[];
  rollout?: RolloutProgress;
}

const POLL_MS = 500;
const finished = (op: OperationView) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(op.state);

/** `provision demo: 2/5 steps, create control plane` or `apply web: 1/3 targets`. */
export function progressLine(op: OperationView): string {
  const subject = `${op.type} ${op.cluster ?? op.release ?? op.id}`;
  if (op.state === 'QUEUED') return `${subject}: queued`;
  if (op.steps) {
    const done = op.steps.filter((s) => s.state === 'DONE').length;
    return `${subject}: ${done}/${op.totalSteps ?? op.steps.length} steps${op.currentStep ? `, ${op.currentStep}` : ''}`;
  }
  // A deployment's apply and check record each target as it finishes; its delete records only failures.
  if (op.type === 'delete') return `${subject}: ${op.state.toLowerCase()}`;
  if (op.rollout) return `${subject}: ${rolloutLine(op.rollout)}`;
  return `${subject}: ${op.results?.length ?? 0}/${op.targets?.length ?? 0} targets`;
}

/**
 * Follows an operation to its end on stderr: on a terminal one line redrawn in
 * place, otherwise a line per change. On success `onSuccess` prints the result;
 * then the outcome and the Web UI link. A failed or cancelled operation is an
 * error (exit 4).
 */
export async function follow(api: Api, operationId: string, onSuccess?: () => Promise<void>, stream: NodeJS.WriteStream = process.stderr): Promise<OperationView> {
  const redraw = stream.isTTY === true;
  const deadline = api.timeoutMs !== undefined ? Date.now() + api.timeoutMs : Infinity;
  let last = '';
  let op: OperationView;
  for (;;) {
    op = await api.inOrg<OperationView>('GET', `/operations/${encodeURIComponent(operationId)}`);
    const line = progressLine(op);
    if (line !== last) stream.write(redraw ? `\r\x1b[2K${line}` : `${line}\n`);
    last = line;
    if (finished(op)) break;
    if (Date.now() + POLL_MS > deadline) {
      if (redraw) stream.write('\n');
      // The operation goes on in Temporal: only the waiting ends.
      throw timedOut(`operation ${operationId} still ${op.state} after --timeout; follow it with flotilla operation get ${operationId} --wait`);
    }
    await sleep(POLL_MS);
  }
  if (redraw) stream.write('\n');
  if (op.state === 'SUCCEEDED') await onSuccess?.();
  stream.write(`${outcome(op)}\n`);
  if (op.links?.run) stream.write(`Temporal Web UI: ${op.links.run}\n`);
  // Reported above, outcome and link last: the error adds only the exit code.
  if (op.state !== 'SUCCEEDED') throw operationFailed('');
  return op;
}

/** `wave 2/3: east HEALTHY, west PROGRESSING` and what the rollout waits for: a line per wave and per change as it goes. */
function rolloutLine(progress: RolloutProgress): string {
  const wave = progress.waves[progress.current]!;
  const waiting = progress.aborted ? ', aborting' : progress.awaitingApproval ? ', waiting for approval (deploy rollout approve)' : progress.paused ? ', paused (deploy rollout resume)' : '';
  return `wave ${progress.current + 1}/${progress.waves.length} ${wave.state}: ${wave.targets.map((t) => `${t.clusterName} ${t.health}`).join(', ')}${waiting}`;
}

function outcome(op: OperationView): string {
  const subject = `${op.type} ${op.cluster ?? op.release ?? op.id}`;
  if (op.state !== 'SUCCEEDED') {
    const failedTargets = op.results?.filter((r) => r.status !== 'DEPLOYED' && r.status !== 'NOT_INSTALLED').map((r) => `${r.clusterName}: ${r.status}${r.message ? ` (${r.message})` : ''}`);
    return [`${op.state}: ${subject}${op.error ? `: ${op.error}` : ''}`, ...(failedTargets ?? []).map((t) => `  ${t}`)].join('\n');
  }
  const extra = [
    ...(op.leftovers?.length ? [`left behind: ${op.leftovers.join('; ')}`] : []),
    ...(op.skipped?.length ? [`skipped: ${op.skipped.join(', ')}`] : []),
  ];
  const size = op.steps ? `${op.steps.length} steps` : `${op.targets?.length ?? 0} targets`;
  return `SUCCEEDED: ${subject} (${size})${extra.length ? `; ${extra.join('; ')}` : ''}`;
}

/** Help of `--wait` (the default) and `--no-wait`, the options of every command that starts a long operation. */
export const WAIT_HELP = 'follow the operation to its end';
export const NO_WAIT_HELP = 'return once the request is accepted';

/** An accepted operation: followed to its end, or printed as accepted with --no-wait. */
export async function acceptedOperation(
  format: Format,
  api: Api,
  accepted: { operationId?: string; id?: string },
  wait: boolean,
  onSuccess?: () => Promise<void>,
): Promise<void> {
  const id = (accepted.operationId ?? accepted.id)!;
  if (!wait) return print(format, accepted, () => `accepted: operation ${id}\n`);
  await follow(api, id, onSuccess);
}
