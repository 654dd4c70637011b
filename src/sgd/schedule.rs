//! Learning-rate schedules: `η_t` as a function of the step counter `t` (steps taken so far,
//! from 0). `libm` supplies `powf`/`expf` without std, with the same bits on every target.

use crate::error::{Error, What};

/// Whether `lr` can be used as a step size: a positive normal float. A subnormal rate cannot
/// move a parameter of ordinary size (`η·g` rounds away against `w`), and NaN, ∞, 0 and
/// negative rates are not step sizes.
#[inline(always)]
pub(crate) fn usable(lr: f32) -> bool {
    lr.is_normal() && lr > 0.0
}

/// [`Error::Schedule`] if the rate of step `t` is not [`usable`].
#[inline(always)]
fn check_rate(lr: f32, t: u64) -> Result<(), Error> {
    if usable(lr) {
        Ok(())
    } else {
        Err(Error::Schedule {
            step: t,
            rate: f64::from(lr),
        })
    }
}

/// The check of a schedule whose rate is monotone in `t`: both ends of the range, and on an
/// error the first bad step by bisection (the bad steps of a monotone rate that starts good
/// form a suffix). `O(log count)` rates.
fn check_monotone<S: Schedule + ?Sized>(s: &S, first: u64, count: u64) -> Result<(), Error> {
    if count == 0 {
        return Ok(());
    }
    let last = first.saturating_add(count.saturating_sub(1));
    check_rate(s.rate(first), first)?;
    if usable(s.rate(last)) {
        return Ok(());
    }
    // rate(lo) usable, rate(hi) not: narrow to adjacent steps.
    let (mut lo, mut hi) = (first, last);
    while hi.saturating_sub(lo) > 1 {
        let mid = lo.midpoint(hi);
        if usable(s.rate(mid)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    check_rate(s.rate(hi), hi)
}

/// A learning-rate schedule.
///
/// `rate(t)` is the step size for the update that follows `t` earlier updates. Before an
/// epoch, a mini-batch epoch or a step writes anything, the stepper calls
/// [`check`](Schedule::check) on the steps it will take, so a schedule that decays to zero
/// or overflows is reported with the first bad step instead of failing halfway through;
/// each rate is checked again as it is used. [`end_of_epoch`](Schedule::end_of_epoch) lets
/// schedules that watch the loss (scikit-learn's "adaptive") react once per epoch.
///
/// # Example: a schedule of your own
/// ```
/// use steepest::sgd::{Plain, Schedule, Sgd};
/// /// Halves the rate every 500 steps, down to a floor.
/// struct Halving;
/// impl Schedule for Halving {
///     fn rate(&self, t: u64) -> f32 {
///         (0.2 / (1u64 << (t / 500).min(20)) as f32).max(1e-3)
///     }
/// }
/// let mut sgd = Sgd::new(Plain, Halving);
/// let (mut w, mut b) = ([0.0f32], 0.0f32);
/// for k in 0..3000 {
///     let x = [(k % 10) as f32 / 10.0];
///     sgd.step(&mut w, &mut b, &x, 2.0 * x[0])?;
/// }
/// assert!((w[0] - 2.0).abs() < 0.05);
/// # Ok::<(), steepest::Error>(())
/// ```
pub trait Schedule {
    /// The learning rate for step `t` (0-based).
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{InverseScaling, Schedule};
    /// let s = InverseScaling { eta0: 0.1, power_t: 0.5 };
    /// assert_eq!((s.rate(0), s.rate(3)), (0.1, 0.05)); // η₀/√(t+1)
    /// ```
    fn rate(&self, t: u64) -> f32;

    /// Checks the rates of steps `first .. first + count` before they are used, and the
    /// schedule's settings. The default evaluates every rate; the crate's schedules, whose
    /// rates are monotone in `t`, evaluate `O(log count)` of them.
    ///
    /// # Errors
    /// [`Error::Schedule`] with the first step whose rate is not a positive normal float;
    /// [`Error::InvalidParameter`] for a setting out of its range.
    ///
    /// # Example
    /// ```
    /// use steepest::{Error, sgd::{Exponential, Schedule}};
    /// let s = Exponential { eta0: 0.05, k: 1e-2 };
    /// assert!(s.check(0, 1000).is_ok());
    /// let Err(Error::Schedule { step, .. }) = s.check(0, 100_000) else { panic!() };
    /// assert!(s.rate(step - 1) > 0.0 && s.rate(step) < f32::MIN_POSITIVE);
    /// ```
    fn check(&self, first: u64, count: u64) -> Result<(), Error> {
        let mut t = first;
        for _ in 0..count {
            check_rate(self.rate(t), t)?;
            t = t.saturating_add(1);
        }
        Ok(())
    }

    /// Called by [`Sgd::epoch`](super::Sgd::epoch) after each epoch with its mean loss. The
    /// default does nothing.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{Adaptive, Schedule};
    /// let mut s = Adaptive::new(0.1, 1e-3, 1);
    /// s.end_of_epoch(1.0);
    /// s.end_of_epoch(1.0); // no improvement: the rate drops by 5
    /// assert!((s.rate(0) - 0.02).abs() < 1e-9);
    /// ```
    fn end_of_epoch(&mut self, _loss: f64) {}
}

/// A constant learning rate `η_t = η`. Memory: 4 bytes.
///
/// # Example
/// ```
/// use steepest::sgd::{Constant, Schedule};
/// assert_eq!(Constant(0.01).rate(1_000_000), 0.01);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant(
    /// `η`: a positive normal float.
    pub f32,
);

impl Schedule for Constant {
    #[inline]
    fn rate(&self, _t: u64) -> f32 {
        self.0
    }

    fn check(&self, first: u64, count: u64) -> Result<(), Error> {
        if count == 0 {
            Ok(())
        } else {
            check_rate(self.0, first)
        }
    }
}

/// Inverse scaling, scikit-learn's `invscaling`: `η_t = η₀ / (t+1)^power_t` (scikit-learn
/// counts `t` from 1). Memory: 8 bytes.
///
/// # Example
/// ```
/// use steepest::sgd::{InverseScaling, Schedule};
/// let s = InverseScaling { eta0: 0.01, power_t: 0.25 };
/// assert!((s.rate(15) - 0.005).abs() < 1e-9); // 0.01 / 16^0.25
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InverseScaling {
    /// `η₀`.
    pub eta0: f32,
    /// The exponent (scikit-learn's default 0.25).
    pub power_t: f32,
}

impl Schedule for InverseScaling {
    #[inline]
    fn rate(&self, t: u64) -> f32 {
        self.eta0 / libm::powf((t as f32) + 1.0, self.power_t)
    }

    fn check(&self, first: u64, count: u64) -> Result<(), Error> {
        check_monotone(self, first, count)
    }
}

/// scikit-learn's `optimal`: `η_t = 1 / (α·(t₀ + t))` (Bottou's heuristic), `t` from 0.
/// Memory: 8 bytes.
///
/// # Example
/// ```
/// use steepest::sgd::{Optimal, Schedule};
/// let s = Optimal { alpha: 0.1, t0: 10.0 };
/// assert_eq!((s.rate(0), s.rate(10)), (1.0, 0.5)); // 1/(α·(t₀ + t))
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Optimal {
    /// The regularisation strength `α > 0` the rate is tied to, in this crate's units: the L2
    /// weight decay `λ` of [`Momentum`](super::Momentum), twice scikit-learn's `alpha`.
    pub alpha: f32,
    /// The offset `t₀`.
    pub t0: f32,
}

impl Optimal {
    /// scikit-learn's `optimal` schedule for the squared loss at its regularisation strength
    /// `alpha` (`_sgd_fast.pyx`, the `optimal` branch): `typw = √(1/√alpha)`,
    /// `η₀ = typw / max(1, dloss(−typw, 1))` with `dloss(p, y) = p − y`, which is negative,
    /// so `η₀ = typw` and `t₀ = 1/(alpha·typw)`.
    ///
    /// scikit-learn's loss is half this crate's, so its rates are twice the crate's for the
    /// same steps: the schedule returned has `α = 2·alpha` (the matching L2 weight decay of
    /// [`Momentum`](super::Momentum)) and the same `t₀`, and its rate is half scikit-learn's.
    /// See the [module docs](super) for the whole mapping.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (alpha) if `alpha` is not a positive normal float.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{Optimal, Schedule};
    /// let s = Optimal::sklearn(1e-4)?; // typw = 10 = scikit-learn's first rate
    /// assert!((s.t0 - 1000.0).abs() < 1e-3); // (alpha rounded to f32: a few ulps)
    /// assert!((s.rate(0) - 5.0).abs() < 1e-5);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn sklearn(alpha: f32) -> Result<Self, Error> {
        check_alpha(alpha)?;
        check_alpha(2.0 * alpha)?;
        let typw = libm::sqrtf(1.0 / libm::sqrtf(alpha));
        let dloss = -typw - 1.0;
        let eta0 = typw / dloss.max(1.0);
        Ok(Optimal {
            alpha: 2.0 * alpha,
            t0: 1.0 / (eta0 * alpha),
        })
    }
}

