//! Property tests of the optimizers on random well-conditioned least-squares problems:
//! gradient descent with a small enough step never increases the loss; GD and SGD reach the
//! least-squares solution (normal equations in f64); mini-batch SGD with `B = n` is a GD step;
//! the same seed gives the same bits. Every tolerance is a bound derived in the test's doc
//! comment from the kernels' error bound (`steepest::kernels::bound`) and the f32/f64 roundings
//! of the update, never a fixed epsilon.
//!
//! Notation: `A = [X, 1]` (`p = d + 1` columns, the bias last), `θ = (w, b)`, the mean loss
//! `L(θ) = ‖Aθ − y‖²/n` with gradient `∇L = (2/n)·Aᵀ(Aθ − y)` and Hessian `H = (2/n)·AᵀA`,
//! `u = 2⁻²⁴`. A kernel pass returns `Σr̂²` and `Ĝ ≈ Aᵀr`; `bound::tolerance` bounds the
//! distance of each to the exact value (its terms are one kernel's error counted twice).

mod common;

use common::linalg::{U64, eigenvalues, gram, jacobi_error, norm};
use proptest::prelude::*;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro128PlusPlus;
use steepest::kernels::{bound, reference, simd};
use steepest::sgd::{Adam, Averaged, Batch, Constant, Momentum, Normalized, Plain, Sgd};
use steepest::{ColMajor, Control, Dataset, GradientDescent, RowMajor, permutation};

const U: f64 = 1.0 / 16_777_216.0;

/// Cases for the long-running properties (hundreds of epochs each): a thirty-second of
/// `PROPTEST_CASES` (default 256), at least 16.
fn heavy_cases() -> u32 {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256u32);
    (cases / 32).max(16)
}

/// A least-squares problem: `x` row-major on a 1/64 grid in [−1, 1], `y = x·w* + b* + noise`
/// rounded to f32 (exact when `noise` is 0: every value is a multiple of 2⁻¹² below 2¹⁶).
#[derive(Clone, Debug)]
struct Problem {
    n: usize,
    d: usize,
    x: Vec<f32>,
    y: Vec<f32>,
    /// A starting point `θ₀`.
    start: Vec<f32>,
}

fn problem(noise: bool) -> impl Strategy<Value = Problem> {
    (1usize..=4)
        .prop_flat_map(|d| (Just(d), 4 * (d + 1)..=40usize))
        .prop_flat_map(move |(d, n)| {
            (
                Just((n, d)),
                proptest::collection::vec(-64i32..=64, n * d),
                proptest::collection::vec(-128i32..=128, d + 1),
                proptest::collection::vec(if noise { -16i32..=16 } else { 0..=0 }, n),
                proptest::collection::vec(-128i32..=128, d + 1),
            )
        })
        .prop_map(|((n, d), xi, wi, ni, si)| {
            let x: Vec<f32> = xi.iter().map(|&v| v as f32 / 64.0).collect();
            let y = (0..n)
                .map(|i| {
                    let t: f64 = (0..d)
                        .map(|j| f64::from(x[i * d + j]) * f64::from(wi[j]) / 64.0)
                        .sum();
                    (t + f64::from(wi[d]) / 64.0 + f64::from(ni[i]) / 256.0) as f32
                })
                .collect();
            let start = si.iter().map(|&v| v as f32 / 64.0).collect();
            Problem { n, d, x, y, start }
        })
}

/// `θ* = (w*, b*)` by the crate's reference, `kernels::reference::least_squares` (the normal
/// equations in f64).
fn least_squares(p: &Problem) -> Vec<f64> {
    let data: Dataset = RowMajor::new(&p.x, &p.y, p.n, p.d).unwrap().into();
    let (mut w, mut scratch) = (vec![0.0; p.d], vec![0.0; (p.d + 1) * (p.d + 2)]);
    let b = reference::least_squares(&data, &mut w, &mut scratch).unwrap();
    w.push(b);
    w
}

