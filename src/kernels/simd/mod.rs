//! The fused `f32x8` kernels: the same names and signatures as
//! [`reference`](crate::kernels::reference), one read of the data.
//!
//! # Where each shape goes
//!
//! | data | kernel | file |
//! |---|---|---|
//! | column-major, `d ≤ 8`; row-major `d < 8` (gathered into feature vectors); column-major `d` = 10–31 beyond the caches (fewer with fewer registers; folds of 32 vectors) | eight samples per vector, one pass | `small.rs` |
//! | column-major, `d > 8` | tiles of samples swept twice: residuals, then gradient from cache | `col_major.rs` |
//! | row-major, `d ≥ 8` | blocks of eight rows, dot products across 8-wide chunks, a tile swept twice | `row_major.rs` |
//! | row-major, `d` = 8, 16, 24, 32, 40, 48, 56 (and 64 with AVX-512), with AVX, data within L2 | the same arithmetic software-pipelined: one tile's gradient with the next tile's residuals | `pipelined.rs` |
//! | row-major, `d` = 8–39, 40, 48, 56 (and 64 with AVX-512) beyond the caches (with AVX; without, `d` = 8 and 16) | the same arithmetic in one pass: each group of eight rows' residuals, then its gradient terms | `row_major.rs`, `pipelined.rs` |
//!
//! This file holds the entry points, the tile sizes and prefetch distances, the helpers the
//! kernels share and the scalar tails; `out.rs` where a kernel adds each run's sums (the
//! pass's totals, or a slot per run for the parallel pass); `crate::kernels::lanes` holds the
//! lane operations (loads, transposes, horizontal sums in their one written order).
//!
//! * **Eight samples per vector.** Each vector's residual is `((Σⱼ fⱼ·wⱼ) + b) − y` with the
//!   features `fⱼ` in order, as [`residual`](crate::kernels::reference::residual) forms it
//!   (with AVX from the first product instead of `0 + f₀·w₀`), so the residuals have the
//!   reference's bits up to the sign of a zero, which no sum shows. One accumulator per
//!   feature, two sets (even and odd vectors) to hide latency. Row-major samples are gathered
//!   into feature vectors by transposes chosen per `d` and per instruction set; one of them
//!   leaves the samples interleaved in the lanes, and `y` and the sums follow that order.
//! * **Blocks of eight rows.** Each row's dot product runs over its 8-wide chunks in one
//!   accumulator, starting from the first chunk's product; the eight accumulators are summed
//!   in the order `((a0+a1)+(a2+a3))+((a4+a5)+(a6+a7))`. Rows of whole chunks are fixed-size
//!   arrays with `w` in registers (up to four chunks, and with AVX up to seven, or eight with
//!   AVX-512); on x86 every other `d` below 40 has a copy of the kernel with `d` a constant,
//!   and wider rows one copy per tail length `d mod 8`. The gradient of a tile (at most
//!   16 KiB of `x`) is added from L1, four chunks at a time.
//! * **Beyond the caches** (8 MiB of `x` and `y` or more) the kernels ask for the data ahead by
//!   software prefetch, spread over their work, and where two sweeps of a tile left the memory
//!   idle through the second (row-major `d` = 8–39 and rows of five to eight whole chunks,
//!   column-major `d` = 10–31) they make the same additions in one pass.
//!
//! Sample tails (`n mod 8`) go through scalar code with the same residual arithmetic. Feature
//! tails (`d mod 8`) are real values moved into lanes: no lane is ever zero-padded, so no
//! phantom sample or feature reaches a sum. ARCHITECTURE.md gives the reasons for each choice
//! and BENCHMARKS.md the figures.
//!
//! # Floating-point contract
//! Lane-wise `*` then `+` (two roundings), horizontal sums in a written-out order, f32
//! partial sums folded into f64 once per tile. No `reduce_add`, no `mul_add` (unless the
//! `fma` feature is on), no runtime dispatch: for a given layout and shape the result bits are
//! the same in every build and on every target. The two layouts sum in different orders, so
//! for `d ≥ 8` their bits differ from each other (within the bound of
//! [`bound`](crate::kernels::bound)).

mod caches;
mod col_major;
mod out;
mod pipelined;
mod row_major;
mod small;

pub(crate) use out::{Out, Totals};
#[cfg(feature = "parallel")]
pub(crate) use out::{Runs, beyond_caches, fold_rows, runs, sums};

