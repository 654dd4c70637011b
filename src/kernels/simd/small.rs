use super::{
    CM_FOLD_VECS, FAR_L3_VALUES, Out, PREFETCH_AHEAD, TILE_VECS, all8, far_by_size, tail_sample,
};
use crate::data::{ColumnView, RowMajor};
use crate::kernels::lanes::{
    INTERLEAVES, PREFETCHES, amap, columns_by_value, columns_of_2, columns_of_3, columns_of_4,
    columns_of_4_interleaved, columns8, deinterleave, interleave, load, load_at, madd, prefetch,
    prefetch_l2, widen_sum,
};
use core::array;
use wide::f32x8;

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

/// Vector `v`'s features for [`small`]. A trait whose method is `#[inline(always)]`, not a
/// closure: a closure's body is inlined at the optimizer's discretion, and with 16 codegen
/// units (cargo's default release profile) row-major `d < 8` called it once per vector.
trait Features<const D: usize, const T: usize> {
    /// The features of one whole tile.
    type Tile<'t>: TileFeatures<D>
    where
        Self: 't;
    fn at(&self, v: usize) -> [f32x8; D];
    /// The vectors `at` reads within bounds: taking the loop bound from it, beside the loads,
    /// lets the compiler drop their bounds selects in any build profile.
    fn len(&self) -> usize;
    /// The tile of `T` vectors from `v0`, if there is one and this layout has them.
    fn tile(&self, v0: usize) -> Option<Self::Tile<'_>>;
}

/// Vector `i` of one tile's features, `i <` the tile's length: read from arrays of that length,
/// so the loads need no bounds check the compiler cannot see through. Without target flags
/// (SSE2) the compiler kept a bounds select on every load of the column-major loop, which
/// made column-major d = 4 12 % slower in a dependent's default profile than with fat LTO.
trait TileFeatures<const D: usize> {
    fn at(&self, i: usize) -> [f32x8; D];
}

/// No whole tiles: every vector through [`Features::at`].
enum NoTile {}

impl<const D: usize> TileFeatures<D> for NoTile {
    #[inline(always)]
    fn at(&self, _: usize) -> [f32x8; D] {
        match *self {}
    }
}

/// Columns of exactly as many vectors as `y`. `FAR`: 0 asks for nothing ahead; 1 and 2 ask,
/// at every other vector, for the line `ahead` vectors on in each column and in `y`, into L1
/// (1) or L2 (2), as `col_major`'s `Ahead` does. Up to [`Y_ALONE_COLUMNS`] columns ask for
/// `y` alone, one column into L1.
struct Columns<'a, const D: usize, const FAR: u8, const T: usize> {
    cols: [&'a [[f32; 8]]; D],
    y: &'a [[f32; 8]],
    ahead: usize,
}

impl<const D: usize, const FAR: u8, const T: usize> Columns<'_, D, FAR, T> {
    /// With `FAR` > 0, at every other vector: asks for the line `ahead` vectors on in each
    /// column (more than [`Y_ALONE_COLUMNS`] of them) and in `y`.
    #[inline(always)]
    fn ask_ahead(&self, v: usize) {
        if FAR > 0 && v.is_multiple_of(2) {
            let ask = |l: &[f32; 8]| {
                if FAR == 1 || D == 1 {
                    prefetch(l);
                } else {
                    prefetch_l2(l);
                }
            };
            if D > Y_ALONE_COLUMNS {
                for c in self.cols {
                    if let Some(l) = c.get(v + self.ahead) {
                        ask(l);
                    }
                }
            }
            if let Some(l) = self.y.get(v + self.ahead) {
                ask(l);
            }
        }
    }
}

impl<'a, const D: usize, const FAR: u8, const T: usize> Features<D, T> for Columns<'a, D, FAR, T> {
    type Tile<'t>
        = ColumnsTile<'t, 'a, D, FAR, T>
    where
        Self: 't;

    #[inline(always)]
    fn at(&self, v: usize) -> [f32x8; D] {
        self.ask_ahead(v);
        amap(self.cols, |c| load_at(c, v))
    }