/// The Hessian `H = (2/n)·AᵀA` and an interval holding its extreme eigenvalues.
struct Curvature {
    lambda_min: f64,
    lambda_max: f64,
}

fn curvature(p: &Problem) -> Curvature {
    let q = p.d + 1;
    let h: Vec<f64> = gram(&p.x, p.n, p.d)
        .iter()
        .map(|v| v * 2.0 / p.n as f64)
        .collect();
    let ev = eigenvalues(&h, q);
    let err = jacobi_error(&h, q);
    Curvature {
        lambda_min: ev[0] - err,
        lambda_max: ev[q - 1] + err,
    }
}

/// One observed GD iterate: the parameters, and a kernel pass at them with its bound.
struct Iterate {
    theta: Vec<f64>,
    loss: f64,
    loss_tol: f64,
    /// `ĝ = (2/n)·Ĝ` and the bound `e` on `|ĝ − ∇L|`, per component (bias last).
    grad: Vec<f64>,
    grad_tol: Vec<f64>,
}

fn iterate(data: &Dataset<'_>, w: &[f32], b: f32) -> Iterate {
    let (n, d) = (data.n() as f64, data.d());
    let (mut g, mut tol) = (vec![0.0; d], vec![0.0; d]);
    let s = simd::gradient(data, w, b, &mut g).unwrap();
    let t = bound::tolerance(data, w, b, &mut tol).unwrap();
    Iterate {
        theta: w
            .iter()
            .map(|&v| f64::from(v))
            .chain([f64::from(b)])
            .collect(),
        loss: s.loss,
        loss_tol: t.loss,
        grad: g.iter().chain([&s.bias]).map(|v| 2.0 / n * v).collect(),
        grad_tol: tol.iter().chain([&t.bias]).map(|v| 2.0 / n * v).collect(),
    }
}

/// Runs GD at rate `lr` for `epochs` epochs and returns every iterate, `θ₀` first.
fn gd_iterates(data: &Dataset<'_>, start: &[f32], lr: f64, epochs: usize) -> Vec<Iterate> {
    let d = data.d();
    let (mut w, mut b, mut g) = (start[..d].to_vec(), start[d], vec![0.0; d]);
    let mut seen = vec![iterate(data, &w, b)];
    GradientDescent {
        learning_rate: lr,
        max_epochs: epochs,
        tolerance: None,
    }
    .fit_with(data, &mut w, &mut b, &mut g, |e| {
        seen.push(iterate(data, e.w, e.b));
        Control::Continue
    })
    .unwrap();
    seen
}

