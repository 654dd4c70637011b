use super::small::cm_lockstep;
use super::{CM_FOLD_VECS, CM_TILE_VECS, Out, far_by_size};
use crate::data::ColumnView;
use crate::kernels::lanes::{PREFETCHES, amap, load, madd, prefetch, prefetch_l2, widen_sum};
use wide::f32x8;

/// The column-major kernel for `d > 8`: per tile of samples, one sweep over the columns
/// forms the residuals, a second (from cache) accumulates the gradient, folding into f64
/// every [`CM_FOLD_VECS`] vectors. Same arithmetic, in the same order, as [`step`].
/// Fold `k` of the call (every [`CM_FOLD_VECS`] vectors) adds into `out.run(k)`.
pub(super) fn cm_tiled<'a>(
    data: &impl ColumnView<'a>,
    w: &[f32],
    b: f32,
    out: &mut impl Out,
    streamed: bool,
) {
    // A few samples (up to two folds) take a small buffer, which is quicker to set up.
    let few = data.n() / 8 <= 2 * CM_FOLD_VECS;
    // `streamed`: one of many batches read from memory (a table's, 8192 rows each), each
    // within the caches' size but not in them. An engine's pass over a 259 MiB `MemTable`
    // (d = 16) took 1.24–1.49× the in-memory parallel pass with the in-cache tiles, and
    // 1.05–1.26× with these.
    let far = PREFETCHES && ((streamed && !few) || far_by_size(data.n(), data.d()));
    if !far {
        if !few {
            cm_tiles::<CM_TILE_VECS, 0>(data, w, b, out);
        } else {
            cm_tiles::<FEW_VECS, 0>(data, w, b, out);
        }
    } else if lockstep(data.d()) {
        match data.d() {
            10 => cm_lockstep::<10>(data, w, b, out),
            11 => cm_lockstep::<11>(data, w, b, out),
            12 => cm_lockstep::<12>(data, w, b, out),
            13 => cm_lockstep::<13>(data, w, b, out),
            14 => cm_lockstep::<14>(data, w, b, out),
            15 => cm_lockstep::<15>(data, w, b, out),
            16 => cm_lockstep::<16>(data, w, b, out),
            17 => cm_lockstep::<17>(data, w, b, out),
            18 => cm_lockstep::<18>(data, w, b, out),
            19 => cm_lockstep::<19>(data, w, b, out),
            20 => cm_lockstep::<20>(data, w, b, out),
            21 => cm_lockstep::<21>(data, w, b, out),
            22 => cm_lockstep::<22>(data, w, b, out),
            23 => cm_lockstep::<23>(data, w, b, out),
            24 => cm_lockstep::<24>(data, w, b, out),
            25 => cm_lockstep::<25>(data, w, b, out),
            26 => cm_lockstep::<26>(data, w, b, out),
            27 => cm_lockstep::<27>(data, w, b, out),
            28 => cm_lockstep::<28>(data, w, b, out),
            29 => cm_lockstep::<29>(data, w, b, out),
            30 => cm_lockstep::<30>(data, w, b, out),
            _ => cm_lockstep::<31>(data, w, b, out),
        }
    } else if data.d() < 16 {
        // From DRAM, tiles of one fold with the next asked for by software keep the memory
        // busy through the gradient sweep; 256-vector tiles left it idle there (1.7–1.9× the
        // read on an AMD EPYC family 26 host, against 1.2–1.5×). At d = 9 asking by software
        // does not help (1.45× the read with it, 1.2× without).
        cm_tiles::<CM_FOLD_VECS, 0>(data, w, b, out);
    } else if data.d() <= 16 {
        cm_tiles::<CM_FOLD_VECS, 1>(data, w, b, out);
    } else if data.d() < WIDE_FROM {
        // The next tile (`d` KiB) is more than half of a 32 KiB L1: into L2. Into L1 it took
        // 1.5–1.8× the time at d = 32–64 on an AMD EPYC family 25 model 17 host (32 KiB L1).
        cm_tiles::<CM_FOLD_VECS, 2>(data, w, b, out);
    } else {
        cm_tiles::<WIDE_VECS, 2>(data, w, b, out);
    }
}

