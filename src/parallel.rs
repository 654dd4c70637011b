//! The fused pass and the feature statistics on all cores (feature `parallel`: std and
//! rayon), with the serial kernels' result bits for every thread count.
//!
//! A serial pass adds one f64 value per sum into its totals for every run of
//! `simd::fold_rows` rows (a tile, or a fold of one), in row order, and one per row past the
//! last multiple of 8. Here the runs are split into tasks; a task's kernel call keeps each
//! run's values apart (from zero: `0 + v = v` exactly), and the values are then added into the
//! totals in row order. The runs are fixed by the layout and `d`, not by the thread count,
//! and so is the order of the additions: rayon's own float reductions split by the pool's
//! size and are not used. The statistics do the same with their blocks of [`BLOCK`] rows.
//!
//! [`GradientDescent`](crate::GradientDescent), [`Regression`](crate::regression::Regression)
//! and [`stats::moments`](crate::stats::moments) take these paths when the feature is on; the
//! results do not change. Run them inside [`rayon::ThreadPool::install`] to choose the
//! threads.

use crate::data::{Dataset, RowMajor};
use crate::error::Error;
use crate::kernels::simd::{self, Runs, fold_rows, sums};
use crate::kernels::{Sums, check_params, finish};
use crate::stats::{BLOCK, Moments, block_moments, feature};
use core::ops::Range;
use rayon::prelude::*;
use std::vec;

/// Below this many values of `x` the serial kernel runs by itself: the tasks would cost
/// more than they save. The bits are the same either way.
const MIN_VALUES: usize = 1 << 15;
/// Values of the per-run results kept at once (8 MiB of f64): the runs are computed in
/// windows of this size, each window's results added in before the next starts.
const WINDOW_VALUES: usize = 1 << 20;
/// Most tasks per thread in a window.
const TASKS_PER_THREAD: usize = 4;

/// [`simd::gradient`] on rayon's current thread pool: the same
/// result, bit for bit, for every number of threads.
///
/// # Errors
/// As [`simd::gradient`].
///
/// # Example
/// ```
/// use steepest::{RowMajor, kernels::simd, parallel};
/// let n = 100_000;
/// let x: Vec<f32> = (0..2 * n).map(|i| (i % 7) as f32).collect();
/// let y: Vec<f32> = (0..n).map(|i| (i % 5) as f32).collect();
/// let data = RowMajor::new(&x, &y, n, 2)?.into();
/// let (mut g1, mut g2) = ([0.0; 2], [0.0; 2]);
/// let serial = simd::gradient(&data, &[0.5, -0.25], 1.0, &mut g1)?;
/// let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
/// let all = pool.install(|| parallel::gradient(&data, &[0.5, -0.25], 1.0, &mut g2))?;
/// assert_eq!((serial, g1), (all, g2));
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn gradient(data: &Dataset<'_>, w: &[f32], b: f32, grad: &mut [f64]) -> Result<Sums, Error> {
    check_params(data.d(), w, grad)?;
    let (n, d) = (data.n(), data.d());
    let run = fold_rows(data).max(1);
    let n8 = n / 8 * 8;
    let runs = n8.div_ceil(run);
    if n.saturating_mul(d) < MIN_VALUES || runs < 2 {
        return crate::kernels::simd::gradient(data, w, b, grad);
    }
    grad.fill(0.0);
    let mut total = Sums {
        rows: n,
        ..Sums::default()
    };
    // One slot per run: its d gradient sums, then its loss and bias sums.
    let slot = d + 2;
    let window = (WINDOW_VALUES / slot).max(1);
    // Runs per task: one kernel call over a task's runs keeps them apart (`simd::runs`).
    // TASKS_PER_THREAD tasks per
    // thread, so that a slow thread leaves work to steal. Which task a run falls in does
    // not change its value.
    let threads = rayon::current_num_threads().max(1);
    let per_task = runs.div_ceil(TASKS_PER_THREAD * threads).clamp(1, window);
    let mut buf = vec![0.0f64; window.min(runs) * slot];
    let mut first = 0;
    while first < runs {
        let count = window.min(runs - first);
        let slots = buf.get_mut(..count * slot).unwrap_or(&mut []);
        let tasks = slots.par_chunks_mut(per_task * slot).enumerate();
        tasks.for_each(|(t, out)| {
            let lo = (first + t * per_task) * run;
            let hi = n8.min(lo + per_task * run);
            task_sums(data, lo..hi, w, b, out);
        });
        for out in slots.chunks(slot) {
            add_run(&mut total, grad, out);
        }
        first += count;
    }
    // The rows past the last multiple of 8, one value each, as the serial pass adds them.
    let mut out = vec![0.0f64; slot];
    for i in n8..n {
        run_sums(data, i..i + 1, w, b, &mut out);
        add_run(&mut total, grad, &out);
    }
    finish(total, grad)
}

