import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * A throwaway self-signed certificate for 127.0.0.1, made in memory.
 *
 * Why: the Azure SDK's bearer-token policy refuses to send a token over plain
 * http ("Bearer token authentication is not permitted for non-TLS protected
 * URLs"), so the fake ARM server must speak https, and MSAL takes only an
 * https authority, so the fake Entra ID does too (with the same certificate).
 * Node has no API to issue an X.509 certificate and CI may lack the openssl
 * CLI, so this writes the few DER structures a self-signed P-256 certificate
 * needs; the signature comes from node:crypto. Nothing is written to disk and
 * no key is committed.
 */
export interface TestCertificate {
  cert: string;
  key: string;
}

export function selfSignedCertificate(commonName = '127.0.0.1'): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return certificate(commonName, publicKey, { ca: true, issuer: commonName, signingKey: privateKey, key: privateKey });
}

/** A certificate authority and the leaves it issues: what strict verifiers (rustls, in Temporal's core) want, where a self-signed leaf is refused. */
export interface TestAuthority extends TestCertificate {
  issue(commonName?: string): TestCertificate;
}

export function testAuthority(name = 'flotilla test CA'): TestAuthority {
  const authority = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    ...certificate(name, authority.publicKey, { ca: true, issuer: name, signingKey: authority.privateKey, key: authority.privateKey }),
    issue: (commonName = '127.0.0.1') => {
      const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return certificate(commonName, leaf.publicKey, { ca: false, issuer: name, signingKey: authority.privateKey, key: leaf.privateKey });
    },
  };
}

function certificate(commonName: string, publicKey: KeyObject, options: { ca: boolean; issuer: string; signingKey: KeyObject; key: KeyObject }): TestCertificate {
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const nameOf = (cn: string) => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
  const now = Date.now();
  const validity = seq(utcTime(new Date(now - 60_000)), utcTime(new Date(now + 7 * 24 * 3600_000)));
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const extensions = explicit(
    3,
    seq(
      // subjectAltName: IP 127.0.0.1 (what the TLS client checks against the URL's host).
      seq(oid('2.5.29.17'), octets(seq(tlv(0x87, Buffer.from([127, 0, 0, 1]))))),
      // basicConstraints: CA:TRUE for a trust anchor (critical), else an empty sequence (CA:FALSE).
      options.ca ? seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), octets(seq(tlv(0x01, Buffer.from([0xff]))))) : seq(oid('2.5.29.19'), octets(seq())),
      // subjectKeyIdentifier
      seq(oid('2.5.29.14'), octets(tlv(0x04, createHash('sha1').update(spki).digest()))),
    ),
  );
  const serial = randomBytes(8);
  // DER wants a positive INTEGER in its shortest form: a first byte in 0x01..0x7f (0x00 first is "illegal padding").
  serial[0] = 1 + (serial[0]! % 0x7f);
  const tbs = seq(explicit(0, tlv(0x02, Buffer.from([2]))), tlv(0x02, serial), ecdsaWithSha256, nameOf(options.issuer), validity, nameOf(commonName), spki, extensions);
  const signature = sign('sha256', tbs, options.signingKey); // DER-encoded ECDSA signature, as X.509 wants it
  const der = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`,
    key: options.key.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

function tlv(tag: number, value: Buffer): Buffer {
  const length = value.length;
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else if (length < 0x100) header = Buffer.from([tag, 0x81, length]);
  else header = Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  return Buffer.concat([header, value]);
}

const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const octets = (value: Buffer) => tlv(0x04, value);
const utf8 = (value: string) => tlv(0x0c, Buffer.from(value, 'utf8'));
const explicit = (n: number, value: Buffer) => tlv(0xa0 + n, value);

function utcTime(date: Date): Buffer {
  const iso = date.toISOString(); // 2025-01-02T03:04:05.678Z → 250102030405Z
  return tlv(0x17, Buffer.from(`${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`));
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a! * 40 + b!];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}
