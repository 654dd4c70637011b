//! The fused pass and the feature statistics on all cores (feature `parallel`: std and
//! rayon), with the serial kernels' result bits for every thread count.
//!
//! A serial pass adds one f64 value per sum into its totals for every run of
//! `simd::fold_rows` rows (a tile, or a fold of one), in row order, and one per row past the
//! last multiple of 8. Here the runs are split into tasks. A task that starts when every task
//! before it has been added in runs the serial kernel straight into the totals; any other
//! keeps each run's values apart (from zero: `0 + v = v` exactly), and they are added into
//! the totals in row order as soon as those of the tasks before it are, by the thread that
//! finishes the next task in order, while the later tasks still run. The runs are fixed
//! by the layout and `d`, not by the thread count, and so is the order of the additions:
//! rayon's own float reductions split by the pool's size and are not used. The statistics do
//! the same with their blocks of [`BLOCK`] rows.
//!
//! On a pool of one thread both run the serial code.
//!
//! [`GradientDescent`](crate::GradientDescent), [`Regression`](crate::regression::Regression)
//! and [`stats::moments`](crate::stats::moments) take these paths when the feature is on; the
//! results do not change. Run them inside [`rayon::ThreadPool::install`] to choose the
//! threads.

use crate::data::{Dataset, RowMajor};
use crate::error::Error;
use crate::kernels::simd::{self, Runs, Totals, fold_rows, sums};
use crate::kernels::{Sums, check_params, finish};
use crate::stats::{BLOCK, Moments, block_moments, feature};
use rayon::prelude::*;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::vec;

/// Below this many values of `x` the serial kernel runs by itself: the tasks would cost
/// more than they save. The bits are the same either way.
const MIN_VALUES: usize = 1 << 15;
/// Values of the per-run results kept at once (1 MiB of f64): the runs are computed in
/// windows of this size, each window's results added in before the next starts. Small enough
/// that the results stay in the caches until they are added in (every run kept apart, on
/// one thread from DRAM: with 8 MiB, row-major `d` = 256 took 1.36× the serial pass, with
/// 1 MiB 1.13×); large enough that the windows' joins cost little (with 256 KiB, 1.28×).
const WINDOW_VALUES: usize = 1 << 17;
/// Most tasks per thread in a window.
const TASKS_PER_THREAD: usize = 2;

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
    windowed(data, w, b, grad, WINDOW_VALUES, true)
}

/// [`gradient`] keeping the values of at most `window_values / (d + 2)` runs at once; with
/// `direct`, a task that can runs straight into the totals (the tests turn it off, so that
/// every task's runs are kept apart and added in order).
fn windowed(
    data: &Dataset<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
    window_values: usize,
    direct: bool,
) -> Result<Sums, Error> {
    check_params(data.d(), w, grad)?;
    let (n, d) = (data.n(), data.d());
    let run = fold_rows(data).max(1);
    let n8 = n / 8 * 8;
    let runs = n8.div_ceil(run);
    let threads = rayon::current_num_threads().max(1);
    // One thread: the serial pass itself, which is what its tasks would all do running
    // straight into the totals (they would only cut its tiles short). Without `direct` (the
    // tests) one thread takes the tasks too, so that the kept-apart runs are tested on it.
    if n.saturating_mul(d) < MIN_VALUES || runs < 2 || (threads == 1 && direct) {
        return simd::gradient(data, w, b, grad);
    }
    grad.fill(0.0);
    let mut total = Sums {
        rows: n,
        ..Sums::default()
    };
    // Each run's d gradient sums (d ≥ 1 here) and its loss and bias sums, kept apart for a
    // window of runs, then added into the totals in run order.
    // Windows of equal size, the last perhaps shorter: each keeps every thread busy.
    let windows = runs.div_ceil((window_values / (d + 2)).max(1));
    let window = runs.div_ceil(windows.max(1));
    // A task's rows are part of the whole: read from memory if the whole is.
    let streamed = simd::beyond_caches(data);
    let mut grads = vec![0.0f64; window * d];
    let mut run_sums = vec![Sums::default(); window];
    let mut first = 0;
    while first < runs {
        let count = window.min(runs - first);
        // Runs per task: one kernel call over a task's runs keeps them apart (`simd::runs`).
        // TASKS_PER_THREAD tasks per thread, so that a slow thread leaves work to steal.
        // Which task a run falls in does not change its value.
        let per_task = count.div_ceil(TASKS_PER_THREAD * threads).max(1);
        let (Some(g), Some(s)) = (grads.get_mut(..count * d), run_sums.get_mut(..count)) else {
            break;
        };
        // Each task's runs are added into the totals as soon as the tasks before it are:
        // by the thread that finishes the next task in order, while later tasks still run.
        let merge = InOrder::new(count.div_ceil(per_task), d, (&mut total, &mut *grad));
        let tasks = s
            .par_chunks_mut(per_task)
            .zip(g.par_chunks_mut(per_task * d));
        tasks.enumerate().for_each(|(t, (sums, grad))| {
            // The task's runs: `per_task` of them, or fewer in the window's last task.
            let lo = (first + t * per_task) * run;
            let Ok(view) = data.rows(lo..n8.min(lo + sums.len() * run)) else {
                return;
            };
            if !(direct && merge.direct(t, |totals| simd::runs(&view, w, b, totals, streamed))) {
                task_runs(&view, w, b, grad, sums, streamed);
                merge.done(t, grad, sums);
            }
        });
        first += count;
    }
    // The rows past the last multiple of 8, one value each, as the serial pass adds them.
    let mut row_grad = vec![0.0f64; d];
    for i in n8..n {
        if let Ok(row) = data.rows(i..i + 1) {
            let s = sums(&row, w, b, &mut row_grad);
            add_run(&mut total, grad, &row_grad, &s);
        }
    }
    finish(total, grad)
}

