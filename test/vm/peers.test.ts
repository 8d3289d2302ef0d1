// Parsing the three tcpaccept tools' output and matching it to the connections made (the
// side-by-side check). The samples are the tools' real formats, as printed in a 6.1 guest.
import t from 'tap';
import { compareRows, describeComparison, normalizeAddress, parseBcc, parseBpftrace, parseTsJson, type Expected } from './peers.ts';
import { headerPackages } from './kernels.ts';

const expected: Expected[] = [
  { pid: 301, comm: 'sbs-v4', raddr: '127.0.0.1', rport: 40001, laddr: '127.0.0.1', lport: 5001 },
  { pid: 302, comm: 'sbs-v6', raddr: '::1', rport: 40002, laddr: '::1', lport: 5002 },
  { pid: 303, comm: 'sbs-mapped', raddr: '127.0.0.1', rport: 40003, laddr: '127.0.0.1', lport: 5003 },
];

t.test('normalizeAddress: IPv4-mapped IPv6 as IPv4, IPv6 lower-cased', async (t) => {
  t.equal(normalizeAddress('::ffff:127.0.0.1'), '127.0.0.1');
  t.equal(normalizeAddress('::FFFF:10.1.2.3'), '10.1.2.3');
  t.equal(normalizeAddress('FE80::1'), 'fe80::1');
  t.equal(normalizeAddress('127.0.0.1'), '127.0.0.1');
});

t.test('ts-tcpaccept --json rows; handshake-mode and non-JSON lines ignored', async (t) => {
  const text = [
    '{"time":"2026-01-01T00:00:00.000Z","mode":"accept","pid":301,"tid":301,"comm":"sbs-v4","ip":4,"raddr":"127.0.0.1","rport":40001,"laddr":"127.0.0.1","lport":5001}',
    '{"mode":"handshake","pid":0,"comm":"","raddr":"::1","rport":1,"laddr":"::1","lport":2}',
    'Possibly lost 0 samples',
  ].join('\n');
  t.same(parseTsJson(text), [expected[0]]);
});

t.test('bpftrace tcpaccept.bt rows (TIME PID COMM RADDR RPORT LADDR LPORT BL)', async (t) => {
  const text = [
    'Attaching 2 probes...',
    'Tracing TCP accepts. Hit Ctrl-C to end.',
    'TIME     PID    COMM           RADDR                                   RPORT LADDR                                   LPORT BL',
    '10:20:30 301    sbs-v4         127.0.0.1                               40001 127.0.0.1                               5001  0/1024',
    '10:20:31 302    sbs-v6         ::1                                     40002 ::1                                     5002  0/1024',
    '10:20:32 303    sbs-mapped     ::ffff:127.0.0.1                        40003 ::ffff:127.0.0.1                        5003  1/1024',
    '',
  ].join('\n');
  t.same(parseBpftrace(text), expected);
});

t.test('BCC tcpaccept rows (PID COMM IP RADDR RPORT LADDR LPORT)', async (t) => {
  const text = [
    'PID     COMM         IP RADDR            RPORT LADDR            LPORT',
    '301     sbs-v4       4  127.0.0.1        40001 127.0.0.1        5001 ',
    '302     sbs-v6       6  ::1              40002 ::1              5002 ',
    '303     sbs-mapped   6  ::ffff:127.0.0.1 40003 ::ffff:127.0.0.1 5003 ',
  ].join('\n');
  t.same(parseBcc(text), expected);
});

t.test('compareRows: exact, missing, different, extra; other ports ignored; comm to 12 chars', async (t) => {
  const rows = [
    { ...expected[0]! },
    { ...expected[1]!, pid: 999, comm: 'swapper/1' }, // the softirq's task: the bug BCC's 2018 tracepoint version had
    { ...expected[0]!, lport: 22 }, // someone else's port
    { ...expected[0]! }, // a duplicate
  ];
  const c = compareRows('tool', expected, rows);
  t.equal(c.reported, 3, 'rows on the workload ports only');
  t.equal(c.exact, 1);
  t.same(c.missing, [expected[2]]);
  t.same(c.different, [{ expected: expected[1], got: rows[1] }]);
  t.same(c.extra, [expected[0]]);
  t.match(
    describeComparison(c, 3),
    /^tool: 1\/3 exact; 1 missing .*; 1 different \(e\.g\. expected pid 302 sbs-v6 ::1, got pid 999 swapper\/1 ::1\); 1 extra rows$/,
  );
  const long = [{ ...expected[0]!, comm: 'a-fifteen-chars' }];
  t.equal(compareRows('bcc', long, [{ ...long[0]!, comm: 'a-fifteen-ch' }]).exact, 1, "BCC's %-12.12s comm matches");
});

t.test('headerPackages: the image headers plus their -common and kbuild dependencies', async (t) => {
  const depends = [
    'linux-headers-6.12.117+deb12-amd64',
    '  Depends: linux-headers-6.12.117+deb12-common',
    ' |Depends: linux-image-6.12.117+deb12-amd64',
    '  Depends: linux-image-6.12.117+deb12-amd64-unsigned',
    '  Depends: linux-kbuild-6.12.117+deb12',
    '  Depends: gcc-12',
  ].join('\n');
  t.same(headerPackages('6.12.117+deb12-amd64', depends), [
    'linux-headers-6.12.117+deb12-amd64',
    'linux-headers-6.12.117+deb12-common',
    'linux-kbuild-6.12.117+deb12',
  ]);
});
