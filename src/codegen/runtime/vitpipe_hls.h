// vitpipe_hls.h: portability layer of vitpipe-generated HLS projects (written by vitpipe; no vendor code inside).
//
// Under the HLS tool (__SYNTHESIS__, or VITPIPE_VITIS for Vitis csim/cosim) the names below map onto the vendor's
// ap_int / ap_uint / hls::stream. Under a plain C++ compiler they are provided here:
//   vp_int<W>, vp_uint<W>  exact W-bit integers; every assignment keeps the low W bits (two's complement), exactly
//                          like an AP_WRAP/AP_TRN typed assignment; arithmetic is done at full precision (64 bits).
//   vp_stream<T>           an unbounded FIFO with read()/write()/empty()/size(); reading an empty stream aborts
//                          (in a sequential C simulation that can only be a producer/consumer count mismatch).
//   vp_vec<T, N>           one stream beat: N lanes.
//   vp_rom<W>              element type of constant tables (ap_int<W> in HLS; the smallest native integer here,
//                          which keeps g++ fast on large weight arrays).
#ifndef VITPIPE_HLS_H
#define VITPIPE_HLS_H

#include <stdint.h>

typedef long long vp_i64;

template <typename T, int N>
struct vp_vec {
  T d[N];
};

#if defined(__SYNTHESIS__) || defined(VITPIPE_VITIS)

#include <ap_int.h>
#include <hls_stream.h>
template <int W> using vp_int = ap_int<W>;
template <int W> using vp_uint = ap_uint<W>;
template <typename T> using vp_stream = hls::stream<T>;
template <int W> using vp_rom = ap_int<W>;

#else

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace vp_detail {
template <int W, bool S>
inline vp_i64 wrap(vp_i64 v) {
  static_assert(W >= 1 && W <= 63, "vp_int/vp_uint support 1..63 bits");
  return S ? (vp_i64)((uint64_t)v << (64 - W)) >> (64 - W) : (vp_i64)((uint64_t)v & ((UINT64_C(1) << W) - 1));
}
template <bool Small, typename A, typename B> struct pick { typedef A type; };
template <typename A, typename B> struct pick<false, A, B> { typedef B type; };
}  // namespace vp_detail

template <int W, bool S>
class vp_fixed {
 public:
  vp_fixed() : v_(0) {}
  vp_fixed(vp_i64 v) : v_(vp_detail::wrap<W, S>(v)) {}
  vp_fixed(int v) : v_(vp_detail::wrap<W, S>(v)) {}
  vp_fixed(long v) : v_(vp_detail::wrap<W, S>(v)) {}
  vp_fixed(unsigned v) : v_(vp_detail::wrap<W, S>(v)) {}
  template <int W2, bool S2>
  vp_fixed(const vp_fixed<W2, S2>& o) : v_(vp_detail::wrap<W, S>((vp_i64)o)) {}
  operator vp_i64() const { return v_; }
  vp_fixed& operator=(vp_i64 v) { v_ = vp_detail::wrap<W, S>(v); return *this; }
  vp_fixed& operator+=(vp_i64 v) { v_ = vp_detail::wrap<W, S>(v_ + v); return *this; }
  vp_fixed& operator-=(vp_i64 v) { v_ = vp_detail::wrap<W, S>(v_ - v); return *this; }

 private:
  vp_i64 v_;
};

template <int W> using vp_int = vp_fixed<W, true>;
template <int W> using vp_uint = vp_fixed<W, false>;
template <int W>
using vp_rom = typename vp_detail::pick<(W <= 8), int8_t,
    typename vp_detail::pick<(W <= 16), int16_t, typename vp_detail::pick<(W <= 32), int32_t, int64_t>::type>::type>::type;

// Probes (C simulation only): a testbench asks to watch an internal stream by its IR name before calling a block;
// every beat written to a stream of that name is then recorded, lanes flattened in order.
#define VP_HAVE_PROBES 1
namespace vp_probe {
inline std::map<std::string, std::vector<vp_i64> >& taps() {
  static std::map<std::string, std::vector<vp_i64> > m;
  return m;
}
inline void watch(const char* name) { taps()[name].clear(); }
inline std::vector<vp_i64>* find(const char* name) {
  std::map<std::string, std::vector<vp_i64> >::iterator it = taps().find(name);
  return it == taps().end() ? 0 : &it->second;
}
template <typename T>
inline void record(std::vector<vp_i64>&, const T&) {}
template <typename E, int N>
inline void record(std::vector<vp_i64>& out, const vp_vec<E, N>& v) {
  for (int i = 0; i < N; i++) out.push_back((vp_i64)v.d[i]);
}
}  // namespace vp_probe

template <typename T>
class vp_stream {
 public:
  vp_stream() : name_("stream"), tap_(0) {}
  explicit vp_stream(const char* name) : name_(name), tap_(vp_probe::find(name)) {}
  ~vp_stream() {
    if (!q_.empty()) std::fprintf(stderr, "vitpipe csim: stream %s has %zu beats left over\n", name_, q_.size());
  }
  void write(const T& v) {
    q_.push_back(v);
    if (tap_) vp_probe::record(*tap_, v);
  }
  T read() {
    if (q_.empty()) {
      std::fprintf(stderr, "vitpipe csim: read from empty stream %s\n", name_);
      std::abort();
    }
    T v = q_.front();
    q_.pop_front();
    return v;
  }
  bool empty() const { return q_.empty(); }
  size_t size() const { return q_.size(); }

 private:
  vp_stream(const vp_stream&);
  std::deque<T> q_;
  const char* name_;
  std::vector<vp_i64>* tap_;
};

#endif

/** clamp(v, lo, hi) of HG-PIPE's utils.h, at full precision. */
inline vp_i64 vp_clamp(vp_i64 v, vp_i64 lo, vp_i64 hi) { return v < lo ? lo : v > hi ? hi : v; }

/**
 * Token merging (vitpipe docs/TOKEN-MERGING.md): the sign of cos1 − cos2 for cosines dot / √norms (norms = the product
 * of the two squared norms; a zero norm makes the cosine 0), exact: the signs, then dot²·norms cross-multiplied
 * (reversed for negative dot products). The generator checks that dot²·norms fits 63 bits.
 */
inline int vp_cos_cmp(vp_i64 dot1, vp_i64 norms1, vp_i64 dot2, vp_i64 norms2) {
  vp_i64 d1 = norms1 == 0 ? 0 : dot1, d2 = norms2 == 0 ? 0 : dot2;
  int s1 = (d1 > 0) - (d1 < 0), s2 = (d2 > 0) - (d2 < 0);
  if (s1 != s2) return s1 - s2;
  if (s1 == 0) return 0;
  vp_i64 l = d1 * d1 * norms2, r = d2 * d2 * norms1;
  int c = (l > r) - (l < r);
  return s1 > 0 ? c : -c;
}

#endif  // VITPIPE_HLS_H