    #[inline(always)]
    fn len(&self) -> usize {
        self.cols.iter().fold(self.y.len(), |m, c| m.min(c.len()))
    }

    #[inline(always)]
    fn tile(&self, v0: usize) -> Option<ColumnsTile<'_, 'a, D, FAR, T>> {
        // Without AVX (SSE2, sixteen registers) one column within the caches keeps the
        // general loop: as whole tiles it was unrolled further and spilled an accumulator
        // into its chain of additions (0.31 ns/value against 0.21 in a dependent's default
        // profile, at 1 MiB). From DRAM the memory sets the pace and whole tiles are as fast.
        if D == 1 && FAR == 0 && !cfg!(target_feature = "avx") {
            return None;
        }
        let tile = |c: &'a [[f32; 8]]| c.get(v0..v0 + T)?.try_into().ok();
        let mut tiles = [tile(self.cols.first()?)?; D];
        for (t, c) in tiles.iter_mut().zip(self.cols) {
            *t = tile(c)?;
        }
        Some(ColumnsTile {
            tiles,
            v0,
            of: self,
        })
    }
}

/// One whole tile of [`Columns`].
struct ColumnsTile<'t, 'a, const D: usize, const FAR: u8, const T: usize> {
    tiles: [&'a [[f32; 8]; T]; D],
    v0: usize,
    of: &'t Columns<'a, D, FAR, T>,
}

impl<const D: usize, const FAR: u8, const T: usize> TileFeatures<D>
    for ColumnsTile<'_, '_, D, FAR, T>
{
    #[inline(always)]
    fn at(&self, i: usize) -> [f32x8; D] {
        self.of.ask_ahead(self.v0 + i);
        amap(self.tiles, |t| t.get(i).map_or(f32x8::ZERO, load))
    }
}

/// Row-major rows of `D < 8` values gathered into feature vectors (`D = 4` with AVX2: each
/// vector's rows as four whole loads, the lanes interleaved). With `FAR`, every other vector
/// (one cache line of y, `D` of x) asks for the lines [`PREFETCH_AHEAD`] values of x ahead,
/// and leaves `y` to the hardware's prefetcher: asking for the matching line of `y` too took
/// 1.07–1.23× the time at `d` = 2–7 on an AMD EPYC family 25 model 17 host with AVX (256 MiB,
/// 2 MiB and 4 KiB pages; as long without AVX; BENCHMARKS.md).
struct Rows<'a, const D: usize, const FAR: bool> {
    x: &'a [f32],
    y: &'a [[f32; 8]],
}

impl<const D: usize, const FAR: bool> Rows<'_, D, FAR> {
    const INTERLEAVED: bool = D == 4 && INTERLEAVES;
}

impl<const D: usize, const FAR: bool> Features<D, TILE_VECS> for Rows<'_, D, FAR> {
    type Tile<'t>
        = NoTile
    where
        Self: 't;

    #[inline(always)]
    fn at(&self, v: usize) -> [f32x8; D] {
        if FAR && v.is_multiple_of(2) {
            let first = D * v / 2 + PREFETCH_AHEAD / 16;
            for l in self.x.as_chunks::<16>().0.iter().skip(first).take(D) {
                prefetch(l);
            }
        }
        if Self::INTERLEAVED
            && let Some(q) = self.x.as_chunks::<8>().0.as_chunks::<4>().0.get(v)
        {
            let cols = columns_of_4_interleaved(q);
            return array::from_fn(|j| cols.get(j).copied().unwrap_or(f32x8::ZERO));
        }
        gather::<D>(self.x, 8 * D * v)
    }

    #[inline(always)]
    fn len(&self) -> usize {
        self.y.len()
    }

    #[inline(always)]
    fn tile(&self, _: usize) -> Option<NoTile> {
        None
    }
}