fn check_alpha(alpha: f32) -> Result<(), Error> {
    if usable(alpha) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            what: What::Alpha,
            value: f64::from(alpha),
        })
    }
}

impl Schedule for Optimal {
    #[inline]
    fn rate(&self, t: u64) -> f32 {
        1.0 / (self.alpha * (self.t0 + t as f32))
    }

    /// Also checks `α` (a positive normal float) and `t₀` (finite and ≥ 0), so that the rate
    /// is monotone.
    fn check(&self, first: u64, count: u64) -> Result<(), Error> {
        check_alpha(self.alpha)?;
        if !(self.t0.is_finite() && self.t0 >= 0.0) {
            return Err(Error::InvalidParameter {
                what: What::Schedule,
                value: f64::from(self.t0),
            });
        }
        check_monotone(self, first, count)
    }
}

/// Exponential decay: `η_t = η₀·exp(−k·t)`. Memory: 8 bytes.
///
/// # Example
/// ```
/// use steepest::sgd::{Exponential, Schedule};
/// let s = Exponential { eta0: 0.1, k: 0.01 };
/// assert!((s.rate(100) - 0.1 * (-1.0f32).exp()).abs() < 1e-8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exponential {
    /// `η₀`.
    pub eta0: f32,
    /// The decay constant `k ≥ 0` per step.
    pub k: f32,
}