/// The runs of `view` (whole runs from a run boundary of the pass's data, the last perhaps
/// short, a multiple of 8 rows) each into its own slot of `grad` (`d` values) and `sums`,
/// as the serial pass forms them: one kernel call for them all.
fn task_runs(
    view: &Dataset<'_>,
    w: &[f32],
    b: f32,
    grad: &mut [f64],
    sums: &mut [Sums],
    streamed: bool,
) {
    let d = view.d();
    let mut out = Runs {
        grad,
        sums,
        d,
        zeroed: 0,
        spare: Sums::default(),
    };
    simd::runs(view, w, b, &mut out, streamed);
    // Slots no run added into (none, for whole runs) hold zeros, not a previous window's.
    let k = out.zeroed;
    if let Some(g) = out.grad.get_mut(k * d..) {
        g.fill(0.0);
    }
    if let Some(s) = out.sums.get_mut(k..) {
        s.fill(Sums::default());
    }
}

/// The runs of a window's tasks, added into the totals in task order (and so in run order)
/// as the tasks finish, by whichever thread finishes the next one in order. Only one thread
/// adds at a time; a task that finishes meanwhile leaves its runs for it.
struct InOrder<'a> {
    queue: Mutex<Queue<'a>>,
    /// The pass's totals: its sums and gradient. Locked apart from the queue, so that a task
    /// that finishes while a thread adds can leave its runs without waiting; only the
    /// thread that is adding takes this lock.
    totals: Mutex<(&'a mut Sums, &'a mut [f64])>,
    d: usize,
}

/// The finished tasks' runs waiting to be added.
struct Queue<'a> {
    /// The next task to add.
    next: usize,
    /// Whether a thread is adding.
    adding: bool,
    /// Each task's runs, once it has finished: `d` gradient values and the sums of each.
    done: vec::Vec<Option<(&'a [f64], &'a [Sums])>>,
}

impl<'a> InOrder<'a> {
    fn new(tasks: usize, d: usize, totals: (&'a mut Sums, &'a mut [f64])) -> Self {
        InOrder {
            queue: Mutex::new(Queue {
                next: 0,
                adding: false,
                done: vec![None; tasks],
            }),
            totals: Mutex::new(totals),
            d,
        }
    }