/// Vectors per tile for a few samples (two folds at most) within the caches: two folds, so
/// that they take one tile, or [`CM_TILE_VECS`] where that is less. At 512 samples one tile
/// took 0.89–0.96× the time of two one-fold tiles (d = 12–256, an AMD EPYC family 25 model
/// 17 host, AVX-512 and SSE2 builds).
const FEW_VECS: usize = if 2 * CM_FOLD_VECS < CM_TILE_VECS {
    2 * CM_FOLD_VECS
} else {
    CM_TILE_VECS
};
const _: () = assert!(FEW_VECS.is_multiple_of(CM_FOLD_VECS));

/// Vectors per tile from DRAM from [`WIDE_FROM`] columns on: 4 KiB of each column, where one
/// fold's 1 KiB took 1.05–1.25× the time at d = 48–256 (0.20–0.23 against 0.24–0.32 ns per
/// value on an AMD EPYC family 25 model 17 host, 1 MiB L2, in the AVX-512, AVX2 and SSE2
/// builds). 8 KiB runs of each column were no faster, and 64 KiB (tiles beyond L2) slower;
/// below 48 columns it made no difference.
const WIDE_VECS: usize = 128;
/// Columns from which tiles from DRAM are [`WIDE_VECS`] long.
const WIDE_FROM: usize = 48;
const _: () = assert!(WIDE_VECS.is_multiple_of(CM_FOLD_VECS));

/// Whether column-major data with `d` columns run in one pass from DRAM, every eight samples
/// of all the columns and `y` read side by side ([`cm_lockstep`], the same bits). The two
/// sweeps per tile ran at up to 1.7–2.6× the time of reading X and y there, with or without
/// asking ahead by software (ARCHITECTURE.md has what was tried), except where `d` is a
/// multiple of 16; the one pass at 1.0–1.4× with AVX. It holds two accumulators per column:
/// with AVX-512's 32 vector registers up to 15 columns fit, with 16 (AVX) or 8 `f32x8`
/// (SSE2) fewer. Each build takes it where it was faster than the sweeps (BENCHMARKS.md):
/// from d = 10, 11 and 12 up to 31 with AVX, up to 23 without, where at d = 16 it took 1.17×
/// the sweeps' time, at 24 0.98–1.05× and at 28 1.42×. From 32 columns on the sweeps are as
/// fast or faster.
const fn lockstep(d: usize) -> bool {
    let avx = cfg!(target_feature = "avx");
    let from = if cfg!(target_feature = "avx512vl") {
        10
    } else if avx {
        11
    } else {
        12
    };
    let to = if avx { 32 } else { 24 };
    from <= d && d < to && (avx || d != 16)
}

/// The lines of the next tile's columns, asked for one at a time as the loops of the current
/// tile pass, so that the memory is busy through both sweeps and not only the first.
/// `FAR`: 0 asks for nothing, 1 into L1, 2 into L2.
struct Ahead<'a, I: Iterator<Item = &'a [f32]>, const FAR: u8> {
    cols: I,
    cur: &'a [f32],
}

impl<'a, I: Iterator<Item = &'a [f32]>, const FAR: u8> Ahead<'a, I, FAR> {
    /// Asks for the next `K` lines (64 bytes each), if any are left.
    #[inline(always)]
    fn lines<const K: usize>(&mut self) {
        if FAR == 0 {
            return;
        }
        for _ in 0..K {
            if self.cur.is_empty() {
                match self.cols.next() {
                    Some(c) => self.cur = c,
                    None => return,
                }
            }
            if let Some(v) = self.cur.first() {
                if FAR == 1 {
                    prefetch(v);
                } else {
                    prefetch_l2(v);
                }
            }
            self.cur = self.cur.get(16..).unwrap_or(&[]);
        }
    }
}

