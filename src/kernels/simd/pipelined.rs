use super::row_major::{
    add_loaded_pair, add_pair, exact_residual, fold_sets, load_group, loaded_residual,
};
use super::{Out, PREFETCH_AHEAD, RM_TILE_MAX, prefetch_l2_lines};
use crate::kernels::Sums;
use crate::kernels::lanes::{load, madd, widen_sum};
use wide::f32x8;

/// The tile loop of [`rm_wide_c`] for rows of exactly `C` chunks, software-pipelined: each
/// step forms the residuals of a group of eight rows of the *next* tile and adds the
/// gradient of the same group of the current tile, whose residuals are complete. The two
/// halves of a step do not depend on each other, so the core overlaps the next tile's first
/// reads (from L2, L3 or DRAM) with arithmetic on data in L1, where the two-sweep tile
/// left the memory idle through its gradient sweep. The gradient of each tile is added
/// row pair by row pair into the same two accumulator sets, its loss and bias summed from
/// its residuals in order and every fold into f64 made in tile order: the bits of the
/// two-sweep tile. Two tiles of residuals (2 KiB) on the stack.
///
/// For data within the caches only: from DRAM it ran at 2.2–2.6× the time of a read of `x`
/// and `y` on one host (the two-sweep tile with its spread prefetch at 1.3–1.4× there), and
/// within noise of the two-sweep tile on another.
#[inline(always)]
pub(super) fn rm_exact_pipelined<const C: usize>(
    xs: &[f32],
    ys: &[f32],
    wv: &[f32x8; C],
    bv: f32x8,
    t: usize,
    d: usize,
    out: &mut impl Out,
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
        let (grad, s) = out.run(ti);
        add_loss_bias(cur, s);
        let gc = grad.get_mut(..d).unwrap_or(&mut []).as_chunks_mut::<8>().0;
        let (mut a0, mut a1) = ([f32x8::ZERO; C], [f32x8::ZERO; C]);
        for (k, (xg, rg)) in xc.iter().zip(cur).enumerate() {
            if let (Some(xn), Some(y), Some(rn)) = (xn.get(k), yn.get(k), nxt.get_mut(k)) {
                *rn = exact_residual::<C>(xn, wv, bv, load(y)).to_array();
            }
            for ([xe, xo], &[r0, r1]) in xg.as_chunks::<2>().0.iter().zip(rg.as_chunks::<2>().0) {
                add_pair(&mut a0, &mut a1, xe, xo, r0, r1);
            }
        }
        fold_sets(gc, &a0, &a1);
    }
}

/// The tile loop of [`rm_wide_c`] for rows of exactly `C` chunks from memory, in one pass:
/// each group of eight rows has its residuals formed and then, while the group is in L1, its
/// row pairs' terms added into the tile's two accumulator sets; every group asks for the
/// lines [`PREFETCH_AHEAD`] values of `x` on into L2. The same additions in the same
/// order as the two-sweep tile, so the same bits. From DRAM the two-sweep tile left the
/// memory idle through its gradient sweep (1.3–1.4× the time of reading `x` and `y`, with its
/// prefetch spread over both sweeps); this pass takes 0.6–0.9× its time.
#[inline(always)]
pub(super) fn rm_exact_one_pass<const C: usize>(
    xs: &[f32],
    ys: &[f32],
    wv: &[f32x8; C],
    bv: f32x8,
    t: usize,
    d: usize,
    out: &mut impl Out,
) {
    let groups = xs.as_chunks::<8>().0.as_chunks::<C>().0.as_chunks::<8>().0;
    let yg = ys.as_chunks::<8>().0;
    // Groups per tile; the residual buffer holds RM_TILE_MAX rows.
    let tg = (t / 8).clamp(1, RM_TILE_MAX / 8);
    let mut r = [[0.0f32; 8]; RM_TILE_MAX / 8];
    for (ti, (xt, yt)) in groups.chunks(tg).zip(yg.chunks(tg)).enumerate() {
        let (mut a0, mut a1) = ([f32x8::ZERO; C], [f32x8::ZERO; C]);
        for (k, ((xg, y), rg)) in xt.iter().zip(yt).zip(&mut r).enumerate() {
            let at = (ti * tg + k) * 8 * d + PREFETCH_AHEAD;
            if let Some(l) = xs.get(at..at + 8 * d) {
                prefetch_l2_lines(l);
            }
            if C <= LOAD_ONCE_MAX {
                let xv = load_group(xg);
                *rg = loaded_residual::<C>(&xv, wv, bv, load(y)).to_array();
                for (pair, &[r0, r1]) in xv.as_chunks::<2>().0.iter().zip(rg.as_chunks::<2>().0) {
                    add_loaded_pair(&mut a0, &mut a1, pair, r0, r1);
                }
            } else {
                *rg = exact_residual::<C>(xg, wv, bv, load(y)).to_array();
                let pairs = xg.as_chunks::<2>().0.iter().zip(rg.as_chunks::<2>().0);
                for ([xe, xo], &[r0, r1]) in pairs {
                    add_pair(&mut a0, &mut a1, xe, xo, r0, r1);
                }
            }
        }
        let (grad, s) = out.run(ti);
        add_loss_bias(r.get(..xt.len()).unwrap_or(&[]), s);
        let gc = grad.get_mut(..d).unwrap_or(&mut []).as_chunks_mut::<8>().0;
        fold_sets(gc, &a0, &a1);
    }
}

/// The widest rows (in chunks) whose groups [`rm_exact_one_pass`] loads once, for their
/// residuals and their gradient terms alike. Loading each row twice (into the arithmetic),
/// cargo's default release profile took 1.1–1.3× the time of fat LTO, which loaded once, at
/// d = 24 and 32 from DRAM; loading once, it took the fat-LTO build's time, and so did d = 40
/// (1.22–1.23 of the read against 1.31–1.34, on an AMD EPYC family 25 model 17 host). At
/// d = 64 loading once took 1.17× the time of loading twice.
const LOAD_ONCE_MAX: usize = 5;

/// Adds a tile's `Σ r²` and `Σ r` into `s`, from its residual vectors in order (even and
/// odd vectors in two accumulator sets, merged, folded into f64).
#[inline(always)]
pub(super) fn add_loss_bias(r: &[[f32; 8]], s: &mut Sums) {
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