    /// Runs task `t` straight into the totals (`task` adds its runs into them, as the serial
    /// pass does) if every task before it has been added and no thread is adding, then adds
    /// those after it that have finished meanwhile. Returns whether it ran `task`.
    fn direct(&self, t: usize, task: impl FnOnce(&mut Totals<'_>)) -> bool {
        let mut queue = lock(&self.queue);
        if queue.adding || queue.next != t {
            return false;
        }
        // No thread adds while this one runs the task: the tasks that finish meanwhile
        // leave their runs, to be added after it.
        queue.adding = true;
        drop(queue);
        {
            let mut totals = lock(&self.totals);
            let (total, grad) = &mut *totals;
            task(&mut Totals { grad, s: total });
        }
        let mut queue = lock(&self.queue);
        queue.next = t + 1;
        self.add_finished(queue);
        true
    }

    /// Task `t` has finished with these runs: adds them, and those of the tasks after it
    /// that have finished, if it is the next in order and no thread is adding.
    fn done(&self, t: usize, grad: &'a [f64], sums: &'a [Sums]) {
        let mut queue = lock(&self.queue);
        if let Some(slot) = queue.done.get_mut(t) {
            *slot = Some((grad, sums));
        }
        if queue.adding {
            return;
        }
        queue.adding = true;
        self.add_finished(queue);
    }

    /// Adds the finished tasks' runs from the next in order on, until one has not finished;
    /// the caller has set `adding`.
    fn add_finished<'s>(&'s self, mut queue: MutexGuard<'s, Queue<'a>>) {
        loop {
            let next = queue.next;
            let Some((grad, sums)) = queue.done.get_mut(next).and_then(Option::take) else {
                queue.adding = false;
                return;
            };
            queue.next += 1;
            drop(queue);
            {
                let mut totals = lock(&self.totals);
                let (total, pass_grad) = &mut *totals;
                for (run_grad, run) in grad.chunks(self.d).zip(sums) {
                    add_run(total, pass_grad, run_grad, run);
                }
            }
            queue = lock(&self.queue);
        }
    }
}

/// The lock's guard. A lock is poisoned only if a thread panicked holding it, which nothing
/// here does.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Adds one run's values into the totals.
fn add_run(total: &mut Sums, grad: &mut [f64], run_grad: &[f64], run: &Sums) {
    for (t, v) in grad.iter_mut().zip(run_grad) {
        *t += v;
    }
    total.loss += run.loss;
    total.bias += run.bias;
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
        // Few values, or one thread: the serial statistics, the same bits without the tasks.
        _ if data.n().saturating_mul(data.d() + 1) < MIN_VALUES
            || rayon::current_num_threads() == 1 =>
        {
            crate::stats::serial(data, out)
        }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a test may panic: that is how it fails
mod tests {
    use super::*;
    use crate::{ColMajor, RowMajor};
    use rand_core::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Windows of a few runs each (the pass's own hold 1 MiB of them): the runs of every
    /// window, added in order, give the serial bits.
    #[test]
    fn many_windows_give_the_serial_bits() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(17);
        // Magnitudes 2^-16..2^16, so that the f64 sums round and their order shows.
        let mut value = || {
            let v = (rng.next_u32() >> 8) as f32 / (1u32 << 23) as f32 - 1.0;
            v * f32::powi(2.0, (rng.next_u32() % 32) as i32 - 16)
        };
        for (d, col_major) in [
            (1, false),
            (3, false),
            (16, false),
            (40, false),
            (4, true),
            (17, true),
        ] {
            let n = 40 * fold_rows_for(d, col_major) + 13;
            let x: vec::Vec<f32> = (0..n * d).map(|_| value()).collect();
            let y: vec::Vec<f32> = (0..n).map(|_| value()).collect();
            let w: vec::Vec<f32> = (0..d).map(|_| value()).collect();
            let data: Dataset<'_> = match col_major {
                true => ColMajor::new(&x, &y, n, d, n).map(Into::into),
                false => RowMajor::new(&x, &y, n, d).map(Into::into),
            }
            .unwrap();
            let mut want = vec![0.0; d];
            let s = simd::gradient(&data, &w, 0.25, &mut want).unwrap();
            let cases = [(1, 1), (2, 3), (3, 7), (8, 1), (2, 40)];
            for ((threads, window_runs), direct) in
                cases.into_iter().flat_map(|c| [(c, true), (c, false)])
            {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let mut got = vec![f64::NAN; d];
                let values = window_runs * (d + 2);
                let run = pool.install(|| windowed(&data, &w, 0.25, &mut got, values, direct));
                assert_eq!(
                    run.unwrap(),
                    s,
                    "d = {d}, col-major {col_major}, {threads} threads, direct {direct}"
                );
                let bits = |g: &[f64]| g.iter().map(|v| v.to_bits()).collect::<vec::Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "d = {d}, col-major {col_major}");
            }
        }
    }

    /// The rows per run of the layout and `d` (as `fold_rows`).
    fn fold_rows_for(d: usize, col_major: bool) -> usize {
        let (x, y) = (vec![0.0f32; 8 * d], [0.0f32; 8]);
        let data: Dataset<'_> = match col_major {
            true => ColMajor::new(&x, &y, 8, d, 8).map(Into::into),
            false => RowMajor::new(&x, &y, 8, d).map(Into::into),
        }
        .unwrap();
        fold_rows(&data)
    }
}
