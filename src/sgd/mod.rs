//! Stochastic gradient descent: a `no_std`, allocation-free stepper.
//!
//! [`Sgd`] owns the update rule (with its state, in caller-provided buffers) and the
//! learning-rate schedule, and counts steps across calls, so stopping and continuing gives the
//! same result as one run. It learns from a stream one sample at a time ([`Sgd::step`]) or
//! from a data view epoch by epoch in a shuffled order ([`Sgd::epoch`]).
//!
//! # From scikit-learn
//!
//! scikit-learn's `SGDRegressor` minimises `(p − y)²/2` per sample, this crate `(p − y)²`, so
//! the same steps take half its rates. With `shuffle=False` and one [`Sgd::step`] per sample
//! in order, these give scikit-learn's coefficients (tested within 1e-5 relative against
//! its own output, 50 epochs):
//!
//! | scikit-learn | here |
//! |---|---|
//! | `learning_rate='constant', eta0=η` | [`Constant`]`(η/2)` |
//! | `learning_rate='invscaling', eta0=η, power_t=p` | [`InverseScaling`]` { eta0: η/2, power_t: p }` |
//! | `learning_rate='optimal', alpha=α` | [`Optimal::sklearn`]`(α)` (its `alpha` field is `2α`) |
//! | `learning_rate='adaptive', eta0=η, tol=τ` | [`Adaptive`]`::new(η/2, 2τ, n_iter_no_change)` |
//! | `penalty='l2', alpha=α` | [`Momentum`]`::new(0.0, 0.0, false, 2α, &mut [])` |
//! | `penalty=None` | [`Plain`] |
//! | `average=True` | [`Averaged`]`::new(rule, 0, avg)`, read with [`Averaged::averaged`] |
//! | `max_iter`, `tol`, `n_iter_no_change` | [`Stopping`] with [`Sgd::fit`] |
//!
//! scikit-learn's `tol` compares the epoch loss with the best one, as [`Stopping`] does; its
//! epoch loss is half this crate's, so its `tol` is half the one to give here.

mod elementwise;
pub(crate) mod fast;
mod fit;
mod grad;
mod minibatch;
pub mod reference;
mod rules;
mod scaled;
mod schedule;
mod update;

use rand_core::Rng;

pub use fit::{DIVERGENCE_FACTOR, FitReport, Stopping};
pub use grad::{Grad, Sample};
pub use minibatch::Batch;
pub use rules::{Adam, Averaged, Momentum, Normalized};
pub use scaled::Scaling;
pub use schedule::{Adaptive, Constant, Exponential, InverseScaling, Optimal, Schedule, StepDecay};
pub use update::{Plain, Update};

use crate::data::{Dataset, check_len};
use crate::error::{Error, What};
use crate::gd::check_model;
use crate::shuffle::{identity, permutation};

/// The stepper: an update rule `U` and a schedule `S`, plus the step counter.
///
/// Memory: the rule's state (none for [`Plain`]) and a few words; [`epoch`](Sgd::epoch) also
/// needs the caller's `n`-element `u32` order buffer.
///
/// # Example: online learning from a stream
/// ```
/// use steepest::sgd::{Constant, Plain, Sgd};
/// let mut sgd = Sgd::new(Plain, Constant(0.05));
/// let (mut w, mut b) = ([0.0f32; 2], 0.0f32);
/// for k in 0..2000 {
///     let x = [(k % 7) as f32 / 7.0, (k % 5) as f32 / 5.0];
///     let y = 3.0 * x[0] - x[1] + 0.5; // the stream's true relation
///     sgd.step(&mut w, &mut b, &x, y)?;
/// }
/// assert!((w[0] - 3.0).abs() < 0.01 && (w[1] + 1.0).abs() < 0.01 && (b - 0.5).abs() < 0.01);
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sgd<U: Update = Plain, S: Schedule = Constant> {
    /// The update rule and its state.
    pub update: U,
    /// The learning-rate schedule.
    pub schedule: S,
    steps: u64,
}

/// What one epoch saw.
///
/// # Example
/// ```
/// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
/// use steepest::{RowMajor, sgd::{Constant, Plain, Sgd}};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
/// let (mut w, mut b, mut order) = ([0.0f32], 0.0f32, [0u32; 4]);
/// let mut rng = Xoshiro128PlusPlus::seed_from_u64(3);
/// let report = Sgd::new(Plain, Constant(0.01)).epoch(&data.into(), &mut w, &mut b, &mut order, &mut rng)?;
/// assert_eq!(report.steps, 4);
/// assert!(report.loss > 0.0 && report.loss < 30.0); // below the zero model's 30
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochReport {
    /// The mean of the samples' squared errors, each taken before its own update.
    pub loss: f64,
    /// Updates made in the epoch (`n`, or the number of mini-batches).
    pub steps: usize,
}