/// Runs [`step`] over `n_vec` vectors (`features.at(v)` gives vector `v`'s features), in
/// tiles of `T` vectors ([`TILE_VECS`], or [`CM_FOLD_VECS`] for column-major `d > 8`), even
/// and odd vectors into separate accumulator sets, folding tile `k` into f64 at
/// `out.run(k)`.
///
/// With `interleaved`, the features' lanes hold the samples in the order
/// [`INTERLEAVED`](super::lanes::INTERLEAVED): `y` is loaded in that order and every sum put
/// back in sample order before it is folded, so each lane's sum, and the fold, are as without.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn small<const D: usize, const T: usize>(
    n_vec: usize,
    features: impl Features<D, T>,
    y: &[[f32; 8]],
    interleaved: bool,
    w: &[f32],
    b: f32,
    out: &mut impl Out,
) {
    let load_y = |v: usize| {
        if interleaved {
            y.get(v).map_or(f32x8::ZERO, interleave)
        } else {
            load_at(y, v)
        }
    };
    let fold = |v: f32x8| widen_sum(if interleaved { deinterleave(v) } else { v });
    // A loop, not `array::from_fn`: for the wider column-major `D` that was left out of line.
    let mut wv = [f32x8::ZERO; D];
    for (v, &wj) in wv.iter_mut().zip(w) {
        *v = f32x8::splat(wj);
    }
    let bv = f32x8::splat(b);
    // `n_vec` (`n / 8` from the caller) equals the slices' length; passed in as well, it
    // still counts: bounded by the slices alone, the fat-LTO build of row-major d = 7 kept
    // the selects (0.108 against 0.085 ns/value at 1 MiB).
    let n_vec = n_vec.min(features.len()).min(y.len());
    // Vectors `i` and `i + 1` into the even and odd accumulator sets. With AVX both vectors'
    // features first: that schedules better (row-major d = 3 and 5 7–8 % faster); without,
    // it spills.
    macro_rules! pair {
        ($features:expr, $load_y:expr, $i:expr, $a0:ident, $a1:ident) => {
            let i = $i;
            if cfg!(target_feature = "avx") {
                let (f0, f1) = ($features.at(i), $features.at(i + 1));
                step(f0, $load_y(i), &wv, bv, &mut $a0);
                step(f1, $load_y(i + 1), &wv, bv, &mut $a1);
            } else {
                step($features.at(i), $load_y(i), &wv, bv, &mut $a0);
                step($features.at(i + 1), $load_y(i + 1), &wv, bv, &mut $a1);
            }
        };
    }
    let mut v = 0;
    while v < n_vec {
        // Nothing here can wrap (`v ≤ end ≤ n_vec`), and `n_vec` is bounded by the slices the
        // loads read: with neither, the compiler kept a bounds select on every load in one
        // build profile or the other (row-major d = 1, 1.24× slower).
        let end = v + (n_vec - v).min(T);
        let (mut a0, mut a1) = (Acc::<D>::ZERO, Acc::<D>::ZERO);
        let y_tile: Option<&[[f32; 8]; T]> = y.get(v..end).and_then(|t| t.try_into().ok());
        if let (Some(tile), Some(yt)) = (features.tile(v), y_tile) {
            // A whole tile: the same steps in the same order, from arrays of known length.
            let load_y = |i: usize| {
                yt.get(i).map_or(f32x8::ZERO, |y| match interleaved {
                    true => interleave(y),
                    false => load(y),
                })
            };
            for p in 0..T / 2 {
                pair!(tile, load_y, 2 * p, a0, a1);
            }
            v = end;
        }
        while end - v >= 2 {
            pair!(features, load_y, v, a0, a1);
            v += 2;
        }
        if v < end {
            step(features.at(v), load_y(v), &wv, bv, &mut a0);
            v += 1;
        }
        let (grad, s) = out.run((end - 1) / T);
        for (g, (x0, x1)) in grad.iter_mut().zip(a0.g.iter().zip(&a1.g)) {
            *g += fold(*x0 + *x1);
        }
        s.loss += fold(a0.loss + a1.loss);
        s.bias += fold(a0.bias + a1.bias);
    }
}

