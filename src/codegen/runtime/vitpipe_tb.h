// vitpipe_tb.h: testbench helpers of vitpipe-generated HLS projects (written by vitpipe). Reads tensors in HG-PIPE's
// refs text format (comma-separated decimal integers), packs them into stream beats, compares and prints one
// PASS/FAIL line per check.
#ifndef VITPIPE_TB_H
#define VITPIPE_TB_H

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "vitpipe_hls.h"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/resource.h>
#endif

namespace vp_tb {

/** Read `<dir>/<name>`: exactly `count` integers, or exit with a message naming the file. */
inline std::vector<vp_i64> load(const std::string& dir, const std::string& name, size_t count) {
  std::string path = dir + "/" + name;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    std::fprintf(stderr, "vitpipe tb: cannot open %s\n", path.c_str());
    std::exit(2);
  }
  std::string text;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  std::vector<vp_i64> out;
  out.reserve(count);
  const char* p = text.c_str();
  while (*p) {
    char* end;
    vp_i64 v = std::strtoll(p, &end, 10);
    if (end == p) {
      if (*p == ',' || *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') { p++; continue; }
      std::fprintf(stderr, "vitpipe tb: %s: unexpected character '%c' after %zu values\n", path.c_str(), *p, out.size());
      std::exit(2);
    }
    out.push_back(v);
    p = end;
  }
  if (out.size() != count) {
    std::fprintf(stderr, "vitpipe tb: %s has %zu values; expected %zu\n", path.c_str(), out.size(), count);
    std::exit(2);
  }
  return out;
}

/** Write x[tokens][channels] as beats of tp tokens × cp channels, token-pair-major (lane = p·cp + c). */
template <typename Beat>
void pack(const std::vector<vp_i64>& x, int tokens, int channels, int tp, int cp, vp_stream<Beat>& s) {
  for (int tt = 0; tt < tokens / tp; tt++)
    for (int ct = 0; ct < channels / cp; ct++) {
      Beat b;
      for (int p = 0; p < tp; p++)
        for (int c = 0; c < cp; c++) b.d[p * cp + c] = x[(size_t)(tt * tp + p) * channels + ct * cp + c];
      s.write(b);
    }
}

/** Inverse of pack; exits if the stream holds too few beats. */
template <typename Beat>
std::vector<vp_i64> unpack(vp_stream<Beat>& s, int tokens, int channels, int tp, int cp, const char* what) {
  std::vector<vp_i64> y((size_t)tokens * channels);
  size_t need = (size_t)(tokens / tp) * (channels / cp);
  if (s.size() < need) {
    std::printf("%s FAIL: output stream holds %zu beats; expected %zu\n", what, s.size(), need);
    std::exit(1);
  }
  for (int tt = 0; tt < tokens / tp; tt++)
    for (int ct = 0; ct < channels / cp; ct++) {
      Beat b = s.read();
      for (int p = 0; p < tp; p++)
        for (int c = 0; c < cp; c++) y[(size_t)(tt * tp + p) * channels + ct * cp + c] = (vp_i64)b.d[p * cp + c];
    }
  return y;
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/** Peak resident memory of this testbench in MiB (0 where the platform does not say). */
inline double peak_mib() {
#if defined(__unix__)
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // Linux reports KiB
#else
  return 0;
#endif
}

/** Regroup flattened beats (tp tokens × cp channels each, as a probe records them) into [tokens][channels]. */
inline std::vector<vp_i64> unflatten(const std::vector<vp_i64>& flat, int tokens, int channels, int tp, int cp) {
  std::vector<vp_i64> y((size_t)tokens * channels);
  size_t k = 0;
  for (int tt = 0; tt < tokens / tp; tt++)
    for (int ct = 0; ct < channels / cp; ct++)
      for (int p = 0; p < tp; p++)
        for (int c = 0; c < cp; c++) y[(size_t)(tt * tp + p) * channels + ct * cp + c] = k < flat.size() ? flat[k++] : 0;
  return y;
}

/**
 * An internal stream where the engine's hardware mode and the refs disagree (a wrap, SPEC §0): it must equal the
 * hardware mode; how it differs from the refs is described in `note`. Returns 0 when it equals the hardware mode.
 */
inline int check_tap(const char* stream, const std::vector<vp_i64>& got, size_t beats_written, const std::vector<vp_i64>& hw,
                     const std::vector<vp_i64>& refs, int channels, const char* hw_file, const char* refs_file, std::string& note) {
  size_t bad_hw = 0, bad_refs = 0, first = 0;
  for (size_t i = 0; i < hw.size(); i++) {
    if (got[i] != hw[i]) bad_hw++;
    if (got[i] != refs[i] && bad_refs++ == 0) first = i;
  }
  char buf[512];
  if (beats_written != got.size() || bad_hw) {
    std::snprintf(buf, sizeof buf, "; internal stream %s: %zu of %zu values differ from engine hardware mode (%s)%s", stream,
                  bad_hw, hw.size(), hw_file, beats_written != got.size() ? ", wrong length" : "");
    note += buf;
    return 1;
  }
  std::snprintf(buf, sizeof buf,
                "; internal stream %s bit-exact vs engine hardware mode (%s), differs from refs %s in %zu value%s (first [%zu][%zu]: refs %lld, hardware %lld)",
                stream, hw_file, refs_file, bad_refs, bad_refs == 1 ? "" : "s", first / channels, first % channels,
                (long long)refs[first], (long long)got[first]);
  note += buf;
  return 0;
}

/** Print `<name> PASS|FAIL: …` and return the process exit code (0 = PASS). */
inline int report(const char* name, const std::vector<vp_i64>& got, const std::vector<vp_i64>& want, int channels,
                  const char* against, double secs, const std::string& note_text, int extra_fail = 0) {
  const char* note = note_text.c_str();
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < want.size(); i++)
    if (got[i] != want[i] && bad++ == 0) first = i;
  if (bad == 0 && extra_fail == 0) {
    std::printf("%-12s PASS: %zu/%zu values bit-exact vs %s (csim %.2f s, peak %.0f MiB)%s%s\n", name, want.size(),
                want.size(), against, secs, peak_mib(), *note ? "; " : "", note);
    return 0;
  }
  if (bad == 0) {
    std::printf("%-12s FAIL: output bit-exact vs %s but an internal check failed (csim %.2f s)%s\n", name, against, secs, note);
    return 1;
  }
  std::printf("%-12s FAIL: %zu of %zu values differ from %s; first at [%zu][%zu]: got %lld, expected %lld (csim %.2f s, peak %.0f MiB)%s%s\n",
              name, bad, want.size(), against, first / channels, first % channels, (long long)got[first],
              (long long)want[first], secs, peak_mib(), *note ? "; " : "", note);
  return 1;
}

}  // namespace vp_tb

#endif  // VITPIPE_TB_H
