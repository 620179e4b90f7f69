import { ApplicationFailure, isCancellation, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { Step } from '../domain/operations.js';
import { rootMessage } from '../domain/failures.js';
import { FailureType } from '../domain/problems.js';
import { progressQuery } from './messages.js';

/**
 * Records the steps of a step workflow: answers the progress query, shows the
 * current step in the Web UI, and turns a failed step into a failure that
 * names it.
 */
export class StepTracker {
  readonly steps: Step[] = [];

  constructor(private readonly title: string) {
    setHandler(progressQuery, () => this.steps);
    this.showDetails();
  }

  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const step: Step = { name, state: 'RUNNING', startedAt: new Date().toISOString() };
    this.steps.push(step);
    this.showDetails();
    try {
      const result = await fn();
      step.state = 'DONE';
      return result;
    } catch (err) {
      step.state = 'FAILED';
      step.message = rootMessage(err);
      if (isCancellation(err)) throw err;
      throw ApplicationFailure.create({
        type: FailureType.stepFailed,
        message: `${name} failed: ${step.message}`,
        details: [this.steps],
        nonRetryable: true,
      });
    } finally {
      step.finishedAt = new Date().toISOString();
      this.showDetails();
    }
  }

  private showDetails(): void {
    const lines = this.steps.map((s) => `- ${s.state === 'DONE' ? '✅' : s.state === 'FAILED' ? '❌' : '⏳'} ${s.name}${s.message ? `: ${s.message}` : ''}`);
    setCurrentDetails([`**${this.title}**`, ...lines].join('\n'));
  }
}
