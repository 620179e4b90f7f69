import { InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { TAINT_EFFECTS, type NodePoolSpec, type Taint } from '../domain/cluster.js';
import { mergeValues, type Values } from '../domain/values.js';
import { parseSelector, type LabelSelector } from '../domain/label-selector.js';
import type { SelectorOverride } from '../domain/target-values.js';
import type { WaveSpec } from '../domain/rollout.js';
import { usageError } from './errors.js';
import { applySets } from './set-values.js';

// Parsers of the CLI's compact flags. Commander calls them per occurrence
// (`previous` collects repeated flags); a bad one is a usage error (exit 2).

export function collect<T>(parse: (text: string) => T): (text: string, previous: T[] | undefined) => T[] {
  return (text, previous) => [...(previous ?? []), parse(text)];
}

/** `POOL=TYPE:COUNT[:MIN-MAX]`, e.g. `web=standard-2:3:1-6`. */
export function nodePoolFlag(text: string): NodePoolSpec {
  const m = /^([^=]+)=([^:]+):(\d+)(?::(\d+)-(\d+))?$/.exec(text);
  if (!m) throw new InvalidArgumentError('expected POOL=TYPE:COUNT[:MIN-MAX], e.g. web=standard-2:3:1-6');
  return {
    name: m[1]!,
    instanceType: m[2]!,
    count: Number(m[3]),
    ...(m[4] !== undefined ? { minCount: Number(m[4]), maxCount: Number(m[5]) } : {}),
  };
}

/** `KEY=VALUE`. */
export function pairFlag(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected KEY=VALUE');
  return [text.slice(0, at), text.slice(at + 1)];
}

/** kubectl's label arguments: `KEY=VALUE` sets a label, `KEY-` removes it (null in PATCH /clusters/{name}). */
export function labelChange(text: string): [string, string | null] {
  if (text.endsWith('-') && !text.includes('=')) return [text.slice(0, -1), null];
  return pairFlag(text);
}

/** `KEY[=VALUE]:EFFECT`, e.g. `dedicated=gpu:NoSchedule`. */
export function taintFlag(text: string): Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:([A-Za-z]+)$/.exec(text);
  if (!m || !(TAINT_EFFECTS as readonly string[]).includes(m[3]!)) throw new InvalidArgumentError(`expected KEY[=VALUE]:EFFECT with EFFECT one of ${TAINT_EFFECTS.join(', ')}`);
  return { key: m[1]!, ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3] as Taint['effect'] };
}

export function nonNegative(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return Number(text);
}

/** One `--set` flag in Helm's grammar (src/cli/set-values.ts), as values of its own. */
export function setFlag(text: string): Values {
  return applySets({}, [text], 'set');
}

/** `CLUSTER:a.b=value`: a --set for one cluster. */
export function clusterSetFlag(text: string): [string, Values] {
  const at = text.indexOf(':');
  if (at <= 0) throw new InvalidArgumentError('expected CLUSTER:KEY=VALUE');
  return [text.slice(0, at), setFlag(text.slice(at + 1))];
}

/** A label selector in kubectl's syntax (`tier=gold,env in (prod,stage),!canary`), sent as its object form. */
export function selectorFlag(text: string): LabelSelector {
  const parsed = parseSelector(text);
  if ('problem' in parsed) throw new InvalidArgumentError(parsed.problem);
  return { matchExpressions: parsed.requirements };
}

/** `SELECTOR:a.b=value`, e.g. `tier=gold:replicas=3`: a --set for the clusters a selector picks (labels hold no ':'). */
export function selectorSetFlag(text: string): SelectorOverride {
  const at = text.indexOf(':');
  if (at <= 0) throw new InvalidArgumentError('expected SELECTOR:KEY=VALUE, e.g. tier=gold:replicas=3');
  return { selector: selectorFlag(text.slice(0, at)), values: setFlag(text.slice(at + 1)) };
}

/** `--wave`: `east,west` (clusters), `25%` (a share of the targets) or `selector:tier=gold,env in (prod)`. */
export function waveFlag(text: string): WaveSpec {
  if (text.startsWith('selector:')) return { selector: selectorFlag(text.slice('selector:'.length)) };
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent) return { percent: Number(percent[1]) };
  const clusters = text.split(',').map((c) => c.trim());
  if (clusters.some((c) => c === '')) throw new InvalidArgumentError('expected CLUSTER[,CLUSTER...], N% or selector:SELECTOR');
  return { clusters };
}

/** A YAML (or JSON) file that must hold a map. */
export function readMapFile(path: string): Values {
  let parsed: unknown;
  try {
    parsed = YAML.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw usageError(`cannot read ${path}: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw usageError(`${path} must hold a map of keys to values`);
  return parsed as Values;
}

/** The value flags of Helm, each repeatable. */
export interface SetFlags {
  set?: string[];
  setString?: string[];
  setJson?: string[];
  setFile?: string[];
}

/** Values files merged in order, then the flags written into them in Helm's order: --set-json, --set, --set-string, --set-file. */
export function mergedValues(files: readonly string[] = [], sets: SetFlags = {}): Values {
  const fromFiles = files.map(readMapFile).reduce<Values>((all, next) => mergeValues(all, next), {});
  return (
    [
      [sets.setJson, 'json'],
      [sets.set, 'set'],
      [sets.setString, 'string'],
      [sets.setFile, 'file'],
    ] as const
  ).reduce<Values>((values, [flags, kind]) => applySets(values, flags ?? [], kind), fromFiles);
}