/// A bound on `‖δ‖`, the rounding of GD's update `θ' = θ − η·ĝ` to the stored f32 `θ''`:
/// the driver forms `η·(2/n)·Ĝ` and the difference in f64 (three roundings of at most `2⁻⁵³`
/// of `|θ| + η|ĝ|` each, counted as four), then rounds to f32 (`u·|θ''|`).
fn update_rounding(before: &Iterate, after: &Iterate, lr: f64) -> f64 {
    norm(
        before
            .theta
            .iter()
            .zip(&before.grad)
            .zip(&after.theta)
            .map(|((t, g), t2)| U * t2.abs() + 4.0 * U64 * (t.abs() + lr * g.abs())),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(heavy_cases()))]

    /// Gradient descent with `η ≤ 1/λ_max(H)` never increases the loss beyond rounding.
    ///
    /// For the quadratic `L`, with `ĝ = ∇L + e` and `θ' = θ − ηĝ` (exact), `ηλ_max ≤ 1` gives
    /// `L(θ') ≤ L(θ) − (η/2)‖∇L‖² + (η/2)‖e‖²`. The stored `θ'' = θ' + δ` adds at most
    /// `‖∇L(θ')‖·‖δ‖ + (λ_max/2)‖δ‖²`, with `‖∇L(θ')‖ ≤ ‖ĝ(θ'')‖ + ‖e(θ'')‖ + λ_max‖δ‖`. The
    /// kernel's `Σr̂²` is within `loss_tol` of `n·L`. So, in sums,
    /// `Σr̂²(θ'') ≤ Σr̂²(θ) + tol(θ) + tol(θ'') + n·[(η/2)‖e‖² + (G + λ_max‖δ‖)‖δ‖ + (λ_max/2)‖δ‖²]`.
    #[test]
    fn gd_with_a_small_step_never_increases_the_loss(p in problem(true), cm in any::<bool>()) {
        let c = curvature(&p);
        prop_assume!(c.lambda_min > 0.0);
        let lr = 1.0 / c.lambda_max;
        let xc = column_major(&p);
        let data = view(&p, &xc, cm);
        let seen = gd_iterates(&data, &p.start, lr, 300);
        let n = p.n as f64;
        let mut fell = 0.0;
        for (k, pair) in seen.windows(2).enumerate() {
            let (a, z) = (&pair[0], &pair[1]);
            let delta = update_rounding(a, z, lr);
            let e = norm(a.grad_tol.iter().copied());
            let g_next = norm(z.grad.iter().copied()) + norm(z.grad_tol.iter().copied());
            let allowed = a.loss_tol + z.loss_tol
                + n * (lr / 2.0 * e * e
                    + (g_next + c.lambda_max * delta) * delta
                    + c.lambda_max / 2.0 * delta * delta);
            prop_assert!(
                z.loss <= a.loss + allowed,
                "epoch {}: Σr² rose from {:e} to {:e}, by {:e} > allowed {:e} (η = {lr:e})",
                k + 1, a.loss, z.loss, z.loss - a.loss, allowed
            );
            fell += (a.loss - z.loss).max(0.0);
        }
        // Not vacuous: the run did descend (from a start that is not the optimum).
        prop_assert!(fell > 0.0 || seen[0].loss <= seen[0].loss_tol);
    }

    /// Gradient descent reaches the least-squares solution `θ*` (normal equations, f64).
    ///
    /// With `η = 1/λ_max` the exact map `θ ↦ θ − η∇L` contracts the distance to `θ*` by
    /// `ρ = 1 − ηλ_min`; each computed step adds at most `η‖e‖ + ‖δ‖` (gradient error and the
    /// rounding of the update, as above). So `‖θ_k − θ*‖ ≤ D_k` with `D₀ = ‖θ₀ − θ̂*‖ + ε*` and
    /// `D_{k+1} = ρ·D_k + η‖e_k‖ + ‖δ_k‖`, where `ε*` bounds the error of the computed `θ̂*`
    /// (`8·κ·(n + p²)·2⁻⁵³·(1 + ‖θ̂*‖)`: the normal equations in f64 lose `κ(AᵀA)` times the
    /// rounding of forming and factoring `AᵀA`). After enough epochs for `ρᵏ` to vanish, `D`
    /// is the f32 floor, and the test also requires it below `10⁻³·(1 + ‖θ*‖)`.
    #[test]
    fn gd_reaches_the_least_squares_solution(p in problem(true), cm in any::<bool>()) {
        let c = curvature(&p);
        prop_assume!(c.lambda_min > 0.0 && c.lambda_max / c.lambda_min <= 40.0);
        let star = least_squares(&p);
        let kappa = c.lambda_max / c.lambda_min;
        let q = p.d + 1;
        let eps_star = 8.0 * kappa * (p.n + q * q) as f64 * U64 * (1.0 + norm(star.iter().copied()));
        let lr = 1.0 / c.lambda_max;
        let rho = 1.0 - lr * c.lambda_min;
        let epochs = ((1e-12f64).ln() / rho.ln()).ceil() as usize;
        let xc = column_major(&p);
        let data = view(&p, &xc, cm);
        let seen = gd_iterates(&data, &p.start, lr, epochs);
        let dist = |it: &Iterate| norm(it.theta.iter().zip(&star).map(|(a, b)| a - b));
        let mut bound = dist(&seen[0]) + eps_star;
        for pair in seen.windows(2) {
            let delta = update_rounding(&pair[0], &pair[1], lr);
            bound = rho * bound + lr * norm(pair[0].grad_tol.iter().copied()) + delta;
        }
        let last = seen.last().unwrap();
        let got = dist(last);
        prop_assert!(
            got <= bound + eps_star,
            "‖θ − θ*‖ = {got:e} > bound {:e} after {epochs} epochs (κ = {kappa:.1})",
            bound + eps_star
        );
        let scale = 1.0 + norm(star.iter().copied());
        prop_assert!(bound <= 1e-3 * scale, "bound {bound:e} is not at the f32 floor");
    }

    /// Per-sample SGD reaches the least-squares solution of a consistent problem.
    ///
    /// With exact data `y = Aθ*`, an exact step from `θ` is `θ* + P(θ − θ*)` with
    /// `P = I − 2η·aaᵀ`, and `2η‖a‖² ≤ 1` makes `‖P‖ ≤ 1`. An epoch in order `i₁…i_n` maps the
    /// error by `M = P_{i_n}⋯P_{i_1}`; the test forms `M` in f64 for the order the epoch
    /// drew and bounds `q = ‖M‖₂ ≤ √(λ_max(MᵀM) + jacobi_error) + 4·n·p·2⁻⁵³` (the f64 rounding of
    /// forming `M`). Each computed step differs from the exact step from the same `θ` by
    /// `δ` with `|δ_j| ≤ |x_j|·(2η·γ_{d+2}·A_i + 2u|ĉ|) + 2u|ĉ·x_j| + 2u|θ̂_j|` (`ĉ = η·2r̂` the
    /// computed step size, `A_i = Σ|x_j w_j| + |b| + |y|`, `x_p = 1`). Since partial products of
    /// the `P`s have norm ≤ 1, `‖e_{epoch+1}‖ ≤ q·‖e_epoch‖ + Σ_steps ‖δ‖`. The test also
    /// requires the bound below `10⁻³·(1 + ‖θ*‖)` at the end (problems whose epochs contract
    /// by less than 2 % are not "well-conditioned" here and are skipped).
    #[test]
    fn sgd_reaches_the_least_squares_solution(p in problem(false), seed in any::<u64>()) {
        let (n, d, q) = (p.n, p.d, p.d + 1);
        let c = curvature(&p);
        prop_assume!(c.lambda_min > 0.0 && c.lambda_max / c.lambda_min <= 40.0);
        let star = least_squares(&p);
        let rows: Vec<Vec<f64>> = (0..n)
            .map(|i| p.x[i * d..i * d + d].iter().map(|&v| f64::from(v)).chain([1.0]).collect())
            .collect();
        let max_sq = rows.iter().map(|a| a.iter().map(|v| v * v).sum::<f64>()).fold(0.0, f64::max);
        // η: the power of two at or below 1/(2·max‖a‖²), exact in f32.
        let lr = (0.5 / max_sq).log2().floor().exp2();
        let lr32 = lr as f32;
        let gamma = |k: usize| k as f64 * U / (1.0 - k as f64 * U);
        let (mut w, mut b) = (p.start[..d].to_vec(), p.start[d]);
        let mut sgd = Sgd::new(Plain, Constant(lr32));
        let mut rng = Xoshiro128PlusPlus::seed_from_u64(seed);
        let mut order = vec![0u32; n];
        let theta = |w: &[f32], b: f32| -> Vec<f64> {
            w.iter().map(|&v| f64::from(v)).chain([f64::from(b)]).collect()
        };
        let dist = |t: &[f64]| norm(t.iter().zip(&star).map(|(a, s)| a - s));
        let scale = 1.0 + norm(star.iter().copied());
        let eps_star = 8.0 * (c.lambda_max / c.lambda_min) * (n + q * q) as f64 * U64 * scale;
        let mut bound = dist(&theta(&w, b)) + eps_star;
        let mut transient = bound;
        for epoch in 0..3000 {
            permutation(&mut order, &mut rng).unwrap();
            // The epoch's exact error map M, and its norm.
            let mut m: Vec<f64> = (0..q * q).map(|k| if k % (q + 1) == 0 { 1.0 } else { 0.0 }).collect();
            for &i in &order {
                let a = &rows[i as usize];
                let atm: Vec<f64> = (0..q).map(|col| (0..q).map(|r| a[r] * m[r * q + col]).sum()).collect();
                for r in 0..q {
                    for col in 0..q {
                        m[r * q + col] -= 2.0 * lr * a[r] * atm[col];
                    }
                }
            }
            let mtm: Vec<f64> = (0..q * q)
                .map(|k| (0..q).map(|r| m[r * q + k / q] * m[r * q + k % q]).sum())
                .collect();
            let top = eigenvalues(&mtm, q)[q - 1] + jacobi_error(&mtm, q);
            let contraction = top.max(0.0).sqrt() + 4.0 * (n * q) as f64 * U64;
            if epoch == 0 {
                prop_assume!(contraction <= 0.98);
            }
            // The steps themselves, with the rounding of each.
            let mut rounding = 0.0;
            for &i in &order {
                let i = i as usize;
                let xi = &p.x[i * d..i * d + d];
                let a_i: f64 = xi.iter().zip(&w).map(|(&x, &w)| (f64::from(x) * f64::from(w)).abs()).sum::<f64>()
                    + f64::from(b.abs()) + f64::from(p.y[i].abs());
                sgd.step(&mut w, &mut b, xi, p.y[i]).unwrap();
                // |ĉ| = |fl(η·2r̂)| ≤ 2η·(|r| + γA)·(1 + u) with |r| ≤ A; doubled for slack.
                let c_hat = 2.0 * lr * (1.0 + gamma(d + 2)) * a_i * 2.0;
                let dr = 2.0 * lr * gamma(d + 2) * a_i + 2.0 * U * c_hat;
                let delta = norm(
                    xi.iter().map(|&v| f64::from(v)).chain([1.0]).zip(theta(&w, b)).map(
                        |(x, t)| x.abs() * dr + 2.0 * U * c_hat * x.abs() + 2.0 * U * t.abs(),
                    ),
                );
                rounding += delta;
            }
            bound = contraction * bound + rounding;
            transient *= contraction;
            if transient <= 1e-9 * scale {
                break;
            }
        }
        let got = dist(&theta(&w, b));
        prop_assert!(got <= bound + eps_star, "‖θ − θ*‖ = {got:e} > bound {:e}", bound + eps_star);
        prop_assert!(bound <= 1e-3 * scale, "bound {bound:e} is not at the f32 floor");
    }
}

