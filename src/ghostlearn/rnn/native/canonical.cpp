// Per-network forward pass and backpropagation through time of the canonical RNNs (rank one, rank K and
// full rank), the `native` kernel of ghostlearn.rnn (docs/engine.md, "Kernels").  One network at a time,
// so that its weights stay in the core's cache for the whole trial, with AVX2 vectors along the units and
// glibc's vector exp (libmvec) for tanh.  The maths is that of ghostlearn/rnn/kernels_canonical.py:
//
//   z_t = x_t m n + b (full rank: x_t W + b),  x_{t+1} = (1-a) x_t + a tanh(z_t),  x_0 = x0 * 1,
//   y_t = sigmoid(w . x_t + b_out) for t = 1..S,  loss = sum_t (y_t - y*_t)^2 / T,  T = S / 2.
//
// Built by ghostlearn/rnn/native/__init__.py with g++ -O3 -mavx2 -mfma; called through ctypes.
// Every array is C-contiguous; a network's results do not depend on the other networks of a call.
#include <immintrin.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

extern "C" __m256 _ZGVdN8v_expf(__m256);
extern "C" __m256d _ZGVdN4v_exp(__m256d);

namespace {

struct F32 {
    using T = float;
    using V = __m256;
    static constexpr int L = 8;
    static V load(const T *p) { return _mm256_load_ps(p); }
    static void store(T *p, V v) { _mm256_store_ps(p, v); }
    static V set1(T x) { return _mm256_set1_ps(x); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static V add(V a, V b) { return _mm256_add_ps(a, b); }
    static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
    static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    static V div(V a, V b) { return _mm256_div_ps(a, b); }
    static V exp(V a) { return _ZGVdN8v_expf(a); }
    static V zero() { return _mm256_setzero_ps(); }
    static T hsum(V v) {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        return _mm_cvtss_f32(s);
    }
};

struct F64 {
    using T = double;
    using V = __m256d;
    static constexpr int L = 4;
    static V load(const T *p) { return _mm256_load_pd(p); }
    static void store(T *p, V v) { _mm256_store_pd(p, v); }
    static V set1(T x) { return _mm256_set1_pd(x); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
    static V add(V a, V b) { return _mm256_add_pd(a, b); }
    static V sub(V a, V b) { return _mm256_sub_pd(a, b); }
    static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
    static V div(V a, V b) { return _mm256_div_pd(a, b); }
    static V exp(V a) { return _ZGVdN4v_exp(a); }
    static V zero() { return _mm256_setzero_pd(); }
    static T hsum(V v) {
        __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
        return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
    }
};

// Aligned scratch of n elements, zeroed (the padding units stay zero throughout).
template <class T>
struct Buffer {
    T *p;
    explicit Buffer(size_t n) {
        size_t bytes = ((n * sizeof(T) + 31) / 32) * 32;
        p = static_cast<T *>(std::aligned_alloc(32, bytes > 0 ? bytes : 32));
        if (p == nullptr) std::abort();  // out of memory: nothing sensible to return through ctypes
        std::memset(p, 0, bytes);
    }
    ~Buffer() { std::free(p); }
    Buffer(const Buffer &) = delete;
    Buffer &operator=(const Buffer &) = delete;
    T &operator[](size_t i) { return p[i]; }
    operator T *() { return p; }
};

template <class O>
inline typename O::T dot(const typename O::T *a, const typename O::T *b, int Np) {
    typename O::V acc = O::zero();
    for (int j = 0; j < Np; j += O::L) acc = O::fma(O::load(a + j), O::load(b + j), acc);
    return O::hsum(acc);
}

// y += s * x over Np elements
template <class O>
inline void axpy(typename O::T *y, typename O::T s, const typename O::T *x, int Np) {
    typename O::V sv = O::set1(s);
    for (int j = 0; j < Np; j += O::L) O::store(y + j, O::fma(sv, O::load(x + j), O::load(y + j)));
}

// z <- tanh(z) = 1 - 2 / (1 + exp(2z)) in place; returns nothing.  exp overflows to inf for z > ~44
// (float) and gives exactly 1; for z < ~-44 it underflows to 0 and gives -1.
template <class O>
inline void tanh_inplace(typename O::T *z, int Np) {
    const typename O::V one = O::set1(1), two = O::set1(2);
    for (int j = 0; j < Np; j += O::L)
        O::store(z + j, O::sub(one, O::div(two, O::add(one, O::exp(O::mul(two, O::load(z + j)))))));
}

// x_{t+1} = (1-a) x_t + a h_t; returns w . x_{t+1}
template <class O>
inline typename O::T advance(typename O::T *xn, const typename O::T *x, const typename O::T *h,
                             const typename O::T *w, typename O::T alpha, int Np) {
    const typename O::V va = O::set1(alpha), vb = O::set1(1 - alpha);
    typename O::V acc = O::zero();
    for (int j = 0; j < Np; j += O::L) {
        typename O::V v = O::fma(va, O::load(h + j), O::mul(vb, O::load(x + j)));
        O::store(xn + j, v);
        acc = O::fma(O::load(w + j), v, acc);
    }
    return O::hsum(acc);
}

// The read-out of one network: y_t, e_t = dL/do_t (t = 1..S as 0..S-1) and the loss.
template <class T>
T readout(const T *o, T b_out, const T *tgt, int S, T *y, T *e) {
    const T half = S / 2;
    T loss = 0;
    for (int t = 0; t < S; t++) {
        T yt = 1 / (1 + std::exp(-(o[t] + b_out))), res = yt - tgt[t];
        loss += res * res;
        y[t] = yt;
        e[t] = 2 / half * res * yt * (1 - yt);
    }
    return loss / half;
}

// g <- g + e w (dL/dx_{t+1});  d <- a (1 - h^2) g (dL/dz_t, h = tanh(z_t) in d on entry);  db += d
template <class O>
inline void delta(typename O::T *g, typename O::T *d, typename O::T *db, const typename O::T *w,
                  typename O::T e, typename O::T alpha, int Np) {
    const typename O::V ve = O::set1(e), va = O::set1(alpha), one = O::set1(1);
    for (int j = 0; j < Np; j += O::L) {
        typename O::V gv = O::fma(ve, O::load(w + j), O::load(g + j)), h = O::load(d + j);
        typename O::V dv = O::mul(O::mul(va, O::sub(one, O::mul(h, h))), gv);
        O::store(g + j, gv);
        O::store(d + j, dv);
        O::store(db + j, O::add(O::load(db + j), dv));
    }
}

// Rank one (Fig. 3, 6A, 8B): the exact 1-D reduction kappa_{t+1} = (1-a) kappa_t + a n . tanh(m kappa_t + b),
// kappa_0 = x0 sum(n), y_t = sigmoid(c (kappa_t - 1)); N multiply-adds a step each way.  dc is returned
// for every network (the caller drops it where c is fixed).
template <class O>
void rank_one(int E, int N, int S, const typename O::T *m, const typename O::T *n, const typename O::T *b,
              const typename O::T *c, const typename O::T *tgt, double alpha_, double x0_, typename O::T *Y,
              typename O::T *loss, typename O::T *dm, typename O::T *dn, typename O::T *db, typename O::T *dc) {
    using T = typename O::T;
    using V = typename O::V;
    const T alpha = alpha_, beta = 1 - alpha_, x0 = x0_, half = S / 2;
    const int Np = (N + O::L - 1) / O::L * O::L;
    Buffer<T> mp(Np), np_(Np), bp(Np), nm(Np), hs(size_t(S) * Np), kap(S + 1), sens(S + 1), a(S + 1);
    Buffer<T> dmp(Np), dnp(Np), dbp(Np);
    const V one = O::set1(1);
    for (int k = 0; k < E; k++) {
        std::memcpy(mp, m + size_t(k) * N, sizeof(T) * N);
        std::memcpy(np_, n + size_t(k) * N, sizeof(T) * N);
        std::memcpy(bp, b + size_t(k) * N, sizeof(T) * N);
        const T ck = c[k];
        T nsum = 0;
        for (int i = 0; i < N; i++) nsum += np_[i];
        kap[0] = x0 * nsum;
        for (int t = 0; t < S; t++) {
            T *h = hs + size_t(t) * Np;
            const V kv = O::set1(kap[t]);
            for (int j = 0; j < Np; j += O::L) O::store(h + j, O::fma(O::load(mp + j), kv, O::load(bp + j)));
            tanh_inplace<O>(h, Np);
            kap[t + 1] = beta * kap[t] + alpha * dot<O>(np_, h, Np);
        }
        T L = 0;
        for (int t = 1; t <= S; t++) {
            T yt = 1 / (1 + std::exp(-ck * (kap[t] - 1))), res = yt - tgt[t - 1];
            L += res * res;
            Y[size_t(k) * S + t - 1] = yt;
            sens[t] = 2 / half * res * yt * (1 - yt);  // dL/d(c (kappa_t - 1))
        }
        loss[k] = L / half;
        for (int j = 0; j < Np; j++) nm[j] = np_[j] * mp[j];
        std::memset(dmp, 0, sizeof(T) * Np);
        std::memset(dnp, 0, sizeof(T) * Np);
        std::memset(dbp, 0, sizeof(T) * Np);
        a[S] = sens[S] * ck;  // a_t = dL/dkappa_t
        for (int t = S - 1; t >= 0; t--) {
            const T *h = hs + size_t(t) * Np;
            const T w = alpha * a[t + 1];  // dL/d(n . tanh(z_t)) times a
            const V wv = O::set1(w), wk = O::set1(w * kap[t]);
            V gain = O::zero();  // sum_i n_i m_i (1 - h_i^2)
            for (int j = 0; j < Np; j += O::L) {
                V hv = O::load(h + j), q = O::sub(one, O::mul(hv, hv));
                V nq = O::mul(O::load(np_ + j), q);
                gain = O::fma(O::load(nm + j), q, gain);
                O::store(dmp + j, O::fma(wk, nq, O::load(dmp + j)));
                O::store(dbp + j, O::fma(wv, nq, O::load(dbp + j)));
                O::store(dnp + j, O::fma(wv, hv, O::load(dnp + j)));
            }
            a[t] = a[t + 1] * (beta + alpha * O::hsum(gain)) + (t > 0 ? sens[t] * ck : 0);
        }
        T sum_c = 0;
        for (int t = 1; t <= S; t++) sum_c += sens[t] * (kap[t] - 1);
        dc[k] = sum_c;
        for (int j = 0; j < N; j++) dnp[j] += a[0] * x0;  // kappa_0 = x0 sum(n)
        std::memcpy(dm + size_t(k) * N, dmp, sizeof(T) * N);
        std::memcpy(dn + size_t(k) * N, dnp, sizeof(T) * N);
        std::memcpy(db + size_t(k) * N, dbp, sizeof(T) * N);
    }
}

// z[0:Np] += sum_i x[i xs] A[i, 0:Np] (rows of stride Np), NB vectors of z held in registers.
template <class O, int NB>
inline void rows_axpy_block(typename O::T *z, const typename O::T *x, const typename O::T *A, int N, int Np,
                            int xs = 1) {
    typename O::V acc[NB];
    for (int u = 0; u < NB; u++) acc[u] = O::load(z + u * O::L);
    for (int i = 0; i < N; i++) {
        typename O::V xi = O::set1(x[size_t(i) * xs]);
        const typename O::T *row = A + size_t(i) * Np;
        for (int u = 0; u < NB; u++) acc[u] = O::fma(xi, O::load(row + u * O::L), acc[u]);
    }
    for (int u = 0; u < NB; u++) O::store(z + u * O::L, acc[u]);
}

// r[i] += A[i, 0:Np] . d for i < N, NB vectors of d held in registers.
template <class O, int NB>
inline void rows_dot_block(typename O::T *r, const typename O::T *d, const typename O::T *A, int N, int Np) {
    typename O::V dv[NB];
    for (int u = 0; u < NB; u++) dv[u] = O::load(d + u * O::L);
    int i = 0;
    for (; i < N; i++) {
        const typename O::T *row = A + size_t(i) * Np;
        typename O::V acc = O::mul(dv[0], O::load(row));
        for (int u = 1; u < NB; u++) acc = O::fma(dv[u], O::load(row + u * O::L), acc);
        r[i] += O::hsum(acc);
    }
}

constexpr int BLOCK = 8;  // vectors per register block (16 AVX2 registers)

template <class O, bool DOT, int NB>
inline void block(typename O::T *out, const typename O::T *v, const typename O::T *A, int N, int Np, int j,
                  int vs) {
    if (DOT)
        rows_dot_block<O, NB>(out, v + j * O::L, A + j * O::L, N, Np);
    else
        rows_axpy_block<O, NB>(out + j * O::L, v, A + j * O::L, N, Np, vs);
}

// DOT: r[i] += A[i, :] . v for i < N;  else: z += sum_i v[i vs] A[i, :] (N rows).
template <class O, bool DOT>
void rows(typename O::T *out, const typename O::T *v, const typename O::T *A, int N, int Np, int vs = 1) {
    int nv = Np / O::L, j = 0;
    for (; nv - j >= BLOCK; j += BLOCK) block<O, DOT, BLOCK>(out, v, A, N, Np, j, vs);
    switch (nv - j) {
        case 7: block<O, DOT, 7>(out, v, A, N, Np, j, vs); break;
        case 6: block<O, DOT, 6>(out, v, A, N, Np, j, vs); break;
        case 5: block<O, DOT, 5>(out, v, A, N, Np, j, vs); break;
        case 4: block<O, DOT, 4>(out, v, A, N, Np, j, vs); break;
        case 3: block<O, DOT, 3>(out, v, A, N, Np, j, vs); break;
        case 2: block<O, DOT, 2>(out, v, A, N, Np, j, vs); break;
        case 1: block<O, DOT, 1>(out, v, A, N, Np, j, vs); break;
        default: break;
    }
}

// Rank K: state form, per step 2NK multiply-adds forward and 2NK backward, then the gradients of m and n
// as products over the stored trial (2SNK); m^T, n and the trial's states stay in cache.
template <class O>
void rank_k(int E, int N, int K, int S, const typename O::T *m, const typename O::T *n, const typename O::T *b,
            const typename O::T *w, const typename O::T *b_out, const typename O::T *tgt, double alpha_,
            double x0_, int by_rows, typename O::T *Y, typename O::T *loss, typename O::T *dm, typename O::T *dn,
            typename O::T *db, typename O::T *dw, typename O::T *dbo) {
    using T = typename O::T;
    const T alpha = alpha_, beta = 1 - alpha_, x0 = x0_;
    const int Np = (N + O::L - 1) / O::L * O::L, Kp = (K + O::L - 1) / O::L * O::L;
    const int ks = by_rows ? Kp : K;  // stride of the stored kappa_t and u_t
    Buffer<T> mT(size_t(K) * Np), nn(size_t(K) * Np), dmT(size_t(K) * Np), dnn(size_t(K) * Np);
    Buffer<T> bp(Np), wp(Np), g(Np), dbp(Np), xs(size_t(S + 1) * Np), hs(size_t(S) * Np);
    Buffer<T> kap(size_t(S) * ks), us(size_t(S) * ks), o(S), e(S);
    // by rows: m (N, Kp) and n^T (N, Kp) as well, so that x m and n delta are register-blocked sums of
    // rows too (no horizontal sums; pays for K of a few vectors)
    Buffer<T> mK(by_rows ? size_t(N) * Kp : 0), nT(by_rows ? size_t(N) * Kp : 0);
    for (int k = 0; k < E; k++) {
        const T *me = m + size_t(k) * N * K, *ne = n + size_t(k) * K * N;
        for (int i = 0; i < N; i++)
            for (int c = 0; c < K; c++) mT[size_t(c) * Np + i] = me[size_t(i) * K + c];
        for (int c = 0; c < K; c++) std::memcpy(nn + size_t(c) * Np, ne + size_t(c) * N, sizeof(T) * N);
        if (by_rows) {
            for (int i = 0; i < N; i++) std::memcpy(mK + size_t(i) * Kp, me + size_t(i) * K, sizeof(T) * K);
            for (int c = 0; c < K; c++)
                for (int i = 0; i < N; i++) nT[size_t(i) * Kp + c] = ne[size_t(c) * N + i];
        }
        std::memcpy(bp, b + size_t(k) * N, sizeof(T) * N);
        std::memcpy(wp, w + size_t(k) * N, sizeof(T) * N);
        for (int i = 0; i < N; i++) xs[i] = x0;
        for (int t = 0; t < S; t++) {
            const T *x = xs + size_t(t) * Np;
            T *z = hs + size_t(t) * Np, *kt = kap + size_t(t) * ks;
            std::memcpy(z, bp, sizeof(T) * Np);
            if (by_rows) {
                std::memset(kt, 0, sizeof(T) * Kp);
                rows<O, false>(kt, x, mK, N, Kp);  // kappa_t = x_t m
                rows<O, false>(z, kt, nn, K, Np);  // z += kappa_t n
            } else {
                for (int c = 0; c < K; c++) {
                    kt[c] = dot<O>(mT + size_t(c) * Np, x, Np);
                    axpy<O>(z, kt[c], nn + size_t(c) * Np, Np);
                }
            }
            tanh_inplace<O>(z, Np);
            o[t] = advance<O>(xs + size_t(t + 1) * Np, x, z, wp, alpha, Np);
        }
        loss[k] = readout<T>(o, b_out[k], tgt, S, Y + size_t(k) * S, e);
        std::memset(g, 0, sizeof(T) * Np);
        std::memset(dbp, 0, sizeof(T) * Np);
        std::memset(dmT, 0, sizeof(T) * K * Np);
        std::memset(dnn, 0, sizeof(T) * K * Np);
        for (int t = S - 1; t >= 0; t--) {
            T *d = hs + size_t(t) * Np;
            delta<O>(g, d, dbp, wp, e[t], alpha, Np);
            T *ut = us + size_t(t) * ks;  // dL/dkappa_t = n delta_t
            if (by_rows) {
                std::memset(ut, 0, sizeof(T) * Kp);
                rows<O, false>(ut, d, nT, N, Kp);
            } else {
                for (int c = 0; c < K; c++) ut[c] = dot<O>(nn + size_t(c) * Np, d, Np);
            }
            if (t > 0) {  // g <- dL/dx_t less its read-out term: (1-a) g + m u
                const typename O::V vb = O::set1(beta);
                for (int j = 0; j < Np; j += O::L) O::store(g + j, O::mul(vb, O::load(g + j)));
                if (by_rows)
                    rows<O, false>(g, ut, mT, K, Np);
                else
                    for (int c = 0; c < K; c++) axpy<O>(g, ut[c], mT + size_t(c) * Np, Np);
            }
        }
        // dn[c] = sum_t kappa_t[c] delta_t,  dm^T[c] = sum_t u_t[c] x_t: register-blocked over the trial
        for (int c = 0; c < K; c++) {
            rows<O, false>(dnn + size_t(c) * Np, kap + c, hs, S, Np, ks);
            rows<O, false>(dmT + size_t(c) * Np, us + c, xs, S, Np, ks);
        }
        T *dme = dm + size_t(k) * N * K, *dne = dn + size_t(k) * K * N, sum_e = 0;
        for (int i = 0; i < N; i++)
            for (int c = 0; c < K; c++) dme[size_t(i) * K + c] = dmT[size_t(c) * Np + i];
        for (int c = 0; c < K; c++) std::memcpy(dne + size_t(c) * N, dnn + size_t(c) * Np, sizeof(T) * N);
        std::memcpy(db + size_t(k) * N, dbp, sizeof(T) * N);
        T *dwe = dw + size_t(k) * N;
        for (int i = 0; i < N; i++) dwe[i] = 0;
        for (int t = 0; t < S; t++) {
            const T *x = xs + size_t(t + 1) * Np;
            for (int i = 0; i < N; i++) dwe[i] += e[t] * x[i];
            sum_e += e[t];
        }
        dbo[k] = sum_e;
    }
}

// Full rank (W (N, N)): the trial's states X (S+1, N), dL/dz_t D (S, N), outputs, e and loss; the
// weight gradient sum_t x_t^T D_t is left to one batched matrix product by the caller.
template <class O>
void full_state(int E, int N, int S, const typename O::T *W, const typename O::T *b, const typename O::T *w,
                const typename O::T *b_out, const typename O::T *tgt, double alpha_, double x0_,
                typename O::T *X, typename O::T *D, typename O::T *Y, typename O::T *Ev, typename O::T *loss,
                typename O::T *db, typename O::T *dw, typename O::T *dbo) {
    using T = typename O::T;
    const T alpha = alpha_, beta = 1 - alpha_, x0 = x0_;
    const int Np = (N + O::L - 1) / O::L * O::L;
    Buffer<T> Wp(size_t(N) * Np), bp(Np), wp(Np), g(Np), dbp(Np), xs(size_t(S + 1) * Np), hs(size_t(S) * Np), o(S);
    for (int k = 0; k < E; k++) {
        const T *We = W + size_t(k) * N * N;
        for (int i = 0; i < N; i++) std::memcpy(Wp + size_t(i) * Np, We + size_t(i) * N, sizeof(T) * N);
        std::memcpy(bp, b + size_t(k) * N, sizeof(T) * N);
        std::memcpy(wp, w + size_t(k) * N, sizeof(T) * N);
        for (int i = 0; i < N; i++) xs[i] = x0;
        for (int t = 0; t < S; t++) {
            const T *x = xs + size_t(t) * Np;
            T *z = hs + size_t(t) * Np;
            std::memcpy(z, bp, sizeof(T) * Np);
            rows<O, false>(z, x, Wp, N, Np);
            tanh_inplace<O>(z, Np);
            o[t] = advance<O>(xs + size_t(t + 1) * Np, x, z, wp, alpha, Np);
        }
        T *e = Ev + size_t(k) * S;
        loss[k] = readout<T>(o, b_out[k], tgt, S, Y + size_t(k) * S, e);
        std::memset(g, 0, sizeof(T) * Np);
        std::memset(dbp, 0, sizeof(T) * Np);
        T *De = D + size_t(k) * S * N;
        for (int t = S - 1; t >= 0; t--) {
            T *d = hs + size_t(t) * Np;
            delta<O>(g, d, dbp, wp, e[t], alpha, Np);
            std::memcpy(De + size_t(t) * N, d, sizeof(T) * N);
            if (t > 0) {  // g <- (1-a) g + W d
                const typename O::V vb = O::set1(beta);
                for (int j = 0; j < Np; j += O::L) O::store(g + j, O::mul(vb, O::load(g + j)));
                rows<O, true>(g, d, Wp, N, Np);
            }
        }
        T *Xe = X + size_t(k) * (S + 1) * N, *dwe = dw + size_t(k) * N, sum_e = 0;
        for (int t = 0; t <= S; t++) std::memcpy(Xe + size_t(t) * N, xs + size_t(t) * Np, sizeof(T) * N);
        std::memcpy(db + size_t(k) * N, dbp, sizeof(T) * N);
        for (int i = 0; i < N; i++) dwe[i] = 0;
        for (int t = 0; t < S; t++) {
            const T *x = xs + size_t(t + 1) * Np;
            for (int i = 0; i < N; i++) dwe[i] += e[t] * x[i];
            sum_e += e[t];
        }
        dbo[k] = sum_e;
    }
}

}  // namespace

#define RANK_K(NAME, O)                                                                                         \
    extern "C" void NAME(int E, int N, int K, int S, const O::T *m, const O::T *n, const O::T *b, const O::T *w, \
                         const O::T *b_out, const O::T *tgt, double alpha, double x0, int by_rows, O::T *Y,     \
                         O::T *loss, O::T *dm, O::T *dn, O::T *db, O::T *dw, O::T *dbo) {                      \
        rank_k<O>(E, N, K, S, m, n, b, w, b_out, tgt, alpha, x0, by_rows, Y, loss, dm, dn, db, dw, dbo);        \
    }
#define FULL_STATE(NAME, O)                                                                                    \
    extern "C" void NAME(int E, int N, int S, const O::T *W, const O::T *b, const O::T *w, const O::T *b_out,   \
                         const O::T *tgt, double alpha, double x0, O::T *X, O::T *D, O::T *Y, O::T *Ev,         \
                         O::T *loss, O::T *db, O::T *dw, O::T *dbo) {                                           \
        full_state<O>(E, N, S, W, b, w, b_out, tgt, alpha, x0, X, D, Y, Ev, loss, db, dw, dbo);                 \
    }
#define RANK_ONE(NAME, O)                                                                                     \
    extern "C" void NAME(int E, int N, int S, const O::T *m, const O::T *n, const O::T *b, const O::T *c,        \
                         const O::T *tgt, double alpha, double x0, O::T *Y, O::T *loss, O::T *dm, O::T *dn,     \
                         O::T *db, O::T *dc) {                                                                  \
        rank_one<O>(E, N, S, m, n, b, c, tgt, alpha, x0, Y, loss, dm, dn, db, dc);                             \
    }
RANK_ONE(rank_one_f32, F32)
RANK_ONE(rank_one_f64, F64)
RANK_K(rank_k_f32, F32)
RANK_K(rank_k_f64, F64)
FULL_STATE(full_state_f32, F32)
FULL_STATE(full_state_f64, F64)
