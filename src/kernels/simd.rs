//! The fused `f32x8` kernels: same names and signatures as
//! [`reference`](crate::kernels::reference), one read of the data.
//!
//! # Strategy per layout
//! * Column-major, and row-major with `d < 8`: eight samples per vector. Each vector's
//!   residual is `((Σⱼ fⱼ·wⱼ) + b) − y` with the features `fⱼ` in order, as
//!   [`residual`](crate::kernels::reference::residual) forms it (with AVX from the first
//!   product instead of `0 + f₀·w₀`), so the residuals have the reference's bits up to the
//!   sign of a zero, which no sum shows. One accumulator per feature, two sets (even and odd vectors)
//!   to hide latency. For `d ≤ 8` one pass does everything (with 16 vector registers, some
//!   sums live on the stack from `d = 4`); for larger column-major `d` a tile of 256 samples
//!   is swept twice (residuals, then gradient) from cache. Row-major
//!   samples are gathered into feature vectors (with AVX: `d` = 2 and 4 by half-vector
//!   loads and an in-lane transpose, other `d` by a transpose of eight loads; with AVX2,
//!   `d = 4` by whole-vector loads and the same transpose, which leaves the samples
//!   interleaved in the lanes: `y` is loaded in that order and the sums are put back in
//!   sample order before they are folded, so the bits do not change; and `d = 3` by
//!   whole-vector loads, two blends and a `vpermps` per feature).
//! * Row-major, `d ≥ 8`: blocks of eight rows. Each row's dot product runs over its 8-wide
//!   chunks in one accumulator, starting from the first chunk's product; the eight
//!   accumulators are summed together by a tree of pairwise sums (AVX: `vhaddps`) or lane by
//!   lane (otherwise), both in the order `((a0+a1)+(a2+a3))+((a4+a5)+(a6+a7))`. Rows of
//!   exactly 8, 16, 24 or 32 features are fixed-size arrays, with `w` held in registers; on
//!   x86 every other `d` below 40 has its own copy of the kernel with `d` a constant, and
//!   wider rows one copy per tail length `d mod 8`.
//!   The gradient of a tile of rows (at most 16 KiB of `x`) is then `Σₖ rₖ·xₖ`, four 8-wide
//!   chunks at a time in registers, re-read from L1. Beyond 4 MiB of `x`, both sweeps ask
//!   for the next tile by software prefetch, spread in proportion to their work. With AVX,
//!   rows of 8–32 whole chunks are software-pipelined instead: each step forms the residuals
//!   of eight rows of the next tile and adds the gradient of eight rows of this one (beyond
//!   4 MiB asking for the data 2 KiB ahead), in the same order, so with the same bits.
//!
//! Sample tails (`n mod 8`) go through scalar code with the same residual arithmetic. Feature
//! tails (`d mod 8`) are real values moved into lanes (each row's last eight values,
//! transposed, lanes = rows): no lane is ever zero-padded, so no phantom sample or feature
//! reaches a sum.
//!
//! # Floating-point contract
//! Lane-wise `*` then `+` (two roundings), horizontal sums in a written-out order, f32
//! partial sums folded into f64 once per tile. No `reduce_add`, no `mul_add` (unless the
//! `fma` feature is on), no runtime dispatch: for a given layout and shape the result bits are
//! the same in every build and on every target. The two layouts sum in different orders, so
//! for `d ≥ 8` their bits differ from each other (within the bound of
//! [`bound`](crate::kernels::bound)).

use core::array;

use wide::f32x8;

use super::lanes::{
    INTERLEAVES, PREFETCHES, columns_by_value, columns_of_2, columns_of_3, columns_of_4,
    columns_of_4_at, columns_of_4_interleaved, columns8, deinterleave, hsum8, interleave, load,
    load_at, madd, prefetch, prefetch_l2, smadd, tree8, widen_add, widen_sum,
};
use super::{Sums, check_params, finish};
use crate::data::{ColMajor, Dataset, RowMajor};
use crate::error::Error;

/// Samples per f64 fold in the eight-samples-per-vector kernels (column-major `d ≤ 8`,
/// row-major `d < 8`).
pub const TILE: usize = 1024;
const TILE_VECS: usize = TILE / 8;
/// Vectors per f64 fold of the column-major kernel for `d > 8`: the same on every target, so
/// the bits are.
const CM_FOLD_VECS: usize = 32;
/// Vectors per tile of the column-major kernel for `d > 8`, whose residuals stay on the stack:
/// on 64-bit targets 256 (8 KiB of each column per sweep, an 8 KiB buffer; from DRAM this ran
/// 25–35 % faster than 32 at d = 64 and 256, as the hardware prefetcher follows longer runs),
/// elsewhere 32 (1 KiB). A multiple of [`CM_FOLD_VECS`], so the folds, and the bits, match.
#[cfg(target_pointer_width = "64")]
const CM_TILE_VECS: usize = 256;
#[cfg(not(target_pointer_width = "64"))]
const CM_TILE_VECS: usize = 32;
const _: () = assert!(CM_TILE_VECS.is_multiple_of(CM_FOLD_VECS) && CM_FOLD_VECS.is_multiple_of(2));
/// Most rows in one tile of the wide row-major kernel.
const RM_TILE_MAX: usize = 256;
/// Values of `x` in one tile of the wide row-major kernel (16 KiB: half of a typical L1d).
const RM_TILE_VALUES: usize = 4096;
/// Data with at least this many values of `x` (4 MiB, beyond L2) are fetched ahead by
/// software; in cache the prefetches only cost time (row-major d = 1 0.15 → 0.30 ns per
/// value). Without them this machine hides little of a loop's arithmetic behind its reads
/// (`examples/overlap.rs`, BENCHMARKS.md).
///
/// * Row-major `d < 8` (and column-major `d = 1`, the same layout) asks for the data
///   [`SMALL_PREFETCH_AHEAD`] values of `x` ahead. 512 MiB, criterion, fused ÷ read d = 1
///   1.48–1.55 → 1.18–1.19 and d = 4 1.32–1.41 → 1.01–1.12; with d = 1 loaded as a column
///   and the prefetch addressed by vector (two checks instead of a sliced range per line),
///   d = 1 0.95–1.0 in paired rounds (`examples/probe.rs`).
/// * The wide row-major kernel asks for the next tile into L2 at an even rate over both
///   sweeps of the current one (paired rounds, native, 512 MiB, fused ÷ read: d = 8
///   1.34–1.59 → 1.09–1.46, d = 16 1.28–1.48 → 1.14–1.33, d = 64 1.32–1.84 → 1.19–1.24,
///   d = 256 1.67–1.93 → 1.23–1.44; default build d = 16/64 1.56–1.68 → 1.11–1.23). Asking
///   only during the second sweep, or a fixed distance ahead in the first, did not help.
const FAR_VALUES: usize = 1 << 20;
const SMALL_PREFETCH_AHEAD: usize = 1024;
/// How far ahead of its residual stream (in bytes of `x`) the pipelined row-major kernel
/// asks for data beyond the caches. 512 MiB, paired rounds, fused ÷ read at d = 8/16/24/32:
/// 1 KiB 1.09–1.22/1.16–1.32/1.24–1.48/1.68–1.69, 2 KiB 1.02–1.23/1.09–1.19/1.14–1.17/1.11–1.19,
/// 3 KiB 1.05–1.10/1.15–1.17/1.21/1.21, 4 KiB and 8 KiB no better; the next tile spread
/// over the steps (as the two-sweep kernel does) 1.09–1.20/1.28–1.30/–/1.31–1.34.
const PIPELINE_AHEAD: usize = 2048;

