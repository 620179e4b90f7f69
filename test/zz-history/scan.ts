import { Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromJsonPayload, type JsonPayload } from '../../src/api/routes/codec.js';
import { AesGcmCodec, codecKeys, ENCRYPTED_ENCODING, parseCodecKeys, type CodecKey } from '../../src/temporal/codec.js';
import { historyJson, jsonDataText, jsonMetadataText, metadataText, payloadsIn } from '../helpers/codec.js';
import { secretsIn } from '../helpers/secret-markers.js';

// The history scan: reads every history and schedule on a Temporal as a
// client without the codec sees it, and decrypted as a client with it does.
// The clear form must hold no payload in clear and no secret; the decrypted
// payloads no secret either (workflows carry a secret's ID, activities
// decrypt the secret where they use it). test/zz-history/history-scan.test.ts
// runs it at the end of each jest stage; the npm start test on its own server.

const { History } = proto.temporal.api.history.v1;
const { DescribeScheduleResponse } = proto.temporal.api.workflowservice.v1;

/**
 * Payloads the SDK does not pass through the codec: checked for secrets, not
 * for encryption. Headers (interceptors' context, e.g. trace IDs), search
 * attributes (the server indexes them), and the markers of `patched()`, which
 * the SDK's core writes with the patch's ID.
 */
const CLEAR_BY_DESIGN = [/\.header\.fields\./, /\.searchAttributes\.indexedFields\./, /\.markerRecordedEventAttributes\.details\.patch-data\./];
/** An activity cancelled before a worker started it: the server writes this text itself (payloads.EncodeString in its history service). */
const SERVER_CANCEL_NOTE = { path: /\.activityTaskCanceledEventAttributes\.details\./, text: '"ACTIVITY_ID_NOT_STARTED"' };
const clearByDesign = (path: string, text: string) =>
  CLEAR_BY_DESIGN.some((pattern) => pattern.test(`.${path}.`)) || (SERVER_CANCEL_NOTE.path.test(`.${path}.`) && text === SERVER_CANCEL_NOTE.text);

export interface Finding {
  where: string;
  problem: string;
}

/** Checks histories and schedules (as protobuf JSON) against one Temporal's codec keys; collects what it finds. */
export class HistoryChecker {
  readonly findings: Finding[] = [];
  payloads = 0;
  decrypted = 0;
  private readonly codec: AesGcmCodec;
  /** What must never show, in clear or decrypted, besides the test markers and tokens (secretsIn): the codec keys, the Web UI codec tokens, `secrets`. */
  private readonly secrets: Record<string, string>;

  constructor(keys: CodecKey[], secrets: Record<string, string> = {}) {
    this.codec = new AesGcmCodec(keys);
    this.secrets = {
      ...Object.fromEntries(keys.map((k) => [`codec key ${k.id}`, k.key.toString('base64')])),
      // The UI token of each key that was the newest at some time.
      ...Object.fromEntries(keys.map((k, i) => [`codec UI token of ${k.id}`, new AesGcmCodec(keys.slice(0, i + 1)).uiToken()])),
      ...secrets,
    };
  }

  async check(where: string, json: Record<string, unknown>): Promise<void> {
    const found = payloadsIn(json);
    this.payloads += found.length;
    const clearTexts: string[] = [];
    for (const { path, payload } of found) {
      const encoding = jsonMetadataText(payload, 'encoding');
      if (encoding === ENCRYPTED_ENCODING) {
        await this.checkDecrypted(`${where} ${path}`, payload);
        continue;
      }
      const text = jsonDataText(payload);
      clearTexts.push(text, ...Object.keys(payload.metadata ?? {}).map((k) => jsonMetadataText(payload, k) ?? ''));
      if (!clearByDesign(path, text)) this.findings.push({ where: `${where} ${path}`, problem: `payload in clear (${encoding})` });
    }
    // Everything else in clear: failure messages and stack traces, identities, task queues, IDs.
    for (const name of secretsIn([...strings(json), ...clearTexts].join('\n'), this.secrets)) this.findings.push({ where, problem: `holds ${name}` });
  }

