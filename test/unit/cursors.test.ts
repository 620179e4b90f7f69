import { randomBytes } from 'node:crypto';
import { Cursors, deriveCursorKeys } from '../../src/api/pagination.js';

// Cursor keys come from the payload codec keys, so replicas with the same codec
// keys share them, and they rotate with the codec keys: the newest signs, any verifies.

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const items = Array.from({ length: 5 }, (_, i) => i);
const refusal = expect.objectContaining({ status: 400, details: [expect.objectContaining({ field: 'cursor' })] });
const cursorOf = (cursors: Cursors) => cursors.pageOfList(items, { limit: 2 }, 'numbers').nextCursor!;
const secondPage = (cursors: Cursors, cursor: string) => cursors.pageOfList(items, { limit: 2, cursor }, 'numbers').items;

it('derives the same keys from the same codec keys, none of them a codec key', () => {
  const keys = deriveCursorKeys([k1, k2]);
  expect(keys).toEqual(deriveCursorKeys([{ ...k1 }, { ...k2 }]));
  expect(keys.map((k) => k.length)).toEqual([32, 32]);
  expect(keys[0]!.equals(keys[1]!)).toBe(false);
  expect(keys.some((k) => k.equals(k1.key) || k.equals(k2.key))).toBe(false);
});

it('takes a cursor of another instance with the same keys', () => {
  expect(secondPage(new Cursors(deriveCursorKeys([k1])), cursorOf(new Cursors(deriveCursorKeys([k1]))))).toEqual([2, 3]);
});

it('still takes a cursor signed before a rotation, until its key is dropped', () => {
  const before = cursorOf(new Cursors(deriveCursorKeys([k1])));
  const rotated = new Cursors(deriveCursorKeys([k1, k2]));
  expect(secondPage(rotated, before)).toEqual([2, 3]);
  expect(() => secondPage(new Cursors(deriveCursorKeys([k2])), before)).toThrow(refusal);
  // The newest key signs: a replica that has not got it yet refuses the cursor (the client starts the list again).
  expect(() => secondPage(new Cursors(deriveCursorKeys([k1])), cursorOf(rotated))).toThrow(refusal);
});

it('needs a key', () => {
  expect(() => new Cursors([])).toThrow('at least one key');
});