/// The longest chain of f32 additions into one accumulator in any kernel here, counting the
/// merge of the two accumulator sets: `RM_TILE_MAX / 2 + 1` (the wide row-major gradient;
/// the eight-samples-per-vector kernels chain `TILE / 16 + 1 = 65`). The error bound of [`bound`](crate::kernels::bound) uses it.
pub const F32_CHAIN: usize = RM_TILE_MAX / 2 + 1;

/// Rows per tile of the wide row-major kernel for `d` features: a multiple of 8 with at
/// most 4096 values of `x`, between 8 and 256 rows.
pub fn row_major_tile(d: usize) -> usize {
    (RM_TILE_VALUES / d.max(1) / 8 * 8).clamp(8, RM_TILE_MAX)
}

/// Loss, bias and gradient sums over all samples of either layout.
///
/// `grad` is overwritten with `Σᵢ rᵢ·xᵢⱼ` for every feature `j`.
///
/// # Errors
/// [`Error::Length`] if `w` or `grad` does not have `d` elements;
/// [`Error::NonFinite`] if a sum is NaN or ±∞ (the data hold NaN/∞ or overflow), in which
/// case `grad` holds unspecified values.
///
/// # Example
/// ```
/// use steepest::{kernels::simd, RowMajor};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
/// let mut g = [0.0];
/// let s = simd::gradient(&data.into(), &[0.0], 0.0, &mut g)?;
/// assert_eq!((s.loss, s.bias, g[0]), (120.0, -20.0, -60.0)); // the seed's Σr², Σr, Σr·x
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn gradient(data: &Dataset<'_>, w: &[f32], b: f32, grad: &mut [f64]) -> Result<Sums, Error> {
    match data {
        Dataset::RowMajor(v) => gradient_row_major(v, w, b, grad),
        Dataset::ColMajor(v) => gradient_col_major(v, w, b, grad),
    }
}

/// [`gradient`] for a row-major view.
///
/// # Errors
/// As [`gradient`].
pub fn gradient_row_major(
    data: &RowMajor<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
) -> Result<Sums, Error> {
    check_params(data.d(), w, grad)?;
    grad.fill(0.0);
    let mut s = Sums {
        rows: data.n(),
        ..Sums::default()
    };
    match data.d() {
        1 => rm_small::<1>(data, w, b, grad, &mut s),
        2 => rm_small::<2>(data, w, b, grad, &mut s),
        3 => rm_small::<3>(data, w, b, grad, &mut s),
        4 => rm_small::<4>(data, w, b, grad, &mut s),
        5 => rm_small::<5>(data, w, b, grad, &mut s),
        6 => rm_small::<6>(data, w, b, grad, &mut s),
        7 => rm_small::<7>(data, w, b, grad, &mut s),
        _ => rm_wide(data, w, b, grad, &mut s),
    }
    finish(s, grad)
}

/// [`gradient`] for a column-major view.
///
/// # Errors
/// As [`gradient`].
pub fn gradient_col_major(
    data: &ColMajor<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
) -> Result<Sums, Error> {
    check_params(data.d(), w, grad)?;
    grad.fill(0.0);
    let mut s = Sums {
        rows: data.n(),
        ..Sums::default()
    };
    match data.d() {
        1 => cm_small::<1>(data, w, b, grad, &mut s),
        2 => cm_small::<2>(data, w, b, grad, &mut s),
        3 => cm_small::<3>(data, w, b, grad, &mut s),
        4 => cm_small::<4>(data, w, b, grad, &mut s),
        5 => cm_small::<5>(data, w, b, grad, &mut s),
        6 => cm_small::<6>(data, w, b, grad, &mut s),
        7 => cm_small::<7>(data, w, b, grad, &mut s),
        8 => cm_small::<8>(data, w, b, grad, &mut s),
        _ => cm_tiled(data, w, b, grad, &mut s),
    }
    let n_vec = data.n() / 8;
    for (i, &y) in data.y().iter().enumerate().skip(8 * n_vec) {
        let sample = data.columns().map(|c| c.get(i).copied().unwrap_or(0.0));
        tail_sample(sample, w, b, y, grad, &mut s);
    }
    finish(s, grad)
}

// ---------------------------------------------------------------------------------------
// Eight samples per vector, d ≤ 8 (column-major) or d < 8 (row-major, gathered).
// ---------------------------------------------------------------------------------------

/// One accumulator set of the small-`d` kernel.
#[derive(Clone, Copy)]
struct Acc<const D: usize> {
    g: [f32x8; D],
    loss: f32x8,
    bias: f32x8,
}

impl<const D: usize> Acc<D> {
    const ZERO: Self = Acc {
        g: [f32x8::ZERO; D],
        loss: f32x8::ZERO,
        bias: f32x8::ZERO,
    };
}

/// One vector of eight samples: residual, then every sum. The defining arithmetic of the
/// eight-samples-per-vector kernels (`cm_tiled` repeats it in two sweeps).
///
/// The residual is `((Σⱼ fⱼ·wⱼ) + b) − y`, the features in order. With AVX the first product
/// is not added to a zero first as the reference's `0 + f₀·w₀` is (5–6 % faster in cache at
/// d = 3 and 4); that changes only the sign of a zero residual, which no sum shows (every
/// accumulator starts at `+0`, and `+0 + −0 = +0`), so the bits are those of the other
/// builds. Without AVX the sum starts from zero: there the other form ran slower (SSE2).
#[inline(always)]
fn step<const D: usize>(f: [f32x8; D], y: f32x8, w: &[f32x8; D], b: f32x8, a: &mut Acc<D>) {
    let mut terms = f.iter().zip(w);
    let mut p = if cfg!(target_feature = "avx") {
        terms.next().map_or(f32x8::ZERO, |(f0, w0)| *f0 * *w0)
    } else {
        f32x8::ZERO
    };
    for (fj, wj) in terms {
        p = madd(*fj, *wj, p);
    }
    let r = (p + b) - y;
    for (gj, fj) in a.g.iter_mut().zip(f) {
        *gj = madd(r, fj, *gj);
    }
    a.loss = madd(r, r, a.loss);
    a.bias += r;
}

