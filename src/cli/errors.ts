/** Exit codes: 0 ok, 2 usage (commander's and ours), 3 the API said no or could not be reached, 4 an operation failed, 5 --timeout passed. */
export const EXIT = { ok: 0, usage: 2, api: 3, failed: 4, timeout: 5 } as const;

/** An error the CLI reports as one line and exits with its code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, message);
export const apiError = (message: string) => new CliError(EXIT.api, message);
export const operationFailed = (message: string) => new CliError(EXIT.failed, message);
export const timedOut = (message: string) => new CliError(EXIT.timeout, message);
