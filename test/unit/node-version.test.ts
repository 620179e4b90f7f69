import { ALLOW_NODE_MAJOR_ENV, NODE_MAJOR, requireNodeMajor } from '../../src/node-version.js';

describe('requireNodeMajor', () => {
  const consoleError = console.error;
  let stderr: string[];
  beforeEach(() => {
    stderr = [];
    console.error = (message: string) => stderr.push(message);
  });
  afterEach(() => (console.error = consoleError));

  it(`lets Node ${NODE_MAJOR} through without a word`, () => {
    expect(() => requireNodeMajor('The worker', `${NODE_MAJOR}.1.0`, {})).not.toThrow();
    expect(stderr).toEqual([]);
  });

  it('refuses another major, naming the override', () => {
    expect(() => requireNodeMajor('The worker', '20.20.2', {})).toThrow(new RegExp(`The worker runs on Node.js ${NODE_MAJOR}.*Node.js 20.20.2.*${ALLOW_NODE_MAJOR_ENV}`));
  });

  it(`lets through the one major ${ALLOW_NODE_MAJOR_ENV} names, and says so on stderr`, () => {
    expect(() => requireNodeMajor('The API', '20.20.2', { [ALLOW_NODE_MAJOR_ENV]: '20' })).not.toThrow();
    expect(stderr).toEqual([`The API runs on Node.js 20.20.2, not ${NODE_MAJOR}: allowed by ${ALLOW_NODE_MAJOR_ENV}=20.`]);
  });

  it('still refuses a major the override does not name, and an override that is not a number', () => {
    expect(() => requireNodeMajor('The API', '22.1.0', { [ALLOW_NODE_MAJOR_ENV]: '20' })).toThrow(/Node.js 22.1.0/);
    expect(() => requireNodeMajor('The API', '20.20.2', { [ALLOW_NODE_MAJOR_ENV]: 'yes' })).toThrow(/Node.js 20.20.2/);
    expect(() => requireNodeMajor('The API', '20.20.2', { [ALLOW_NODE_MAJOR_ENV]: '' })).toThrow(/Node.js 20.20.2/);
  });
});