/// Runs [`step`] over `n_vec` vectors (`load_features(v)` gives vector `v`'s features), tile
/// by tile, even and odd vectors into separate accumulator sets, folding each tile into f64.
///
/// With `interleaved`, the features' lanes hold the samples in the order
/// [`INTERLEAVED`](super::lanes::INTERLEAVED): `y` is loaded in that order and every sum put
/// back in sample order before it is folded, so each lane's sum, and the fold, are as without.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn small<const D: usize>(
    n_vec: usize,
    load_features: impl Fn(usize) -> [f32x8; D],
    y: &[[f32; 8]],
    interleaved: bool,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
    s: &mut Sums,
) {
    let load_y = |v: usize| {
        if interleaved {
            y.get(v).map_or(f32x8::ZERO, interleave)
        } else {
            load_at(y, v)
        }
    };
    let fold = |v: f32x8| widen_sum(if interleaved { deinterleave(v) } else { v });
    let wv: [f32x8; D] = array::from_fn(|j| f32x8::splat(w.get(j).copied().unwrap_or(0.0)));
    let bv = f32x8::splat(b);
    let mut v = 0;
    while v < n_vec {
        let end = n_vec.min(v + TILE_VECS);
        let (mut a0, mut a1) = (Acc::<D>::ZERO, Acc::<D>::ZERO);
        while v + 2 <= end {
            if cfg!(target_feature = "avx") {
                // Both vectors' features first: with AVX that schedules better (row-major
                // d = 3 and 5 7–8 % faster); without, it spills.
                let (f0, f1) = (load_features(v), load_features(v + 1));
                step(f0, load_y(v), &wv, bv, &mut a0);
                step(f1, load_y(v + 1), &wv, bv, &mut a1);
            } else {
                step(load_features(v), load_y(v), &wv, bv, &mut a0);
                step(load_features(v + 1), load_y(v + 1), &wv, bv, &mut a1);
            }
            v += 2;
        }
        if v < end {
            step(load_features(v), load_y(v), &wv, bv, &mut a0);
            v += 1;
        }
        for (g, (x0, x1)) in grad.iter_mut().zip(a0.g.iter().zip(&a1.g)) {
            *g += fold(*x0 + *x1);
        }
        s.loss += fold(a0.loss + a1.loss);
        s.bias += fold(a0.bias + a1.bias);
    }
}

fn cm_small<const D: usize>(
    data: &ColMajor<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
    s: &mut Sums,
) {
    let n_vec = data.n() / 8;
    // Every column has n values and y at least n, so each of these slices has exactly n_vec
    // vectors, which lets the loads in `small` go without bounds checks.
    let cols = all::<_, D>(array::from_fn(|j| {
        data.column(j)
            .and_then(|c| c.as_chunks::<8>().0.get(..n_vec))
    }));
    let y = data.y().as_chunks::<8>().0.get(..n_vec);
    if let (Some(cols), Some(y)) = (cols, y) {
        // One column is row-major d = 1's layout: the same prefetch. With more columns it
        // did not help (ARCHITECTURE.md, "Measured and rejected").
        let far = PREFETCHES && D == 1 && 8 * n_vec >= FAR_VALUES;
        columns_small(
            cols,
            y,
            far.then_some(SMALL_PREFETCH_AHEAD / 8),
            w,
            b,
            grad,
            s,
        );
    }
}

/// [`small`] over `D` columns of exactly as many vectors as `y`; with `ahead`, every other
/// vector asks for the line `ahead` vectors on in each column and in `y`.
#[inline(always)]
fn columns_small<const D: usize>(
    cols: [&[[f32; 8]]; D],
    y: &[[f32; 8]],
    ahead: Option<usize>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
    s: &mut Sums,
) {
    let n_vec = y.len();
    if let Some(ahead) = ahead {
        let load = |v: usize| {
            if v.is_multiple_of(2) {
                for c in cols {
                    if let Some(l) = c.get(v + ahead) {
                        prefetch(l);
                    }
                }
                if let Some(l) = y.get(v + ahead) {
                    prefetch(l);
                }
            }
            cols.map(|c| load_at(c, v))
        };
        small::<D>(n_vec, load, y, false, w, b, grad, s);
    } else {
        small::<D>(
            n_vec,
            |v| cols.map(|c| load_at(c, v)),
            y,
            false,
            w,
            b,
            grad,
            s,
        );
    }
}

fn rm_small<const D: usize>(
    data: &RowMajor<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
    s: &mut Sums,
) {
    let n_vec = data.n() / 8;
    let x = data.x();
    let y = data.y().as_chunks::<8>().0;
    let far = PREFETCHES && x.len() >= FAR_VALUES;
    if D == 1 {
        // One feature: x is a column, loaded as one (no gather), with the same arithmetic.
        if let (Some(xc), Some(yc)) = (x.as_chunks::<8>().0.get(..n_vec), y.get(..n_vec)) {
            let ahead = far.then_some(SMALL_PREFETCH_AHEAD / 8);
            columns_small::<1>([xc], yc, ahead, w, b, grad, s);
        }
    } else {
        // d = 4 with AVX2: each vector's rows as four whole loads, the lanes interleaved.
        let interleaved = D == 4 && INTERLEAVES;
        let quads = x.as_chunks::<8>().0.as_chunks::<4>().0;
        let features = |v: usize| {
            if interleaved && let Some(q) = quads.get(v) {
                let cols = columns_of_4_interleaved(q);
                return array::from_fn(|j| cols.get(j).copied().unwrap_or(f32x8::ZERO));
            }
            gather::<D>(x, 8 * D * v)
        };
        if far {
            // Data beyond the caches: every other vector (one cache line of y, D of x), fetch
            // the lines SMALL_PREFETCH_AHEAD values of x ahead, and the matching line of y.
            let lines = x.as_chunks::<16>().0;
            let load = |v: usize| {
                if v.is_multiple_of(2) {
                    let first = D * v / 2 + SMALL_PREFETCH_AHEAD / 16;
                    for l in lines.iter().skip(first).take(D) {
                        prefetch(l);
                    }
                    if let Some(l) = y.get(v + SMALL_PREFETCH_AHEAD / (8 * D)) {
                        prefetch(l);
                    }
                }
                features(v)
            };
            small::<D>(n_vec, load, y, interleaved, w, b, grad, s);
        } else {
            small::<D>(n_vec, features, y, interleaved, w, b, grad, s);
        }
    }
    let rows = x.chunks_exact(D).zip(data.y()).skip(8 * n_vec);
    for (row, &yi) in rows {
        tail_sample(row.iter().copied(), w, b, yi, grad, s);
    }
}