fn column_major(p: &Problem) -> Vec<f32> {
    let mut xc = vec![0.0; p.n * p.d];
    for i in 0..p.n {
        for j in 0..p.d {
            xc[j * p.n + i] = p.x[i * p.d + j];
        }
    }
    xc
}

fn view<'a>(p: &'a Problem, xc: &'a [f32], cm: bool) -> Dataset<'a> {
    if cm {
        ColMajor::new(xc, &p.y, p.n, p.d, p.n).unwrap().into()
    } else {
        RowMajor::new(&p.x, &p.y, p.n, p.d).unwrap().into()
    }
}

proptest! {
    /// Mini-batch SGD with `B = n` takes exactly one GD step, up to summation order: the two
    /// gradient sums are each within the kernel bound `tol` of the exact one (the batch sums
    /// the rows in shuffled order), so `|Δw_j| ≤ η·(2/n)·2·tol_j + η·(2/n)·|G_j|·2u + u·(|w_j^GD|
    /// + |w_j^SGD|)` (the scaling's roundings and the two final roundings to f32).
    #[test]
    fn minibatch_of_n_is_a_gradient_descent_step(
        p in problem(true),
        cm in any::<bool>(),
        seed in any::<u64>(),
        lr_exp in 3i32..10,
    ) {
        let (n, d) = (p.n, p.d);
        let lr = (-lr_exp as f32).exp2();
        let xc = column_major(&p);
        let data = view(&p, &xc, cm);
        let (w0, b0) = (&p.start[..d], p.start[d]);
        let (mut w1, mut b1, mut g) = (w0.to_vec(), b0, vec![0.0; d]);
        GradientDescent { learning_rate: f64::from(lr), max_epochs: 1, tolerance: None }
            .fit(&data, &mut w1, &mut b1, &mut g)
            .unwrap();
        let (mut w2, mut b2, mut order) = (w0.to_vec(), b0, vec![0u32; n]);
        let (mut bx, mut by, mut bg) = (vec![0.0f32; n * d], vec![0.0f32; n], vec![0.0f64; d]);
        let mut rng = Xoshiro128PlusPlus::seed_from_u64(seed);
        let report = Sgd::new(Plain, Constant(lr))
            .minibatch_epoch(&data, &mut w2, &mut b2, &mut order, &mut rng,
                Batch { x: &mut bx, y: &mut by, grad: &mut bg })
            .unwrap();
        prop_assert_eq!(report.steps, 1);
        let mut tol = vec![0.0; d];
        let t = bound::tolerance(&data, w0, b0, &mut tol).unwrap();
        let sums = simd::gradient(&data, w0, b0, &mut g).unwrap();
        let s = f64::from(lr) * 2.0 / n as f64;
        for j in 0..d {
            let allowed = s * 2.0 * tol[j] + s * g[j].abs() * 2.0 * U
                + U * f64::from(w1[j].abs() + w2[j].abs());
            let diff = f64::from(w1[j] - w2[j]).abs();
            prop_assert!(diff <= allowed, "w[{}]: {} vs {}: {:e} > {:e}", j, w1[j], w2[j], diff, allowed);
        }
        let allowed = s * 2.0 * t.bias + s * sums.bias.abs() * 2.0 * U + U * f64::from(b1.abs() + b2.abs());
        prop_assert!(f64::from(b1 - b2).abs() <= allowed, "b: {} vs {}", b1, b2);
    }

    /// The same seed gives the same bits, for every rule, layout and batch size.
    #[test]
    fn the_same_seed_gives_the_same_bits(
        p in problem(true),
        cm in any::<bool>(),
        seed in any::<u64>(),
        rule in 0usize..5,
        batch in 0usize..4,
    ) {
        let xc = column_major(&p);
        let data = view(&p, &xc, cm);
        let run = || -> (Vec<u32>, u32, Vec<u32>) {
            let (n, d) = (p.n, p.d);
            let (mut w, mut b, mut order) = (p.start[..d].to_vec(), p.start[d], vec![0u32; n]);
            let (mut s1, mut s2) = (vec![0.0f32; d + 1], vec![0.0f32; d + 1]);
            let mut rng = Xoshiro128PlusPlus::seed_from_u64(seed);
            let bsize = n.checked_div(batch).unwrap_or(1).max(1);
            let (mut bx, mut by, mut bg) = (vec![0.0f32; bsize * d], vec![0.0f32; bsize], vec![0.0f64; d]);
            let lr = Constant(0.01);
            macro_rules! epochs {
                ($sgd:expr) => {{
                    let mut sgd = $sgd;
                    for _ in 0..3 {
                        if batch == 0 {
                            sgd.epoch(&data, &mut w, &mut b, &mut order, &mut rng).unwrap();
                        } else {
                            let batch = Batch { x: &mut bx, y: &mut by, grad: &mut bg };
                            // The normalized step has no batch form: the error is the result.
                            let _ = sgd.minibatch_epoch(&data, &mut w, &mut b, &mut order, &mut rng, batch);
                        }
                    }
                }};
            }
            match rule {
                0 => epochs!(Sgd::new(Plain, lr)),
                1 => epochs!(Sgd::new(Momentum::new(0.9, 0.1, true, 1e-3, &mut s1), lr)),
                2 => epochs!(Sgd::new(Adam::new(&mut s1, &mut s2), lr)),
                3 => epochs!(Sgd::new(Normalized::default(), Constant(0.5))),
                _ => epochs!(Sgd::new(Averaged::new(Plain, 10, &mut s1), lr)),
            }
            let state = s1.iter().chain(&s2).map(|v| v.to_bits()).collect();
            (w.iter().map(|v| v.to_bits()).collect(), b.to_bits(), state)
        };
        prop_assert_eq!(run(), run());
    }
}

