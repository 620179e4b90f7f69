// The payload codec key of the recorded histories: a fixed key, public on
// purpose, so the replay test can decrypt what scripts/record-histories.ts
// recorded. (The first recordings predate the codec and are in clear; the
// codec lets them through.)
export const REPLAY_CODEC_KEYS = 'replay:3mp189mqrYhd5wBN5kMVzMwBrNQm3XUFnNplXbbItsM=';
