// The TypeScript testbench API: drive Verilated RTL from node's test runner.
// See README.md ("TypeScript testbench") and dut.ts.
import { after, afterEach, before, beforeEach } from 'node:test';
import { Dut, DutOptions } from './dut';

export { Dut, Mmio, Wave } from './dut';
export type { DutEvents, DutOptions, IntxEvent, MsixEvent, UntilOptions } from './dut';
export type { CfgState } from '../protocol/wire';
export { NativeModel, resolveModel } from '../model/native';
export type { ModelStats, NativeModelOptions } from '../model/native';
export { HostMemory } from '../peer/host-memory';
export type { AccessSize } from '../peer/host-side';

/**
 * Registers node:test hooks that load `model` and close it again; returns a
 * getter for the current Dut. fresh: true gives every test() its own model
 * (beforeEach/afterEach), otherwise one model serves the whole file.
 *
 *   const dut = useDut('example', { fresh: true });
 *   test('ID register', async () => assert.equal(await dut().mmio.read64(0, 0), 0x1_0000_c051_e001n));
 */
export function useDut(model: string, o: DutOptions & { fresh?: boolean } = {}): () => Dut {
  let current: Dut | undefined;
  const open = async () => {
    current = await Dut.load(model, o);
  };
  const close = () => {
    current?.close();
    current = undefined;
  };
  if (o.fresh) {
    beforeEach(open);
    afterEach(close);
  } else {
    before(open);
    after(close);
  }
  return () => {
    if (!current) throw new Error(`useDut('${model}'): no model loaded (call the getter inside a test)`);
    return current;
  };
}
