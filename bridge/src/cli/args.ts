// Subcommand option tables: one table drives both parsing and --help.
import { parseArgs } from 'node:util';

export interface OptSpec {
  type: 'string' | 'boolean';
  short?: string;
  arg?: string; // placeholder in help
  help: string;
  default?: string | boolean;
  multiple?: boolean;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptSpec>;
  details?: string;
}

export class UsageError extends Error {}

export function helpText(cmd: Command): string {
  const opts = { ...cmd.options, help: { type: 'boolean', short: 'h', help: 'show this help' } as OptSpec };
  const rows = Object.entries(opts).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}`;
    const def = o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : '';
    return [flag, o.help + def];
  });
  const w = Math.max(...rows.map((r) => r[0].length));
  return [
    `usage: ${cmd.usage}`,
    '',
    cmd.summary,
    '',
    'options:',
    ...rows.map(([f, h]) => `  ${f.padEnd(w)}  ${h}`),
    ...(cmd.details ? ['', cmd.details] : []),
  ].join('\n');
}

export function parse(cmd: Command, argv: string[]): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = { help: { type: 'boolean', short: 'h' } };
  for (const [k, o] of Object.entries(cmd.options)) {
    options[k] = { type: o.type, multiple: o.multiple ?? false };
    if (o.short) options[k].short = o.short;
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    const withDefaults: Record<string, string | boolean | string[] | undefined> = {};
    for (const [k, o] of Object.entries(cmd.options)) withDefaults[k] = (values as Record<string, string | boolean | string[] | undefined>)[k] ?? o.default;
    withDefaults.help = values.help as boolean | undefined;
    return { values: withDefaults, positionals };
  } catch (e) {
    throw new UsageError(`cosim ${cmd.name}: ${(e as Error).message}\n(see cosim ${cmd.name} --help)`);
  }
}

export function intOpt(v: unknown, name: string, min = 0): number {
  const n = typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name}: '${String(v)}' is not an integer >= ${min}`);
  return n;
}

/** Parses 16, 0x10 or 0b10000 into a bigint. */
export function bigOpt(v: string | undefined, what: string): bigint {
  try {
    if (v === undefined || v.trim() === '') throw new Error('missing');
    const n = BigInt(v);
    if (n < 0n) throw new Error('negative');
    return n;
  } catch {
    throw new UsageError(`${what}: '${v ?? ''}' is not a non-negative number (decimal or 0x hex)`);
  }
}
