import { z } from 'zod';
import { fail, readJsonFile } from '../diag/index.ts';

/**
 * Programmable-logic capacity of an FPGA board's device. Block RAM is counted in 36-Kb equivalents everywhere in
 * vitpipe (an 18-Kb half counts 0.5); URAM in 288-Kb blocks.
 */
export interface Capacity {
  lut: number;
  ff: number;
  dsp: number;
  bram: number;
  uram: number;
}

export type DeviceFamily = 'zynq-us+' | 'virtex-us+' | 'versal';

export interface Device {
  name: string;
  part: string;
  family: DeviceFamily;
  capacity: Capacity;
  /** A clock HLS dataflow designs routinely close on this part, used when `--clock-mhz` is not given. */
  clockMhz: number;
  source: string;
}

const CapacitySchema = z
  .object({
    lut: z.number().int().positive(),
    ff: z.number().int().positive(),
    dsp: z.number().int().nonnegative(),
    bram: z.number().nonnegative().multipleOf(0.5),
    uram: z.number().int().nonnegative(),
  })
  .strict();

export const DeviceSchema = z
  .object({
    name: z.string().min(1),
    part: z.string().min(1).default('custom'),
    family: z.enum(['zynq-us+', 'virtex-us+', 'versal']).default('zynq-us+'),
    capacity: CapacitySchema,
    clockMhz: z.number().positive().max(1000),
    source: z.string().default('user-defined device file'),
  })
  .strict();

const dev = (name: string, part: string, family: DeviceFamily, c: Capacity, clockMhz: number, source: string): Device => ({
  name,
  part,
  family,
  capacity: c,
  clockMhz,
  source,
});

/**
 * Built-in devices. Capacities are the whole device's programmable logic as printed in the vendor tables; a shell
 * or platform (Alveo, Vitis base platforms) reserves part of it, which a user device file can describe instead.
 */
export const DEVICES: Readonly<Record<string, Device>> = {
  // AMD DS891 Zynq UltraScale+ MPSoC product selection guide (ZU9EG column); ZCU102 UG1182 names the part.
  zcu102: dev('zcu102', 'xczu9eg-ffvb1156-2-e', 'zynq-us+',
    { lut: 274_080, ff: 548_160, dsp: 2_520, bram: 912, uram: 0 }, 300, 'AMD DS891 (ZU9EG)'),
  // AMD DS891 (ZU7EV column); ZCU104 UG1267 names the part.
  zcu104: dev('zcu104', 'xczu7ev-ffvc1156-2-e', 'zynq-us+',
    { lut: 230_400, ff: 460_800, dsp: 1_728, bram: 312, uram: 96 }, 300, 'AMD DS891 (ZU7EV)'),
  // AMD DS987 Kria K26 SOM data sheet (XCK26, ZU5EV-class fabric); the KV260 kit carries the K26.
  kv260: dev('kv260', 'xck26-sfvc784-2lv-c', 'zynq-us+',
    { lut: 117_120, ff: 234_240, dsp: 1_248, bram: 144, uram: 64 }, 300, 'AMD DS987 (XCK26)'),
  // AMD DS950/DS954 Versal AI Core product table (VC1902), as quoted in FACTS.md; 425 MHz is what HG-PIPE closed.
  vck190: dev('vck190', 'xcvc1902-vsva2197-2MP-e-S', 'versal',
    { lut: 899_840, ff: 1_799_680, dsp: 1_968, bram: 967, uram: 463 }, 425, 'AMD DS950 (VC1902); HG-PIPE clock'),
  // AMD DS956 Versal AI Edge product table (VE2802 column); not cross-checked against a second source.
  vek280: dev('vek280', 'xcve2802-vsvh1760-2MP-e-S', 'versal',
    { lut: 411_264, ff: 822_528, dsp: 1_312, bram: 600, uram: 264 }, 400, 'AMD DS956 (VE2802)'),
  // AMD DS962 Alveo U200/U250 data sheet (U250 column; whole XCU250, before the shell).
  u250: dev('u250', 'xcu250-figd2104-2L-e', 'virtex-us+',
    { lut: 1_728_000, ff: 3_456_000, dsp: 12_288, bram: 2_688, uram: 1_280 }, 300, 'AMD DS962 (U250)'),
  // AMD DS963 Alveo U280 data sheet (whole XCU280, before the shell).
  u280: dev('u280', 'xcu280-fsvh2892-2L-e', 'virtex-us+',
    { lut: 1_304_000, ff: 2_607_000, dsp: 9_024, bram: 2_016, uram: 960 }, 300, 'AMD DS963 (U280)'),
  // AMD DS978 Alveo U55C data sheet (whole XCU55C, before the shell).
  u55c: dev('u55c', 'xcu55c-fsvh2892-2L-e', 'virtex-us+',
    { lut: 1_304_000, ff: 2_607_000, dsp: 9_024, bram: 2_016, uram: 960 }, 300, 'AMD DS978 (U55C)'),
};

export function deviceNames(): string[] {
  return Object.keys(DEVICES);
}

/** Resolve `--device`: a catalogue name (case-insensitive) or a JSON file holding a Device. */
export function loadDevice(nameOrFile: string): Device {
  const builtIn = DEVICES[nameOrFile.toLowerCase()];
  if (builtIn) return builtIn;
  if (!nameOrFile.endsWith('.json'))
    fail('UNKNOWN_NAME', `unknown device '${nameOrFile}'; expected one of ${deviceNames().join(', ')} or a .json file`, '--device');
  return parseDevice(readJsonFile(nameOrFile, 'BAD_DEVICE', 'device file'), nameOrFile);
}

export function parseDevice(raw: unknown, where = 'device'): Device {
  const parsed = DeviceSchema.safeParse(raw);
  if (!parsed.success) fail('BAD_DEVICE', z.prettifyError(parsed.error), where);
  return parsed.data;
}
