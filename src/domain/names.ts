import type { Problem } from './problems.js';

// RFC 1123 label, as Kubernetes uses for names: lower-case alphanumerics and '-'.
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Kubernetes label name part and value: alphanumerics with '-', '_', '.' inside.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export function dnsLabelProblem(value: string): string | undefined {
  if (value.length === 0 || value.length > 63) return 'must be 1 to 63 characters';
  if (!DNS_LABEL.test(value)) return "must be a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit";
  return undefined;
}

export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return 'label key prefix must be a DNS subdomain';
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return "label key name must be 1 to 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  }
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63 || (value.length > 0 && !LABEL_NAME.test(value))) {
    return "label value must be at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  }
  return undefined;
}

export function labelProblems(labels: Record<string, string>, path: Problem['path']): Problem[] {
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) problems.push({ path: [...path, key], message: keyProblem });
    const valueProblem = labelValueProblem(value);
    if (valueProblem) problems.push({ path: [...path, key], message: valueProblem });
  }
  return problems;
}
