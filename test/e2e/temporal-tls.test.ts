import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { connect as h2connect, constants, createSecureServer, type Http2SecureServer, type IncomingHttpHeaders } from 'node:http2';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { temporalTarget } from '../../src/temporal/target.js';
import { testAuthority } from '../providers/aks-tls.js';

// Temporal as Temporal Cloud or a secured cluster serves it: TLS with a client
// certificate (mTLS) and an API key. The dev server speaks neither, so a gRPC
// proxy here terminates TLS, demands the client certificate and the API key,
// and forwards each call to the run's dev server. Flotilla's connections are
// configured only through Temporal's own variables (TEMPORAL_TLS_*, TEMPORAL_API_KEY).

const authority = testAuthority();
const serverCert = authority.issue();
const clientCert = authority.issue('flotilla-client');
const API_KEY = 'test-api-key';
const seen: { authorization?: string; path: string }[] = [];
let proxy: Http2SecureServer;
let address: string;
let stopUpstream: (() => void) | undefined;

beforeAll(async () => {
  const upstream = h2connect(`http://${process.env.TEMPORAL_ADDRESS}`);
  proxy = createSecureServer({ ...serverCert, ca: [authority.cert], requestCert: true, rejectUnauthorized: true, allowHTTP1: false });
  proxy.on('stream', (stream, headers: IncomingHttpHeaders) => {
    seen.push({ path: String(headers[':path']), ...(headers.authorization ? { authorization: String(headers.authorization) } : {}) });
    if (headers.authorization !== `Bearer ${API_KEY}`) {
      // gRPC's UNAUTHENTICATED, as Temporal Cloud answers a missing or wrong key.
      return stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'no valid API key' }, { endStream: true });
    }
    const forwarded = Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(':') || [':method', ':path'].includes(k)));
    const call = upstream.request(forwarded);
    call.on('response', (response) => stream.respond(response, { waitForTrailers: true }));
    let trailers: IncomingHttpHeaders = {};
    call.on('trailers', (t) => (trailers = t));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers as never));
    stream.pipe(call);
    call.pipe(stream);
    call.on('error', () => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  stopUpstream = () => upstream.close();
});
afterAll(() => {
  stopUpstream?.();
  proxy?.close();
});

const env = (more: Record<string, string> = {}) => ({
  TEMPORAL_ADDRESS: address,
  TEMPORAL_NAMESPACE: 'default',
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: authority.cert,
  TEMPORAL_TLS_CLIENT_CERT_DATA: clientCert.cert,
  TEMPORAL_TLS_CLIENT_KEY_DATA: clientCert.key,
  TEMPORAL_API_KEY: API_KEY,
  ...more,
});

describe('Temporal over TLS, with a client certificate and an API key, configured as Temporal’s tools are', () => {
  it('connects the client and the worker connection', async () => {
    const target = temporalTarget(env())!;
    expect(target.connection.tls).toMatchObject({ clientCertPair: expect.anything() });
    const connection = await Connection.connect(target.connection);
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.capabilities).toBeTruthy();
    await connection.close();
    const native = await NativeConnection.connect(target.connection);
    await native.close();
    expect(seen.some((s) => s.path.endsWith('/GetSystemInfo') && s.authorization === `Bearer ${API_KEY}`)).toBe(true);
  });

  it('reads a named profile from a TOML file, the environment over it', async () => {
    const file = join(mkdtempSync(join(process.env.FLOTILLA_TEST_DIR!, 'envconfig-')), 'temporal.toml');
    writeFileSync(file, '[profile.prod]\naddress = "prod.tmprl.example.com:7233"\nnamespace = "fleet.abc12"\napi_key = "from-file"\n');
    expect(temporalTarget({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' })).toEqual({
      connection: { address: 'prod.tmprl.example.com:7233', apiKey: 'from-file', tls: true },
      namespace: 'fleet.abc12',
    });
    expect(temporalTarget({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_API_KEY: 'from-env' })!.connection.apiKey).toBe('from-env');
    // Nothing named: no Temporal (npm start runs its dev server).
    expect(temporalTarget({})).toBeUndefined();
  });

  it('is refused without the API key, and without the client certificate', async () => {
    const noKey = temporalTarget(env({ TEMPORAL_API_KEY: '' }))!;
    delete noKey.connection.apiKey;
    const connection = await Connection.connect({ ...noKey.connection, connectTimeout: 5_000 }).catch((err: Error) => err);
    const failure = connection instanceof Error ? connection : await connection.workflowService.getSystemInfo({}).then(() => undefined, (err: Error) => err);
    expect(`${failure} ${(failure as { cause?: unknown })?.cause}`).toMatch(/API key|UNAUTHENTICATED/);
    const noCert = temporalTarget(env({ TEMPORAL_TLS_CLIENT_CERT_DATA: '', TEMPORAL_TLS_CLIENT_KEY_DATA: '' }))!;
    await expect(Connection.connect({ ...noCert.connection, connectTimeout: 5_000 }).then((c) => c.workflowService.getSystemInfo({}))).rejects.toThrow();
  });
});