/// [`cm_tiled`] with tiles of `T` vectors; `FAR` > 0: the data lie beyond the caches, and the
/// next tile is asked for ahead (see [`Ahead`]).
#[inline(always)]
fn cm_tiles<'a, const T: usize, const FAR: u8>(
    data: &impl ColumnView<'a>,
    w: &[f32],
    b: f32,
    out: &mut impl Out,
) {
    let n_vec = data.n() / 8;
    let d = data.d();
    let y = data.y().as_chunks::<8>().0;
    let bv = f32x8::splat(b);
    let mut buf = [f32x8::ZERO; T];
    let mut v0 = 0;
    while v0 < n_vec {
        let m = T.min(n_vec - v0);
        let tile = |col: &'a [f32]| -> &'a [[f32; 8]] {
            col.as_chunks::<8>().0.get(v0..v0 + m).unwrap_or(&[])
        };
        // The next tile's columns: d·T/2 lines, asked for one per vector of the residual
        // sweep and two per vector pair of the gradient sweep (d·T/4 each).
        let (lo, hi) = (8 * (v0 + m), 8 * (v0 + m + T));
        let mut ahead = Ahead::<_, FAR> {
            cols: data
                .columns()
                .map(move |c| c.get(lo..hi.min(c.len())).unwrap_or(&[])),
            cur: &[],
        };
        // The dot products, then the residuals in their place.
        let rt = buf.get_mut(..m).unwrap_or(&mut []);
        // Four columns per pass over the tile: each p still adds its columns in order, from
        // the first column's product (d > 8, so there is a first quad, and it writes every p).
        let (w4, w_rest) = w.as_chunks::<4>();
        let mut cols = data.columns();
        for (qi, wq) in w4.iter().enumerate() {
            let quad = [cols.next(), cols.next(), cols.next(), cols.next()];
            if let [Some(c0), Some(c1), Some(c2), Some(c3)] = quad {
                let [w0, w1, w2, w3] = amap(*wq, f32x8::splat);
                let xs = tile(c0).iter().zip(tile(c1)).zip(tile(c2)).zip(tile(c3));
                for (pv, (((x0, x1), x2), x3)) in rt.iter_mut().zip(xs) {
                    ahead.lines::<1>();
                    let p0 = if qi == 0 {
                        load(x0) * w0
                    } else {
                        madd(load(x0), w0, *pv)
                    };
                    let p = madd(load(x1), w1, p0);
                    *pv = madd(load(x3), w3, madd(load(x2), w2, p));
                }
            }
        }
        for (col, &wj) in cols.zip(w_rest) {
            let wv = f32x8::splat(wj);
            for (pv, xv) in rt.iter_mut().zip(tile(col)) {
                ahead.lines::<1>();
                *pv = madd(load(xv), wv, *pv);
            }
        }
        let yt = y.get(v0..v0 + m).unwrap_or(&[]);
        let fold0 = v0 / CM_FOLD_VECS;
        let folds = rt.chunks_mut(CM_FOLD_VECS).zip(yt.chunks(CM_FOLD_VECS));
        for (k, (rb, yb)) in folds.enumerate() {
            let (mut l0, mut l1) = (f32x8::ZERO, f32x8::ZERO);
            let (mut b0, mut b1) = (f32x8::ZERO, f32x8::ZERO);
            let (rp, r_odd) = rb.as_chunks_mut::<2>();
            let (yp, y_odd) = yb.as_chunks::<2>();
            for ([r0, r1], [y0, y1]) in rp.iter_mut().zip(yp) {
                *r0 = (*r0 + bv) - load(y0);
                l0 = madd(*r0, *r0, l0);
                b0 += *r0;
                *r1 = (*r1 + bv) - load(y1);
                l1 = madd(*r1, *r1, l1);
                b1 += *r1;
            }
            for (r0, y0) in r_odd.iter_mut().zip(y_odd) {
                *r0 = (*r0 + bv) - load(y0);
                l0 = madd(*r0, *r0, l0);
                b0 += *r0;
            }
            let (_, s) = out.run(fold0 + k);
            s.loss += widen_sum(l0 + l1);
            s.bias += widen_sum(b0 + b1);
        }
        let rt: &[f32x8] = rt;
        // Four columns per pass over the residuals, each with its own two accumulators.
        let quads = d / 4;
        let mut cols = data.columns();
        for q in 0..quads {
            if let [Some(c0), Some(c1), Some(c2), Some(c3)] =
                [cols.next(), cols.next(), cols.next(), cols.next()]
            {
                let ts = [tile(c0), tile(c1), tile(c2), tile(c3)];
                for (k, rb) in rt.chunks(CM_FOLD_VECS).enumerate() {
                    let lo = k * CM_FOLD_VECS;
                    let xb = amap(ts, |t| t.get(lo..lo + rb.len()).unwrap_or(&[]));
                    let (rp, r_odd) = rb.as_chunks::<2>();
                    if cfg!(target_feature = "avx") {
                        let mut acc = [[f32x8::ZERO; 2]; 4];
                        let [x0, x1, x2, x3] = amap(xb, |x| x.as_chunks::<2>().0);
                        let quads = rp.iter().zip(x0).zip(x1).zip(x2).zip(x3);
                        for ((((rp, p0), p1), p2), p3) in quads {
                            ahead.lines::<2>();
                            for (a, xp) in acc.iter_mut().zip([p0, p1, p2, p3]) {
                                grad_pair(a, rp, xp);
                            }
                        }
                        if let Some(g) = out.run(fold0 + k).0.get_mut(4 * q..4 * q + 4) {
                            finish_columns(acc, r_odd, xb, g);
                        }
                    } else {
                        // Sixteen registers (SSE2): two columns per pass, each pair's sums
                        // added in before the next pair starts. Eight accumulators spilled,
                        // and so did one when the first pair's were kept to the end (in one
                        // build profile and not the other). Each column's sums are the same.
                        let [b0, b1, b2, b3] = xb;
                        for (h, pair) in [[b0, b1], [b2, b3]].into_iter().enumerate() {
                            let [mut a0, mut a1] = [[f32x8::ZERO; 2]; 2];
                            let [x0, x1] = amap(pair, |x| x.as_chunks::<2>().0);
                            for ((rp, p0), p1) in rp.iter().zip(x0).zip(x1) {
                                ahead.lines::<1>();
                                grad_pair(&mut a0, rp, p0);
                                grad_pair(&mut a1, rp, p1);
                            }
                            let j = 4 * q + 2 * h;
                            if let Some(g) = out.run(fold0 + k).0.get_mut(j..j + 2) {
                                finish_columns([a0, a1], r_odd, pair, g);
                            }
                        }
                    }
                }
            }
        }
        for (j, col) in cols.enumerate().map(|(j, c)| (4 * quads + j, c)) {
            let folds = rt.chunks(CM_FOLD_VECS).zip(tile(col).chunks(CM_FOLD_VECS));
            for (k, (rb, xb)) in folds.enumerate() {
                let mut a = [f32x8::ZERO; 2];
                let ((rp, r_odd), (xp, x_odd)) = (rb.as_chunks::<2>(), xb.as_chunks::<2>());
                for (rp, xp) in rp.iter().zip(xp) {
                    ahead.lines::<2>();
                    grad_pair(&mut a, rp, xp);
                }
                if let (Some(r), Some(xv)) = (r_odd.first(), x_odd.first()) {
                    a[0] = madd(*r, load(xv), a[0]);
                }
                if let Some(g) = out.run(fold0 + k).0.get_mut(j) {
                    *g += widen_sum(a[0] + a[1]);
                }
            }
        }
        v0 += m;
    }
}