/// The runs of `rows` (whole runs from a run boundary, the last perhaps short, `rows` a
/// multiple of 8) into their slots of `out`, each run's values apart, as the serial pass
/// forms them: one kernel call for them all.
fn task_sums(data: &Dataset<'_>, rows: Range<usize>, w: &[f32], b: f32, out: &mut [f64]) {
    let d = data.d();
    let slot = d + 2;
    let k = out.len() / slot;
    let Ok(view) = data.rows(rows) else {
        return;
    };
    let mut grad = vec![0.0f64; k * d];
    let mut sums = vec![Sums::default(); k];
    let mut runs = Runs {
        grad: &mut grad,
        sums: &mut sums,
        d,
        spare: Sums::default(),
    };
    simd::runs(&view, w, b, &mut runs);
    let parts = out.chunks_mut(slot).zip(grad.chunks(d.max(1)).zip(&sums));
    for (o, (g, s)) in parts {
        let (og, rest) = o.split_at_mut(d.min(o.len()));
        og.copy_from_slice(g.get(..og.len()).unwrap_or(&[]));
        if let [loss, bias] = rest {
            (*loss, *bias) = (s.loss, s.bias);
        }
    }
}

/// The serial kernel's sums over `rows` alone into `out` (gradient, loss, bias).
fn run_sums(data: &Dataset<'_>, rows: Range<usize>, w: &[f32], b: f32, out: &mut [f64]) {
    let d = data.d();
    let (g, rest) = out.split_at_mut(d.min(out.len()));
    if let Ok(view) = data.rows(rows) {
        let s = sums(&view, w, b, g);
        if let [loss, bias] = rest {
            (*loss, *bias) = (s.loss, s.bias);
        }
    }
}

/// Adds one run's values into the totals.
fn add_run(total: &mut Sums, grad: &mut [f64], out: &[f64]) {
    let (g, rest) = out.split_at(grad.len().min(out.len()));
    for (t, v) in grad.iter_mut().zip(g) {
        *t += v;
    }
    if let [loss, bias] = rest {
        total.loss += loss;
        total.bias += bias;
    }
}

/// [`stats::moments`](crate::stats::moments) on rayon's current thread pool: the same result,
/// bit for bit, for every number of threads.
///
/// # Errors
/// As [`stats::moments`](crate::stats::moments).
///
/// # Example
/// ```
/// use steepest::{RowMajor, parallel, stats::{Moments, moments}};
/// let n = 50_000;
/// let x: Vec<f32> = (0..3 * n).map(|i| (i % 11) as f32).collect();
/// let y: Vec<f32> = (0..n).map(|i| (i % 3) as f32).collect();
/// let data = RowMajor::new(&x, &y, n, 3)?.into();
/// let (mut a, mut b) = ([Moments::default(); 3], [Moments::default(); 3]);
/// assert_eq!(moments(&data, &mut a)?, parallel::moments(&data, &mut b)?);
/// assert_eq!(a, b);
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn moments(data: &Dataset<'_>, x: &mut [Moments]) -> Result<Moments, Error> {
    crate::stats::moments_with(data, x, |data, out| match data {
        _ if data.n().saturating_mul(data.d() + 1) < MIN_VALUES => crate::stats::serial(data, out),
        Dataset::RowMajor(v) => row_major(v, out),
        Dataset::ColMajor(v) => {
            for (m, col) in out.iter_mut().zip(v.columns()) {
                *m = of(col);
            }
            of(v.y())
        }
    })
}

/// [`Moments::of`] with its blocks as tasks, merged in order.
fn of(values: &[f32]) -> Moments {
    let blocks: vec::Vec<Moments> = values
        .par_chunks(BLOCK)
        .map(|b| block_moments(b.iter().copied()))
        .collect();
    blocks.into_iter().fold(Moments::default(), Moments::merge)
}

/// The row-major statistics with each block of rows a task, its moments merged in order.
fn row_major(v: &RowMajor<'_>, out: &mut [Moments]) -> Moments {
    let d = v.d();
    out.fill(Moments::default());
    let blocks: vec::Vec<(Moments, vec::Vec<Moments>)> = v
        .x()
        .par_chunks(BLOCK * d.max(1))
        .zip(v.y().par_chunks(BLOCK))
        .map(|(rows, ys)| {
            let x = (0..d).map(|j| block_moments(feature(rows, d, j))).collect();
            (block_moments(ys.iter().copied()), x)
        })
        .collect();
    let mut y = Moments::default();
    for (ym, xm) in blocks {
        y = y.merge(ym);
        for (m, b) in out.iter_mut().zip(xm) {
            *m = m.merge(b);
        }
    }
    y
}
