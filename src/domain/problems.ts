/** One thing wrong with a request: where (a dotted path into the body) and why. */
export interface Problem {
  path: string;
  message: string;
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
