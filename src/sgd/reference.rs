//! Scalar references of the SGD step: plain loops that define each update rule.

use crate::kernels::reference::residual;

/// One plain-SGD step from one sample, written out: `r = x·w + b − y` (as
/// [`residual`]), `g = 2r`, `w_j ← w_j − (η·g)·x_j`, `b ← b − η·g`. Returns `r²` before the
/// update. No checks: the definition only. ([`Sgd::step`](super::Sgd::step) adds the same
/// terms in another fixed order, `p + (b − y)` with 8-lane partial sums, which keeps its
/// latency chain short; the two residuals agree within `γ_{d+2}·(Σ|xⱼwⱼ| + |b| + |y|)`.)
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

/// One momentum step (PyTorch's SGD) for gradient scale `g = 2r`, written out parameter by
/// parameter (the bias last, with feature 1 and no weight decay). `buf` holds `d + 1` values.
///
/// # Example
/// ```
/// // The first step (the velocity starts as the gradient): r = 0·w + 0 − 2 = −2, g = 2r.
/// let (mut w, mut b, mut buf) = ([0.0f32], 0.0f32, [0.0f32; 2]);
/// steepest::sgd::reference::momentum(&mut w, &mut b, &[1.0], -4.0, 0.01, (0.9, 0.0, false, 0.0), &mut buf, false);
/// assert_eq!((w[0], b, buf), (0.04, 0.04, [-4.0, -4.0]));
/// ```
#[allow(clippy::too_many_arguments)] // the formula's every input, named
pub fn momentum(
    w: &mut [f32],
    b: &mut f32,
    x: &[f32],
    g: f32,
    lr: f32,
    (mu, tau, nesterov, wd): (f32, f32, bool, f32),
    buf: &mut [f32],
    started: bool,
) {
    let one = |theta: &mut f32, xj: f32, v: Option<&mut f32>, weight: bool| {
        let mut gj = g * xj;
        if weight && wd != 0.0 {
            gj += wd * *theta;
        }
        if mu == 0.0 {
            *theta -= lr * gj;
            return;
        }
        let mut zero = 0.0;
        let v = v.unwrap_or(&mut zero);
        *v = if started {
            mu * *v + (1.0 - tau) * gj
        } else {
            gj
        };
        let step = if nesterov { gj + mu * *v } else { *v };
        *theta -= lr * step;
    };
    let mut bufs = buf.iter_mut();
    for (wj, &xj) in w.iter_mut().zip(x) {
        one(wj, xj, bufs.next(), true);
    }
    one(b, 1.0, bufs.next(), false);
}

/// One Adam/AdamW step (PyTorch's) at the rule's step `k ≥ 1`, written out. `m`, `v` hold
/// `d + 1` values each.
///
/// # Example
/// ```
/// // At k = 1 the bias corrections make the step η·g/(|g| + ε): about η against the gradient.
/// let (mut w, mut b, mut m, mut v) = ([0.0f32], 0.0f32, [0.0f32; 2], [0.0f32; 2]);
/// steepest::sgd::reference::adam(&mut w, &mut b, &[1.0], -4.0, 0.01, (0.9, 0.999, 1e-8, 0.0, false), &mut m, &mut v, 1);
/// assert!((w[0] - 0.01).abs() < 1e-6 && (b - 0.01).abs() < 1e-6);
/// ```
#[allow(clippy::too_many_arguments)] // the formula's every input, named
pub fn adam(
    w: &mut [f32],
    b: &mut f32,
    x: &[f32],
    g: f32,
    lr: f32,
    (beta1, beta2, eps, wd, decoupled): (f32, f32, f32, f32, bool),
    m: &mut [f32],
    v: &mut [f32],
    k: u64,
) {
    let c1 = 1.0 - libm::powf(beta1, k as f32);
    let c2 = 1.0 - libm::powf(beta2, k as f32);
    let one = |theta: &mut f32, xj: f32, mv: Option<(&mut f32, &mut f32)>, weight: bool| {
        let mut gj = g * xj;
        if weight && wd != 0.0 {
            if decoupled {
                *theta *= 1.0 - lr * wd;
            } else {
                gj += wd * *theta;
            }
        }
        let (mut m0, mut v0) = (0.0, 0.0);
        let (mj, vj) = mv.unwrap_or((&mut m0, &mut v0));
        *mj = beta1 * *mj + (1.0 - beta1) * gj;
        *vj = beta2 * *vj + (1.0 - beta2) * (gj * gj);
        let m_hat = *mj / c1;
        let v_hat = *vj / c2;
        *theta -= lr * m_hat / (libm::sqrtf(v_hat) + eps);
    };
    let mut states = m.iter_mut().zip(v.iter_mut());
    for (wj, &xj) in w.iter_mut().zip(x) {
        one(wj, xj, states.next(), true);
    }
    one(b, 1.0, states.next(), false);
}

/// One normalized (NLMS) step: `θ ← θ − η·(g/2)·x̃ / (ε + ‖x̃‖²)`, `x̃ = (x, 1)`.
///
/// # Example
/// ```
/// // η = 1 on x̃ = (1, 1): r = −2 is split over ‖x̃‖² = 2, so the residual becomes 0.
/// let (mut w, mut b) = ([0.0f32], 0.0f32);
/// steepest::sgd::reference::normalized(&mut w, &mut b, &[1.0], -4.0, 1.0, 0.0);
/// assert_eq!((w[0], b), (1.0, 1.0));
/// ```
pub fn normalized(w: &mut [f32], b: &mut f32, x: &[f32], g: f32, lr: f32, eps: f32) {
    let mut energy = 1.0f32;
    for &xj in x {
        energy += xj * xj;
    }
    let c = lr * 0.5 / (eps + energy);
    for (wj, &xj) in w.iter_mut().zip(x) {
        *wj -= c * (g * xj);
    }
    *b -= c * g;
}
