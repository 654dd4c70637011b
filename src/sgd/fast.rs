//! The plain-SGD epoch over row-major data with the weights in registers.
//!
//! An SGD update is bound by latency (`w → dot → r → w`), not bandwidth: keeping `w` in a
//! local array of `C` vectors (`d < 8·(C+1)`, `C ≤ 8`) for the whole epoch takes the loads
//! and stores of `w` off that chain. The arithmetic is exactly that of
//! [`Sgd::step`](super::Sgd::step) with [`Plain`](super::Plain) (the same residual as the GD
//! kernel's row tail, the same `w − (η·2r)·x`), so both give the same bits.

use wide::f32x8;

use super::schedule::Schedule;
use crate::error::{Error, What};
use crate::kernels::lanes::{load, madd, smadd, tree8};

/// Widest row (in 8-wide chunks, plus a tail of up to 7) kept in registers.
pub(crate) const MAX_CHUNKS: usize = 8;

/// One epoch of plain SGD in `order` over row-major `x` (`d` features) and `y`; returns the
/// sum of the samples' squared errors before their updates. On an error, `w`, `b` and
/// `steps` hold the state after the last good step.
#[allow(clippy::too_many_arguments)] // data (3), order, model (2), schedule, counter
pub(crate) fn plain_epoch<S: Schedule>(
    x: &[f32],
    y: &[f32],
    d: usize,
    order: &[u32],
    w: &mut [f32],
    b: &mut f32,
    schedule: &S,
    steps: &mut u64,
) -> Result<f64, Error> {
    match d / 8 {
        0 => run::<0, S>(x, y, d, order, w, b, schedule, steps),
        1 => run::<1, S>(x, y, d, order, w, b, schedule, steps),
        2 => run::<2, S>(x, y, d, order, w, b, schedule, steps),
        3 => run::<3, S>(x, y, d, order, w, b, schedule, steps),
        4 => run::<4, S>(x, y, d, order, w, b, schedule, steps),
        5 => run::<5, S>(x, y, d, order, w, b, schedule, steps),
        6 => run::<6, S>(x, y, d, order, w, b, schedule, steps),
        7 => run::<7, S>(x, y, d, order, w, b, schedule, steps),
        _ => run::<8, S>(x, y, d, order, w, b, schedule, steps),
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn run<const C: usize, S: Schedule>(
    x: &[f32],
    y: &[f32],
    d: usize,
    order: &[u32],
    w: &mut [f32],
    b: &mut f32,
    schedule: &S,
    steps: &mut u64,
) -> Result<f64, Error> {
    // The weights: C vectors and a tail of d − 8C ≤ 7 scalars (d − 8C < 8 by the dispatch).
    let (wc, wt) = w.as_chunks::<8>();
    let mut wv: [f32x8; C] = core::array::from_fn(|c| wc.get(c).map_or(f32x8::ZERO, load));
    let mut wtail = [0.0f32; 8];
    let t = wt.len().min(8);
    for (dst, src) in wtail.iter_mut().zip(wt) {
        *dst = *src;
    }
    let mut bias = *b;
    let mut loss = 0.0f64;
    let mut result = Ok(());
    for &i in order {
        let i = i as usize;
        let (Some(row), Some(&yi)) = (x.get(i * d..i * d + d), y.get(i)) else {
            continue;
        };
        let Some(xc) = row
            .get(..8 * C)
            .and_then(|s| <&[[f32; 8]; C]>::try_from(s.as_chunks::<8>().0).ok())
        else {
            continue;
        };
        let xt = row.get(8 * C..).unwrap_or(&[]);
        // r = ((tree8(Σ chunks) + tail in order) + b) − y, as simd::row_residual.
        let mut a = f32x8::ZERO;
        for (xv, wvc) in xc.iter().zip(&wv) {
            a = madd(load(xv), *wvc, a);
        }
        let mut p = tree8(a.to_array());
        for (&xj, &wj) in xt.iter().zip(wtail.iter().take(t)) {
            p = smadd(xj, wj, p);
        }
        let r = (p + bias) - yi;
        let lr = schedule.rate(*steps);
        if !(lr.is_finite() && lr > 0.0) {
            result = Err(Error::InvalidParameter {
                what: What::LearningRate,
                value: f64::from(lr),
            });
            break;
        }
        // w ← w − (η·2r)·x, all or nothing.
        let c = lr * (2.0 * r);
        let cv = f32x8::splat(c);
        let nb = bias - c;
        let mut nw = wv;
        let mut probe = f32x8::ZERO;
        for (n, xv) in nw.iter_mut().zip(xc) {
            *n -= cv * load(xv);
            probe += *n * 0.0;
        }
        let mut ntail = wtail;
        let mut tprobe = nb * 0.0;
        for (n, &xj) in ntail.iter_mut().zip(xt) {
            *n -= c * xj;
            tprobe += *n * 0.0;
        }
        if !(r.is_finite() && tprobe == 0.0 && probe.to_array().iter().all(|v| *v == 0.0)) {
            result = Err(if row.iter().any(|v| !v.is_finite()) || !yi.is_finite() {
                let col = row.iter().position(|v| !v.is_finite());
                Error::NonFiniteData {
                    what: if col.is_some() { What::X } else { What::Y },
                    row: i,
                    col: col.unwrap_or(0),
                }
            } else {
                Error::Rejected { step: *steps }
            });
            break;
        }
        wv = nw;
        wtail = ntail;
        bias = nb;
        *steps += 1;
        loss += f64::from(r * r);
    }
    // Write the registers back (also after an error: the last good state).
    let (wc, wt) = w.as_chunks_mut::<8>();
    for (dst, v) in wc.iter_mut().zip(wv) {
        *dst = v.to_array();
    }
    for (dst, v) in wt.iter_mut().zip(wtail) {
        *dst = v;
    }
    *b = bias;
    result.map(|()| loss)
}
