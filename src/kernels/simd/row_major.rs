use super::pipelined::{add_loss_bias, rm_exact_one_pass, rm_exact_pipelined};
use super::{
    Out, PREFETCH_AHEAD, RM_TILE_MAX, accumulate, all8, far_by_size, last, line_bunches,
    prefetch_l2_lines, row_major_tile,
};
use crate::data::RowMajor;
use crate::kernels::lanes::{
    PREFETCHES, amap, columns_of_4_at, columns8, hsum8, load, madd, smadd, tree8, widen_add,
    widen_sum,
};
use core::array;
use wide::f32x8;

// ---------------------------------------------------------------------------------------
// Row-major, d ≥ 8: blocks of eight rows, dot products across features.
// ---------------------------------------------------------------------------------------

/// Whether every row-major `d` below 40 gets a copy of the wide kernel of its own, with `d`
/// a constant (rows' offsets, the tail's length, the single gradient block): on x86, where
/// finding them at run time cost more than the arithmetic. Elsewhere (Cortex-M: no SIMD,
/// flash counts) only rows of whole chunks have their own copy, and the gradient goes
/// through [`tile_gradient`].
const SPECIALISED: bool = cfg!(any(target_arch = "x86", target_arch = "x86_64"));

/// Whether rows of exactly one to four chunks (and five to eight, see [`MORE_CHUNKS`]) take
/// [`rm_exact_pipelined`] when the data are within the caches: with AVX on x86. Without AVX
/// an `f32x8` is two registers and the pipelined step's two halves do not fit in the sixteen,
/// so the two-sweep tile is faster there.
const PIPELINED: bool = SPECIALISED && cfg!(target_feature = "avx");

/// Whether rows of exactly 5, 6 or 7 chunks (d = 40, 48, 56) get a copy of their own, `w` in
/// registers: the pipelined tile in cache (0.6–0.95× the generic two-sweep tile's time), the
/// one pass from memory for d = 40 (0.9–1.0×). With AVX: without it the two sweeps of a copy
/// of its own were no faster everywhere (0.77–1.05×), and those builds keep the generic tile.
/// From memory d = 48 and 56 take the generic tile too: their one pass took 0.8–0.9× its time
/// on an AMD EPYC family 26 host but 1.04–1.21× on a family 25 model 17 one (BENCHMARKS.md),
/// and a path slower on one host is not taken.
const MORE_CHUNKS: bool = PIPELINED;

/// Whether rows of exactly 8 chunks (d = 64) get a copy of their own: with AVX-512's 32
/// vector registers (0.72× the generic tile's time in cache, as fast from DRAM). With AVX's
/// 16 the one pass from DRAM took 1.2× the generic tile's time.
const EIGHT_CHUNKS: bool = PIPELINED && cfg!(target_feature = "avx512vl");