/// Adds a fold's last, odd vector (if there is one) into each column's even accumulator,
/// then each column's two accumulators into its gradient sum in `g`.
#[inline(always)]
fn finish_columns<const G: usize>(
    mut acc: [[f32x8; 2]; G],
    r_odd: &[f32x8],
    xb: [&[[f32; 8]]; G],
    g: &mut [f64],
) {
    if let Some(r) = r_odd.first() {
        let last = amap(xb, |x| x.as_chunks::<2>().1.first());
        for (a, xv) in acc.iter_mut().zip(last) {
            if let Some(xv) = xv {
                a[0] = madd(*r, load(xv), a[0]);
            }
        }
    }
    for (g, [a0, a1]) in g.iter_mut().zip(acc) {
        *g += widen_sum(a0 + a1);
    }
}

/// `a[0] += r₀·x₀`, `a[1] += r₁·x₁` for a pair of vectors: even and odd vectors in separate
/// accumulators (a fold's last, odd vector goes into `a[0]` by itself).
#[inline(always)]
fn grad_pair(a: &mut [f32x8; 2], [r0, r1]: &[f32x8; 2], [x0, x1]: &[[f32; 8]; 2]) {
    a[0] = madd(*r0, load(x0), a[0]);
    a[1] = madd(*r1, load(x1), a[1]);
}