pub(super) fn cm_small<'a, const D: usize>(
    data: &impl ColumnView<'a>,
    w: &[f32],
    b: f32,
    out: &mut impl Out,
    streamed: bool,
) {
    if let Some((cols, y)) = vectors::<D>(data) {
        // From memory the columns and `y` are asked for ahead (`columns_small`). While the
        // data are in L3 the requests cost more than they save (8 MiB of `x`: 1.2–1.5× the
        // time with AVX-512), so they start at 32 MiB of `x`: 0.6–0.9× the time at
        // 32–256 MiB (BENCHMARKS.md). A view that is part of more data (`streamed`) may be
        // in L3, and does not ask, unless it is one column: row-major d = 1's layout and
        // rule (`rm_small`).
        let far = PREFETCHES
            && ((D == 1 && streamed) || (8 * y.len()).saturating_mul(D) >= FAR_L3_VALUES);
        columns_small(cols, y, far, w, b, out);
    }
}

/// Column-major `d > 8` from memory in one pass (`cm_tiled` says for which `d`): [`small`] in
/// folds of [`CM_FOLD_VECS`] vectors, which are `cm_tiled`'s sums in its order (its residual
/// starts from the first product, `small`'s without AVX from `0 +` it: only a zero's sign
/// differs, which no sum shows), so the bits are `cm_tiled`'s. Every other vector asks for
/// the line [`LOCKSTEP_AHEAD`] vectors on in each column and in `y`.
pub(super) fn cm_lockstep<'a, const D: usize>(
    data: &impl ColumnView<'a>,
    w: &[f32],
    b: f32,
    out: &mut impl Out,
) {
    if let Some((cols, y)) = vectors::<D>(data) {
        let features = Columns::<D, LOCKSTEP_FAR, CM_FOLD_VECS> {
            cols,
            y,
            ahead: LOCKSTEP_AHEAD,
        };
        small::<D, CM_FOLD_VECS>(y.len(), features, y, false, w, b, out);
    }
}

/// How far ahead [`cm_lockstep`] asks for each column, in vectors (2 KiB). With nothing asked
/// ahead the hardware prefetcher kept up with 11–16 columns read side by side and not with
/// more; with this, d = 17–28 take 0.6–0.8× the time of two sweeps per tile from DRAM with
/// AVX, and d = 12 0.86×.
const LOCKSTEP_AHEAD: usize = 64;

/// Where [`cm_lockstep`] asks for its lines (`Columns`'s `FAR`): into L2, since each column
/// and `y` 2 KiB ahead for `d` > 8 fill or exceed a 32 KiB L1 (into L1 took 1.06–1.33× the
/// time at column-major `d` = 24 and 28 on an AMD EPYC family 25 model 17 host, and as long
/// at 12 and 20; BENCHMARKS.md). Without AVX, whose sixteen registers make the accumulators
/// spill, into L1 was 2–7 % faster.
const LOCKSTEP_FAR: u8 = match (PREFETCHES, cfg!(target_feature = "avx")) {
    (false, _) => 0,
    (true, false) => 1,
    (true, true) => 2,
};

