//! Small dense f64 linear algebra for the property tests: the least-squares solution by the
//! normal equations, and eigenvalues of symmetric matrices (cyclic Jacobi). Row-major `p×p`.
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

/// Solves `s·z = rhs` for symmetric positive definite `s` by Cholesky; `None` if not SPD.
pub fn cholesky_solve(s: &[f64], rhs: &[f64], p: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; p * p];
    for r in 0..p {
        for c in 0..=r {
            let dot: f64 = (0..c).map(|k| l[r * p + k] * l[c * p + k]).sum();
            if r == c {
                let v = s[r * p + r] - dot;
                if v <= 0.0 {
                    return None;
                }
                l[r * p + r] = v.sqrt();
            } else {
                l[r * p + c] = (s[r * p + c] - dot) / l[c * p + c];
            }
        }
    }
    let mut z = rhs.to_vec();
    for r in 0..p {
        z[r] = (z[r] - (0..r).map(|k| l[r * p + k] * z[k]).sum::<f64>()) / l[r * p + r];
    }
    for r in (0..p).rev() {
        z[r] = (z[r] - (r + 1..p).map(|k| l[k * p + r] * z[k]).sum::<f64>()) / l[r * p + r];
    }
    Some(z)
}

/// The least-squares `θ* = (w*, b*)` of `min ‖Xw + b − y‖²` by the normal equations
/// `AᵀA·θ = Aᵀy` in f64 (the bias last).
pub fn least_squares(x: &[f32], y: &[f32], n: usize, d: usize) -> Option<Vec<f64>> {
    let p = d + 1;
    let mut aty = vec![0.0; p];
    for i in 0..n {
        for j in 0..d {
            aty[j] += f64::from(x[i * d + j]) * f64::from(y[i]);
        }
        aty[d] += f64::from(y[i]);
    }
    cholesky_solve(&gram(x, n, d), &aty, p)
}

/// `‖v‖₂`.
pub fn norm(v: impl IntoIterator<Item = f64>) -> f64 {
    v.into_iter().map(|x| x * x).sum::<f64>().sqrt()
}
