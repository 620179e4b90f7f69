/**
 * Adds a run's counts to the file FLOTILLA_TEST_TALLY names, so `npm test` can end with the totals
 * of every jest stage (scripts/test.sh): a reader of CI's last lines sees how many tests ran, not
 * only the benchmark smoke that runs last. Without the variable it does nothing.
 */
const { appendFileSync } = require('node:fs');

class TallyReporter {
  onRunComplete(_contexts, results) {
    const file = process.env.FLOTILLA_TEST_TALLY;
    if (!file) return;
    const { numPassedTestSuites, numFailedTestSuites, numTotalTestSuites, numPassedTests, numFailedTests, numPendingTests, numTodoTests, numTotalTests } = results;
    appendFileSync(file, `${JSON.stringify({ stage: process.env.FLOTILLA_TEST_STAGE ?? '', numPassedTestSuites, numFailedTestSuites, numTotalTestSuites, numPassedTests, numFailedTests, numPendingTests, numTodoTests, numTotalTests })}\n`);
  }
}

module.exports = TallyReporter;
