import { Egress, type Connector, type Resolver } from './egress/egress.js';
import { EndpointPolicy } from './egress/endpoint-policy.js';
import { TenantKubeconfigs, type KubeconfigRules } from './kubeconfig/tenant.js';

/** How a process reaches what tenants name: one egress (policy, resolver, guard) and the kubeconfig rules that use it. */
export interface TenantAccess {
  egress: Egress;
  kubeconfigs: TenantKubeconfigs;
}

/** `allow`: FLOTILLA_ALLOWED_ENDPOINTS; `resolve` and `connect` are for tests, which must never dial out. */
export function tenantAccess(allow: string, rules: KubeconfigRules, dial: { resolve?: Resolver; connect?: Connector } = {}): TenantAccess {
  const egress = new Egress(new EndpointPolicy(allow), dial);
  return { egress, kubeconfigs: new TenantKubeconfigs(rules, egress) };
}
