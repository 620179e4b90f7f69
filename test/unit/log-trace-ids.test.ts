import { trace } from '@opentelemetry/api';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.js';
import { startTracing } from '../../src/observability/tracing.js';

// With tracing on, a line logged inside a span carries its trace and span IDs
// (the way from a log line to its trace); outside a span, and with tracing off, none.
function capture(): { lines: Record<string, unknown>[]; destination: Writable } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, destination };
}

it('logs carry no trace IDs while tracing is off', () => {
  const { lines, destination } = capture();
  const logger = createLogger({ level: 'info', destination });
  trace.getTracer('off').startActiveSpan('not recorded', (span) => {
    logger.info('inside');
    span.end();
  });
  expect(lines[0]).not.toHaveProperty('traceId');
});

it('logs carry the active span’s trace and span IDs when tracing is on', async () => {
  // A collector address on loopback that nothing answers: the spans are never read here.
  const tracing = startTracing('log-test', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })!;
  const { lines, destination } = capture();
  const logger = createLogger({ level: 'info', destination });
  try {
    let ids: { traceId: string; spanId: string } | undefined;
    await tracing.tracer.startActiveSpan('work', async (span) => {
      await new Promise((resolve) => setImmediate(resolve)); // across an await, as activities log
      logger.info('inside');
      ids = { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
      span.end();
    });
    logger.info('outside');
    expect(ids!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[0]).toMatchObject({ msg: 'inside', ...ids });
    expect(lines[1]).toMatchObject({ msg: 'outside' });
    expect(lines[1]).not.toHaveProperty('traceId');
  } finally {
    await tracing.shutdown().catch(() => undefined);
  }
});