/// The `D` feature vectors of the eight consecutive rows starting at `x[base]` (`D ≥ 2`:
/// one feature is loaded as a column).
///
/// With AVX, eight overlapping 8-value loads (one per row start) are transposed, which
/// reads up to `8 − D` values past the group; where `x` ends sooner (the last group), and
/// without AVX, the values are gathered one by one. Both give the same vectors.
#[inline(always)]
fn gather<const D: usize>(x: &[f32], base: usize) -> [f32x8; D] {
    if D == 4
        && let Some(rows) = x.get(base..base + 32).map(|g| g.as_chunks::<4>().0)
        && let Ok(rows) = <&[[f32; 4]; 8]>::try_from(rows)
    {
        let cols = columns_of_4(rows);
        return array::from_fn(|j| cols.get(j).copied().unwrap_or(f32x8::ZERO));
    }
    if D == 3
        && cfg!(target_feature = "avx2")
        && let Some(g) = x.get(base..base + 24)
        && let Ok(v) = <&[[f32; 8]; 3]>::try_from(g.as_chunks::<8>().0)
    {
        let cols = columns_of_3(v);
        return array::from_fn(|j| cols.get(j).copied().unwrap_or(f32x8::ZERO));
    }
    if D == 2
        && let Some(pairs) = x.get(base..base + 16).map(|g| g.as_chunks::<4>().0)
        && let Ok(pairs) = <&[[f32; 4]; 4]>::try_from(pairs)
    {
        let cols = columns_of_2(pairs);
        return array::from_fn(|j| cols.get(j).copied().unwrap_or(f32x8::ZERO));
    }
    if cfg!(target_feature = "avx")
        && let Some(span) = x.get(base..base + 7 * D + 8)
    {
        let rows: [Option<&[f32; 8]>; 8] =
            array::from_fn(|k| span.get(k * D..k * D + 8).and_then(|r| r.try_into().ok()));
        if let Some(rows) = all8(rows) {
            let cols = columns8(rows);
            return array::from_fn(|j| cols.get(j).copied().unwrap_or(f32x8::ZERO));
        }
    }
    // Lane k of feature j is x[base + k·D + j], read in place (copying the rows out, as
    // `rows.map` on an array of rows does, ran d = 7 at 1.2–1.5 ns per value in the default
    // build: the copy was repeated per feature and not unrolled).
    x.get(base..base + 8 * D)
        .map_or([f32x8::ZERO; D], columns_by_value::<D>)
}

/// The column-major kernel for `d > 8`: per tile of samples, one sweep over the columns
/// forms the residuals, a second (from cache) accumulates the gradient, folding into f64
/// every [`CM_FOLD_VECS`] vectors. Same arithmetic, in the same order, as [`step`].
fn cm_tiled<'a>(data: &ColMajor<'a>, w: &[f32], b: f32, grad: &mut [f64], s: &mut Sums) {
    // A few samples take the small buffer, which is quicker to set up.
    if data.n() / 8 > 2 * CM_FOLD_VECS {
        cm_tiles::<CM_TILE_VECS>(data, w, b, grad, s);
    } else {
        cm_tiles::<CM_FOLD_VECS>(data, w, b, grad, s);
    }
}

/// [`cm_tiled`] with tiles of `T` vectors.
#[inline(always)]
fn cm_tiles<'a, const T: usize>(
    data: &ColMajor<'a>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
    s: &mut Sums,
) {
    let n_vec = data.n() / 8;
    let y = data.y().as_chunks::<8>().0;
    let bv = f32x8::splat(b);
    let mut buf = [f32x8::ZERO; T];
    let mut v0 = 0;
    while v0 < n_vec {
        let m = T.min(n_vec - v0);
        let tile = |col: &'a [f32]| -> &'a [[f32; 8]] {
            col.as_chunks::<8>().0.get(v0..v0 + m).unwrap_or(&[])
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
                let [w0, w1, w2, w3] = wq.map(f32x8::splat);
                let xs = tile(c0).iter().zip(tile(c1)).zip(tile(c2)).zip(tile(c3));
                for (pv, (((x0, x1), x2), x3)) in rt.iter_mut().zip(xs) {
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
                *pv = madd(load(xv), wv, *pv);
            }
        }
        let yt = y.get(v0..v0 + m).unwrap_or(&[]);
        for (rb, yb) in rt.chunks_mut(CM_FOLD_VECS).zip(yt.chunks(CM_FOLD_VECS)) {
            let (mut l0, mut l1) = (f32x8::ZERO, f32x8::ZERO);
            let (mut b0, mut b1) = (f32x8::ZERO, f32x8::ZERO);
            for (rv, yv) in rb.chunks_mut(2).zip(yb.chunks(2)) {
                for (k, (ri, yi)) in rv.iter_mut().zip(yv).enumerate() {
                    *ri = (*ri + bv) - load(yi);
                    if k == 0 {
                        l0 = madd(*ri, *ri, l0);
                        b0 += *ri;
                    } else {
                        l1 = madd(*ri, *ri, l1);
                        b1 += *ri;
                    }
                }
            }
            s.loss += widen_sum(l0 + l1);
            s.bias += widen_sum(b0 + b1);
        }
        let rt: &[f32x8] = rt;
        // Four columns per pass over the residuals, each with its own two accumulators.
        let (g4, g_rest) = grad.as_chunks_mut::<4>();
        let mut cols = data.columns();
        for gq in g4 {
            if let [Some(c0), Some(c1), Some(c2), Some(c3)] =
                [cols.next(), cols.next(), cols.next(), cols.next()]
            {
                let ts = [tile(c0), tile(c1), tile(c2), tile(c3)];
                for (k, rb) in rt.chunks(CM_FOLD_VECS).enumerate() {
                    let lo = k * CM_FOLD_VECS;
                    let xb = ts.map(|t| t.get(lo..lo + rb.len()).unwrap_or(&[]));
                    let mut acc = [[f32x8::ZERO; 2]; 4];
                    let [x0, x1, x2, x3] = xb.map(|x| x.chunks(2));
                    for ((((rp, p0), p1), p2), p3) in rb.chunks(2).zip(x0).zip(x1).zip(x2).zip(x3) {
                        for (a, xp) in acc.iter_mut().zip([p0, p1, p2, p3]) {
                            grad_pair(a, rp, xp);
                        }
                    }
                    for (g, [a0, a1]) in gq.iter_mut().zip(acc) {
                        *g += widen_sum(a0 + a1);
                    }
                }
            }
        }
        for (col, g) in cols.zip(g_rest) {
            for (rb, xb) in rt.chunks(CM_FOLD_VECS).zip(tile(col).chunks(CM_FOLD_VECS)) {
                let mut a = [f32x8::ZERO; 2];
                for (rp, xp) in rb.chunks(2).zip(xb.chunks(2)) {
                    grad_pair(&mut a, rp, xp);
                }
                *g += widen_sum(a[0] + a[1]);
            }
        }
        v0 += m;
    }
}

