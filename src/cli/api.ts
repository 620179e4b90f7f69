import { apiError, timedOut } from './errors.js';

interface ErrorBody {
  error?: { code?: string; message?: string };
}

/** The Flotilla API as one org's token sees it. */
export class Api {
  private orgOfToken?: Promise<string>;

  /**
   * `org` undefined: the token's own, asked of the API once (`GET /whoami`).
   * `timeoutMs`: the longest any request, and the following of an operation, may take.
   */
  constructor(
    readonly url: string,
    private readonly token: string,
    private readonly org?: string,
    readonly timeoutMs?: number,
  ) {}

  /** The org calls go to. */
  organization(): Promise<string> {
    if (this.org) return Promise.resolve(this.org);
    return (this.orgOfToken ??= this.call<{ org: string }>('GET', '/api/v1/whoami').then((who) => who.org));
  }

  /** A call under `/api/v1/orgs/{org}`; answers parsed JSON (text when it is not JSON). */
  async inOrg<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    return this.call<T>(method, `/api/v1/orgs/${encodeURIComponent(await this.organization())}${path}`, body);
  }

  /** Every item of a list under the org, following `nextCursor` page by page. */
  async listAll<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.inOrg<{ items: T[]; nextCursor?: string }>('GET', cursor ? `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}` : path);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  /** Any call; a non-2xx answer or no answer is an error naming what the API said. */
  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.url.replace(/\/+$/, '')}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(this.timeoutMs !== undefined ? { signal: AbortSignal.timeout(this.timeoutMs) } : {}),
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw timedOut(`no answer from the Flotilla API at ${this.url} within --timeout (${method} ${path})`);
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      throw apiError(`cannot reach the Flotilla API at ${this.url}: ${cause ?? (err as Error).message}`);
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // YAML (kubeconfig) and other text stay as they are
    }
    if (!response.ok) {
      const error = (parsed as ErrorBody | undefined)?.error;
      throw apiError(`${error?.message ?? (text.trim() || response.statusText)} (HTTP ${response.status}${error?.code ? ` ${error.code}` : ''})`);
    }
    return parsed as T;
  }
}
