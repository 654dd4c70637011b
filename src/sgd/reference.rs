//! Scalar references of the SGD step: plain loops that define each update rule.

use crate::kernels::reference::residual;

/// One plain-SGD step from one sample, written out: `r = x·w + b − y` (as
/// [`residual`]), `g = 2r`, `w_j ← w_j − (η·g)·x_j`, `b ← b − η·g`. Returns `r²` before the
/// update. No checks: the definition only.
///
/// # Example
/// ```
/// let (mut w, mut b) = ([0.0f32], 0.0f32);
/// let loss = steepest::sgd::reference::plain_step(&mut w, &mut b, &[1.0], 2.0, 0.01);
/// assert_eq!((loss, w[0], b), (4.0, 0.04, 0.04));
/// ```
pub fn plain_step(w: &mut [f32], b: &mut f32, x: &[f32], y: f32, lr: f32) -> f32 {
    let r = residual(x.iter().copied(), w, *b, y);
    let c = lr * (2.0 * r);
    for (wj, xj) in w.iter_mut().zip(x) {
        *wj -= c * xj;
    }
    *b -= c;
    r * r
}
