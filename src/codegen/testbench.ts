import type { BlockCode, PortGeometry } from './block.ts';
import type { Expectation, Tap } from './expected.ts';
import { wrapNote } from './expected.ts';
import { CodeWriter } from './writer.ts';

/** Where a testbench reads its expected output and how its PASS/FAIL line names it. */
export interface CompareTarget {
  /** `refs`: the golden file in the REFS directory; `engine`: expected/<file> written by the generator. */
  source: 'refs' | 'engine';
  file: string;
  against: string;
  note: string;
}

export function compareTarget(e: Expectation): CompareTarget {
  const note = wrapNote(e).replace(/"/g, "'");
  if (e.hardwareVsRefs < 0)
    return { source: 'engine', file: `${e.outputRefs}.txt`, against: `engine hardware mode with the same ${e.reduction ?? 'token pruning'} (expected/${e.outputRefs}.txt)`, note };
  if (e.hardwareVsRefs === 0) return { source: 'refs', file: `${e.outputRefs}.txt`, against: `refs ${e.outputRefs}.txt`, note };
  return {
    source: 'engine',
    file: `${e.outputRefs}.txt`,
    against: `engine hardware mode (expected/${e.outputRefs}.txt; the refs differ in ${e.hardwareVsRefs} values)`,
    note,
  };
}

const elems = (g: PortGeometry): number => g.tokens * g.channels;

/** A block testbench's token-size ports (token merging): sizes fed from expected/, sizes out compared with it. */
interface SizeFiles {
  stem: string;
  in?: { file: string; count: number };
  out?: { file: string; count: number };
}

function main(w: CodeWriter, name: string, input: PortGeometry, output: PortGeometry, inputFile: string, target: CompareTarget, inBeat: string, outBeat: string, call: string, taps: Tap[] = [], inputDir: 'refs' | 'expected' = 'refs', realOut = output.tokens, sizes?: SizeFiles): void {
  w.block('int main(int argc, char** argv)', () => {
    w.line('const char* refs = argc > 1 ? argv[1] : std::getenv("REFS");');
    w.line('const char* expected = argc > 2 ? argv[2] : "expected";');
    w.line('(void)expected;');
    w.block('if (!refs)', () => {
      w.line(`std::fprintf(stderr, "usage: %s <refs dir> [expected dir]\\n", argv[0]);`);
      w.line('return 2;');
    });
    w.line(`std::vector<vp_i64> x = vp_tb::load(${inputDir}, "${inputFile}", ${elems(input)});`);
    w.line(`std::vector<vp_i64> want = vp_tb::load(${target.source === 'refs' ? 'refs' : 'expected'}, "${target.file}", ${realOut * output.channels});`);
    w.line(`static vp_stream<${inBeat} > in("${name}.in");`);
    w.line(`static vp_stream<${outBeat} > out("${name}.out");`);
    w.line(`vp_tb::pack(x, ${input.tokens}, ${input.channels}, ${input.tp}, ${input.cp}, in);`);
    w.line(`std::string note = "${target.note}";`);
    w.line('int tap_fail = 0;');
    if (taps.length) {
      w.raw('#ifdef VP_HAVE_PROBES');
      for (const t of taps) w.line(`vp_probe::watch("${t.stream}");`);
      w.raw('#endif');
    }
    let sizeArgs = '';
    if (sizes?.in) {
      w.line(`static vp_stream<${sizes.stem}::size_beat> sizes_in("${name}.sizes_in");`);
      w.line(`std::vector<vp_i64> sz_in = vp_tb::load(expected, "${sizes.in.file}", ${sizes.in.count});`);
      w.block('for (size_t i = 0; i < sz_in.size(); i++)', () => w.line(`${sizes.stem}::size_beat z;`).line('z.d[0] = sz_in[i];').line('sizes_in.write(z);'));
      sizeArgs += ', sizes_in';
    }
    if (sizes?.out) {
      w.line(`static vp_stream<${sizes.stem}::size_beat> sizes_out("${name}.sizes_out");`);
      sizeArgs += ', sizes_out';
    }
    w.line('std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();');
    w.line(`${call}(in, out${sizeArgs});`);
    w.line('double secs = vp_tb::seconds_since(t0);');
    w.line(`std::vector<vp_i64> got = vp_tb::unpack(out, ${output.tokens}, ${output.channels}, ${output.tp}, ${output.cp}, "${name}");`);
    if (realOut < output.tokens) w.line(`got.resize(${realOut * output.channels});  // the last token slot is padding (an odd token count)`);
    if (sizes?.out) {
      w.line('// token merging: the output tokens\' sizes must equal the engine\'s');
      w.line(`std::vector<vp_i64> sz_want = vp_tb::load(expected, "${sizes.out.file}", ${sizes.out.count});`);
      w.line('size_t sz_bad = sizes_out.size() == sz_want.size() ? 0 : 1;');
      w.line('for (size_t i = 0; i < sz_want.size() && !sizes_out.empty(); i++) if ((vp_i64)sizes_out.read().d[0] != sz_want[i]) sz_bad++;');
      w.line('char sz_note[160];');
      w.line(`std::snprintf(sz_note, sizeof sz_note, "%s%zu token sizes %s expected/${sizes.out.file}", note.empty() ? "" : "; ", sz_want.size(), sz_bad ? "DIFFER from" : "equal to");`);
      w.line('note += sz_note;');
      w.line('tap_fail |= sz_bad != 0;');
    }
    if (taps.length) {
      w.raw('#ifdef VP_HAVE_PROBES');
      for (const t of taps) {
        const n = t.hardware.length;
        w.line('{').indent(() => {
          w.line(`// ${t.stream}: the engine's hardware mode differs from refs ${t.refs}.txt in ${t.vsRefs} value(s) (a wrap)`);
          w.line(`const std::vector<vp_i64>& flat = *vp_probe::find("${t.stream}");`);
          w.line(`std::vector<vp_i64> tap = vp_tb::unflatten(flat, ${input.tokens}, ${t.channels}, ${input.tp}, ${t.lanes / input.tp});`);
          w.line(`std::vector<vp_i64> hw = vp_tb::load(expected, "${t.refs}.hw.txt", ${n});`);
          w.line(`std::vector<vp_i64> golden = vp_tb::load(refs, "${t.refs}.txt", ${n});`);
          w.line(`tap_fail |= vp_tb::check_tap("${t.stream}", tap, flat.size(), hw, golden, ${t.channels}, "expected/${t.refs}.hw.txt", "${t.refs}.txt", note);`);
        });
        w.line('}');
      }
      w.raw('#endif');
    }
    if (name === 'NETWORK') {
      w.line('size_t top = 0;');
      w.line('for (size_t i = 1; i < got.size(); i++) if (got[i] > got[top]) top = i;');
      w.line('char top1[96];');
      w.line('std::snprintf(top1, sizeof top1, "top-1 class %zu, logit %lld", top, (long long)got[top]);');
      w.line('note = note.empty() ? std::string(top1) : std::string(top1) + "; " + note;');
    }
    w.line(`return vp_tb::report("${name}", got, want, ${output.channels}, "${target.against}", secs, note, tap_fail);`);
  });
}

/** Testbench of one block: its refs input in, its output compared with the refs (or the engine's hardware mode). */
export function blockTestbench(code: BlockCode, blockName: string, e: Expectation, target: CompareTarget): string {
  const w = new CodeWriter();
  w.line(`// Testbench of ${blockName}: feeds ${e.inputRefs}.txt, compares the output with ${target.against}. Generated by vitpipe.`);
  w.lines(['#include "vitpipe_tb.h"', `#include "${code.stem}.h"`, '']);
  const sizes: SizeFiles = {
    stem: code.stem,
    ...(code.sizesIn && e.sizesIn ? { in: { file: `${e.inputRefs}.sizes.txt`, count: e.sizesIn.length } } : {}),
    ...(code.sizesOut && e.sizesOut ? { out: { file: `${e.outputRefs}.sizes.txt`, count: e.sizesOut.length } } : {}),
  };
  if (code.sizesIn !== (sizes.in !== undefined) || code.sizesOut !== (sizes.out !== undefined)) throw new Error(`testbench of ${blockName}: the block's size ports have no expected sizes`);
  main(w, blockName, code.input, code.output, `${e.inputRefs}${e.inputData ? '.in' : ''}.txt`, target, `${code.stem}::in_beat`, `${code.stem}::out_beat`, `${code.stem}_top`, e.taps, e.inputData ? 'expected' : 'refs', e.outputTokens, sizes);
  return w.toString();
}

/** Testbench of the whole network: patch_embed_input in, the 1000 logits out. */
export function networkTestbench(first: BlockCode, last: BlockCode, target: CompareTarget, paddedInput = false): string {
  const w = new CodeWriter();
  w.line(`// Testbench of the whole network: feeds patch_embed_input.txt, compares the logits with ${target.against}. Generated by vitpipe.`);
  w.lines(['#include "vitpipe_tb.h"', '#include "top.h"', '']);
  // a padded token slot (65 tokens in 66): the refs input with a zero padding row, written to expected/
  main(w, 'NETWORK', first.input, last.output, `patch_embed_input${paddedInput ? '.in' : ''}.txt`, target, `${first.stem}::in_beat`, `${last.stem}::out_beat`, 'vitpipe_top', [], paddedInput ? 'expected' : 'refs');
  return w.toString();
}