/// `data`'s columns and `y` as whole vectors: every column has `n` values and `y` at least
/// `n`, so each slice has exactly `n / 8` vectors, which lets the loads in `small` go
/// without bounds checks.
#[inline(always)]
#[allow(clippy::type_complexity)]
fn vectors<'a, const D: usize>(
    data: &impl ColumnView<'a>,
) -> Option<([&'a [[f32; 8]]; D], &'a [[f32; 8]])> {
    let n_vec = data.n() / 8;
    let mut cols: [&'a [[f32; 8]]; D] = [&[]; D];
    for (j, c) in cols.iter_mut().enumerate() {
        *c = data.column(j)?.as_chunks::<8>().0.get(..n_vec)?;
    }
    Some((cols, data.y().as_chunks::<8>().0.get(..n_vec)?))
}

/// [`small`] over `D` columns of exactly as many vectors as `y`; with `far`, every other
/// vector asks for the line [`PREFETCH_AHEAD`] values on in each column and in `y`, into L2
/// for two columns or more: each 16 KiB ahead, they fill a 32 KiB L1 (into L1 took
/// 1.05–1.41× the time at column-major `d` = 2–8 on an AMD EPYC family 25 model 17 host,
/// BENCHMARKS.md). Up to [`Y_ALONE_COLUMNS`] columns ask for `y` alone, [`Y_ALONE_AHEAD`]
/// vectors on.
#[inline(always)]
fn columns_small<const D: usize>(
    cols: [&[[f32; 8]]; D],
    y: &[[f32; 8]],
    far: bool,
    w: &[f32],
    b: f32,
    out: &mut impl Out,
) {
    let n_vec = y.len();
    if far {
        let ahead = if D <= Y_ALONE_COLUMNS {
            Y_ALONE_AHEAD
        } else {
            PREFETCH_AHEAD / 8
        };
        let features = Columns::<D, 2, TILE_VECS> { cols, y, ahead };
        small::<D, TILE_VECS>(n_vec, features, y, false, w, b, out);
    } else {
        let features = Columns::<D, 0, TILE_VECS> { cols, y, ahead: 0 };
        small::<D, TILE_VECS>(n_vec, features, y, false, w, b, out);
    }
}

/// How far ahead up to [`Y_ALONE_COLUMNS`] columns from memory ask for `y`, in vectors
/// (2 KiB), leaving the columns to the hardware's prefetcher. On an AMD EPYC family 25 model
/// 17 host with AVX, from 256 MiB of `x` on 2 MiB pages, one column (row- or column-major
/// `d` = 1): asking for `x` and `y` 16 KiB ahead took 1.5–1.8× the time of this, and asking
/// for neither 2.2×, with `x` and `y` at the same offset in their pages (as two large
/// allocations are); `y` alone 16–64 vectors ahead ran at 1.0–1.1× the read of `x` and `y`,
/// 2–4 vectors ahead no faster than both. Without AVX the loop's arithmetic sets the pace
/// there, either way.
const Y_ALONE_AHEAD: usize = 64;

/// Up to how many columns from memory ask for `y` alone ([`Y_ALONE_AHEAD`]). Asking for every
/// column and `y` took 1.11–1.38× the time at column-major `d` = 2 and 3 on that host (AVX2
/// and AVX-512 builds, 2 MiB and 4 KiB pages; as long without AVX). From `d` = 4 on, `y`
/// alone was slower in some builds or runs (`d` = 4 1.18–1.21× in the `x86-64-v3` and SSE2
/// builds, `d` = 8 1.2–1.35×): the hardware no longer follows every column.
const Y_ALONE_COLUMNS: usize = 3;

pub(super) fn rm_small<const D: usize>(
    data: &RowMajor<'_>,
    w: &[f32],
    b: f32,
    out: &mut impl Out,
    streamed: bool,
) {
    let n_vec = data.n() / 8;
    let x = data.x();
    let y = data.y().as_chunks::<8>().0;
    if D == 1 {
        // One feature: x is a column, loaded as one (no gather), with the same arithmetic.
        // It asks ahead from 32 MiB of `x`, as more columns do: from 16 MiB of `x` and `y`
        // together, asking took 1.04–1.36× the time of not asking at 8–32 MiB of `x` on an
        // AMD EPYC family 25 model 17 host (BENCHMARKS.md).
        let far = PREFETCHES && (streamed || data.n() >= FAR_L3_VALUES);
        if let (Some(xc), Some(yc)) = (x.as_chunks::<8>().0.get(..n_vec), y.get(..n_vec)) {
            columns_small::<1>([xc], yc, far, w, b, out);
        }
    } else {
        let interleaved = Rows::<D, false>::INTERLEAVED;
        if PREFETCHES && (streamed || far_by_size(data.n(), D)) {
            small::<D, TILE_VECS>(n_vec, Rows::<D, true> { x, y }, y, interleaved, w, b, out);
        } else {
            small::<D, TILE_VECS>(n_vec, Rows::<D, false> { x, y }, y, interleaved, w, b, out);
        }
    }
    let rows = x.chunks_exact(D).zip(data.y()).skip(8 * n_vec);
    for (row, &yi) in rows {
        let (grad, s) = out.run(0);
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
    // `rows.map` on an array of rows does, repeats the copy per feature).
    x.get(base..base + 8 * D)
        .map_or([f32x8::ZERO; D], columns_by_value::<D>)
}
