import { InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import type { Values } from '../domain/values.js';

// Helm's `--set` grammar (helm.sh/helm/v3/pkg/strvals), so a command line
// copied from `helm install` means the same here:
//   a=1,b=2        several pairs in one flag
//   a.b.c=x        nested maps; a\.b=x is the key "a.b" (escaped dot)
//   list[0]=x      list items, a[1].name=x maps inside lists (missing items are null)
//   a={x,y}        a list value
//   a=x\,y         an escaped comma stays in the value
// Typing as Helm's: true, false, null and integers (not 007); everything else,
// 2.0 too, is a string. --set-string keeps every value a string, --set-json
// takes JSON values, --set-file a file's contents.

export type SetKind = 'set' | 'string' | 'json' | 'file';

/** Helm's largest list index: a typo like list[99999999] must not allocate a huge list. */
const MAX_INDEX = 65_536;

function typed(text: string, kind: SetKind): unknown {
  if (kind === 'string') return text;
  if (kind === 'file') {
    try {
      return readFileSync(text, 'utf8');
    } catch (err) {
      throw new InvalidArgumentError(`cannot read ${text}: ${(err as Error).message}`);
    }
  }
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null') return null;
  if (/^(0|-?[1-9]\d*)$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  return text;
}

type Segment = string | number;

/** Reads one flag: `KEY=VALUE[,KEY=VALUE...]` into [path, value] pairs. */
function parsePairs(text: string, kind: SetKind): [Segment[], unknown][] {
  const pairs: [Segment[], unknown][] = [];
  let i = 0;
  const fail = (why: string) => {
    throw new InvalidArgumentError(`${why} in '${text}' (expected KEY=VALUE[,KEY=VALUE...], as Helm's --set)`);
  };
  while (i < text.length) {
    // The key: segments split by unescaped '.', with [N] indexes.
    const path: Segment[] = [];
    let key = '';
    let sawKey = false;
    for (;;) {
      if (i >= text.length) fail(`'${key || text}' has no '='`);
      const c = text[i]!;
      if (c === '\\' && i + 1 < text.length) {
        key += text[i + 1];
        sawKey = true;
        i += 2;
      } else if (c === '.') {
        if (!sawKey) fail('an empty key segment');
        path.push(key);
        key = '';
        sawKey = false;
        i++;
      } else if (c === '[') {
        if (sawKey) path.push(key);
        else if (path.length === 0 || typeof path[path.length - 1] !== 'number') fail('a list index without a key');
        key = '';
        sawKey = false;
        const close = text.indexOf(']', i);
        const index = close < 0 ? '' : text.slice(i + 1, close);
        if (!/^\d+$/.test(index)) fail(`a list index must be a whole number, 0 or more, got '[${index}'`);
        if (Number(index) > MAX_INDEX) fail(`list index ${index} is larger than ${MAX_INDEX}`);
        path.push(Number(index));
        i = close + 1;
        if (text[i] === '.') i++;
        else if (text[i] !== '[' && text[i] !== '=') fail(`'${text[i] ?? ''}' after a list index`);
      } else if (c === '=') {
        if (sawKey) path.push(key);
        else if (path.length === 0 || typeof path[path.length - 1] !== 'number') fail('an empty key');
        i++;
        break;
      } else if (c === ',') {
        fail(`'${key}' has no '='`);
      } else {
        key += c;
        sawKey = true;
        i++;
      }
    }
    // The value: JSON for --set-json (its commas are its own), {a,b} a list, else up to an unescaped ','.
    if (kind === 'json') {
      const [value, end] = jsonValue(text, i, fail);
      pairs.push([path, value]);
      i = end;
    } else if (text[i] === '{' && kind !== 'file') {
      const close = closingBrace(text, i);
      if (close < 0) fail("a list value '{' without '}'");
      pairs.push([path, splitUnescaped(text.slice(i + 1, close)).filter((item, _n, all) => item !== "" || all.length > 1).map((item) => typed(item, kind))]);
      i = close + 1;
    } else {
      let value = '';
      while (i < text.length && text[i] !== ',') {
        if (text[i] === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else value += text[i++];
      }
      pairs.push([path, typed(value, kind)]);
    }
    if (i < text.length) {
      if (text[i] !== ',') fail(`'${text[i]}' after a value`);
      i++;
    }
  }
  if (pairs.length === 0) fail('nothing to set');
  return pairs;
}

function closingBrace(text: string, from: number): number {
  for (let i = from + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '}') return i;
  }
  return -1;
}

function splitUnescaped(text: string): string[] {
  const items = [''];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) items[items.length - 1] += text[++i];
    else if (text[i] === ',') items.push('');
    else items[items.length - 1] += text[i];
  }
  return items;
}

/** The longest JSON value at `from` that ends at a ',' or the end of the text. */
function jsonValue(text: string, from: number, fail: (why: string) => never): [unknown, number] {
  let end = text.length;
  for (;;) {
    try {
      return [JSON.parse(text.slice(from, end)), end];
    } catch {
      end = text.lastIndexOf(',', end - 1);
      if (end < from) fail('a value that is not JSON');
    }
  }
}

/** Writes `value` at `path` into `into`, making maps and lists on the way, as Helm does. */
function setAt(into: Values, path: Segment[], value: unknown): void {
  let node: unknown = into;
  for (let n = 0; n < path.length; n++) {
    const segment = path[n]!;
    const last = n === path.length - 1;
    const next = path[n + 1];
    const fresh = () => (typeof next === 'number' ? [] : {});
    if (typeof segment === 'number') {
      const list = node as unknown[];
      while (list.length <= segment) list.push(null);
      if (last) list[segment] = value;
      else if (typeof list[segment] !== 'object' || list[segment] === null || Array.isArray(list[segment]) !== (typeof next === 'number')) list[segment] = fresh();
      node = list[segment];
    } else {
      const map = node as Values;
      if (last) map[segment] = value;
      else if (typeof map[segment] !== 'object' || map[segment] === null || Array.isArray(map[segment]) !== (typeof next === 'number')) map[segment] = fresh();
      node = map[segment];
    }
  }
}

/** Checks one flag's syntax when it is given (a usage error, exit 2); answers it unchanged. */
export function setSyntax(kind: SetKind): (text: string) => string {
  return (text) => {
    if (kind === 'file') parsePairs(text, 'string'); // the file is read once, when the values are built
    else parsePairs(text, kind);
    return text;
  };
}

/** Applies flags of one kind, in order, onto `values` (a copy: the input is not changed). */
export function applySets(values: Values, flags: readonly string[], kind: SetKind): Values {
  const result = JSON.parse(JSON.stringify(values)) as Values;
  for (const flag of flags) for (const [path, value] of parsePairs(flag, kind)) setAt(result, path, value);
  return result;
}