use crate::data::{ColMajor, ColSlices, ColumnView, Dataset, RowMajor};
use crate::error::Error;
use crate::kernels::lanes::{prefetch_l2, smadd};
use crate::kernels::{Sums, check_params, finish};
use col_major::cm_tiled;
use row_major::rm_wide;
use small::{cm_small, rm_small};

/// Samples per f64 fold in the eight-samples-per-vector kernels (column-major `d ≤ 8`,
/// row-major `d < 8`).
///
/// # Example
/// ```
/// assert_eq!(steepest::kernels::simd::TILE % 8, 0);
/// ```
pub const TILE: usize = 1024;
const TILE_VECS: usize = TILE / 8;
/// Vectors per f64 fold of the column-major kernel for `d > 8`: the same on every target, so
/// the bits are.
const CM_FOLD_VECS: usize = 32;
/// Vectors per tile of the column-major kernel for `d > 8` within the caches, whose residuals
/// stay on the stack: 256 (8 KiB) on 64-bit targets, 32 (1 KiB) elsewhere. Beyond the caches
/// they are one fold long, or four from 48 columns on, on every target (see `col_major.rs`).
/// A multiple of [`CM_FOLD_VECS`], so the folds, and the bits, do not depend on it.
#[cfg(target_pointer_width = "64")]
const CM_TILE_VECS: usize = 256;
#[cfg(not(target_pointer_width = "64"))]
const CM_TILE_VECS: usize = 32;
const _: () = assert!(CM_TILE_VECS.is_multiple_of(CM_FOLD_VECS) && CM_FOLD_VECS.is_multiple_of(2));
/// Most rows in one tile of the wide row-major kernel.
const RM_TILE_MAX: usize = 256;
/// Values of `x` in one tile of the wide row-major kernel (16 KiB: half of a typical L1d).
const RM_TILE_VALUES: usize = 4096;
/// Data with at least this many values of `x` and `y` together (8 MiB; with `std`, half the
/// host's L3: [`from_memory_values`]) are taken to be read from memory and fetched ahead by
/// software: from DRAM the loops hide little of their arithmetic behind the reads unless they
/// ask ahead, while in cache the requests and the one-pass loops only cost time. Below 8 MiB the data are in L3 on any host with 16 MiB of
/// it; there the in-cache paths took 0.64–0.90× the time of the from-memory ones (6 MiB of
/// `x`, AVX-512), and from about 24 MiB on they lose (1.1–1.5× at 24 MiB, 32 MiB of L3).
///
/// * Row-major `d` = 2–7 asks [`PREFETCH_AHEAD`] values (16 KiB) of `x` ahead (4 KiB left
///   `d` = 5 and 6 at 1.4–1.5× the read), and so do rows of one to four whole chunks (and a
///   tail) and, with AVX, of five (eight with AVX-512), which run in one pass.
/// * Column-major `d` = 4–8 asks for each column and `y` as far ahead, and `d` = 1–3 (and
///   row-major `d` = 1) for `y` alone, 2 KiB ahead; all only from 32 MiB of `x` on: in L3
///   the requests cost more than they saved.
/// * The two-sweep row-major kernel asks for the next tile at an even rate over both sweeps
///   of the current one, and the pipelined kernel is not used.
/// * Column-major `d` = 10–31 runs in one pass that reads the columns side by side, each
///   asked for 2 KiB ahead.
///
/// BENCHMARKS.md has the figures. A view that is a part of such data (a task of the parallel
/// pass) or one of many batches read from memory (an engine's) is `streamed`: it takes these
/// paths whatever its own size (column-major `d` = 2–8 excepted).
const FAR_VALUES: usize = 1 << 21;
/// Values of `x` (32 MiB, beyond an L3 of that size) from which column-major `d` = 1–8 and
/// row-major `d` = 1 ask for their data ahead.
const FAR_L3_VALUES: usize = 1 << 23;
const PREFETCH_AHEAD: usize = 4096;

/// The longest chain of f32 additions into one accumulator in any kernel here, counting the
/// merge of the two accumulator sets: `RM_TILE_MAX / 2 + 1` (the wide row-major gradient;
/// the eight-samples-per-vector kernels chain `TILE / 16 + 1 = 65`). The error bound of
/// [`bound`](crate::kernels::bound) uses it.
///
/// # Example
/// ```
/// assert!(steepest::kernels::simd::F32_CHAIN <= 129);
/// ```
pub const F32_CHAIN: usize = RM_TILE_MAX / 2 + 1;

