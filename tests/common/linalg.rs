//! Small dense f64 linear algebra for the property tests: `AᵀA`, and eigenvalues of
//! symmetric matrices (cyclic Jacobi) with a bound on their error. Row-major `p×p`. (The
//! least-squares solution itself is the crate's `kernels::reference::least_squares`.)
#![allow(dead_code)]

/// 2⁻⁵³, the f64 unit roundoff.
pub const U64: f64 = 1.0 / 9_007_199_254_740_992.0;

/// `AᵀA` of `A = [X, 1]` (`p = d + 1`, the bias last), in exact-input f64 arithmetic.
pub fn gram(x: &[f32], n: usize, d: usize) -> Vec<f64> {
    let p = d + 1;
    let mut g = vec![0.0; p * p];
    for i in 0..n {
        let a: Vec<f64> = x[i * d..i * d + d]
            .iter()
            .map(|&v| f64::from(v))
            .chain([1.0])
            .collect();
        for r in 0..p {
            for c in 0..p {
                g[r * p + c] += a[r] * a[c];
            }
        }
    }
    g
}

/// The eigenvalues of the symmetric `p×p` matrix `s`, ascending, by cyclic Jacobi rotations.
/// Jacobi is backward stable: each is an exact eigenvalue of `s + E` with
/// `‖E‖₂ ≤ jacobi_error(s, p)`, so it is within that of the true one (Weyl).
pub fn eigenvalues(s: &[f64], p: usize) -> Vec<f64> {
    let mut a = s.to_vec();
    for _sweep in 0..100 {
        let off: f64 = (0..p)
            .flat_map(|r| (0..p).filter(move |&c| c != r).map(move |c| (r, c)))
            .map(|(r, c)| a[r * p + c] * a[r * p + c])
            .sum();
        if off <= f64::MIN_POSITIVE {
            break;
        }
        for k in 0..p {
            for l in k + 1..p {
                let akl = a[k * p + l];
                if akl == 0.0 {
                    continue;
                }
                let theta = (a[l * p + l] - a[k * p + k]) / (2.0 * akl);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for m in 0..p {
                    let (amk, aml) = (a[m * p + k], a[m * p + l]);
                    a[m * p + k] = c * amk - s * aml;
                    a[m * p + l] = s * amk + c * aml;
                }
                for m in 0..p {
                    let (akm, alm) = (a[k * p + m], a[l * p + m]);
                    a[k * p + m] = c * akm - s * alm;
                    a[l * p + m] = s * akm + c * alm;
                }
            }
        }
    }
    let mut ev: Vec<f64> = (0..p).map(|k| a[k * p + k]).collect();
    ev.sort_by(f64::total_cmp);
    ev
}

/// A bound on the backward error of [`eigenvalues`]: rotations to convergence cost a few
/// `p·u` of `‖s‖_F` each sweep; 100·p·u·‖s‖_F covers the sweeps Jacobi needs (≤ 10 here)
/// many times over.
pub fn jacobi_error(s: &[f64], p: usize) -> f64 {
    100.0 * p as f64 * U64 * s.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// `‖v‖₂`.
pub fn norm(v: impl IntoIterator<Item = f64>) -> f64 {
    v.into_iter().map(|x| x * x).sum::<f64>().sqrt()
}
