import { EndpointUnreachable, type Egress } from '../adapters/egress/egress.js';
import type { Problem } from '../domain/problems.js';
import { invalid } from './errors.js';

/**
 * A URL a tenant registers is checked when it arrives, without connecting:
 * its host must resolve to addresses the endpoint policy allows. (Every
 * later connection is checked again: DNS may answer differently then.)
 */
export async function checkEndpoint(egress: Egress, url: string, path: Problem['path']): Promise<void> {
  try {
    await egress.checkUrl(url);
  } catch (err) {
    if (!(err instanceof EndpointUnreachable)) throw err;
    throw invalid([{ path, message: `${new URL(url).host} is refused by Flotilla's endpoint policy, or does not resolve` }]);
  }
}
