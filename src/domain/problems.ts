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
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