/// The reference least-squares solution: exact on consistent data in both layouts, and typed
/// errors for dependent features, bad values and short buffers (with `w` untouched).
#[test]
fn reference_least_squares_errors_and_layouts() {
    use steepest::{Error, What};
    // y = 1.5·x0 − 0.25·x1 + 2, exactly representable.
    let (n, d) = (6, 2);
    let x = [
        1.0f32, 0.0, 2.0, 1.0, 0.0, 3.0, -1.0, 2.0, 4.0, -2.0, 0.5, 0.5,
    ];
    let y: Vec<f32> = x
        .chunks(2)
        .map(|r| 1.5 * r[0] - 0.25 * r[1] + 2.0)
        .collect();
    let mut xc = vec![0.0f32; n * d];
    for i in 0..n {
        for j in 0..d {
            xc[j * n + i] = x[i * d + j];
        }
    }
    for data in [
        Dataset::from(RowMajor::new(&x, &y, n, d).unwrap()),
        Dataset::from(ColMajor::new(&xc, &y, n, d, n).unwrap()),
    ] {
        let (mut w, mut s) = ([0.0f64; 2], [0.0f64; 12]);
        let b = reference::least_squares(&data, &mut w, &mut s).unwrap();
        for (got, want) in w.iter().chain([&b]).zip([1.5, -0.25, 2.0]) {
            assert!((got - want).abs() < 1e-12, "{w:?} {b}");
        }
    }
    // A feature that repeats another: singular.
    let dup = [1.0f32, 1.0, 2.0, 2.0, 3.0, 3.0];
    let data: Dataset = RowMajor::new(&dup, &[1.0, 2.0, 3.0], 3, 2).unwrap().into();
    let (mut w, mut s) = ([7.0f64; 2], [0.0f64; 12]);
    assert_eq!(
        reference::least_squares(&data, &mut w, &mut s),
        Err(Error::Singular)
    );
    assert_eq!(w, [7.0; 2]);
    // NaN in x, a short scratch, a wrong w length.
    let bad = [1.0f32, f32::NAN, 2.0, 0.0];
    let data: Dataset = RowMajor::new(&bad, &[1.0, 2.0], 2, 2).unwrap().into();
    assert_eq!(
        reference::least_squares(&data, &mut w, &mut s),
        Err(Error::NonFiniteData {
            what: What::X,
            row: 0,
            col: 1
        })
    );
    assert!(matches!(
        reference::least_squares(&data, &mut w, &mut [0.0; 11]),
        Err(Error::Length {
            what: What::Scratch,
            expected: 12,
            found: 11
        })
    ));
    assert!(matches!(
        reference::least_squares(&data, &mut [0.0; 3], &mut s),
        Err(Error::Length {
            what: What::Weights,
            ..
        })
    ));
    assert_eq!(w, [7.0; 2]);
}
