// Every kernel object is owned by exactly one object with an idempotent close().
import type { FfiBackend } from './ffi.ts';

/** Base of every object that owns a kernel fd: `fd` throws once closed, close() is idempotent. */
export abstract class FdOwner {
  /** The backend that opened the fd, which also closes it. */
  protected readonly backend: FfiBackend;
  readonly #description: string;
  #fd: number;

  protected constructor(backend: FfiBackend, fd: number, description: string) {
    this.backend = backend;
    this.#fd = fd;
    this.#description = description;
  }

  /** The open fd; throws once closed so stale use fails loudly instead of hitting a reused fd. */
  get fd(): number {
    if (this.#fd < 0) throw new Error(`${this.#description} is closed`);
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes the fd once; later calls do nothing. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    this.releaseResources();
    // close(2) only fails with EBADF (a bug elsewhere) or EINTR/EIO after the fd is gone
    // anyway; nothing a caller could do about it.
    this.backend.close(fd);
  }

  /** Frees what the subclass holds besides the fd; called once, before the fd is closed. */
  protected releaseResources(): void {}
}