/// `a[0] += r₀·x₀`, `a[1] += r₁·x₁` for a pair of vectors (or `a[0]` alone for the last,
/// odd one): even and odd vectors in separate accumulators.
#[inline(always)]
fn grad_pair(a: &mut [f32x8; 2], r: &[f32x8], x: &[[f32; 8]]) {
    match (r, x) {
        ([r0, r1], [x0, x1]) => {
            a[0] = madd(*r0, load(x0), a[0]);
            a[1] = madd(*r1, load(x1), a[1]);
        }
        ([r0, ..], [x0, ..]) => a[0] = madd(*r0, load(x0), a[0]),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------
// Row-major, d ≥ 8: blocks of eight rows, dot products across features.
// ---------------------------------------------------------------------------------------

/// Whether every row-major `d` below 40 gets a copy of the wide kernel of its own, with `d`
/// a constant (rows' offsets, the tail's length, the single gradient block): on x86. With
/// them found at run time, d = 9–39 took 1.3–1.7× as long in cache (d = 9 0.36 → 0.21, d = 20
/// 0.22 → 0.14 ns per value, native). Elsewhere (Cortex-M: no SIMD, flash counts) only rows
/// of whole chunks have their own copy, and the gradient goes through [`tile_gradient`].
const SPECIALISED: bool = cfg!(any(target_arch = "x86", target_arch = "x86_64"));

/// Whether rows of exactly 8, 16, 24 or 32 features take [`rm_exact_pipelined`]: with AVX on
/// x86. Without AVX an `f32x8` is two registers, the pipelined step's two halves do not fit
/// in the sixteen, and it ran up to 1.2× slower in cache and 1.45× at 512 MiB (d = 32).
const PIPELINED: bool = SPECIALISED && cfg!(target_feature = "avx");

fn rm_wide(data: &RowMajor<'_>, w: &[f32], b: f32, grad: &mut [f64], s: &mut Sums) {
    match data.d() {
        8 => rm_wide_c::<1, 0>(data, w, b, grad, s),
        16 => rm_wide_c::<2, 0>(data, w, b, grad, s),
        24 => rm_wide_c::<3, 0>(data, w, b, grad, s),
        32 => rm_wide_c::<4, 0>(data, w, b, grad, s),
        d if SPECIALISED && d < 40 => match d {
            9 => rm_wide_c::<1, 1>(data, w, b, grad, s),
            10 => rm_wide_c::<1, 2>(data, w, b, grad, s),
            11 => rm_wide_c::<1, 3>(data, w, b, grad, s),
            12 => rm_wide_c::<1, 4>(data, w, b, grad, s),
            13 => rm_wide_c::<1, 5>(data, w, b, grad, s),
            14 => rm_wide_c::<1, 6>(data, w, b, grad, s),
            15 => rm_wide_c::<1, 7>(data, w, b, grad, s),
            17 => rm_wide_c::<2, 1>(data, w, b, grad, s),
            18 => rm_wide_c::<2, 2>(data, w, b, grad, s),
            19 => rm_wide_c::<2, 3>(data, w, b, grad, s),
            20 => rm_wide_c::<2, 4>(data, w, b, grad, s),
            21 => rm_wide_c::<2, 5>(data, w, b, grad, s),
            22 => rm_wide_c::<2, 6>(data, w, b, grad, s),
            23 => rm_wide_c::<2, 7>(data, w, b, grad, s),
            25 => rm_wide_c::<3, 1>(data, w, b, grad, s),
            26 => rm_wide_c::<3, 2>(data, w, b, grad, s),
            27 => rm_wide_c::<3, 3>(data, w, b, grad, s),
            28 => rm_wide_c::<3, 4>(data, w, b, grad, s),
            29 => rm_wide_c::<3, 5>(data, w, b, grad, s),
            30 => rm_wide_c::<3, 6>(data, w, b, grad, s),
            31 => rm_wide_c::<3, 7>(data, w, b, grad, s),
            33 => rm_wide_c::<4, 1>(data, w, b, grad, s),
            34 => rm_wide_c::<4, 2>(data, w, b, grad, s),
            35 => rm_wide_c::<4, 3>(data, w, b, grad, s),
            36 => rm_wide_c::<4, 4>(data, w, b, grad, s),
            37 => rm_wide_c::<4, 5>(data, w, b, grad, s),
            38 => rm_wide_c::<4, 6>(data, w, b, grad, s),
            39 => rm_wide_c::<4, 7>(data, w, b, grad, s),
            _ => rm_wide_c::<0, ANY_TAIL>(data, w, b, grad, s),
        },
        // Wider rows: d at run time, its tail of d mod 8 features a constant.
        d if SPECIALISED => match d % 8 {
            0 => rm_wide_c::<0, 0>(data, w, b, grad, s),
            1 => rm_wide_c::<0, 1>(data, w, b, grad, s),
            2 => rm_wide_c::<0, 2>(data, w, b, grad, s),
            3 => rm_wide_c::<0, 3>(data, w, b, grad, s),
            4 => rm_wide_c::<0, 4>(data, w, b, grad, s),
            5 => rm_wide_c::<0, 5>(data, w, b, grad, s),
            6 => rm_wide_c::<0, 6>(data, w, b, grad, s),
            _ => rm_wide_c::<0, 7>(data, w, b, grad, s),
        },
        _ => rm_wide_c::<0, ANY_TAIL>(data, w, b, grad, s),
    }
}

/// `T` of [`rm_wide_c`] for a tail found at run time.
const ANY_TAIL: usize = 8;

/// The wide row-major kernel. `C > 0`: the caller has checked that `d = 8·C + T`, so `d` is a
/// constant here (rows of exactly `C` chunks take [`exact_residual`]); `C = 0`: any `d`, found
/// at run time, with `d mod 8 = T` checked by the caller if `T <` [`ANY_TAIL`]. Same arithmetic
/// every way.
#[inline(always)]
fn rm_wide_c<const C: usize, const T: usize>(
    data: &RowMajor<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
    s: &mut Sums,
) {
    let d = if C > 0 { 8 * C + T } else { data.d() };
    // `w` and `grad` have length d (checked by the caller): cut to it here, so that with C > 0
    // their chunk and tail counts are constants too (else the tail's loops stay loops over
    // arrays on the stack: d = 12 took 0.26 ns per value against d = 11's 0.18).
    let (Some(w), Some(grad)) = (w.get(..d), grad.get_mut(..d)) else {
        return;
    };
    let (wc, wt) = w.as_chunks::<8>();
    // With C = 0 and T < 8 the caller checked that d mod 8 = T: the tail's count is a
    // constant too (d = 41–47 took 1.3–1.4× as long as d = 40 and 48 without it).
    let Some(wt) = (if C == 0 && T < ANY_TAIL {
        wt.get(..T)
    } else {
        Some(wt)
    }) else {
        return;
    };
    let (x, y) = (data.x(), data.y());
    let n_full = data.n() / 8 * 8;
    // n_full ≤ n, so n_full·d ≤ n·d = x.len(): the splits succeed.
    let (xs, x_tail) = x.split_at_checked(n_full * d).unwrap_or((&[], x));
    let (ys, y_tail) = y.split_at_checked(n_full).unwrap_or((&[], y));
    let bv = f32x8::splat(b);
    let t = row_major_tile(d);
    // Rows of exactly C chunks: `w` in registers and every group an array of eight rows.
    let w_exact = (C > 0 && T == 0)
        .then(|| <&[[f32; 8]; C]>::try_from(wc).ok())
        .flatten()
        .map(|wc| wc.map(|c| load(&c)));
    let mut r_buf = [0.0f32; RM_TILE_MAX];
    let far = PREFETCHES && xs.len() >= FAR_VALUES;
    if PIPELINED && let Some(wv) = &w_exact {
        rm_exact_pipelined::<C>(xs, ys, wv, bv, t, grad.as_chunks_mut::<8>().0, s, far);
        for (row, &yi) in x_tail.chunks_exact(d.max(1)).zip(y_tail) {
            let r = row_residual(row, w, b, yi);
            accumulate(row.iter().copied(), r, grad, s);
        }
        return;
    }
    // Tiles by index, not a zip of two `chunks` iterators: with one copy of this loop per
    // width the zip is no longer inlined, and out of line its length divides by a chunk size
    // that the compiler cannot see is nonzero (a panic path).
    for (ti, yt) in ys.chunks(t.max(1)).enumerate() {
        let start = ti * t * d;
        let xt = xs.get(start..start + yt.len() * d).unwrap_or(&[]);
        let yg = yt.as_chunks::<8>().0;
        let rg = r_buf.as_chunks_mut::<8>().0;
        // The next tile, asked for into L2 at an even rate over both sweeps: a share of its
        // lines during the residuals, the rest during the gradient.
        let next = if far {
            let rest = xs.get((ti + 1) * t * d..).unwrap_or(&[]);
            rest.get(..t * d).unwrap_or(rest)
        } else {
            &[]
        };
        // Sweep 1 does about d + 7 chunk operations per row pair to sweep 2's d (the
        // horizontal sums), so it takes that share of the lines: (d + 7)/(2d + 7) =
        // 1/2 + 7/(4d + 14), written so that no product can overflow.
        let lines = next.len().div_ceil(16);
        let lines1 = lines / 2 + lines * 7 / (4 * d + 14);
        let (next1, next2) = next.split_at((16 * lines1).min(next.len()));
        let mut pf1 = line_bunches(next1, yt.len() / 8);
        // Gradient of the d mod 8 tail features, lanes = rows, accumulated as the rows pass.
        let mut tail = [f32x8::ZERO; 7];
        if let Some(wv) = &w_exact {
            let groups = xt.as_chunks::<8>().0.as_chunks::<C>().0.as_chunks::<8>().0;
            for ((xg, yg), rg) in groups.iter().zip(yg).zip(rg) {
                if let Some(c) = pf1.next() {
                    prefetch_l2_lines(c);
                }
                *rg = exact_residual::<C>(xg, wv, bv, load(yg)).to_array();
            }
        } else {
            let groups = xt.chunks_exact((8 * d).max(1)).zip(yg);
            for ((xg, yg), rg) in groups.zip(rg) {
                if let Some(c) = pf1.next() {
                    prefetch_l2_lines(c);
                }
                *rg = group_residual(xg, d, wc, wt, bv, load(yg), &mut tail).to_array();
            }
        }
        let rt = r_buf.get(..yt.len()).unwrap_or(&[]);
        add_loss_bias(rt.as_chunks::<8>().0, s);
        let (gc, gt) = grad.as_chunks_mut::<8>();
        if SPECIALISED && C > 0 {
            // One block of at most four chunks: straight to it, with `d` a constant.
            chunk_block::<C>(xt, d, 0, rt, gc, next2);
        } else {
            tile_gradient(xt, d, rt, gc, next2);
        }
        for (g, a) in gt.iter_mut().zip(tail) {
            *g += widen_sum(a);
        }
    }
    for (row, &yi) in x_tail.chunks_exact(d.max(1)).zip(y_tail) {
        let r = row_residual(row, w, b, yi);
        accumulate(row.iter().copied(), r, grad, s);
    }
}

/// The tile loop of [`rm_wide_c`] for rows of exactly `C` chunks, software-pipelined: each
/// step forms the residuals of a group of eight rows of the *next* tile and adds the
/// gradient of the same group of the current tile, whose residuals are complete. The two
/// halves of a step do not depend on each other, so the core overlaps the next tile's first
/// reads (from L2, L3 or DRAM) with arithmetic on data in L1, where the two-sweep tile
/// left the memory idle through its gradient sweep. The gradient of each tile is added
/// row pair by row pair into the same two accumulator sets, its loss and bias summed from
/// its residuals in order and every fold into f64 made in tile order: the bits of the
/// two-sweep tile. Two tiles of residuals (2 KiB) on the stack.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn rm_exact_pipelined<const C: usize>(
    xs: &[f32],
    ys: &[f32],
    wv: &[f32x8; C],
    bv: f32x8,
    t: usize,
    gc: &mut [[f64; 8]],
    s: &mut Sums,
    far: bool,
) {
    let groups = xs.as_chunks::<8>().0.as_chunks::<C>().0.as_chunks::<8>().0;
    let yg = ys.as_chunks::<8>().0;
    // Groups per tile; the residual buffers hold RM_TILE_MAX rows.
    let tg = (t / 8).clamp(1, RM_TILE_MAX / 8);
    let n_tiles = groups.len().div_ceil(tg);
    let tile = |i: usize| {
        let lo = i.saturating_mul(tg);
        let hi = lo.saturating_add(tg);
        (
            groups
                .get(lo..hi)
                .or_else(|| groups.get(lo..))
                .unwrap_or(&[]),
            yg.get(lo..hi).or_else(|| yg.get(lo..)).unwrap_or(&[]),
        )
    };
    let mut r = [[[0.0f32; 8]; RM_TILE_MAX / 8]; 2];
    {
        let (x0, y0) = tile(0);
        for ((xg, y), rg) in x0.iter().zip(y0).zip(&mut r[0]) {
            *rg = exact_residual::<C>(xg, wv, bv, load(y)).to_array();
        }
    }
    for ti in 0..n_tiles {
        let [ra, rb] = &mut r;
        let (cur, nxt) = if ti % 2 == 0 { (&*ra, rb) } else { (&*rb, ra) };
        let (xc, _) = tile(ti);
        let (xn, yn) = tile(ti + 1);
        let cur = cur.get(..xc.len()).unwrap_or(&[]);
        add_loss_bias(cur, s);
        // Beyond the caches, the group PIPELINE_AHEAD bytes past the one whose residuals
        // are being formed is asked into L2.
        let ahead = (ti + 1) * tg + PIPELINE_AHEAD / (8 * 32 * C).max(1);
        let (mut a0, mut a1) = ([f32x8::ZERO; C], [f32x8::ZERO; C]);
        for (k, (xg, rg)) in xc.iter().zip(cur).enumerate() {
            if let (Some(xn), Some(y), Some(rn)) = (xn.get(k), yn.get(k), nxt.get_mut(k)) {
                *rn = exact_residual::<C>(xn, wv, bv, load(y)).to_array();
            }
            if far && let Some(g) = groups.get(ahead + k) {
                prefetch_l2_lines(g.as_flattened().as_flattened());
            }
            for ([xe, xo], &[r0, r1]) in xg.as_chunks::<2>().0.iter().zip(rg.as_chunks::<2>().0) {
                add_pair(&mut a0, &mut a1, xe, xo, r0, r1);
            }
        }
        fold_sets(gc, &a0, &a1);
    }
}

/// Adds a tile's `Σ r²` and `Σ r` into `s`, from its residual vectors in order (even and
/// odd vectors in two accumulator sets, merged, folded into f64).
#[inline(always)]
fn add_loss_bias(r: &[[f32; 8]], s: &mut Sums) {
    let (mut l0, mut l1, mut b0, mut b1) = (f32x8::ZERO, f32x8::ZERO, f32x8::ZERO, f32x8::ZERO);
    for pair in r.chunks(2) {
        if let Some(r) = pair.first().map(load) {
            l0 = madd(r, r, l0);
            b0 += r;
        }
        if let Some(r) = pair.get(1).map(load) {
            l1 = madd(r, r, l1);
            b1 += r;
        }
    }
    s.loss += widen_sum(l0 + l1);
    s.bias += widen_sum(b0 + b1);
}

/// Residuals of eight rows (`xg` holds `8·d` values): per row one accumulator over the 8-wide
/// chunks, the eight summed together by [`hsum8`], then the feature tail in order. The tail
/// features' columns are gathered once and their gradient `r·x` added into `tail` here.
#[inline(always)]
fn group_residual(
    xg: &[f32],
    d: usize,
    wc: &[[f32; 8]],
    wt: &[f32],
    b: f32x8,
    y: f32x8,
    tail: &mut [f32x8; 7],
) -> f32x8 {
    let rows: [&[f32]; 8] = array::from_fn(|k| xg.get(k * d..k * d + d).unwrap_or(&[]));
    let mut acc = [f32x8::ZERO; 8];
    // Two rows at a time, chunk by chunk: two independent chains per iteration and one
    // load of w for both, no bounds checks; the rows of a pair stream side by side (four
    // or eight rows at a time measured 10–15 % faster in cache but slower from DRAM). Each
    // row adds its chunks in order, from its first chunk's product.
    let rc = rows.map(|r| r.as_chunks::<8>().0);
    for (pair, rp) in acc.chunks_exact_mut(2).zip(rc.chunks_exact(2)) {
        if let ([a0, a1], [c0, c1]) = (pair, rp) {
            let mut chunks = c0.iter().zip(*c1).zip(wc);
            if let Some(((x0, x1), wv)) = chunks.next() {
                (*a0, *a1) = (load(x0) * load(wv), load(x1) * load(wv));
            }
            for ((x0, x1), wv) in chunks {
                let wv = load(wv);
                *a0 = madd(load(x0), wv, *a0);
                *a1 = madd(load(x1), wv, *a1);
            }
        }
    }
    let mut p = hsum8(acc);
    if wt.is_empty() {
        return (p + b) - y;
    }
    // The tail features are the last `t` of each row's last four or eight values (d ≥ 8, so
    // those lie inside the row): transposed, lanes = rows.
    let t = wt.len();
    let cols: [f32x8; 7] = if t <= 4 && cfg!(target_feature = "avx") {
        let c = all8(rows.map(last::<4>)).map_or([f32x8::ZERO; 4], columns_of_4_at);
        array::from_fn(|j| c.get(4 - t + j).copied().unwrap_or(f32x8::ZERO))
    } else {
        let c = all8(rows.map(last::<8>)).map_or([f32x8::ZERO; 8], columns8);
        array::from_fn(|j| c.get(8 - t + j).copied().unwrap_or(f32x8::ZERO))
    };
    let cols = cols.get(..t).unwrap_or(&[]);
    for (col, &wj) in cols.iter().zip(wt) {
        p = madd(*col, f32x8::splat(wj), p);
    }
    let r = (p + b) - y;
    for (a, col) in tail.iter_mut().zip(cols) {
        *a = madd(r, *col, *a);
    }
    r
}

/// Residuals of eight rows of exactly `C` chunks each: [`group_residual`]'s arithmetic with
/// every row and `w` a fixed-size array, so the loops unroll, `w` stays in registers and no
/// row is sliced or bounds-checked.
#[inline(always)]
fn exact_residual<const C: usize>(
    xg: &[[[f32; 8]; C]; 8],
    w: &[f32x8; C],
    b: f32x8,
    y: f32x8,
) -> f32x8 {
    let acc = xg.each_ref().map(|row| {
        let mut chunks = row.iter().zip(w);
        let mut a = chunks.next().map_or(f32x8::ZERO, |(xv, wv)| load(xv) * *wv);
        for (xv, wv) in chunks {
            a = madd(load(xv), *wv, a);
        }
        a
    });
    (hsum8(acc) + b) - y
}

/// `x` cut into at most `parts` bunches of whole 64-byte lines (counted from `x`'s start),
/// to be prefetched one bunch per step of a loop of `parts` steps.
#[inline(always)]
fn line_bunches(x: &[f32], parts: usize) -> core::slice::Chunks<'_, f32> {
    x.chunks((x.len().div_ceil(parts.max(1)).div_ceil(16) * 16).max(16))
}

