// --web-config in the Prometheus exporter toolkit's format: a real Prometheus scrapes an agent
// over TLS with a client certificate and basic auth (certificates made here with openssl), a
// wrong password is refused, and files the server cannot honour are refused before it starts.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { parseWebConfig, WebConfigError } from '../../cli/web-config.ts';
import { kernelTest } from '../helpers/kernel.ts';
import { cliPath, runCli, startTimeScale } from '../helpers/processes.ts';
import { makeNetns, netnsUnavailableReason } from '../helpers/netns.ts';
import { prometheusUnavailableReason, startPrometheus } from '../helpers/prometheus.ts';

const HASH = bcrypt.hashSync('s3cret', 10);

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'ts-tcpaccept-web-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate, all from it. */
function makeCertificates(dir: string): void {
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=ts-tcpaccept test CA']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, subject] of [
    ['server', '/CN=localhost'],
    ['client', '/CN=prometheus'],
  ] as const) {
    openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    ]);
  }
}

const gate = () => {
  const reason = netnsUnavailableReason() ?? prometheusUnavailableReason();
  return reason === undefined ? kernelTest() : { skip: reason };
};

t.test('a real Prometheus scrapes over TLS with a client certificate and basic auth', gate(), async (t) => {
  const dir = tempDir(t);
  makeCertificates(dir);
  // Paths relative to the config file, as the toolkit resolves them.
  writeFileSync(
    join(dir, 'web.yml'),
    `tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS12
basic_auth_users:
  prometheus: ${HASH}
`,
  );
  const ns = makeNetns(t, 'tsta-web');
  const agent = ns.spawn(process.execPath, [
    cliPath,
    '--netns',
    'self',
    '--metrics',
    '127.0.0.1:9479',
    '--quiet',
    '--web-config',
    join(dir, 'web.yml'),
  ]);
  await agent.stderr.waitFor((l) => l.startsWith('Tracing TCP accepts'), 30_000 * startTimeScale, 'the agent');
  t.ok(
    agent.stderr.lines.some((l) => l.includes('serving Prometheus metrics at https://127.0.0.1:9479/metrics')),
    'the URL says https',
  );

  const tls = (withClient: boolean) => [
    '    tls_config:',
    `      ca_file: ${join(dir, 'ca.crt')}`,
    ...(withClient ? [`      cert_file: ${join(dir, 'client.crt')}`, `      key_file: ${join(dir, 'client.key')}`] : []),
  ];
  const prometheus = await startPrometheus(
    t,
    [
      {
        job: 'good',
        scheme: 'https',
        targets: ['127.0.0.1:9479'],
        extra: [...tls(true), '    basic_auth:', '      username: prometheus', '      password: s3cret'],
      },
      {
        job: 'wrong-password',
        scheme: 'https',
        targets: ['localhost:9479'],
        extra: [...tls(true), '    basic_auth:', '      username: prometheus', '      password: guess'],
      },
      {
        job: 'no-client-cert',
        scheme: 'https',
        targets: ['127.0.0.1:9479'],
        extra: [...tls(false), '    basic_auth:', '      username: prometheus', '      password: s3cret'],
      },
    ],
    ns,
  );
  const up = await prometheus.until('up', (s) => s.length === 3 && s.some((x) => x.metric.job === 'good' && x.value === 1), 30_000);
  const byJob = Object.fromEntries(up.map((s) => [s.metric.job, s.value]));
  t.same(byJob, { good: 1, 'wrong-password': 0, 'no-client-cert': 0 }, 'up: only the scrape with the client certificate and the password');
  const [info] = await prometheus.query('tcpaccept_build_info{job="good"}');
  t.equal(info?.value, 1, 'the metrics themselves arrived');
  const targets = await prometheus.targets();
  const errorOf = (job: string) => targets.find((x) => x.job === job)?.lastError ?? '';
  t.match(errorOf('wrong-password'), /401 Unauthorized/, 'a wrong password: 401');
  t.match(errorOf('no-client-cert'), /certificate|tls|remote error/i, 'no client certificate: the handshake is refused');

  agent.child.kill('SIGINT');
  t.equal(await agent.exited, 0);
});

