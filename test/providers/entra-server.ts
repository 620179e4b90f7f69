import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { readBody, send } from './aks-server.js';
import type { TestCertificate } from './aks-tls.js';

/**
 * A fake Microsoft identity platform (Entra ID, v2.0 endpoints) on
 * https://127.0.0.1, for tests that sign in as production does: with an
 * app registration's client secret, through @azure/identity's
 * ClientSecretCredential (MSAL underneath).
 *
 * MSAL reads the tenant's OpenID configuration, then posts the client
 * credentials grant to the token endpoint it names. Both answer in Entra's
 * shapes, errors included: an unknown tenant is AADSTS90002, a wrong client
 * AADSTS700016, a wrong secret AADSTS7000215 (401 invalid_client). Instance
 * discovery is asked of login.microsoftonline.com, never of the authority
 * host, so the provider turns it off for a host it is given (and the loopback
 * tripwire would stop it otherwise).
 */

export interface AppRegistration {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export interface TokenRequest {
  tenant: string;
  /** The form fields as posted: client_id, client_secret, grant_type, scope... */
  form: Record<string, string>;
  status: number;
  /** The access token issued, when one was. */
  accessToken?: string;
}

export class FakeEntra {
  /** Every request, as `METHOD path`. */
  readonly requests: string[] = [];
  readonly tokenRequests: TokenRequest[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly app: AppRegistration,
  ) {}

  /** Serves `certificate`: the fake ARM's, so one agent trusts both. */
  static async start(app: AppRegistration, { cert, key }: TestCertificate): Promise<FakeEntra> {
    let fake: FakeEntra | undefined;
    const server = createServer({ cert, key }, (req, res) => void fake!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeEntra(server, `https://127.0.0.1:${(server.address() as { port: number }).port}`, app);
    return fake;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The access tokens issued, in order. */
  issued(): string[] {
    return this.tokenRequests.flatMap((r) => (r.accessToken ? [r.accessToken] : []));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, this.url);
    const body = await readBody(req);
    this.requests.push(`${req.method} ${url.pathname}`);
    const [, tenant, ...rest] = url.pathname.split('/');
    const path = rest.join('/');
    if (tenant !== this.app.tenantId) {
      return error(res, 400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    }
    if (req.method === 'GET' && path === 'v2.0/.well-known/openid-configuration') return send(res, 200, this.openIdConfiguration(tenant));
    if (req.method === 'POST' && path === 'oauth2/v2.0/token') return this.token(tenant, new URLSearchParams(body), res);
    send(res, 404);
  }

  /** The v2.0 OpenID configuration of a tenant, as login.microsoftonline.com serves it, on this host. */
  private openIdConfiguration(tenant: string): unknown {
    const base = `${this.url}/${tenant}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'NA',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
  }

  /** The client credentials grant, with the secret posted in the form (client_secret_post, what MSAL sends). */
  private token(tenant: string, params: URLSearchParams, res: ServerResponse): void {
    const form = Object.fromEntries(params);
    const record: TokenRequest = { tenant, form, status: 200 };
    this.tokenRequests.push(record);
    const refuse = (status: number, code: string, aadsts: number, description: string) => {
      record.status = status;
      error(res, status, code, aadsts, description);
    };
    if (form.grant_type !== 'client_credentials') return refuse(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.grant_type}'.`);
    if (form.client_id !== this.app.clientId) {
      return refuse(400, 'unauthorized_client', 700016, `Application with identifier '${form.client_id}' was not found in the directory '${tenant}'.`);
    }
    if (form.client_secret !== this.app.clientSecret) {
      return refuse(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${form.client_id}'.`);
    }
    if (!form.scope?.endsWith('/.default')) return refuse(400, 'invalid_scope', 1002012, `The provided value for scope ${form.scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    record.accessToken = randomBytes(32).toString('base64url');
    send(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: record.accessToken });
  }
}

/** Entra's error body: an OAuth error code, and the AADSTS code in the description and in error_codes. */
function error(res: ServerResponse, status: number, code: string, aadsts: number, message: string): void {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
  send(res, status, {
    error: code,
    error_description: `AADSTS${aadsts}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
  });
}
