// --web-config FILE: TLS and basic authentication for the metrics endpoint, in the format of
// the Prometheus exporter toolkit (the --web.config.file of node_exporter and the other
// exporters), so that one file serves a fleet's exporters alike:
//
//   tls_server_config:
//     cert_file: server.crt          # paths relative to this file's directory
//     key_file: server.key
//     client_auth_type: RequireAndVerifyClientCert   # or NoClientCert (default), RequestClientCert,
//     client_ca_file: clients-ca.crt                 #   RequireAnyClientCert, VerifyClientCertIfGiven
//     min_version: TLS12             # TLS10 … TLS13 (default TLS12), max_version likewise
//   basic_auth_users:
//     prometheus: $2y$10$…           # bcrypt hashes (htpasswd -nBC 10 "" | tr -d ':')
//
// Whatever this server cannot honour is refused at start-up, naming the key: an unknown key,
// the toolkit's cipher_suites, curve_preferences, prefer_server_cipher_suites,
// client_allowed_sans and http_server_config, a hash that is not bcrypt. Serving with a
// setting silently dropped would expose the metrics in a way the file's author did not ask for.
//
// yaml and bcryptjs are loaded here only, and this module only with --web-config.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { dirname, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { parse as parseYaml } from 'yaml';

/** A web config that cannot be honoured: a usage error (exit 2), with the key and the reason. */
export class WebConfigError extends Error {
  override name = 'WebConfigError';
}

export type ClientAuthType =
  'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';
const CLIENT_AUTH_TYPES: readonly ClientAuthType[] = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
];
const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
type TlsVersionName = keyof typeof TLS_VERSIONS;

export interface WebTls {
  cert: Buffer;
  key: Buffer;
  clientCa: Buffer | undefined;
  clientAuth: ClientAuthType;
  minVersion: (typeof TLS_VERSIONS)[TlsVersionName];
  maxVersion: (typeof TLS_VERSIONS)[TlsVersionName] | undefined;
}

export interface WebConfig {
  /** Where it was read from, for messages. */
  file: string;
  tls: WebTls | undefined;
  /** user -> bcrypt hash. */
  users: Map<string, string> | undefined;
}

/** The toolkit's keys that this server does not implement, with what to do instead. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  'tls_server_config.cipher_suites':
    "Node.js picks TLS 1.2 cipher suites from OpenSSL's defaults and TLS 1.3 ones are not configurable in the toolkit either; remove it, or set min_version: TLS13",
  'tls_server_config.curve_preferences': 'curve preferences are not configurable here; remove it',
  'tls_server_config.prefer_server_cipher_suites': 'remove it (it has no effect without cipher_suites)',
  'tls_server_config.client_allowed_sans':
    'checking client certificate SANs is not implemented; remove it, or use a client CA that signs only the scrapers',
  'tls_server_config.cert': 'give the certificate as a file: cert_file',
  'tls_server_config.key': 'give the key as a file: key_file',
  'tls_server_config.client_ca': 'give the client CA as a file: client_ca_file',
  http_server_config: 'the metrics server speaks HTTP/1.1 and sets no extra headers; remove http_server_config',
};
const KNOWN_TOP = ['tls_server_config', 'basic_auth_users'];
const KNOWN_TLS = ['cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'min_version', 'max_version'];
/** bcrypt in its modular crypt form: $2a$, $2b$ or $2y$, a two-digit cost, 53 characters of salt and hash. */
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and checks a web config; files it names are read now, relative to its directory. */
export function loadWebConfig(file: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WebConfigError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseWebConfig(text, file);
}

