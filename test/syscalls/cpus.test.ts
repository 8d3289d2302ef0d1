import t from 'tap';
import { onlineCpus, parseCpuList, possibleCpus } from '../../src/syscalls/cpus.ts';

t.test('parseCpuList reads the sysfs cpulist format', async (t) => {
  t.same(parseCpuList('0\n'), [0]);
  t.same(parseCpuList('0-3\n'), [0, 1, 2, 3]);
  t.same(parseCpuList('0-3,5'), [0, 1, 2, 3, 5]);
  t.same(parseCpuList('0,2-3,8-9\n'), [0, 2, 3, 8, 9]);
  t.same(parseCpuList('5,0-1'), [0, 1, 5], 'sorted');
  t.same(parseCpuList(''), []);
  t.same(parseCpuList('\n'), []);
  t.throws(() => parseCpuList('0-'), /malformed CPU list "0-"/);
  t.throws(() => parseCpuList('3-1'), /runs backwards/);
  t.throws(() => parseCpuList('a'), /bad element/);
});

t.test('onlineCpus and possibleCpus read sysfs', { skip: process.platform !== 'linux' && 'needs Linux sysfs' }, async (t) => {
  const online = onlineCpus();
  t.ok(online.length >= 1);
  const possible = new Set(possibleCpus());
  t.ok(
    online.every((cpu) => possible.has(cpu)),
    'every online CPU is possible',
  );
});
