// The public library API of ts-tcpaccept.
export * from './probe/record.ts';
export * from './probe/owner.ts';