impl<U: Update, S: Schedule> Sgd<U, S> {
    /// A stepper at step 0.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{Constant, Plain, Sgd};
    /// let sgd = Sgd::new(Plain, Constant(0.01));
    /// assert_eq!(sgd.steps(), 0);
    /// ```
    pub fn new(update: U, schedule: S) -> Self {
        Sgd {
            update,
            schedule,
            steps: 0,
        }
    }

    /// Updates taken so far (the `t` the schedule sees next).
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{Constant, Plain, Sgd};
    /// let mut sgd = Sgd::new(Plain, Constant(0.01));
    /// sgd.step(&mut [0.0], &mut 0.0, &[1.0], 2.0)?;
    /// assert_eq!(sgd.steps(), 1);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Sets the step counter, for resuming a saved run.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{InverseScaling, Plain, Schedule, Sgd};
    /// // Resume a saved run: the schedule continues where it was.
    /// let schedule = InverseScaling { eta0: 0.1, power_t: 0.25 };
    /// let mut sgd = Sgd::new(Plain, schedule);
    /// sgd.set_steps(1_000_000);
    /// assert_eq!(sgd.schedule.rate(sgd.steps()), schedule.rate(1_000_000));
    /// ```
    pub fn set_steps(&mut self, t: u64) {
        self.steps = t;
    }

    /// One update from one sample; returns the sample's squared error before the update.
    ///
    /// The prediction, residual and update run fused over `f32x8` lanes (scalar tail).
    ///
    /// # Errors
    /// All leave `w`, `b`, the rule's state and the step counter exactly as they were:
    /// [`Error::Length`] if `x` or the rule's state does not match `w`;
    /// [`Error::NonFiniteData`] (row 0) for a NaN/∞ in `x` or `y`;
    /// [`Error::InvalidParameter`] if the schedule gives a rate that is not finite and
    /// positive, or `w`/`b` hold a non-finite value; [`Error::Rejected`] if the update would make
    /// a parameter non-finite.
    ///
    /// # Example
    /// ```
    /// use steepest::{Error, sgd::{Constant, Plain, Sgd}};
    /// let mut sgd = Sgd::new(Plain, Constant(0.01));
    /// let (mut w, mut b) = ([0.0f32], 0.0f32);
    /// let squared_error = sgd.step(&mut w, &mut b, &[1.0], 2.0)?; // r = −2 before the update
    /// assert_eq!((squared_error, w[0], b), (4.0, 0.04, 0.04));
    /// // A bad sample changes nothing.
    /// assert!(matches!(sgd.step(&mut w, &mut b, &[f32::NAN], 2.0), Err(Error::NonFiniteData { .. })));
    /// assert_eq!((w[0], b, sgd.steps()), (0.04, 0.04, 1));
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn step(&mut self, w: &mut [f32], b: &mut f32, x: &[f32], y: f32) -> Result<f32, Error> {
        check_len(What::X, w.len(), x.len())?;
        self.update.check(w.len())?;
        self.step_sample(w, b, Sample::Row(x), y, 0)
    }

