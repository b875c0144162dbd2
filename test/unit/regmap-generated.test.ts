// The register map (hdl/gpu/regmap.json) is the single source of the SV
// package, the C header, the TypeScript constants and the Markdown tables:
// fail if any generated file is stale, and check that the generator refuses
// maps that are wrong in ways the schema alone cannot see.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { MAP_FILE, parseRegMap, RegMapError, staleOutputs } from '../../bridge/src/gpu/gen-regmap';
import { GPU_REG, GPU_RESET } from '../../bridge/src/gpu/regs';

const raw = () => JSON.parse(fs.readFileSync(MAP_FILE, 'utf8'));

const problems = (json: unknown): string[] => {
  try {
    parseRegMap(json);
  } catch (e) {
    assert.ok(e instanceof RegMapError, String(e));
    return e.problems;
  }
  assert.fail('the map was accepted');
};

test('every generated file matches hdl/gpu/regmap.json (run: node dist/bridge/src/gpu/gen-regmap.js)', () => {
  assert.deepEqual(staleOutputs(), []);
});

test('the map is valid, and the TypeScript constants carry its values', () => {
  const m = parseRegMap(raw());
  const id = m.registers.find((r) => r.name === 'ID')!;
  assert.equal(GPU_RESET.ID, id.reset);
  assert.equal(GPU_REG.DOORBELL, 0);
});

test('schema errors name the field', () => {
  const m = raw();
  m.registers[0].access = 'rx';
  m.bars[0].size = 'big';
  delete m.identity.revision;
  const p = problems(m);
  assert.ok(p.includes('registers.0.access: must be one of "ro", "rw", "wo", "w1c"'), p.join('\n'));
  assert.ok(p.includes('bars.0.size: must be an integer in range or a hex string such as "0x1f"'), p.join('\n'));
  assert.ok(p.includes('identity: must have required property \'revision\''), p.join('\n'));
});

test('overlapping registers, fields and struct members are refused', () => {
  const m = raw();
  m.registers.find((r: { name: string }) => r.name === 'SCRATCH').offset = '0x018';
  m.registers.find((r: { name: string }) => r.name === 'STATUS').fields[1].lsb = 0;
  m.structs.find((s: { name: string }) => s.name === 'CMD_COPY').fields[0].offset = 8;
  const p = problems(m);
  assert.ok(p.some((x) => /registers\.SCRATCH\.offset: 0x18 in BAR REGS is also STATUS/.test(x)), p.join('\n'));
  assert.ok(p.some((x) => /registers\.STATUS\.BUSY: overlaps another field/.test(x)), p.join('\n'));
  assert.ok(p.some((x) => /structs\.CMD_COPY\.LEN: .*overlaps SRC|structs\.CMD_COPY\.SRC: overlaps LEN/.test(x)), p.join('\n'));
});

test('registers in the MSI-X table, outside their BAR, or misaligned are refused', () => {
  const m = raw();
  m.registers.find((r: { name: string }) => r.name === 'SCRATCH').offset = '0x8010';
  m.registers.find((r: { name: string }) => r.name === 'CYCLE').offset = '0x10000';
  m.registers.find((r: { name: string }) => r.name === 'LAST_FENCE').offset = '0x134';
  m.enums[0].values[1].value = 0;
  const p = problems(m);
  assert.ok(p.some((x) => /SCRATCH\.offset: 0x8010 lies in the MSI-X table/.test(x)), p.join('\n'));
  assert.ok(p.some((x) => /CYCLE\.offset: 0x10000 outside BAR REGS/.test(x)), p.join('\n'));
  assert.ok(p.some((x) => /LAST_FENCE\.offset: 0x134 is not 8-byte aligned/.test(x)), p.join('\n'));
  assert.ok(p.some((x) => /enums\.OP\.WRITE_FENCE: value 0 used twice/.test(x)), p.join('\n'));
});