/// Asks L2 for the lines of `x`, one per 64 bytes.
#[inline(always)]
fn prefetch_l2_lines(x: &[f32]) {
    for line in x.iter().step_by(16) {
        prefetch_l2(line);
    }
}

/// All of them, if none is missing.
#[inline(always)]
fn all<T: Copy + Default, const N: usize>(a: [Option<T>; N]) -> Option<[T; N]> {
    a.iter()
        .all(Option::is_some)
        .then(|| a.map(Option::unwrap_or_default))
}

/// All eight, if none is missing.
#[inline(always)]
fn all8<T: Copy>(a: [Option<T>; 8]) -> Option<[T; 8]> {
    match a {
        [
            Some(a0),
            Some(a1),
            Some(a2),
            Some(a3),
            Some(a4),
            Some(a5),
            Some(a6),
            Some(a7),
        ] => Some([a0, a1, a2, a3, a4, a5, a6, a7]),
        _ => None,
    }
}

/// The last `N` values of a row, if it has `N`.
#[inline(always)]
fn last<const N: usize>(row: &[f32]) -> Option<&[f32; N]> {
    row.get(row.len().checked_sub(N)?..)?.try_into().ok()
}

/// One row's residual with [`group_residual`]'s arithmetic (for the last `n mod 8` rows).
#[inline]
pub(crate) fn row_residual(row: &[f32], w: &[f32], b: f32, y: f32) -> f32 {
    let (wc, wt) = w.as_chunks::<8>();
    let (xc, xt) = row.as_chunks::<8>();
    let mut chunks = xc.iter().zip(wc);
    let mut a = chunks
        .next()
        .map_or(f32x8::ZERO, |(xv, wv)| load(xv) * load(wv));
    for (xv, wv) in chunks {
        a = madd(load(xv), load(wv), a);
    }
    let mut p = tree8(a.to_array());
    for (&xj, &wj) in xt.iter().zip(wt) {
        p = smadd(xj, wj, p);
    }
    (p + b) - y
}

