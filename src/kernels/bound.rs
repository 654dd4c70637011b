//! The error bound that defines "close enough" between [`simd`](super::simd) and
//! [`reference`](super::reference).
//!
//! Both compute the residual `rᵢ = xᵢ·w + b − yᵢ` in f32: a dot product of `d` terms plus two
//! additions, so each is off the exact residual by at most `γ_{d+2}·Aᵢ`, with
//! `Aᵢ = |b| + |yᵢ| + Σₖ |xᵢₖ·wₖ|` and `γₖ = k·u/(1−k·u)`, `u = 2⁻²⁴`. The SIMD kernel then
//! rounds each product `rᵢ·xᵢⱼ` (one `u`) and adds it into an f32 chain of at most
//! `m =` [`F32_CHAIN`] additions before the chain is folded into f64;
//! the reference multiplies exactly in f64. The f64 sums of either add at most `n` terms at
//! `2⁻⁵³` each. So, per gradient component `j`,
//!
//! ```text
//! |ĝⱼ − g̃ⱼ| ≤ 2·γ_{d+2}·Σᵢ Aᵢ·|xᵢⱼ|  +  γ_{m+1}·Σᵢ |r̂ᵢ·xᵢⱼ|  +  2·n·2⁻⁵³·Σᵢ |r̂ᵢ·xᵢⱼ|
//! ```
//!
//! the bias likewise with `|xᵢⱼ|` replaced by 1, and the loss `Σ rᵢ²` with
//! `Σᵢ (|r̂ᵢ|+|r̃ᵢ|)·|r̂ᵢ − r̃ᵢ| ≤ 2·γ_{d+2}·Σᵢ Aᵢ·(2|rᵢ| + γ_{d+2}Aᵢ)` in place of the first term
//! and `Σ rᵢ²` in the others. The sums here are evaluated in f64 from the exact residuals
//! with `|r̂ᵢ| ≤ |rᵢ| + γ_{d+2}Aᵢ`, and the whole is doubled to cover the rounding of this
//! evaluation itself and of values that underflow to subnormals (each such product adds at
//! most `2⁻¹⁴⁹`, also counted). It is a worst case: observed differences are 10²–10⁴ times
//! smaller, yet a lost sample or a wrong index gives errors of the size of the sums themselves.
//! It is a bound on the difference of the two, never relative to `‖g‖`, which near the optimum
//! cancels and would make any relative tolerance dishonest.

use super::simd::F32_CHAIN;
use crate::data::Dataset;
use crate::error::{Error, What};

const U: f64 = 1.0 / 16_777_216.0; // 2⁻²⁴: f32 unit roundoff
const U64: f64 = 1.0 / 9_007_199_254_740_992.0; // 2⁻⁵³
const TINY: f64 = 1.401_298_464_324_817e-45; // 2⁻¹⁴⁹: the f32 subnormal step

/// The allowed difference between the SIMD kernel and the reference for one pass.
///
/// # Example
/// ```
/// use steepest::{RowMajor, kernels::bound};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
/// let t = bound::tolerance(&data.into(), &[1.9], 0.1, &mut [0.0])?;
/// assert!(t.loss > 0.0 && t.bias > 0.0); // a bound, never zero
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tolerance {
    /// For `Σ rᵢ²`.
    pub loss: f64,
    /// For `Σ rᵢ`.
    pub bias: f64,
}

fn gamma(k: usize) -> f64 {
    let ku = k as f64 * U;
    ku / (1.0 - ku)
}

/// Computes the bound above for data, `w` and `b`: returns the loss and bias tolerances and
/// writes the gradient tolerance of each feature into `grad_tol`.
///
/// # Errors
/// [`Error::Length`] if `w` or `grad_tol` does not have `d` elements.
///
/// # Example
/// ```
/// use steepest::{kernels::{bound, reference, simd}, RowMajor};
/// let x = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
/// let y = [1.0; 10];
/// let data = RowMajor::new(&x, &y, 10, 1)?.into();
/// let (mut gs, mut gr, mut tol) = ([0.0], [0.0], [0.0]);
/// let s = simd::gradient(&data, &[0.3], 0.1, &mut gs)?;
/// let r = reference::gradient(&data, &[0.3], 0.1, &mut gr)?;
/// let t = bound::tolerance(&data, &[0.3], 0.1, &mut tol)?;
/// assert!((s.loss - r.loss).abs() <= t.loss && (gs[0] - gr[0]).abs() <= tol[0]);
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn tolerance(
    data: &Dataset<'_>,
    w: &[f32],
    b: f32,
    grad_tol: &mut [f64],
) -> Result<Tolerance, Error> {
    let d = data.d();
    for (what, len) in [(What::Weights, w.len()), (What::Gradient, grad_tol.len())] {
        if len != d {
            return Err(Error::Length {
                what,
                expected: d,
                found: len,
            });
        }
    }
    let n = data.n();
    let g_r = gamma(d + 2);
    let g_s = gamma(F32_CHAIN + 1) + 2.0 * n as f64 * U64;
    let tiny = n as f64 * (d as f64 + 2.0) * TINY;
    // For sample i: Aᵢ and an upper estimate of |r̂ᵢ|, from the exact (f64) residual.
    let terms = |i: usize| -> (f64, f64) {
        let y = f64::from(data.y().get(i).copied().unwrap_or(0.0));
        let (mut dot, mut a) = (0.0f64, f64::from(b).abs() + y.abs());
        for (j, &wj) in w.iter().enumerate() {
            let p = f64::from(sample(data, i, j)) * f64::from(wj);
            dot += p;
            a += p.abs();
        }
        let r = dot + f64::from(b) - y;
        (a, r.abs() + g_r * a)
    };
    // Two sweeps over the samples keep this allocation-free: the first adds the residual
    // terms of every component into grad_tol, the second the summation terms.
    grad_tol.fill(tiny);
    let mut tol = Tolerance {
        loss: tiny,
        bias: tiny,
    };
    for i in 0..n {
        let (a, r_hat) = terms(i);
        let r = r_hat - g_r * a;
        tol.loss += 2.0 * (2.0 * g_r * a * (2.0 * r + g_r * a) + g_s * r_hat * r_hat);
        tol.bias += 2.0 * (2.0 * g_r * a + g_s * r_hat);
        for (j, t) in grad_tol.iter_mut().enumerate() {
            *t += 2.0 * 2.0 * g_r * a * f64::from(sample(data, i, j)).abs();
        }
    }
    for i in 0..n {
        let (_, r_hat) = terms(i);
        for (j, t) in grad_tol.iter_mut().enumerate() {
            *t += 2.0 * g_s * r_hat * f64::from(sample(data, i, j)).abs();
        }
    }
    Ok(tol)
}

/// `x[i][j]` of either layout, 0 outside the view.
fn sample(data: &Dataset<'_>, i: usize, j: usize) -> f32 {
    match data {
        Dataset::RowMajor(v) => v.x().get(i * v.d() + j).copied().unwrap_or(0.0),
        Dataset::ColMajor(v) => v.column(j).and_then(|c| c.get(i)).copied().unwrap_or(0.0),
    }
}