export function parseWebConfig(text: string, file: string): WebConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (error) {
    throw new WebConfigError(`${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return { file, tls: undefined, users: undefined };
  if (!isObject(doc)) throw new WebConfigError(`${file}: expected a mapping with tls_server_config and/or basic_auth_users at the top`);
  const base = dirname(resolve(file));
  const refuse = (key: string, why: string): never => {
    throw new WebConfigError(`${file}: ${key}: ${why}`);
  };
  for (const key of Object.keys(doc)) {
    if (UNSUPPORTED[key] !== undefined) refuse(key, `not supported: ${UNSUPPORTED[key]}`);
    if (!KNOWN_TOP.includes(key)) refuse(key, `unknown key (known: ${KNOWN_TOP.join(', ')})`);
  }

  let tls: WebTls | undefined;
  const tlsDoc = doc.tls_server_config;
  if (tlsDoc !== undefined && tlsDoc !== null) {
    if (!isObject(tlsDoc)) refuse('tls_server_config', 'expected a mapping');
    const section = tlsDoc as Record<string, unknown>;
    for (const key of Object.keys(section)) {
      const full = `tls_server_config.${key}`;
      if (UNSUPPORTED[full] !== undefined) refuse(full, `not supported: ${UNSUPPORTED[full]}`);
      if (!KNOWN_TLS.includes(key)) refuse(full, `unknown key (known: ${KNOWN_TLS.join(', ')})`);
    }
    const path = (key: string): string | undefined => {
      const value = section[key];
      if (value === undefined || value === null || value === '') return undefined;
      if (typeof value !== 'string') refuse(`tls_server_config.${key}`, 'expected a file path');
      return resolve(base, value as string);
    };
    const read = (key: string, at: string): Buffer => {
      try {
        return readFileSync(at);
      } catch (error) {
        return refuse(
          `tls_server_config.${key}`,
          `cannot read ${at}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
    };
    const certFile = path('cert_file');
    const keyFile = path('key_file');
    if (certFile === undefined) refuse('tls_server_config.cert_file', 'missing: TLS needs a certificate and its key');
    if (keyFile === undefined) refuse('tls_server_config.key_file', 'missing: TLS needs a certificate and its key');
    const caFile = path('client_ca_file');
    const authValue = section.client_auth_type;
    if (authValue !== undefined && authValue !== null && !CLIENT_AUTH_TYPES.includes(authValue as ClientAuthType)) {
      refuse('tls_server_config.client_auth_type', `${JSON.stringify(authValue)} is not one of ${CLIENT_AUTH_TYPES.join(', ')}`);
    }
    // As the toolkit: a client CA without a type means RequireAndVerifyClientCert.
    const clientAuth =
      (authValue as ClientAuthType | undefined | null) ?? (caFile === undefined ? 'NoClientCert' : 'RequireAndVerifyClientCert');
    if ((clientAuth === 'RequireAndVerifyClientCert' || clientAuth === 'VerifyClientCertIfGiven') && caFile === undefined) {
      refuse('tls_server_config.client_ca_file', `missing: client_auth_type ${clientAuth} verifies client certificates against it`);
    }
    if (
      caFile !== undefined &&
      (clientAuth === 'NoClientCert' || clientAuth === 'RequestClientCert' || clientAuth === 'RequireAnyClientCert')
    ) {
      refuse(
        'tls_server_config.client_ca_file',
        `client_auth_type ${clientAuth} verifies nothing against it; use VerifyClientCertIfGiven or RequireAndVerifyClientCert`,
      );
    }
    const version = (key: 'min_version' | 'max_version') => {
      const value = section[key];
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'string' || !(value in TLS_VERSIONS))
        refuse(`tls_server_config.${key}`, `${JSON.stringify(value)} is not one of ${Object.keys(TLS_VERSIONS).join(', ')}`);
      return TLS_VERSIONS[value as TlsVersionName];
    };
    const minVersion = version('min_version') ?? 'TLSv1.2';
    const maxVersion = version('max_version');
    const order = Object.values(TLS_VERSIONS) as string[];
    if (maxVersion !== undefined && order.indexOf(maxVersion) < order.indexOf(minVersion))
      refuse('tls_server_config.max_version', 'is below min_version');
    tls = {
      cert: read('cert_file', certFile!),
      key: read('key_file', keyFile!),
      clientCa: caFile === undefined ? undefined : read('client_ca_file', caFile),
      clientAuth,
      minVersion,
      maxVersion,
    };
  }

  let users: Map<string, string> | undefined;
  const usersDoc = doc.basic_auth_users;
  if (usersDoc !== undefined && usersDoc !== null) {
    if (!isObject(usersDoc)) refuse('basic_auth_users', 'expected a mapping of user names to bcrypt hashes');
    users = new Map();
    for (const [user, hash] of Object.entries(usersDoc as Record<string, unknown>)) {
      if (user.includes(':')) refuse(`basic_auth_users.${user}`, 'a user name cannot contain ":" (basic authentication splits on it)');
      if (typeof hash !== 'string' || !BCRYPT.test(hash)) {
        refuse(
          `basic_auth_users.${user}`,
          'expected a bcrypt hash ($2y$10$… as `htpasswd -nBC 10 USER` prints after the colon); plain passwords are not accepted',
        );
      }
      users.set(user, hash as string);
    }
    if (users.size === 0) users = undefined;
  }
  return { file, tls, users };
}

