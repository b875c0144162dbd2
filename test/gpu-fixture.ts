// One GPU front-end stack per test file, with a driver on it: registers the
// before/after hooks and hands back an object whose fields are set once the
// stack is up.
import { after, before } from 'node:test';
import { GpuDriver, GpuDriverOptions } from '../bridge/src/gpu/driver';
import { Stack } from '../bridge/src/orchestrate/stack';
import { gpuStack } from './helpers';

export interface GpuFixture {
  s: Stack;
  drv: GpuDriver;
}

/**
 * Ring at 0x100000, fences at 0x10000; `init` (default true) resets and
 * enables the ring first; `setup` runs last, inside the same hook.
 */
export function useGpu(o: Partial<GpuDriverOptions> & { init?: boolean } = {}, setup?: (f: GpuFixture) => void | Promise<void>): GpuFixture {
  const f = {} as GpuFixture;
  before(async () => {
    f.s = await gpuStack();
    f.drv = new GpuDriver(f.s.peer, { ringBase: 0x100000n, entries: 16, fenceAddr: 0x10000n, ...o });
    if (o.init ?? true) await f.drv.init();
    await setup?.(f);
  });
  after(async () => f.s?.stop());
  return f;
}
