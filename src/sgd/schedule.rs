//! Learning-rate schedules: `η_t` as a function of the step counter `t` (steps taken so far,
//! from 0). `libm` supplies `powf`/`expf` without std, with the same bits on every target.

/// A learning-rate schedule.
///
/// `rate(t)` is the step size for the update that follows `t` earlier updates. The stepper
/// checks that it is finite and positive before using it, so a schedule needs no validation
/// of its own to be safe; [`end_of_epoch`](Schedule::end_of_epoch) lets schedules that watch
/// the loss (scikit-learn's "adaptive") react once per epoch.
pub trait Schedule {
    /// The learning rate for step `t` (0-based).
    fn rate(&self, t: u64) -> f32;

    /// Called by [`Sgd::epoch`](super::Sgd::epoch) after each epoch with its mean loss. The
    /// default does nothing.
    fn end_of_epoch(&mut self, _loss: f64) {}
}

/// A constant learning rate `η_t = η` (the seed's). Memory: 4 bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant(pub f32);

impl Schedule for Constant {
    #[inline]
    fn rate(&self, _t: u64) -> f32 {
        self.0
    }
}

/// Inverse scaling, scikit-learn's `invscaling`: `η_t = η₀ / (t+1)^power_t` (scikit-learn
/// counts `t` from 1). Memory: 8 bytes.
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
}

/// scikit-learn's `optimal`: `η_t = 1 / (α·(t₀ + t))` (Bottou's heuristic), `t` from 0.
/// Memory: 8 bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Optimal {
    /// The regularisation strength `α > 0` the rate is tied to.
    pub alpha: f32,
    /// The offset `t₀`.
    pub t0: f32,
}

impl Optimal {
    /// The schedule with scikit-learn's `t₀` for the squared loss:
    /// `typw = √(1/√α)`, `η₀ = typw / max(1, |dloss(−typw, 1)|)` with `dloss(p, y) = p − y`,
    /// `t₀ = 1/(η₀·α)`.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{Optimal, Schedule};
    /// let s = Optimal::sklearn(1e-4);
    /// assert!((s.rate(0) - 1.0 / (1e-4 * s.t0)).abs() < 1e-3);
    /// ```
    pub fn sklearn(alpha: f32) -> Self {
        let typw = libm::sqrtf(1.0 / libm::sqrtf(alpha));
        let dloss = -typw - 1.0;
        let eta0 = typw / dloss.abs().max(1.0);
        Optimal {
            alpha,
            t0: 1.0 / (eta0 * alpha),
        }
    }
}

impl Schedule for Optimal {
    #[inline]
    fn rate(&self, t: u64) -> f32 {
        1.0 / (self.alpha * (self.t0 + t as f32))
    }
}

/// Exponential decay: `η_t = η₀·exp(−k·t)`. Memory: 8 bytes.
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
}

/// Step decay: `η_t = η₀·γ^⌊t/every⌋`. Memory: 16 bytes.
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
}

/// scikit-learn's `adaptive`: `η = η₀` until `n_iter_no_change` consecutive epochs fail to
/// bring the epoch loss below `best − tol`; then `η ← η/5` and the count restarts.
/// Memory: 32 bytes.
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
    pub fn eta(&self) -> f32 {
        self.eta
    }
}

impl Schedule for Adaptive {
    #[inline]
    fn rate(&self, _t: u64) -> f32 {
        self.eta
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