/// Adds `Σₖ rₖ·xₖ` over a tile's rows (`rt` holds their residuals, an even count) into the
/// full 8-wide chunks of the gradient (the tail features are done in [`group_residual`]): blocks of up to four 8-wide chunks whose accumulators stay in registers for the
/// whole tile, even and odd rows in separate accumulators to hide latency. The tile (at most
/// 16 KiB) is re-read from L1 once per block. The lines of `next` (part of the next tile, or
/// empty) are asked into L2 as the row pairs pass.
fn tile_gradient(xt: &[f32], d: usize, rt: &[f32], gc: &mut [[f64; 8]], next: &[f32]) {
    // `next` spread evenly over the row pairs of every block.
    let mut next = line_bunches(next, gc.len().div_ceil(4));
    for (blk, g) in gc.chunks_mut(4).enumerate() {
        let lo = 4 * blk;
        let pf = next.next().unwrap_or(&[]);
        match g.len() {
            4 => chunk_block::<4>(xt, d, lo, rt, g, pf),
            3 => chunk_block::<3>(xt, d, lo, rt, g, pf),
            2 => chunk_block::<2>(xt, d, lo, rt, g, pf),
            _ => chunk_block::<1>(xt, d, lo, rt, g, pf),
        }
    }
}

/// The `K` chunks starting at chunk `lo` of a row, as a fixed-size array (so the loops over
/// them unroll and the accumulators stay in registers); `None` cannot happen for in-range
/// blocks.
#[inline(always)]
fn segment<const K: usize>(row: &[f32], lo: usize) -> Option<&[[f32; 8]; K]> {
    row.as_chunks::<8>().0.get(lo..lo + K)?.try_into().ok()
}