/// Tile `k` of the call adds into `out.run(k)`.
pub(super) fn rm_wide(data: &RowMajor<'_>, w: &[f32], b: f32, out: &mut impl Out, streamed: bool) {
    // Whether the pass reads from memory and asks for its data ahead.
    let far = PREFETCHES && (streamed || far_by_size(data.n(), data.d()));
    match data.d() {
        8 => rm_wide_c::<1, 0>(data, w, b, out, far),
        16 => rm_wide_c::<2, 0>(data, w, b, out, far),
        24 => rm_wide_c::<3, 0>(data, w, b, out, far),
        32 => rm_wide_c::<4, 0>(data, w, b, out, far),
        40 if MORE_CHUNKS => rm_wide_c::<5, 0>(data, w, b, out, far),
        48 if MORE_CHUNKS && !far => rm_wide_c::<6, 0>(data, w, b, out, far),
        56 if MORE_CHUNKS && !far => rm_wide_c::<7, 0>(data, w, b, out, far),
        64 if EIGHT_CHUNKS => rm_wide_c::<8, 0>(data, w, b, out, far),
        d if SPECIALISED && d < 40 => match d {
            9 => rm_wide_c::<1, 1>(data, w, b, out, far),
            10 => rm_wide_c::<1, 2>(data, w, b, out, far),
            11 => rm_wide_c::<1, 3>(data, w, b, out, far),
            12 => rm_wide_c::<1, 4>(data, w, b, out, far),
            13 => rm_wide_c::<1, 5>(data, w, b, out, far),
            14 => rm_wide_c::<1, 6>(data, w, b, out, far),
            15 => rm_wide_c::<1, 7>(data, w, b, out, far),
            17 => rm_wide_c::<2, 1>(data, w, b, out, far),
            18 => rm_wide_c::<2, 2>(data, w, b, out, far),
            19 => rm_wide_c::<2, 3>(data, w, b, out, far),
            20 => rm_wide_c::<2, 4>(data, w, b, out, far),
            21 => rm_wide_c::<2, 5>(data, w, b, out, far),
            22 => rm_wide_c::<2, 6>(data, w, b, out, far),
            23 => rm_wide_c::<2, 7>(data, w, b, out, far),
            25 => rm_wide_c::<3, 1>(data, w, b, out, far),
            26 => rm_wide_c::<3, 2>(data, w, b, out, far),
            27 => rm_wide_c::<3, 3>(data, w, b, out, far),
            28 => rm_wide_c::<3, 4>(data, w, b, out, far),
            29 => rm_wide_c::<3, 5>(data, w, b, out, far),
            30 => rm_wide_c::<3, 6>(data, w, b, out, far),
            31 => rm_wide_c::<3, 7>(data, w, b, out, far),
            33 => rm_wide_c::<4, 1>(data, w, b, out, far),
            34 => rm_wide_c::<4, 2>(data, w, b, out, far),
            35 => rm_wide_c::<4, 3>(data, w, b, out, far),
            36 => rm_wide_c::<4, 4>(data, w, b, out, far),
            37 => rm_wide_c::<4, 5>(data, w, b, out, far),
            38 => rm_wide_c::<4, 6>(data, w, b, out, far),
            39 => rm_wide_c::<4, 7>(data, w, b, out, far),
            _ => rm_wide_c::<0, ANY_TAIL>(data, w, b, out, far),
        },
        // Wider rows: d at run time, its tail of d mod 8 features a constant.
        d if SPECIALISED => match d % 8 {
            0 => rm_wide_c::<0, 0>(data, w, b, out, far),
            1 => rm_wide_c::<0, 1>(data, w, b, out, far),
            2 => rm_wide_c::<0, 2>(data, w, b, out, far),
            3 => rm_wide_c::<0, 3>(data, w, b, out, far),
            4 => rm_wide_c::<0, 4>(data, w, b, out, far),
            5 => rm_wide_c::<0, 5>(data, w, b, out, far),
            6 => rm_wide_c::<0, 6>(data, w, b, out, far),
            _ => rm_wide_c::<0, 7>(data, w, b, out, far),
        },
        _ => rm_wide_c::<0, ANY_TAIL>(data, w, b, out, far),
    }
}

/// `T` of [`rm_wide_c`] for a tail found at run time.
const ANY_TAIL: usize = 8;