/** Options for https.createServer from the TLS section. */
export function httpsOptions(tls: WebTls): import('node:https').ServerOptions {
  const request = tls.clientAuth !== 'NoClientCert';
  return {
    cert: tls.cert,
    key: tls.key,
    minVersion: tls.minVersion,
    ...(tls.maxVersion === undefined ? {} : { maxVersion: tls.maxVersion }),
    requestCert: request,
    // Only RequireAndVerifyClientCert lets OpenSSL refuse the handshake; the softer types are
    // checked per request (checkClientCertificate), as the toolkit's tls.Config would.
    rejectUnauthorized: tls.clientAuth === 'RequireAndVerifyClientCert',
    ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa }),
  };
}

/** Why a request's client certificate falls short of client_auth_type, or undefined. */
export function checkClientCertificate(tls: WebTls, request: IncomingMessage): string | undefined {
  const socket = request.socket as TLSSocket;
  const presented = typeof socket.getPeerCertificate === 'function' && Object.keys(socket.getPeerCertificate()).length > 0;
  switch (tls.clientAuth) {
    case 'RequireAnyClientCert':
      return presented ? undefined : 'a client certificate is required';
    case 'VerifyClientCertIfGiven':
      return !presented || socket.authorized ? undefined : `the client certificate does not verify: ${String(socket.authorizationError)}`;
    case 'RequireAndVerifyClientCert':
      return presented && socket.authorized ? undefined : 'a client certificate signed by client_ca_file is required';
    default:
      return undefined;
  }
}

type BcryptCompare = (password: string, hash: string) => Promise<boolean>;
let bcryptCompare: BcryptCompare | undefined;

async function loadBcrypt(): Promise<BcryptCompare> {
  if (bcryptCompare === undefined) {
    const bcrypt = (await import('bcryptjs')) as unknown as { compare: BcryptCompare; default?: { compare: BcryptCompare } };
    const compare = bcrypt.compare ?? bcrypt.default?.compare;
    if (compare === undefined) throw new Error('bcryptjs has no compare()');
    bcryptCompare = compare;
  }
  return bcryptCompare;
}

/**
 * Basic authentication against the config's users. A bcrypt check costs tens of milliseconds
 * by design; a scraper sends the same credentials every few seconds, so a success is
 * remembered (as a SHA-256 of user, password and hash, never the password) and later requests
 * with the same credentials cost a hash. Failures are not remembered.
 */
export class BasicAuth {
  private readonly verified = new Set<string>();

  constructor(private readonly users: Map<string, string>) {}

  /** Loads bcryptjs ahead of the first request, so a missing package fails at start-up. */
  async ready(): Promise<void> {
    await loadBcrypt();
  }

  async check(request: IncomingMessage): Promise<boolean> {
    const header = request.headers.authorization;
    if (header === undefined || !/^Basic /i.test(header)) return false;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = this.users.get(user);
    if (hash === undefined) return false;
    const key = createHash('sha256').update(`${user}\0${password}\0${hash}`).digest('hex');
    if (this.verified.has(key)) return true;
    const ok = await (await loadBcrypt())(password, hash);
    if (ok) {
      if (this.verified.size > 1024) this.verified.clear();
      this.verified.add(key);
    }
    return ok;
  }
}
