import t from 'tap';
import { listenerNeedsAttention, type ListenerSnapshot } from '../../src/probe/listeners.ts';

const listener = (over: Partial<ListenerSnapshot>): ListenerSnapshot => ({
  family: 4,
  localAddr: '0.0.0.0',
  localPort: 80,
  queue: 0,
  queueMax: 128,
  drops: 0,
  inode: 1,
  uid: 0,
  cgroupId: undefined,
  owner: undefined,
  dropsDelta: 0,
  ...over,
});

t.test('a listener is shown when its drops grew or its queue is at least half full', async (t) => {
  t.equal(listenerNeedsAttention(listener({})), false, 'idle');
  t.equal(listenerNeedsAttention(listener({ queue: 63 })), false, 'just under half');
  t.equal(listenerNeedsAttention(listener({ queue: 64 })), true, 'half full');
  t.equal(listenerNeedsAttention(listener({ queue: 129 })), true, 'full (limit + 1)');
  t.equal(listenerNeedsAttention(listener({ dropsDelta: 1 })), true, 'a new drop');
  t.equal(listenerNeedsAttention(listener({ drops: 500, dropsDelta: 0 })), false, 'old drops only');
  t.equal(listenerNeedsAttention(listener({ queueMax: 0, queue: 0 })), false, 'backlog 0, empty');
});