/// Values of `x` and `y` together from which a pass takes the kernels' from-memory paths
/// (software prefetch, one-pass loops): 2²¹ (8 MiB) without feature `std`; with it, on
/// Linux, half the L3 the system reports for CPU 0, within 2²⁰–2²³ (4–32 MiB), learnt
/// once. Every path gives the same bits: only the speed depends on it.
///
/// # Example
/// ```
/// let v = steepest::kernels::simd::from_memory_values();
/// assert!((1 << 20..=1 << 23).contains(&v));
/// ```
pub fn from_memory_values() -> usize {
    caches::far_values()
}

/// Rows per tile of the wide row-major kernel for `d` features: a multiple of 8 with at
/// most 4096 values of `x`, between 8 and 256 rows.
///
/// # Example
/// ```
/// use steepest::kernels::simd::row_major_tile;
/// assert_eq!(row_major_tile(16), 256);
/// assert_eq!(row_major_tile(64), 64);
/// assert_eq!(row_major_tile(10_000), 8);
/// ```
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
/// assert_eq!((s.loss, s.bias, g[0]), (120.0, -20.0, -60.0)); // Σr², Σr, Σr·x of y = 2x at w = 0
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
///
/// # Example
/// ```
/// use steepest::{RowMajor, kernels::simd};
/// let data = RowMajor::new(&[1.0, 1.0, 2.0, 1.0], &[3.0, 4.0], 2, 2)?; // y = x₀ + 2·x₁
/// let mut g = [0.0; 2];
/// let s = simd::gradient_row_major(&data, &[1.0, 2.0], 0.0, &mut g)?;
/// assert_eq!((s.loss, g), (0.0, [0.0, 0.0])); // an exact fit
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn gradient_row_major(
    data: &RowMajor<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
) -> Result<Sums, Error> {
    check_params(data.d(), w, grad)?;
    let s = sums_row_major(data, w, b, grad);
    finish(s, grad)
}

/// [`gradient_row_major`] without its checks: `w` and `grad` have `d` values.
pub(crate) fn sums_row_major(data: &RowMajor<'_>, w: &[f32], b: f32, grad: &mut [f64]) -> Sums {
    grad.fill(0.0);
    let mut s = Sums {
        rows: data.n(),
        ..Sums::default()
    };
    row_major_into(data, w, b, &mut Totals { grad, s: &mut s }, false);
    s
}

/// The row-major kernel for `data`'s `d`, adding into `out`. `streamed`: the view is part of
/// data read from memory however small it is (see [`FAR_VALUES`]).
#[inline(always)]
fn row_major_into(data: &RowMajor<'_>, w: &[f32], b: f32, out: &mut impl Out, streamed: bool) {
    match data.d() {
        1 => rm_small::<1>(data, w, b, out, streamed),
        2 => rm_small::<2>(data, w, b, out, streamed),
        3 => rm_small::<3>(data, w, b, out, streamed),
        4 => rm_small::<4>(data, w, b, out, streamed),
        5 => rm_small::<5>(data, w, b, out, streamed),
        6 => rm_small::<6>(data, w, b, out, streamed),
        7 => rm_small::<7>(data, w, b, out, streamed),
        _ => rm_wide(data, w, b, out, streamed),
    }
}

/// [`gradient`] for a column-major view.
///
/// # Errors
/// As [`gradient`].
///
/// # Example
/// ```
/// use steepest::{ColMajor, kernels::simd};
/// let data = ColMajor::new(&[1.0, 2.0, 1.0, 1.0], &[3.0, 5.0], 2, 2, 2)?; // columns (1, 2), (1, 1)
/// let mut g = [0.0; 2];
/// let s = simd::gradient_col_major(&data, &[0.0, 0.0], 0.0, &mut g)?;
/// assert_eq!((s.loss, s.bias, g), (34.0, -8.0, [-13.0, -8.0]));
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn gradient_col_major(
    data: &ColMajor<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
) -> Result<Sums, Error> {
    check_params(data.d(), w, grad)?;
    let s = sums_col_major(data, w, b, grad);
    finish(s, grad)
}

/// [`gradient_col_major`] without its checks: `w` and `grad` have `d` values.
pub(crate) fn sums_col_major(data: &ColMajor<'_>, w: &[f32], b: f32, grad: &mut [f64]) -> Sums {
    grad.fill(0.0);
    let mut s = Sums::default();
    add_columns(data, w, b, grad, &mut s, false);
    s
}

