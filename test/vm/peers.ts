// Reading the three tcpaccept tools' output into one row shape, and comparing them, for the
// side-by-side check (side-by-side.ts): ts-tcpaccept --json, bpftrace's tcpaccept.bt and BCC's
// tcpaccept-bpfcc. Pure.

/** One accepted connection as a tool reported it. */
export interface AcceptRow {
  pid: number;
  comm: string;
  raddr: string;
  rport: number;
  laddr: string;
  lport: number;
}

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`) written as IPv4, as ts-tcpaccept and BCC print it. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address.toLowerCase();
}

const row = (pid: string, comm: string, raddr: string, rport: string, laddr: string, lport: string): AcceptRow | undefined => {
  const r = {
    pid: Number(pid),
    comm,
    raddr: normalizeAddress(raddr),
    rport: Number(rport),
    laddr: normalizeAddress(laddr),
    lport: Number(lport),
  };
  return [r.pid, r.rport, r.lport].every((n) => Number.isInteger(n) && n >= 0) ? r : undefined;
};

/** ts-tcpaccept --json: one object per line (the ready line goes to stderr). */
export function parseTsJson(text: string): AcceptRow[] {
  const rows: AcceptRow[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as Record<string, unknown>;
    if (e.mode !== undefined && e.mode !== 'accept') continue;
    if (typeof e.pid !== 'number' || typeof e.raddr !== 'string' || typeof e.laddr !== 'string') continue;
    const r = row(String(e.pid), String(e.comm), e.raddr, String(e.rport), e.laddr, String(e.lport));
    if (r) rows.push(r);
  }
  return rows;
}

/**
 * bpftrace's tcpaccept.bt: `TIME PID COMM RADDR RPORT LADDR LPORT BL` (`%-8s %-6d %-14s %-39s
 * %-5d %-39s %-5d %d/%d`), after a "Tracing TCP accepts" line and the header.
 */
export function parseBpftrace(text: string): AcceptRow[] {
  const rows: AcceptRow[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d\d:\d\d:\d\d)\s+(\d+)\s+(.*?)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+\d+\/\d+\s*$/.exec(line);
    if (!m) continue;
    const r = row(m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7]!);
    if (r) rows.push(r);
  }
  return rows;
}

/** BCC's tcpaccept: `PID COMM IP RADDR RPORT LADDR LPORT` (`%-7d %-12.12s %-2d %-16s %-5d %-16s %-5d`). */
export function parseBcc(text: string): AcceptRow[] {
  const rows: AcceptRow[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+(.*?)\s+([46])\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s*$/.exec(line);
    if (!m) continue;
    const r = row(m[1]!, m[2]!, m[4]!, m[5]!, m[6]!, m[7]!);
    if (r) rows.push(r);
  }
  return rows;
}

/** A connection the workload made: what every tool should report for it. */
export type Expected = AcceptRow;

/** How one tool's rows compare with the connections made. */
export interface ToolComparison {
  tool: string;
  /** Rows on the workload's ports. */
  reported: number;
  /** Connections reported exactly (pid, comm, addresses, ports). */
  exact: number;
  /** Connections not reported at all. */
  missing: Expected[];
  /** Connections reported with some field different: what was expected and what came. */
  different: Array<{ expected: Expected; got: AcceptRow }>;
  /** Rows on the workload's ports that match no connection (duplicates, strays). */
  extra: AcceptRow[];
}

const key = (r: { lport: number; rport: number }) => `${r.lport}/${r.rport}`;

/**
 * Matches a tool's rows to the expected connections by (local port, remote port), which is
 * unique among connections alive at once; rows on other ports are ignored. The comm is
 * compared on its first 12 characters (BCC prints `%-12.12s`; the kernel keeps 15).
 */
export function compareRows(tool: string, expected: readonly Expected[], rows: readonly AcceptRow[]): ToolComparison {
  const ports = new Set(expected.map((e) => e.lport));
  const mine = rows.filter((r) => ports.has(r.lport));
  const byKey = new Map<string, AcceptRow[]>();
  for (const r of mine) byKey.set(key(r), [...(byKey.get(key(r)) ?? []), r]);
  const result: ToolComparison = { tool, reported: mine.length, exact: 0, missing: [], different: [], extra: [] };
  for (const e of expected) {
    const candidates = byKey.get(key(e)) ?? [];
    const got = candidates.shift();
    if (!got) {
      result.missing.push(e);
      continue;
    }
    const same = got.pid === e.pid && got.comm.slice(0, 12) === e.comm.slice(0, 12) && got.raddr === e.raddr && got.laddr === e.laddr;
    if (same) result.exact++;
    else result.different.push({ expected: e, got });
  }
  for (const rest of byKey.values()) result.extra.push(...rest);
  return result;
}

/** One line per tool: "bpftrace tcpaccept.bt: 9/9 exact" plus what differed. */
export function describeComparison(c: ToolComparison, total: number): string {
  const parts = [`${c.tool}: ${c.exact}/${total} exact`];
  if (c.missing.length) parts.push(`${c.missing.length} missing (e.g. lport ${c.missing[0]!.lport} rport ${c.missing[0]!.rport})`);
  if (c.different.length) {
    const d = c.different[0]!;
    parts.push(
      `${c.different.length} different (e.g. expected pid ${d.expected.pid} ${d.expected.comm} ${d.expected.raddr}, got pid ${d.got.pid} ${d.got.comm} ${d.got.raddr})`,
    );
  }
  if (c.extra.length) parts.push(`${c.extra.length} extra rows`);
  return parts.join('; ');
}