/// The wide row-major kernel. `C > 0`: the caller has checked that `d = 8·C + T`, so `d` is a
/// constant here (rows of exactly `C` chunks take [`exact_residual`]); `C = 0`: any `d`, found
/// at run time, with `d mod 8 = T` checked by the caller if `T <` [`ANY_TAIL`]. `far`: the
/// pass reads from memory and asks for the rows ahead. Same arithmetic every way.
///
/// Not forced inline: one call per pass, and each of its 40 copies keeps a stack frame of its
/// own (in a debug build, forced into `rm_wide`, their locals together overflowed a 2 MiB
/// thread stack).
fn rm_wide_c<const C: usize, const T: usize>(
    data: &RowMajor<'_>,
    w: &[f32],
    b: f32,
    out: &mut impl Out,
    far: bool,
) {
    let d = if C > 0 { 8 * C + T } else { data.d() };
    // `w` and each run's gradient have length d (checked by the caller): cut to it here, so
    // that with C > 0 their chunk and tail counts are constants too (else the tail's loops
    // stay loops over arrays on the stack).
    let Some(w) = w.get(..d) else {
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
        .map(|wc| amap(*wc, |c| load(&c)));
    let mut r_buf = [0.0f32; RM_TILE_MAX];
    if PIPELINED
        && !far
        && let Some(wv) = &w_exact
    {
        rm_exact_pipelined::<C>(xs, ys, wv, bv, t, d, out);
        tail_rows(x_tail, y_tail, d, w, b, out);
        return;
    }
    // From memory, rows of one to four whole chunks (and a tail), or five or eight and no
    // tail (`rm_wide` sends six and seven to the generic tile there), in one pass, asking
    // for the rows ahead: 0.6–1.0× the two sweeps' time (BENCHMARKS.md). Without AVX, where
    // an `f32x8` is two registers, only rows of one or two chunks and no tail: with three or
    // four chunks the accumulators spill (1.06–1.11×), and with a tail 1.09–1.34×.
    let one_pass = far && C > 0 && (cfg!(target_feature = "avx") || (C <= 2 && T == 0));
    if one_pass && let Some(wv) = &w_exact {
        rm_exact_one_pass::<C>(xs, ys, wv, bv, t, d, out);
        tail_rows(x_tail, y_tail, d, w, b, out);
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
        let next = if far && !one_pass {
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
        // With `one_pass`: the gradient of the C chunks, accumulated as the rows pass.
        let (mut a0, mut a1) = ([f32x8::ZERO; C], [f32x8::ZERO; C]);
        if one_pass {
            let groups = xt.chunks_exact((8 * d).max(1)).zip(yg);
            for (k, ((xg, yg), rg)) in groups.zip(rg).enumerate() {
                let at = start + k * 8 * d + PREFETCH_AHEAD;
                if let Some(l) = xs.get(at..at + 8 * d) {
                    prefetch_l2_lines(l);
                }
                *rg = group_residual(xg, d, wc, wt, bv, load(yg), &mut tail).to_array();
                let pairs = xg.chunks_exact((2 * d).max(1)).zip(rg.as_chunks::<2>().0);
                for (pair, &[r0, r1]) in pairs {
                    let (xe, xo) = pair.split_at_checked(d).unwrap_or((&[], &[]));
                    if let (Some(xe), Some(xo)) = (segment::<C>(xe, 0), segment::<C>(xo, 0)) {
                        add_pair(&mut a0, &mut a1, xe, xo, r0, r1);
                    }
                }
            }
        } else if let Some(wv) = &w_exact {
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
        let (grad, s) = out.run(ti);
        add_loss_bias(rt.as_chunks::<8>().0, s);
        let (gc, gt) = grad.get_mut(..d).unwrap_or(&mut []).as_chunks_mut::<8>();
        if one_pass {
            fold_sets(gc, &a0, &a1);
        } else if SPECIALISED && C > 0 {
            // One block of at most four chunks: straight to it, with `d` a constant.
            chunk_block::<C>(xt, d, 0, rt, gc, next2);
        } else {
            tile_gradient(xt, d, rt, gc, next2);
        }
        for (g, a) in gt.iter_mut().zip(tail) {
            *g += widen_sum(a);
        }
    }
    tail_rows(x_tail, y_tail, d, w, b, out);
}

/// The rows past the last multiple of 8, one by one into the first run's sums (a call with
/// such rows has its runs added into one total).
#[inline(always)]
fn tail_rows(x: &[f32], y: &[f32], d: usize, w: &[f32], b: f32, out: &mut impl Out) {
    for (row, &yi) in x.chunks_exact(d.max(1)).zip(y) {
        let r = row_residual(row, w, b, yi);
        let (grad, s) = out.run(0);
        accumulate(row.iter().copied(), r, grad, s);
    }
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
    let rc = amap(rows, |r| r.as_chunks::<8>().0);
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
        let c = all8(amap(rows, last::<4>)).map_or([f32x8::ZERO; 4], columns_of_4_at);
        array::from_fn(|j| c.get(4 - t + j).copied().unwrap_or(f32x8::ZERO))
    } else {
        let c = all8(amap(rows, last::<8>)).map_or([f32x8::ZERO; 8], columns8);
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
pub(super) fn exact_residual<const C: usize>(
    xg: &[[[f32; 8]; C]; 8],
    w: &[f32x8; C],
    b: f32x8,
    y: f32x8,
) -> f32x8 {
    residual_of(xg, load, w, b, y)
}

/// [`exact_residual`] of a group already loaded ([`load_group`]).
#[inline(always)]
pub(super) fn loaded_residual<const C: usize>(
    xv: &[[f32x8; C]; 8],
    w: &[f32x8; C],
    b: f32x8,
    y: f32x8,
) -> f32x8 {
    residual_of(xv, |v| *v, w, b, y)
}

/// Eight rows of `C` chunks each, loaded.
#[inline(always)]
pub(super) fn load_group<const C: usize>(xg: &[[[f32; 8]; C]; 8]) -> [[f32x8; C]; 8] {
    let mut xv = [[f32x8::ZERO; C]; 8];
    for (r, row) in xv.iter_mut().zip(xg) {
        for (v, c) in r.iter_mut().zip(row) {
            *v = load(c);
        }
    }
    xv
}

/// [`exact_residual`]'s arithmetic on chunks of type `X`, each made a vector by `get` where
/// it is used: loading the chunks first, instead of at their products, took 3–6 % more time
/// in cache without AVX.
#[inline(always)]
fn residual_of<X, const C: usize>(
    xg: &[[X; C]; 8],
    get: impl Fn(&X) -> f32x8 + Copy,
    w: &[f32x8; C],
    b: f32x8,
    y: f32x8,
) -> f32x8 {
    let acc = amap(xg.each_ref(), |row| {
        let mut chunks = row.iter().zip(w);
        let mut a = chunks.next().map_or(f32x8::ZERO, |(xv, wv)| get(xv) * *wv);
        for (xv, wv) in chunks {
            a = madd(get(xv), *wv, a);
        }
        a
    });
    (hsum8(acc) + b) - y
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
pub(super) fn add_pair<const K: usize>(
    a0: &mut [f32x8; K],
    a1: &mut [f32x8; K],
    xe: &[[f32; 8]; K],
    xo: &[[f32; 8]; K],
    r0: f32,
    r1: f32,
) {
    pair_terms(a0, a1, [xe, xo], load, r0, r1);
}

/// [`add_pair`] of two rows already loaded.
#[inline(always)]
pub(super) fn add_loaded_pair<const K: usize>(
    a0: &mut [f32x8; K],
    a1: &mut [f32x8; K],
    [xe, xo]: &[[f32x8; K]; 2],
    r0: f32,
    r1: f32,
) {
    pair_terms(a0, a1, [xe, xo], |v| *v, r0, r1);
}

/// [`add_pair`]'s arithmetic on chunks of type `X`, each made a vector by `get` where it is
/// used (as in [`residual_of`]).
#[inline(always)]
fn pair_terms<X, const K: usize>(
    a0: &mut [f32x8; K],
    a1: &mut [f32x8; K],
    [xe, xo]: [&[X; K]; 2],
    get: impl Fn(&X) -> f32x8 + Copy,
    r0: f32,
    r1: f32,
) {
    let (re, ro) = (f32x8::splat(r0), f32x8::splat(r1));
    for (a, xv) in a0.iter_mut().zip(xe) {
        *a = madd(re, get(xv), *a);
    }
    for (a, xv) in a1.iter_mut().zip(xo) {
        *a = madd(ro, get(xv), *a);
    }
}

/// Merges the two accumulator sets of a tile's gradient block and folds them into `g`.
#[inline(always)]
pub(super) fn fold_sets<const K: usize>(g: &mut [[f64; 8]], a0: &[f32x8; K], a1: &[f32x8; K]) {
    for (gl, (x0, x1)) in g.iter_mut().zip(a0.iter().zip(a1)) {
        widen_add(gl, *x0 + *x1);
    }
}
