import { labelKeyProblem, labelValueProblem } from './names.js';
import type { Problem } from './problems.js';

/**
 * Kubernetes label selectors, in both of Kubernetes' forms: the string of
 * `kubectl -l` (`tier=gold,env in (prod,stage),!canary`) and the object of a
 * resource's `selector` (matchLabels, matchExpressions). Both become the same
 * requirements, which every requirement of must match (an empty selector
 * matches everything). Pure, so workflows can match too.
 */

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface Requirement {
  key: string;
  operator: SelectorOperator;
  /** In and NotIn: one or more; Exists and DoesNotExist: none. */
  values: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Requirement[];
}

export type Labels = Readonly<Record<string, string>>;

export function matchesRequirement(labels: Labels, { key, operator, values }: Requirement): boolean {
  const has = Object.hasOwn(labels, key);
  switch (operator) {
    case 'In':
      return has && values.includes(labels[key]!);
    // As in Kubernetes: a cluster without the key is not in the set, so it matches.
    case 'NotIn':
      return !has || !values.includes(labels[key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

export function matches(labels: Labels, requirements: readonly Requirement[]): boolean {
  return requirements.every((r) => matchesRequirement(labels, r));
}

function requirementProblems(r: Requirement, path: Problem['path']): Problem[] {
  const problems: Problem[] = [];
  const keyProblem = labelKeyProblem(r.key);
  if (keyProblem) problems.push({ path: [...path, 'key'], message: keyProblem });
  const wantsValues = r.operator === 'In' || r.operator === 'NotIn';
  if (wantsValues && r.values.length === 0) problems.push({ path: [...path, 'values'], message: `${r.operator} needs at least one value` });
  if (!wantsValues && r.values.length > 0) problems.push({ path: [...path, 'values'], message: `${r.operator} takes no values` });
  r.values.forEach((value, i) => {
    const valueProblem = labelValueProblem(value);
    if (valueProblem) problems.push({ path: [...path, 'values', i], message: valueProblem });
  });
  return problems;
}

/** The requirements of a selector object, or what is wrong with it (paths under `path`). */
export function selectorRequirements(selector: LabelSelector, path: Problem['path'] = []): { requirements: Requirement[] } | { problems: Problem[] } {
  const requirements: Requirement[] = [];
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const message = labelKeyProblem(key) ?? labelValueProblem(value);
    if (message) problems.push({ path: [...path, 'matchLabels', key], message });
    requirements.push({ key, operator: 'In', values: [value] });
  }
  (selector.matchExpressions ?? []).forEach((r, i) => {
    problems.push(...requirementProblems(r, [...path, 'matchExpressions', i]));
    requirements.push({ key: r.key, operator: r.operator, values: [...r.values] });
  });
  return problems.length > 0 ? { problems } : { requirements };
}

// The string form's tokens: words (keys and values), and the punctuation between them.
const TOKEN = /\s*(==|!=|=|!|\(|\)|,|<|>|[^\s=!(),<>]+)/y;

/**
 * Parses `kubectl -l` syntax: requirements separated by commas, each `key`,
 * `!key`, `key=value` (or `==`), `key!=value`, `key in (a,b)` or
 * `key notin (a,b)`. Set-based `in`/`notin` are words, so a key cannot be
 * named `in` right before a `(`, as in Kubernetes. The comparison operators
 * `>` and `<` Kubernetes accepts on numbers are not supported.
 */
export function parseSelector(text: string): { requirements: Requirement[] } | { problem: string } {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let rest = text;
  for (let match = TOKEN.exec(text); match; match = TOKEN.exec(text)) {
    tokens.push(match[1]!);
    rest = text.slice(TOKEN.lastIndex);
  }
  if (rest.trim() !== '') return { problem: `cannot read the selector from ${JSON.stringify(rest.trim())}` };

  const requirements: Requirement[] = [];
  let at = 0;
  const next = () => tokens[at++];
  const isWord = (token: string | undefined) => token !== undefined && !['==', '!=', '=', '!', '(', ')', ',', '<', '>'].includes(token);
  while (at < tokens.length) {
    let requirement: Requirement;
    if (tokens[at] === '!') {
      at++;
      const key = next();
      if (!isWord(key)) return { problem: "'!' must be followed by a label key" };
      requirement = { key: key!, operator: 'DoesNotExist', values: [] };
    } else {
      const key = next();
      if (!isWord(key)) return { problem: `expected a label key, found ${JSON.stringify(key ?? 'the end')}` };
      const op = tokens[at];
      if (op === undefined || op === ',') {
        requirement = { key: key!, operator: 'Exists', values: [] };
      } else if (op === '=' || op === '==' || op === '!=') {
        at++;
        // An empty value is a value: `env=` selects clusters whose env label is empty.
        const value = isWord(tokens[at]) ? next()! : '';
        requirement = { key: key!, operator: op === '!=' ? 'NotIn' : 'In', values: [value] };
      } else if ((op === 'in' || op === 'notin') && tokens[at + 1] === '(') {
        at += 2;
        const values: string[] = [];
        while (tokens[at] !== ')') {
          const value = next();
          if (!isWord(value)) return { problem: `expected a value or ')' in the set of ${key}` };
          values.push(value!);
          if (tokens[at] === ',') at++;
          else if (tokens[at] !== ')') return { problem: `expected ',' or ')' in the set of ${key}` };
        }
        at++;
        requirement = { key: key!, operator: op === 'in' ? 'In' : 'NotIn', values };
      } else if (op === '<' || op === '>') {
        return { problem: `the comparison ${key} ${op} … is not supported on cluster labels` };
      } else {
        return { problem: `expected '=', '!=', 'in', 'notin', ',' or the end after ${key}, found ${JSON.stringify(op)}` };
      }
    }
    const problems = requirementProblems(requirement, []);
    if (problems.length > 0) return { problem: `${requirement.key}: ${problems[0]!.message}` };
    requirements.push(requirement);
    if (at < tokens.length) {
      if (tokens[at] !== ',') return { problem: `expected ',' between requirements, found ${JSON.stringify(tokens[at])}` };
      at++;
      if (at === tokens.length) return { problem: 'a selector cannot end with a comma' };
    }
  }
  return { requirements };
}

/** A requirement in the string form, so one selector prints as Kubernetes would write it. */
export function formatRequirement({ key, operator, values }: Requirement): string {
  switch (operator) {
    case 'Exists':
      return key;
    case 'DoesNotExist':
      return `!${key}`;
    case 'In':
      return values.length === 1 ? `${key}=${values[0]}` : `${key} in (${values.join(',')})`;
    case 'NotIn':
      return values.length === 1 ? `${key}!=${values[0]}` : `${key} notin (${values.join(',')})`;
  }
}
