"""schemathesis hooks for test/api/schemathesis.toml.

Some rules cannot be said in JSON Schema: they depend on what exists (a cluster
named as a member, a chart under the chart roots), on the operator's
configuration (the endpoint policy), on other fields (instance types per
provider, count within min/max) or on a signature (list cursors). A request
the document calls valid may break them, and the API answers 400 naming the
field. Such a 400 is not a failure of positive_data_acceptance when every
field it names is one of those below; any other field it names still fails.
"""

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

ORG = "/api/v1/orgs/{org}"
# A cursor is signed by the API: one it did not hand out is refused.
LISTS = ["/clusters", "/clusters/{name}/nodepools", "/clustergroups", "/clustergroups/{group}/deployments", "/secrets", "/helm-repositories", "/profiles"]
POOL_FIELDS = ["name", "instanceType", "count", "minCount", "maxCount", "autoscaling", "labels", "taints"]
DEPLOYMENT_FIELDS = ["chart", "values", "valueOverrides", "valueOverridesBySelector", "rollout.waves"]
# Label selectors, annotation keys and storage class names in Kubernetes' syntax.
PROFILE_FIELDS = ["clusterSelector", "serviceAnnotations", "storageClasses", "proxy"]

BEYOND_THE_SCHEMA = {
    **{f"GET {ORG}{path}": ["cursor"] for path in LISTS},
    # A label selector in Kubernetes' syntax.
    f"GET {ORG}/clusters": ["cursor", "selector"],
    # Pools per provider (instance types, counts, reserved names), eks only for eks, flavor only for kwok and sim,
    # a secret of this org and the provider's type.
    # and labels in Kubernetes' syntax, none under flotilla.io/; network: proxy URLs http(s) with a host and no credentials,
    # noProxy hosts or CIDRs, a proxy-ca and a proxy-credentials secret of this org, none for imported clusters.
    # kubernetesVersion: on kwok, one of the releases built for it.
    f"POST {ORG}/clusters": ["nodePools", "eks", "flavor", "secretId", "labels", "network", "kubernetesVersion"],
    # network is in the document only to be refused: it is fixed at create. kubernetesVersion: the cluster's own
    # version decides (one minor at a time, no downgrade; on kwok a release built for it).
    f"PATCH {ORG}/clusters/{{name}}": ["labels", "network", "kubernetesVersion"],
    # Providers that list their versions; regions of the chosen cloud; a secret of this org and the provider's type.
    f"GET {ORG}/kubernetes-versions": ["provider", "region", "secretId"],
    # Regions the catalogue prices, per cloud.
    f"GET {ORG}/instance-types": ["region"],
    # Regions of the chosen clouds; some cpu, memory, GPUs or nodes; minNodes within maxNodes; cpu and memoryGiB,
    # or a chart (under the chart roots or of a registered repository, rendering) or an existing deployment, not both.
    f"POST {ORG}/recommendations": ["regions", "cpu", "memoryGiB", "gpu", "minNodes", "chart", "deployment", "version", "values"],
    # The cluster's provider decides (the cluster entity checks when it exists).
    f"POST {ORG}/clusters/{{name}}/nodepools": POOL_FIELDS,
    f"PUT {ORG}/clusters/{{name}}/nodepools/{{pool}}": POOL_FIELDS,
    # Members must be clusters of this org in no other group; members or a selector (in Kubernetes' syntax), not both.
    f"POST {ORG}/clustergroups": ["members", "selector"],
    f"PUT {ORG}/clustergroups/{{group}}": ["members"],
    # Charts under the chart roots or of a registered repository; values within size and depth, with known placeholders; selectors (of overrides and rollout waves) in Kubernetes' syntax.
    f"POST {ORG}/clustergroups/{{group}}/deployments": DEPLOYMENT_FIELDS,
    f"PUT {ORG}/clustergroups/{{group}}/deployments/{{release}}": DEPLOYMENT_FIELDS,
    # Selectors and keys in Kubernetes' syntax; at most 50 profiles; a name is taken or not there.
    f"POST {ORG}/profiles": [*PROFILE_FIELDS, "name"],
    f"PUT {ORG}/profiles/{{name}}": PROFILE_FIELDS,
    # The endpoint policy decides which URLs may be reached; at most 100 repositories.
    f"POST {ORG}/helm-repositories": ["url", "name"],
    # A kubeconfig must be one (YAML, without exec, file references or proxies, a server the policy allows); a GCP key must be JSON.
    f"POST {ORG}/secrets": ["values"],
}


def names(field, allowed):
    return any(field == name or field.startswith((f"{name}.", f"{name}[")) for name in allowed)


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keeps every failure but a 400 for a schema-valid request that names only fields of BEYOND_THE_SCHEMA."""
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 400:
        return True
    allowed = BEYOND_THE_SCHEMA.get(f"{case.method.upper()} {case.operation.path}", [])
    fields = [detail["field"] for detail in response.json()["error"]["details"]]
    return not (fields and all(names(field, allowed) for field in fields))
