import { eventually, type Stack } from '../helpers/stack.js';

/** The cluster as the API shows it once it is `status` with nothing running or queued. */
export function settled(stack: Stack, name: string, status: string, timeoutMs = 120_000): Promise<any> {
  return eventually(async () => {
    const { body } = await stack.api('GET', `/api/v1/orgs/acme/clusters/${name}`);
    return body.status === status && !body.operation && body.queuedOperations === 0 ? body : undefined;
  }, `${name} ${status}`, timeoutMs);
}

/** The operation once it has succeeded: a pool change may reach its entity after the 202 (handed over by signal), so the cluster alone can look settled before it starts. */
export function succeeded(stack: Stack, operationId: string, timeoutMs = 120_000): Promise<any> {
  return eventually(async () => {
    const { body } = await stack.api('GET', `/api/v1/orgs/acme/operations/${operationId}`);
    return body.state === 'SUCCEEDED' ? body : undefined;
  }, `operation ${operationId}`, timeoutMs);
}