  /** What a client with the codec reads: workflow inputs and results, activity arguments, memos, update arguments. */
  private async checkDecrypted(where: string, payload: JsonPayload): Promise<void> {
    let plain: Payload;
    try {
      plain = (await this.codec.decode([fromJsonPayload(payload)]))[0]!;
    } catch (err) {
      return void this.findings.push({ where, problem: `does not decrypt: ${(err as Error).message}` });
    }
    this.decrypted++;
    const text = [Buffer.from(plain.data ?? []).toString(), ...Object.keys(plain.metadata ?? {}).map((k) => metadataText(plain, k) ?? '')].join('\n');
    for (const name of secretsIn(text, this.secrets)) this.findings.push({ where, problem: `decrypted, holds ${name}` });
  }
}

/** Every string in a JSON document, keys too. */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (!node || typeof node !== 'object') return [];
  if (Array.isArray(node)) return node.flatMap(strings);
  return Object.entries(node).flatMap(([key, value]) => [key, ...strings(value)]);
}

export interface ScanReport {
  histories: number;
  /** Histories per workflow type. */
  types: Map<string, number>;
  events: number;
  schedules: number;
  payloads: number;
  decrypted: number;
  findings: Finding[];
}

/** Reads every workflow execution's history and every schedule in the namespace; prints what it read. */
export async function scanTemporal(address: string, checker: HistoryChecker, namespace = 'default'): Promise<ScanReport> {
  const connection = await Connection.connect({ address });
  const service = connection.workflowService;
  const report: ScanReport = { histories: 0, types: new Map(), events: 0, schedules: 0, payloads: 0, decrypted: 0, findings: checker.findings };
  try {
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await service.listWorkflowExecutions({ namespace, pageSize: 1000, nextPageToken });
      for (const info of page.executions ?? []) {
        const events: proto.temporal.api.history.v1.IHistoryEvent[] = [];
        let historyPage: Uint8Array | undefined;
        do {
          const got = await service.getWorkflowExecutionHistory({ namespace, execution: info.execution!, nextPageToken: historyPage, maximumPageSize: 1000 });
          events.push(...(got.history?.events ?? []));
          historyPage = got.nextPageToken?.length ? got.nextPageToken : undefined;
        } while (historyPage);
        report.histories++;
        report.events += events.length;
        report.types.set(info.type!.name!, (report.types.get(info.type!.name!) ?? 0) + 1);
        await checker.check(`${info.type?.name} ${info.execution?.workflowId} ${info.execution?.runId}`, historyJson(History.fromObject({ events })));
      }
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);

    for (const entry of (await service.listSchedules({ namespace, maximumPageSize: 1000 })).schedules ?? []) {
      const described = await service.describeSchedule({ namespace, scheduleId: entry.scheduleId });
      report.schedules++;
      await checker.check(`schedule ${entry.scheduleId}`, DescribeScheduleResponse.fromObject(described).toJSON());
    }
  } finally {
    await connection.close();
  }
  report.payloads = checker.payloads;
  report.decrypted = checker.decrypted;
  console.log(
    `history scan of ${address}: ${report.histories} histories (${[...report.types].map(([type, n]) => `${type} ${n}`).join(', ')}), ${report.events} events, ` +
      `${report.schedules} schedules, ${report.payloads} payloads (${report.decrypted} decrypted); ${report.findings.length} findings`,
  );
  return report;
}

/**
 * Scans a Temporal (the shared one, or a test's own before it stops it) with the run's codec keys unless given
 * others: no finding, and every history read had payloads that decrypted.
 */
export async function expectCleanHistories(address: string, keys = parseCodecKeys(process.env.FLOTILLA_CODEC_KEYS!), secrets: Record<string, string> = {}): Promise<ScanReport> {
  const report = await scanTemporal(address, new HistoryChecker(keys, secrets));
  expect(report.findings).toEqual([]);
  expect(report.decrypted).toBeGreaterThan(report.histories);
  return report;
}

/** `npm start`'s dev server at `address`, with the codec keys and API token of its data directory. */
export async function expectCleanNpmStartHistories(address: string, dataDir: string): Promise<void> {
  await expectCleanHistories(address, codecKeys(dataDir), { 'npm start API token': readFileSync(join(dataDir, 'api-token'), 'utf8').trim() });
}