    /// One epoch over `data`: every sample once, in an order drawn by a Fisher–Yates shuffle
    /// (see [`crate::shuffle`](mod@crate::shuffle)) into `order` (`n` elements, overwritten).
    ///
    /// # Errors
    /// Before any update, leaving everything unchanged: [`Error::Length`] for `w`, `order` or
    /// the rule's state; [`Error::InvalidParameter`] for non-finite `w`/`b`. During the epoch,
    /// [`Error::NonFiniteData`] (naming the sample's row), [`Error::InvalidParameter`] (the
    /// rate) or [`Error::Rejected`]: the epoch stops there, and `w`, `b` and the state hold
    /// the result of the steps before that sample, unchanged by it.
    ///
    /// # Example
    /// ```
    /// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
    /// use steepest::{RowMajor, sgd::{Constant, Plain, Sgd}};
    /// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
    /// let mut rng = Xoshiro128PlusPlus::seed_from_u64(42);
    /// let (mut w, mut b, mut order) = ([0.0f32], 0.0f32, [0u32; 4]);
    /// let mut sgd = Sgd::new(Plain, Constant(0.01));
    /// for _ in 0..500 {
    ///     sgd.epoch(&data.into(), &mut w, &mut b, &mut order, &mut rng)?;
    /// }
    /// assert!((w[0] - 2.0).abs() < 0.01 && b.abs() < 0.03);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn epoch<R: Rng + ?Sized>(
        &mut self,
        data: &Dataset<'_>,
        w: &mut [f32],
        b: &mut f32,
        order: &mut [u32],
        rng: &mut R,
    ) -> Result<EpochReport, Error> {
        let (n, d) = (data.n(), data.d());
        check_len(What::Weights, d, w.len())?;
        check_len(What::Order, n, order.len())?;
        self.ready(d, w, *b, n as u64)?;
        // Plain SGD over rows runs a loop with the weights in registers that computes what
        // `step` computes, and for some widths draws the order as it goes (the same
        // permutation; otherwise it is drawn here first); it leaves any samples it does not
        // take to the per-sample loop below.
        let (mut loss, start) = if let Dataset::RowMajor(v) = data
            && self.update.is_plain()
            && d < 8 * (fast::MAX_CHUNKS + 1)
        {
            if fast::draws_in_loop(d / 8) {
                identity(order)?;
            } else {
                permutation(order, rng)?;
            }
            let done = fast::plain_epoch(
                v.x(),
                v.y(),
                d,
                (order, rng),
                w,
                b,
                &self.schedule,
                &mut self.steps,
            )?;
            (done.loss, done.count)
        } else {
            permutation(order, rng)?;
            (0.0f64, 0)
        };
        for (k, &i) in order.iter().enumerate().skip(start) {
            if let Some(&ahead) = order.get(k + fast::AHEAD) {
                match data {
                    Dataset::RowMajor(v) => fast::prefetch_row(v.x(), v.y(), d, ahead as usize),
                    Dataset::ColMajor(v) => {
                        fast::prefetch_column_sample(v.x_values(), v.y(), d, v.ld(), ahead as usize)
                    }
                }
            }
            let i = i as usize;
            let y = data.y().get(i).copied().unwrap_or(f32::NAN);
            let x = match data {
                Dataset::RowMajor(v) => Sample::Row(v.x().get(i * d..i * d + d).unwrap_or(&[])),
                Dataset::ColMajor(v) => Sample::Strided {
                    x: v.x_values(),
                    ld: v.ld(),
                    i,
                    d,
                },
            };
            loss += f64::from(self.step_sample(w, b, x, y, i)?);
        }
        let loss = loss / n as f64;
        self.schedule.end_of_epoch(loss);
        Ok(EpochReport { loss, steps: n })
    }

    /// The checked, all-or-nothing step shared by [`step`](Self::step) and
    /// [`epoch`](Self::epoch); `row` names the sample in errors.
    #[inline]
    fn step_sample(
        &mut self,
        w: &mut [f32],
        b: &mut f32,
        x: Sample<'_>,
        y: f32,
        row: usize,
    ) -> Result<f32, Error> {
        let lr = self.rate()?;
        let next = self.next_step()?;
        let r = match x {
            Sample::Row(x) => fast::row_residual(x, w, *b, y),
            Sample::Strided { .. } => fast::seq_residual(x.values(), w, *b, y),
        };
        // With finite parameters a finite residual implies a finite sample (NaN and ∞
        // propagate through the dot product), so the sample is only scanned when r² is not
        // finite; a finite r whose square overflows is rejected (the loss must stay finite).
        let loss = r * r;
        if !loss.is_finite() {
            return Err(classify(w, *b, x, y, row, self.steps));
        }
        self.update
            .apply(w, b, Grad::Sample { x, g: 2.0 * r }, lr, self.steps)?;
        self.steps = next;
        Ok(loss)
    }

    /// The rate of the next step, if usable.
    #[inline(always)]
    fn rate(&self) -> Result<f32, Error> {
        let lr = self.schedule.rate(self.steps);
        if schedule::usable(lr) {
            Ok(lr)
        } else {
            Err(Error::Schedule {
                step: self.steps,
                rate: f64::from(lr),
            })
        }
    }

    /// The counter after one more step, if it does not overflow.
    #[inline(always)]
    fn next_step(&self) -> Result<u64, Error> {
        self.steps.checked_add(1).ok_or(Error::StepCounter {
            steps: self.steps,
            updates: 1,
        })
    }

    /// Every check an epoch of `updates` updates can fail, before anything is drawn or
    /// written: the rule's state, the model, the step counter and the schedule's rates.
    fn ready(&self, d: usize, w: &[f32], b: f32, updates: u64) -> Result<(), Error> {
        self.update.check(d)?;
        check_model(w, b)?;
        if self.steps.checked_add(updates).is_none() {
            return Err(Error::StepCounter {
                steps: self.steps,
                updates,
            });
        }
        self.schedule.check(self.steps, updates)
    }
}

/// Why a residual came out non-finite: the sample, the parameters, or an overflow.
#[cold]
fn classify(w: &[f32], b: f32, x: Sample<'_>, y: f32, row: usize, step: u64) -> Error {
    if let Some(col) = x.values().position(|v| !v.is_finite()) {
        Error::NonFiniteData {
            what: What::X,
            row,
            col,
        }
    } else if !y.is_finite() {
        Error::NonFiniteData {
            what: What::Y,
            row,
            col: 0,
        }
    } else if let Err(e) = check_model(w, b) {
        e
    } else {
        Error::Rejected { step }
    }
}
