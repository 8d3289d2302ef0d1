// What this kernel can do, asked once and remembered: map types, program types and helpers, in
// the manner of cilium/ebpf's `features` package. Each probe makes the smallest object of its
// kind and closes it at once; the answer is cached for the process.
//
// The probes answer "no" only for the errnos a kernel gives when it lacks the feature (EINVAL:
// an enum value it does not know; E2BIG: attr fields it does not know; EOPNOTSUPP/ENOTSUPP).
// Any other failure (EPERM: not root, EMFILE) is not an answer about the kernel and is thrown
// as the KernelError it is, so callers report it instead of quietly taking a fallback.
//
// A room of its own (src/features): it assembles its probe programs (src/asm) and loads them
// (src/syscalls), and the rooms above ask it instead of catching errnos themselves.
import { parse } from '../asm/index.ts';
import { KernelError, MapType, ProgType, createMap, loadProgram, pageSize, possibleCpus } from '../syscalls/index.ts';

const MISSING_FEATURE = new Set(['EINVAL', 'E2BIG', 'EOPNOTSUPP', 'ENOTSUPP']);

const cache = new Map<string, boolean>();

function probe(key: string, attempt: () => { close(): void }): boolean {
  const known = cache.get(key);
  if (known !== undefined) return known;
  let answer: boolean;
  try {
    attempt().close();
    answer = true;
  } catch (error) {
    if (!(error instanceof KernelError) || !MISSING_FEATURE.has(error.code)) throw error;
    answer = false;
  }
  cache.set(key, answer);
  return answer;
}

/** The smallest valid map of each type, for the probe. */
function smallestMap(type: MapType): Parameters<typeof createMap>[0] {
  const name = 'feature_probe';
  switch (type) {
    case MapType.RingBuf:
      return { type, name, keySize: 0, valueSize: 0, maxEntries: pageSize };
    case MapType.PerfEventArray:
      return { type, name, keySize: 4, valueSize: 4, maxEntries: Math.max(...possibleCpus()) + 1 };
    default:
      return { type, name, keySize: 4, valueSize: 4, maxEntries: 1 };
  }
}

/**
 * Whether this kernel creates maps of `type` (e.g. MapType.RingBuf: Linux 5.8+).
 * @throws KernelError when the probe fails for another reason (EPERM: not root)
 */
export function haveMapType(type: MapType): boolean {
  return probe(`map ${type}`, () => createMap(smallestMap(type)));
}

/**
 * Whether this kernel loads programs of `type`: `r0 = 0; exit`, the smallest valid program.
 * @throws KernelError when the probe fails for another reason (EPERM: not root)
 */
export function haveProgType(type: ProgType): boolean {
  return probe(`prog ${type}`, () => loadProgram({ type, name: 'feature_probe', instructions: parse('r0 = 0\nexit').bytecode() }));
}

/**
 * Whether programs of `type` may call helper number `helper` (e.g. Helper.ringbuf_output) here.
 * The probe calls it with zeroed arguments: the verifier looks the helper up before it checks
 * the arguments, so "unknown func" in its log means no, while a complaint about an argument
 * (R1 type=scalar expected=map_ptr) means the helper is there.
 * @throws KernelError when the probe fails for another reason (EPERM: not root)
 */
export function haveHelper(type: ProgType, helper: number): boolean {
  const key = `helper ${type} ${helper}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const text = `r1 = 0\nr2 = 0\nr3 = 0\nr4 = 0\nr5 = 0\ncall ${helper}\nr0 = 0\nexit`;
  let answer: boolean;
  try {
    loadProgram({ type, name: 'feature_probe', instructions: parse(text).bytecode() }).close();
    answer = true;
  } catch (error) {
    // The verifier refuses an unknown helper with EINVAL ("unknown func") and bad arguments to
    // a known one with EACCES; EPERM and the rest say nothing about the helper.
    if (!(error instanceof KernelError) || (error.code !== 'EINVAL' && error.code !== 'EACCES')) throw error;
    // Without a verifier log the refusal is about something else (the attr): not an answer.
    const log = error.verifierLog ?? '';
    if (log === '') throw error;
    answer = !/unknown func|invalid func|program of this type cannot use helper/.test(log);
  }
  cache.set(key, answer);
  return answer;
}

/** Forgets every answer (tests that switch FFI backends between probes). */
export function resetFeatureCache(): void {
  cache.clear();
}
