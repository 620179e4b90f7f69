/** One thing wrong with a request: where (a path into the body) and why. */
export interface Problem {
  path: (string | number)[];
  message: string;
}

/** `nodePools[0].labels["app.kubernetes.io/name"]`: a path as a person reads it. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => {
      if (typeof part === 'number') return `[${part}]`;
      const name = String(part);
      if (i === 0) return name;
      return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
    })
    .join('');
}

/**
 * Failure kinds shared by workflows (as ApplicationFailure types) and the API
 * (as HTTP statuses), so a validator's rejection becomes the right 4xx.
 */
export const FailureType = {
  invalid: 'FlotillaInvalidRequest',
  notFound: 'FlotillaNotFound',
  conflict: 'FlotillaConflict',
  stepFailed: 'FlotillaStepFailed',
  /** A cloud error that retrying will not fix (bad instance type, quota). */
  nonRetryableCloud: 'FlotillaCloudRejected',
  /** A tenant's kubeconfig that would run a program, read a file or use its own proxy (docs: security). */
  kubeconfigRefused: 'FlotillaKubeconfigRefused',
  /** A chart that its repository or registry does not have (or not as its digest says). */
  chartUnavailable: 'FlotillaChartUnavailable',
  /** A cluster whose API server did not answer (helm or the Kubernetes client could not connect). */
  clusterUnreachable: 'FlotillaClusterUnreachable',
  /** A local chart outside the chart roots (docs: security), refused by the helm adapter. */
  chartOutsideRoots: 'FlotillaChartOutsideRoots',
  /** A chart helm cannot render with the values given: the tenant's chart or values, not a retry's to fix. */
  chartNotRendered: 'FlotillaChartNotRendered',
  /** A cloud resource a step needs that is not there (yet): retried, since a cloud's reads lag its writes. */
  cloudResourceMissing: 'NotFound',
  /** A node whose pods did not leave within the drain timeout (their PodDisruptionBudgets kept refusing): an upgrade stops there. */
  drainTimedOut: 'FlotillaDrainTimedOut',
  /** A cloud resource still being deleted, which a create must wait out: retried. */
  beingDeleted: 'ClusterStopping',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
