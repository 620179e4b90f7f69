/** Where things are, for links in responses. */
export interface Links {
  /** Base URL of the Temporal Web UI, when there is one to link to. */
  uiUrl?: string;
  namespace: string;
}

export function runLink(links: Links, workflowId: string): string | undefined {
  return links.uiUrl ? `${links.uiUrl}/namespaces/${links.namespace}/workflows/${encodeURIComponent(workflowId)}` : undefined;
}

export function orgPath(org: string): string {
  return `/api/v1/orgs/${org}`;
}
