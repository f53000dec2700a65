import type { Command } from 'commander';
import { estimateDesign, loadDesignOrModel, loadDevice, resourcesByKind, rounded, roundedEstimate, sizeOn, type Resources } from '../../src/cost/index.ts';
import { resourceBreakdownSvg } from '../../src/report/resources-svg.ts';
import { writeFilesAtomically } from '../files.ts';
import { printJson } from '../print.ts';

interface EstimateOptions {
  design: string;
  device: string;
  svg?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('estimate')
    .description('estimate LUT, FF, DSP, BRAM (36-Kb equivalents) and URAM per block and in total for a device')
    .requiredOption('--design <name|design.json>', 'a built-in design (hgpipe-deit-tiny) or a design file')
    .option('--device <name|device.json>', 'device from the catalogue or a device file', 'vck190')
    .option('--svg <out.svg>', 'also write where the resources go: each resource as a share of the device, by process kind')
    .option('--json', 'print one JSON document')
    .action((opts: EstimateOptions) => {
      const device = loadDevice(opts.device);
      const design = loadDesignOrModel(opts.design);
      const exact = estimateDesign(design, device);
      const e = roundedEstimate(exact);
      // Largest consumers first (by their summed shares of the device).
      const kinds = Object.entries(resourcesByKind(design, exact))
        .map(([name, r]) => ({ name, resources: r }))
        .sort((a, b) => sizeOn(b.resources, device.capacity) - sizeOn(a.resources, device.capacity));
      if (opts.svg) writeFilesAtomically([{ path: opts.svg, content: resourceBreakdownSvg(kinds, device.capacity, { title: `${design.name} on ${device.name}: resources by process kind`, maxUtilization: 0.9 }) }]);
      const pct = (r: Resources) => utilisation(r, device.capacity);
      const doc = {
        design: design.name,
        blocks: e.blocks.map((b) => ({ name: b.name, ...b.resources, hlsLut: b.hls.lut, hlsFf: b.hls.ff })),
        links: e.links,
        total: e.total,
        utilisation: pct(e.total),
        hlsEstimateEquivalent: e.hlsTotal,
        byKind: Object.fromEntries(kinds.map((k) => [k.name, rounded(k.resources)])),
        units: { bram: '36-Kb block RAMs (an 18-Kb half counts 0.5)', uram: '288-Kb UltraRAMs' },
        device: { name: device.name, part: device.part, capacity: device.capacity },
      };
      if (opts.json) return printJson(doc);
      const rows = [
        ['block', 'LUT', 'FF', 'DSP', 'BRAM36', 'URAM', 'HLS-est LUT'],
        ...doc.blocks.map((b) => [b.name, b.lut, b.ff, b.dsp, b.bram, b.uram, b.hlsLut].map(String)),
        ['links', e.links.lut, e.links.ff, e.links.dsp, e.links.bram, e.links.uram, ''].map(String),
        ['total', e.total.lut, e.total.ff, e.total.dsp, e.total.bram, e.total.uram, e.hlsTotal.lut].map(String),
        ['device', ...(['lut', 'ff', 'dsp', 'bram', 'uram'] as const).map((k) => String(device.capacity[k])), ''],
        ['share', ...(['lut', 'ff', 'dsp', 'bram', 'uram'] as const).map((k) => `${doc.utilisation[k]}%`), ''],
      ];
      process.stdout.write(`${design.name} on ${device.name} (${device.part}); BRAM in 36-Kb equivalents\n`);
      process.stdout.write(table(rows));
    });
}

export function utilisation(r: Resources, cap: Resources): Resources {
  const p = (a: number, b: number) => (b > 0 ? Math.round((1000 * a) / b) / 10 : a > 0 ? Infinity : 0);
  return { lut: p(r.lut, cap.lut), ff: p(r.ff, cap.ff), dsp: p(r.dsp, cap.dsp), bram: p(r.bram, cap.bram), uram: p(r.uram, cap.uram) };
}

/** A design's resources (already rounded), the device's and the share of each, as a text table. */
export function resourceTable(design: Resources, cap: Resources, util: Resources): string {
  const keys = ['lut', 'ff', 'dsp', 'bram', 'uram'] as const;
  return table([
    ['', 'LUT', 'FF', 'DSP', 'BRAM36', 'URAM'],
    ['design', ...keys.map((k) => String(design[k]))],
    ['device', ...keys.map((k) => String(cap[k]))],
    ['share', ...keys.map((k) => `${util[k]}%`)],
  ]).trimEnd();
}

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n') + '\n';
}
