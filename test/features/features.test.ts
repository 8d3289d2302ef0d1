// The feature probes: real answers from this kernel, and, on a fake kernel, that an answer is
// asked once, that "missing" errnos mean no and that any other failure is thrown, not taken
// for an answer.
import t from 'tap';
import { haveHelper, haveMapType, haveProgType, resetFeatureCache } from '../../src/features/index.ts';
import { Errno, FakeBackend, Helper, KernelError, MapType, ProgType, useFfiBackend } from '../../src/internal.ts';
import { kernelTest } from '../helpers/kernel.ts';

t.test('this kernel: what it has and what it lacks', kernelTest(), async (t) => {
  resetFeatureCache();
  t.equal(haveMapType(MapType.RingBuf), true, 'ring buffers (5.8+; every kernel we test has them)');
  t.equal(haveMapType(MapType.PerfEventArray), true, 'perf event arrays');
  t.equal(haveMapType(4096 as MapType), false, 'no map type 4096');
  t.equal(haveProgType(ProgType.Tracepoint), true, 'tracepoint programs');
  t.equal(haveProgType(4096 as ProgType), false, 'no program type 4096');
  t.equal(haveHelper(ProgType.Tracepoint, Helper.ringbuf_output), true, 'tracepoint programs may call bpf_ringbuf_output');
  t.equal(haveHelper(ProgType.Tracepoint, Helper.get_current_cgroup_id), true, '… and bpf_get_current_cgroup_id');
  t.equal(haveHelper(ProgType.Tracepoint, Helper.skb_store_bytes), false, 'but not bpf_skb_store_bytes, a socket-filter helper');
  t.equal(haveHelper(ProgType.Tracepoint, 100_000), false, 'nor a helper id no kernel has');
});

t.test('a fake kernel: asked once, no for a missing feature, an error for anything else', async (t) => {
  resetFeatureCache();
  const kernel = new FakeBackend();
  let creates = 0;
  kernel.onBpf('MAP_CREATE', (attr) => {
    creates++;
    const type = attr.getUint32(0, true);
    if (type === MapType.RingBuf) return -Errno.EINVAL; // a kernel before 5.8
    if (type === MapType.LruHash) return -Errno.EPERM; // not root
    return kernel.openFd();
  });
  const restore = useFfiBackend(kernel);
  t.teardown(() => {
    restore();
    resetFeatureCache();
  });
  t.equal(haveMapType(MapType.RingBuf), false, 'EINVAL: no ring buffers');
  t.equal(haveMapType(MapType.RingBuf), false, 'still no');
  t.equal(creates, 1, 'the second answer came from the cache');
  t.equal(haveMapType(MapType.Hash), true, 'a map the fake creates');
  t.equal(kernel.openFds.size, 0, 'and the probe closed it');
  t.throws(() => haveMapType(MapType.LruHash), KernelError, 'EPERM is thrown: it says nothing about the kernel');
  t.throws(() => haveMapType(MapType.LruHash), KernelError, 'and is not cached as an answer');
  t.equal(creates, 4);
});