t.test('web configs it cannot honour are refused with the key and the reason', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.crt'), 'x');
  writeFileSync(join(dir, 'a.key'), 'x');
  const cases: Array<[string, RegExp]> = [
    ['tls_config:\n  cert_file: a.crt\n', /tls_config: unknown key \(known: tls_server_config, basic_auth_users\)/],
    ['http_server_config:\n  http2: false\n', /http_server_config: not supported: the metrics server speaks HTTP\/1\.1/],
    [
      'tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n',
      /tls_server_config\.cipher_suites: not supported/,
    ],
    ['tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_allowed_sans: [x]\n', /client_allowed_sans: not supported/],
    ['tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  keyfile: a.key\n', /tls_server_config\.keyfile: unknown key/],
    ['tls_server_config:\n  cert_file: a.crt\n', /key_file: missing/],
    ['tls_server_config:\n  cert_file: a.crt\n  key_file: missing.key\n', /key_file: cannot read .*missing\.key: ENOENT/],
    [
      'tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_auth_type: RequireAndVerifyClientCert\n',
      /client_ca_file: missing: client_auth_type RequireAndVerifyClientCert/,
    ],
    [
      'tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_auth_type: Sometimes\n',
      /client_auth_type: "Sometimes" is not one of NoClientCert/,
    ],
    ['tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  min_version: TLS14\n', /min_version: "TLS14" is not one of TLS10/],
    [
      'tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  min_version: TLS13\n  max_version: TLS12\n',
      /max_version: is below min_version/,
    ],
    ['basic_auth_users:\n  alice: hunter2\n', /basic_auth_users\.alice: expected a bcrypt hash .* plain passwords are not accepted/],
    [`basic_auth_users:\n  "a:b": ${HASH}\n`, /cannot contain ":"/],
    ['basic_auth_users:\n  alice: x\n  alice: y\n', /not valid YAML/],
    ['- just\n- a list\n', /expected a mapping/],
  ];
  for (const [text, message] of cases) {
    t.throws(() => parseWebConfig(text, join(dir, 'web.yml')), message, JSON.stringify(text));
    t.throws(() => parseWebConfig(text, join(dir, 'web.yml')), WebConfigError);
  }
  const ok = parseWebConfig(
    `tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_ca_file: a.crt\nbasic_auth_users:\n  alice: ${HASH}\n`,
    join(dir, 'web.yml'),
  );
  t.equal(
    ok.tls?.clientAuth,
    'RequireAndVerifyClientCert',
    'a client CA without a type means RequireAndVerifyClientCert, as in the toolkit',
  );
  t.equal(ok.tls?.minVersion, 'TLSv1.2', 'TLS 1.2 at least by default');
  t.same([...ok.users!.keys()], ['alice']);
  t.same(
    parseWebConfig('', join(dir, 'web.yml')),
    { file: join(dir, 'web.yml'), tls: undefined, users: undefined },
    'an empty file: plain HTTP',
  );

  // The command line: exit 2, one line naming the file and the key.
  writeFileSync(join(dir, 'bad.yml'), 'tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  curve_preferences: [X25519]\n');
  const result = await runCli(['--metrics', '127.0.0.1:0', '--web-config', join(dir, 'bad.yml')]);
  t.equal(result.code, 2, result.stderr);
  t.match(result.stderr, /ts-tcpaccept: error: --web-config: .*bad\.yml: tls_server_config\.curve_preferences: not supported/);
  const missing = await runCli(['--metrics', '127.0.0.1:0', '--web-config', join(dir, 'nope.yml')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /--web-config: cannot read .*nope\.yml: ENOENT/);
  const alone = await runCli(['--web-config', join(dir, 'bad.yml')]);
  t.equal(alone.code, 2);
  t.match(alone.stderr, /--web-config sets up TLS and authentication for the metrics server: it needs --metrics/);
});