/// [`tile_gradient`] for the `K` chunks of features starting at chunk `lo`.
#[inline(always)]
fn chunk_block<const K: usize>(
    xt: &[f32],
    d: usize,
    lo: usize,
    rt: &[f32],
    g: &mut [[f64; 8]],
    pf: &[f32],
) {
    let (mut a0, mut a1) = ([f32x8::ZERO; K], [f32x8::ZERO; K]);
    let rp = rt.as_chunks::<2>().0;
    let mut pf = line_bunches(pf, rp.len());
    if d == 8 * K {
        // Rows of exactly K chunks: the tile is an array of row pairs, no per-row slicing.
        let pairs = xt.as_chunks::<8>().0.as_chunks::<K>().0.as_chunks::<2>().0;
        for ([xe, xo], &[r0, r1]) in pairs.iter().zip(rp) {
            if let Some(c) = pf.next() {
                prefetch_l2_lines(c);
            }
            add_pair(&mut a0, &mut a1, xe, xo, r0, r1);
        }
        fold_sets(g, &a0, &a1);
        return;
    }
    for (pair, &[r0, r1]) in xt.chunks_exact((2 * d).max(1)).zip(rp) {
        if let Some(c) = pf.next() {
            prefetch_l2_lines(c);
        }
        let (xe, xo) = pair.split_at_checked(d).unwrap_or((&[], &[]));
        if let (Some(xe), Some(xo)) = (segment::<K>(xe, lo), segment::<K>(xo, lo)) {
            add_pair(&mut a0, &mut a1, xe, xo, r0, r1);
        }
    }
    fold_sets(g, &a0, &a1);
}

/// One row pair's terms of the gradient, chunk by chunk: `a0 += r0·xe`, `a1 += r1·xo` (even
/// and odd rows in their own accumulator sets).
#[inline(always)]
fn add_pair<const K: usize>(
    a0: &mut [f32x8; K],
    a1: &mut [f32x8; K],
    xe: &[[f32; 8]; K],
    xo: &[[f32; 8]; K],
    r0: f32,
    r1: f32,
) {
    let (re, ro) = (f32x8::splat(r0), f32x8::splat(r1));
    for (a, xv) in a0.iter_mut().zip(xe) {
        *a = madd(re, load(xv), *a);
    }
    for (a, xv) in a1.iter_mut().zip(xo) {
        *a = madd(ro, load(xv), *a);
    }
}

/// Merges the two accumulator sets of a tile's gradient block and folds them into `g`.
#[inline(always)]
fn fold_sets<const K: usize>(g: &mut [[f64; 8]], a0: &[f32x8; K], a1: &[f32x8; K]) {
    for (gl, (x0, x1)) in g.iter_mut().zip(a0.iter().zip(a1)) {
        widen_add(gl, *x0 + *x1);
    }
}

// ---------------------------------------------------------------------------------------
// Scalar tails.
// ---------------------------------------------------------------------------------------

/// A sample outside the vectors: the residual as [`step`] forms it (from `0 + x₀·w₀`, a
/// difference only in the sign of a zero), then exact f64 products.
fn tail_sample(
    x: impl Iterator<Item = f32> + Clone,
    w: &[f32],
    b: f32,
    y: f32,
    grad: &mut [f64],
    s: &mut Sums,
) {
    accumulate(x.clone(), seq_residual(x, w, b, y), grad, s);
}

/// The residual with the features in order, as the eight-samples-per-vector kernels form it
/// lane by lane (and as [`residual`](crate::kernels::reference::residual) does, except under
/// the `fma` feature).
#[inline]
pub(crate) fn seq_residual(x: impl Iterator<Item = f32>, w: &[f32], b: f32, y: f32) -> f32 {
    let mut p = 0.0f32;
    for (xj, &wj) in x.zip(w) {
        p = smadd(xj, wj, p);
    }
    (p + b) - y
}

/// Adds one sample's terms, as exact f64 products, into the sums.
fn accumulate(x: impl Iterator<Item = f32>, r: f32, grad: &mut [f64], s: &mut Sums) {
    let r64 = f64::from(r);
    for (g, xj) in grad.iter_mut().zip(x) {
        *g += r64 * f64::from(xj);
    }
    s.loss += r64 * r64;
    s.bias += r64;
}
