import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Connector, Resolver } from '../../src/adapters/egress/egress.js';
import { LOOPBACK_ENDPOINTS } from '../../src/adapters/egress/endpoint-policy.js';
import { NO_EXTRAS, type KubeconfigRules } from '../../src/adapters/kubeconfig/tenant.js';
import { tenantAccess, type TenantAccess } from '../../src/adapters/tenant-access.js';

/**
 * Name resolution for tests: no test asks a real DNS server. `*.example.com`
 * is a public address (nothing connects to it: see the connector), `localhost`
 * loopback; a test adds names of its own (e.g. one that resolves to a private range).
 */
export class TestResolver {
  readonly names = new Map<string, string[]>([['localhost', ['127.0.0.1']]]);

  readonly resolve: Resolver = async (host) => {
    const found = this.names.get(host) ?? (/(^|\.)example\.com$/.test(host) ? ['93.184.215.14'] : undefined);
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
}

/**
 * Dials loopback only. Anything else the code under test would have dialled is
 * recorded and refused here, so that even wrong code sends no packet off this machine.
 */
export class RecordingConnector {
  readonly dialled: string[] = [];

  readonly connect: Connector = (address, port) => {
    this.dialled.push(`${address}:${port}`);
    if (!/^(127\.|::1$|::ffff:127\.)/.test(address)) {
      return Promise.reject(Object.assign(new Error(`test connector: ${address}:${port} is not loopback, not dialled`), { code: 'ECONNREFUSED' }));
    }
    return new Promise<Duplex>((resolve, reject) => {
      const socket = connect({ host: address, port });
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    });
  };
}

export interface TestAccess extends TenantAccess {
  resolver: TestResolver;
  connector: RecordingConnector;
}

/** The egress of test processes: loopback allowed (as `npm start` does) unless a suite says otherwise. */
export function testAccess(allow = LOOPBACK_ENDPOINTS, rules: KubeconfigRules = NO_EXTRAS): TestAccess {
  const resolver = new TestResolver();
  const connector = new RecordingConnector();
  return { ...tenantAccess(allow, rules, { resolve: resolver.resolve, connect: connector.connect }), resolver, connector };
}