impl Schedule for Exponential {
    #[inline]
    fn rate(&self, t: u64) -> f32 {
        self.eta0 * libm::expf(-self.k * t as f32)
    }

    fn check(&self, first: u64, count: u64) -> Result<(), Error> {
        check_monotone(self, first, count)
    }
}

/// Step decay: `η_t = η₀·γ^⌊t/every⌋`. Memory: 16 bytes.
///
/// # Example
/// ```
/// use steepest::sgd::{Schedule, StepDecay};
/// let s = StepDecay { eta0: 0.1, gamma: 0.5, every: 100 };
/// assert_eq!((s.rate(99), s.rate(100), s.rate(250)), (0.1, 0.05, 0.025));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepDecay {
    /// `η₀`.
    pub eta0: f32,
    /// The factor `γ` applied every `every` steps.
    pub gamma: f32,
    /// Steps between drops (0 is treated as never).
    pub every: u64,
}

impl Schedule for StepDecay {
    #[inline]
    fn rate(&self, t: u64) -> f32 {
        match t.checked_div(self.every) {
            Some(k) => self.eta0 * libm::powf(self.gamma, k as f32),
            None => self.eta0,
        }
    }

    fn check(&self, first: u64, count: u64) -> Result<(), Error> {
        check_monotone(self, first, count)
    }
}

/// scikit-learn's `adaptive`: `η = η₀` until `n_iter_no_change` consecutive epochs fail to
/// bring the epoch loss below `best − tol`; then `η ← η/5` and the count restarts.
/// Memory: 32 bytes.
///
/// # Example
/// ```
/// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
/// use steepest::{RowMajor, sgd::{Adaptive, Plain, Sgd}};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
/// let (mut w, mut b, mut order) = ([0.0f32], 0.0f32, [0u32; 4]);
/// let mut rng = Xoshiro128PlusPlus::seed_from_u64(4);
/// let mut sgd = Sgd::new(Plain, Adaptive::new(0.02, 1e-3, 5));
/// for _ in 0..300 {
///     sgd.epoch(&data.into(), &mut w, &mut b, &mut order, &mut rng)?;
/// }
/// assert!(sgd.schedule.eta() < 0.02); // divided once the loss stopped improving by 1e-3
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adaptive {
    eta: f32,
    tol: f64,
    n_iter_no_change: u32,
    best: f64,
    bad: u32,
}

impl Adaptive {
    /// Starts at `eta0`.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::Adaptive;
    /// assert_eq!(Adaptive::new(0.01, 1e-3, 5).eta(), 0.01);
    /// ```
    pub fn new(eta0: f32, tol: f64, n_iter_no_change: u32) -> Self {
        Adaptive {
            eta: eta0,
            tol,
            n_iter_no_change,
            best: f64::INFINITY,
            bad: 0,
        }
    }

    /// The current rate.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{Adaptive, Schedule};
    /// let mut s = Adaptive::new(0.5, 0.0, 1);
    /// s.end_of_epoch(1.0);
    /// s.end_of_epoch(2.0);
    /// assert_eq!(s.eta(), 0.1);
    /// ```
    pub fn eta(&self) -> f32 {
        self.eta
    }
}

impl Schedule for Adaptive {
    #[inline]
    fn rate(&self, _t: u64) -> f32 {
        self.eta
    }

    /// The rate is constant within an epoch; dividing it by 5 may reach zero at the end of
    /// one, and the next epoch's check reports that.
    fn check(&self, first: u64, count: u64) -> Result<(), Error> {
        if count == 0 {
            Ok(())
        } else {
            check_rate(self.eta, first)
        }
    }

    fn end_of_epoch(&mut self, loss: f64) {
        if loss > self.best - self.tol {
            self.bad += 1;
        } else {
            self.bad = 0;
        }
        if loss < self.best {
            self.best = loss;
        }
        if self.bad >= self.n_iter_no_change {
            self.eta /= 5.0;
            self.bad = 0;
        }
    }
}