/// [`gradient`] for a [`ColSlices`] view: the same kernel as for [`ColMajor`], and the same
/// bits for the same values.
///
/// # Errors
/// As [`gradient`].
///
/// # Example
/// ```
/// use steepest::{ColSlices, kernels::simd};
/// let cols = [&[1.0, 2.0][..], &[1.0, 1.0][..]];
/// let data = ColSlices::new(&cols, &[3.0, 5.0])?;
/// let mut g = [0.0; 2];
/// let s = simd::gradient_col_slices(&data, &[0.0, 0.0], 0.0, &mut g)?;
/// assert_eq!((s.loss, s.bias, g), (34.0, -8.0, [-13.0, -8.0]));
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn gradient_col_slices(
    data: &ColSlices<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
) -> Result<Sums, Error> {
    check_params(data.d(), w, grad)?;
    grad.fill(0.0);
    let mut s = Sums::default();
    add_columns(data, w, b, grad, &mut s, false);
    finish(s, grad)
}

/// Adds a [`ColSlices`] view's sums into running totals `grad` and `sums`, as the pass over
/// all the rows seen so far would: the view's runs of 1024 samples (`d ≤ 8`) or 256 (`d > 8`)
/// are added one by one, so views of whole runs in row order give the bits of one pass over
/// them all. For a streaming source (batches of a table); the totals are not checked for
/// NaN/∞, so check them at the end. Each view is taken to be read from memory, as a table's
/// batches are: with one column, or from `d > 8` and 512 rows on, it runs the kernel's path
/// for data beyond the caches (asking for data ahead; for `d > 8` in tiles of one fold),
/// whatever its size, with the same bits; a view already in cache pays a little for that.
///
/// # Errors
/// [`Error::Length`] if `w` or `grad` does not have `d` values; nothing is added then.
///
/// # Example
/// ```
/// use steepest::{ColSlices, Sums, kernels::simd};
/// let (x, y) = ([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0]);
/// let (mut g, mut s) = ([0.0], Sums::default());
/// for (xs, ys) in x.chunks(2).zip(y.chunks(2)) {
///     let cols = [xs];
///     simd::add_col_slices(&ColSlices::new(&cols, ys)?, &[0.0], 0.0, &mut g, &mut s)?;
/// }
/// assert_eq!((s.rows, s.loss, s.bias, g[0]), (4, 120.0, -20.0, -60.0));
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn add_col_slices(
    data: &ColSlices<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
    sums: &mut Sums,
) -> Result<(), Error> {
    check_params(data.d(), w, grad)?;
    add_columns(data, w, b, grad, sums, true);
    Ok(())
}

/// The column-major pass, added into `grad` and `s`.
/// `streamed`: the view is one of many batches read from memory (see `cm_tiled`).
fn add_columns<'a>(
    data: &impl ColumnView<'a>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
    s: &mut Sums,
    streamed: bool,
) {
    s.rows = s.rows.saturating_add(data.n());
    col_major_into(data, w, b, &mut Totals { grad, s }, streamed);
    let n_vec = data.n() / 8;
    for (i, &y) in data.y().iter().enumerate().skip(8 * n_vec) {
        let sample = data.columns().map(|c| c.get(i).copied().unwrap_or(0.0));
        tail_sample(sample, w, b, y, grad, s);
    }
}

/// The column-major kernel for `data`'s `d`, adding into `out` (the sample tail aside).
#[inline(always)]
fn col_major_into<'a>(
    data: &impl ColumnView<'a>,
    w: &[f32],
    b: f32,
    out: &mut impl Out,
    streamed: bool,
) {
    match data.d() {
        1 => cm_small::<1>(data, w, b, out, streamed),
        2 => cm_small::<2>(data, w, b, out, streamed),
        3 => cm_small::<3>(data, w, b, out, streamed),
        4 => cm_small::<4>(data, w, b, out, streamed),
        5 => cm_small::<5>(data, w, b, out, streamed),
        6 => cm_small::<6>(data, w, b, out, streamed),
        7 => cm_small::<7>(data, w, b, out, streamed),
        8 => cm_small::<8>(data, w, b, out, streamed),
        _ => cm_tiled(data, w, b, out, streamed),
    }
}

/// Whether `n` rows of `d` features and `y` are read from memory: as many values as
/// [`from_memory_values`] or more.
#[inline(always)]
pub(super) fn far_by_size(n: usize, d: usize) -> bool {
    n.saturating_mul(d.saturating_add(1)) >= caches::far_values()
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
#[inline]
fn accumulate(x: impl Iterator<Item = f32>, r: f32, grad: &mut [f64], s: &mut Sums) {
    let r64 = f64::from(r);
    for (g, xj) in grad.iter_mut().zip(x) {
        *g += r64 * f64::from(xj);
    }
    s.loss += r64 * r64;
    s.bias += r64;
}
