// A tripwire under every test: a connection to anything but loopback fails
// before a packet leaves, even when the code under test is wrong (its own
// guards have injected resolvers and connectors; this catches code that
// would bypass them). Child processes (helm, kwokctl) are not covered.
const net = require('node:net');

const loopback = (host) => host === 'localhost' || /^(127\.|::1$|::ffff:127\.|\[::1\]$)/.test(host);
const connect = net.Socket.prototype.connect;

net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = typeof first === 'object' && first !== null ? first : { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
  if (!options.path && options.host !== undefined && !loopback(String(options.host))) {
    throw new Error(`test tripwire: a connection to ${options.host}:${options.port} was attempted; tests reach loopback only`);
  }
  return connect.apply(this, args);
};
