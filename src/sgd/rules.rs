//! The stateful update rules: momentum (with dampening, Nesterov and L2), Adam/AdamW, the
//! normalized step (NLMS) and Polyak averaging.
//!
//! Every rule is elementwise over the parameters `θ = (w₀, …, w_{d−1}, b)`: the bias is the
//! parameter whose feature is the constant 1. One generic function per rule
//! ([`Elementwise::elem`]) is run on `f32x8` lanes and on scalars by one driver, so the SIMD
//! and scalar tails compute the same bits; `sgd::reference` writes each rule out again as a
//! plain loop. Square roots go through `libm::sqrtf` lane by lane (correctly rounded, the
//! same bits on every target).

use super::elementwise::{Elementwise, Lane, apply_checked, check_len, plain};
use super::grad::{Grad, check_grad};
use super::update::Update;
use crate::error::Error;

/// SGD with momentum, dampening, Nesterov and L2 weight decay, as PyTorch's `torch.optim.SGD`:
/// `g ← ∇ + λ·θ` (weights only), `buf ← g` at the first step, else
/// `buf ← μ·buf + (1 − τ)·g`; `g ← g + μ·buf` (Nesterov) or `g ← buf`; `θ ← θ − η·g`.
///
/// With `momentum = 0` it is plain SGD with L2 and `buf` may be empty. Memory: `buf` of
/// `d + 1` floats (the bias last) when `momentum ≠ 0`.
///
/// # Example
/// ```
/// use steepest::sgd::{Constant, Momentum, Sgd};
/// let mut buf = [0.0f32; 2]; // d + 1
/// let mut sgd = Sgd::new(Momentum::new(0.9, 0.0, true, 0.0, &mut buf), Constant(0.01));
/// let (mut w, mut b) = ([0.0f32], 0.0f32);
/// for k in 0..300 {
///     let x = [(k % 4) as f32];
///     sgd.step(&mut w, &mut b, &x, 2.0 * x[0] + 1.0)?;
/// }
/// assert!((w[0] - 2.0).abs() < 1e-2 && (b - 1.0).abs() < 2e-2);
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Debug)]
pub struct Momentum<'s> {
    /// `μ`.
    pub momentum: f32,
    /// `τ`.
    pub dampening: f32,
    /// Nesterov momentum.
    pub nesterov: bool,
    /// `λ`, L2 on the weights (not the bias).
    pub weight_decay: f32,
    buf: &'s mut [f32],
    started: bool,
}

impl<'s> Momentum<'s> {
    /// A rule with its velocity buffer (`d + 1` floats, zeroed here).
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::Momentum;
    /// let mut buf = [7.0f32; 3];
    /// let rule = Momentum::new(0.9, 0.0, false, 1e-4, &mut buf); // d = 2; the buffer is zeroed
    /// assert_eq!(rule.velocity(), &[0.0; 3]);
    /// ```
    pub fn new(
        momentum: f32,
        dampening: f32,
        nesterov: bool,
        weight_decay: f32,
        buf: &'s mut [f32],
    ) -> Self {
        buf.fill(0.0);
        Momentum {
            momentum,
            dampening,
            nesterov,
            weight_decay,
            buf,
            started: false,
        }
    }

    /// The velocity buffer.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{Constant, Momentum, Sgd};
    /// let mut buf = [0.0f32; 2];
    /// let mut sgd = Sgd::new(Momentum::new(0.9, 0.0, false, 0.0, &mut buf), Constant(0.01));
    /// sgd.step(&mut [0.0], &mut 0.0, &[1.0], 2.0)?; // g = 2r = −4: the first velocity is g
    /// assert_eq!(sgd.update.velocity(), &[-4.0, -4.0]);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn velocity(&self) -> &[f32] {
        self.buf
    }
}

struct MomentumStep {
    mu: f32,
    tau: f32,
    nesterov: bool,
    wd: f32,
    lr: f32,
    started: bool,
}

impl Elementwise<1> for MomentumStep {
    #[inline(always)]
    fn elem<T: Lane>(&self, theta: T, g: T, [buf]: [T; 1], weight: bool) -> (T, [T; 1]) {
        let g = if weight && self.wd != 0.0 {
            g + T::splat(self.wd) * theta
        } else {
            g
        };
        if self.mu == 0.0 {
            return (theta - T::splat(self.lr) * g, [buf]);
        }
        let buf = if self.started {
            T::splat(self.mu) * buf + T::splat(1.0 - self.tau) * g
        } else {
            g
        };
        let step = if self.nesterov {
            g + T::splat(self.mu) * buf
        } else {
            buf
        };
        (theta - T::splat(self.lr) * step, [buf])
    }
}

impl Update for Momentum<'_> {
    fn check(&self, d: usize) -> Result<(), Error> {
        if self.momentum == 0.0 {
            Ok(())
        } else {
            check_len(d, self.buf.len())
        }
    }

    fn apply(
        &mut self,
        w: &mut [f32],
        b: &mut f32,
        grad: Grad<'_>,
        lr: f32,
        t: u64,
    ) -> Result<(), Error> {
        check_grad(w, &grad)?;
        self.check(w.len())?;
        let rule = MomentumStep {
            mu: self.momentum,
            tau: self.dampening,
            nesterov: self.nesterov,
            wd: self.weight_decay,
            lr,
            started: self.started,
        };
        apply_checked(&rule, w, b, grad, &mut [&mut *self.buf], t)?;
        self.started = true;
        Ok(())
    }
}

/// Adam (and AdamW with `decoupled`), as PyTorch's: `g ← ∇ + λ·θ` (coupled) or
/// `θ ← θ·(1 − η·λ)` (decoupled), weights only; `m ← β₁m + (1−β₁)g`,
/// `v ← β₂v + (1−β₂)g²`; `θ ← θ − η·(m/(1−β₁ᵏ)) / (√(v/(1−β₂ᵏ)) + ε)` at the rule's own
/// step `k` (from 1).
///
/// Memory: `m` and `v`, `d + 1` floats each, and the step count.
///
/// # Example
/// ```
/// use steepest::sgd::{Adam, Constant, Sgd};
/// let (mut m, mut v) = ([0.0f32; 2], [0.0f32; 2]); // d + 1 each
/// let mut adam = Adam::new(&mut m, &mut v);
/// adam.weight_decay = 1e-4;
/// adam.decoupled = true; // AdamW
/// let mut sgd = Sgd::new(adam, Constant(0.05));
/// let (mut w, mut b) = ([0.0f32], 0.0f32);
/// for k in 0..2000 {
///     let x = [(k % 4) as f32];
///     sgd.step(&mut w, &mut b, &x, 2.0 * x[0] + 1.0)?;
/// }
/// assert!((w[0] - 2.0).abs() < 0.05 && (b - 1.0).abs() < 0.1);
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Debug)]
pub struct Adam<'s> {
    /// `β₁`.
    pub beta1: f32,
    /// `β₂`.
    pub beta2: f32,
    /// `ε`.
    pub eps: f32,
    /// `λ`.
    pub weight_decay: f32,
    /// AdamW: decay the weights directly instead of adding `λθ` to the gradient.
    pub decoupled: bool,
    m: &'s mut [f32],
    v: &'s mut [f32],
    k: u64,
}

impl<'s> Adam<'s> {
    /// PyTorch's defaults (`β = (0.9, 0.999)`, `ε = 1e-8`, no decay) on the given moments
    /// (`d + 1` floats each, zeroed here).
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::Adam;
    /// let (mut m, mut v) = ([0.0f32; 3], [0.0f32; 3]);
    /// let adam = Adam::new(&mut m, &mut v);
    /// assert_eq!((adam.beta1, adam.beta2, adam.eps), (0.9, 0.999, 1e-8));
    /// ```
    pub fn new(m: &'s mut [f32], v: &'s mut [f32]) -> Self {
        m.fill(0.0);
        v.fill(0.0);
        Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: false,
            m,
            v,
            k: 0,
        }
    }

    /// Steps taken by this rule.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{Adam, Constant, Sgd};
    /// let (mut m, mut v) = ([0.0f32; 2], [0.0f32; 2]);
    /// let mut sgd = Sgd::new(Adam::new(&mut m, &mut v), Constant(0.01));
    /// sgd.step(&mut [0.0], &mut 0.0, &[1.0], 2.0)?;
    /// assert_eq!(sgd.update.steps(), 1);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn steps(&self) -> u64 {
        self.k
    }
}

struct AdamStep {
    b1: f32,
    b2: f32,
    eps: f32,
    wd: f32,
    decoupled: bool,
    lr: f32,
    c1: f32,
    c2: f32,
}

impl Elementwise<2> for AdamStep {
    #[inline(always)]
    fn elem<T: Lane>(&self, theta: T, g: T, [m, v]: [T; 2], weight: bool) -> (T, [T; 2]) {
        let decay = weight && self.wd != 0.0;
        let (theta, g) = match (decay, self.decoupled) {
            (true, true) => (theta * T::splat(1.0 - self.lr * self.wd), g),
            (true, false) => (theta, g + T::splat(self.wd) * theta),
            _ => (theta, g),
        };
        let m = T::splat(self.b1) * m + T::splat(1.0 - self.b1) * g;
        let v = T::splat(self.b2) * v + T::splat(1.0 - self.b2) * (g * g);
        let m_hat = m / T::splat(self.c1);
        let v_hat = v / T::splat(self.c2);
        (
            theta - T::splat(self.lr) * m_hat / (v_hat.sqrt() + T::splat(self.eps)),
            [m, v],
        )
    }
}

impl Update for Adam<'_> {
    fn check(&self, d: usize) -> Result<(), Error> {
        check_len(d, self.m.len())?;
        check_len(d, self.v.len())
    }

    fn apply(
        &mut self,
        w: &mut [f32],
        b: &mut f32,
        grad: Grad<'_>,
        lr: f32,
        t: u64,
    ) -> Result<(), Error> {
        check_grad(w, &grad)?;
        self.check(w.len())?;
        let k = self.k.saturating_add(1);
        let kf = k.min(i32::MAX as u64) as i32;
        let rule = AdamStep {
            b1: self.beta1,
            b2: self.beta2,
            eps: self.eps,
            wd: self.weight_decay,
            decoupled: self.decoupled,
            lr,
            c1: 1.0 - libm::powf(self.beta1, kf as f32),
            c2: 1.0 - libm::powf(self.beta2, kf as f32),
        };
        apply_checked(&rule, w, b, grad, &mut [&mut *self.m, &mut *self.v], t)?;
        self.k = k;
        Ok(())
    }
}

/// The normalized step (NLMS, as CMSIS-DSP's `arm_lms_norm_f32`): the step is divided by the
/// sample's energy, `θ ← θ − η·r·x̃ / (ε + ‖x̃‖²)` with `x̃ = (x, 1)` (the bias input) and
/// `r` the residual (`g/2`), so the learning rate is scale-free; `0 < η < 2` converges.
///
/// Memory: none.
///
/// # Example
/// ```
/// use steepest::sgd::{Constant, Normalized, Sgd};
/// // NLMS: the rate is scale-free, so features of size 1000 need no smaller rate.
/// let mut sgd = Sgd::new(Normalized::default(), Constant(0.5));
/// let (mut w, mut b) = ([0.0f32; 2], 0.0f32);
/// for k in 0..400 {
///     let x = [1000.0 * (k % 5) as f32, 500.0 * (k % 3) as f32];
///     sgd.step(&mut w, &mut b, &x, 0.002 * x[0] - 0.004 * x[1] + 1.0)?;
/// }
/// assert!((w[0] - 0.002).abs() < 1e-4 && (w[1] + 0.004).abs() < 1e-4);
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Normalized {
    /// `ε` (CMSIS-DSP uses `f32::EPSILON`).
    pub eps: f32,
}

impl Default for Normalized {
    fn default() -> Self {
        Normalized { eps: f32::EPSILON }
    }
}

impl Update for Normalized {
    fn check(&self, _d: usize) -> Result<(), Error> {
        Ok(())
    }

    fn takes_batches(&self) -> bool {
        false
    }

    fn apply(
        &mut self,
        w: &mut [f32],
        b: &mut f32,
        grad: Grad<'_>,
        lr: f32,
        t: u64,
    ) -> Result<(), Error> {
        check_grad(w, &grad)?;
        self.check(w.len())?;
        let Grad::Sample { x, .. } = grad else {
            return Err(Error::Unsupported(
                "the normalized step is defined for one sample: use a batch size of 1",
            ));
        };
        let energy = x.values().fold(1.0f32, |e, v| e + v * v);
        // g·x/2 is r·x: the step is η·r·x/(ε + ‖x̃‖²).
        let c = lr * 0.5 / (self.eps + energy);
        // The plain step `θ − c·g` with the normalized rate.
        plain(w, b, grad, c, t)
    }
}

/// `θ̄ + (θ − θ̄)·inv`, finite for finite `θ̄`, `θ` and `0 < inv ≤ 1`, so the average never
/// needs to reject a step. `θ − θ̄` overflows only for opposite signs near `f32::MAX`; then
/// (where `inv ≤ 1/2`: the first average is `θ` itself) `θ·inv − θ̄·inv` has two terms of at most
/// `MAX/2` and adds to `θ̄` with the opposite sign, which cannot overflow either.
#[inline(always)]
fn mean_step(avg: f32, p: f32, inv: f32) -> f32 {
    let delta = p - avg;
    if delta.is_finite() {
        avg + delta * inv
    } else {
        avg + (p * inv - avg * inv)
    }
}

/// Polyak averaging (averaged SGD, scikit-learn's `average`): the inner rule updates `θ`, and
/// from the stepper's step `start` on, `θ̄ ← θ̄ + (θ − θ̄)/k` with `k` the number of averaged
/// steps. Read the average with [`averaged`](Averaged::averaged).
///
/// Memory: the inner rule's, plus `θ̄` (`d + 1` floats) and a count.
///
/// # Example
/// ```
/// use steepest::sgd::{Averaged, Constant, Plain, Sgd};
/// let mut avg = [0.0f32; 2]; // d + 1
/// // Average the second half of the run, once the iterates hover around the optimum.
/// let mut sgd = Sgd::new(Averaged::new(Plain, 1000, &mut avg), Constant(0.05));
/// let (mut w, mut b) = ([0.0f32], 0.0f32);
/// for k in 0..2000 {
///     let x = [(k % 4) as f32 / 4.0];
///     let noise = if (k / 4) % 2 == 0 { 0.05 } else { -0.05 }; // uncorrelated with x
///     sgd.step(&mut w, &mut b, &x, 2.0 * x[0] + noise)?;
/// }
/// let (aw, _) = sgd.update.averaged().unwrap();
/// assert!((aw[0] - 2.0).abs() < 0.05);
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Debug)]
pub struct Averaged<'s, U> {
    /// The rule that takes the steps.
    pub inner: U,
    /// The first step (the stepper's counter) that enters the average.
    pub start: u64,
    avg: &'s mut [f32],
    count: u64,
}

impl<'s, U: Update> Averaged<'s, U> {
    /// Averages `inner`'s iterates from step `start` into `avg` (`d + 1` floats, the bias
    /// last; zeroed here).
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{Averaged, Plain};
    /// let mut avg = [1.0f32; 3];
    /// let rule = Averaged::new(Plain, 100, &mut avg); // average from step 100 on
    /// assert_eq!(rule.averaged(), None); // nothing averaged yet
    /// ```
    pub fn new(inner: U, start: u64, avg: &'s mut [f32]) -> Self {
        avg.fill(0.0);
        Averaged {
            inner,
            start,
            avg,
            count: 0,
        }
    }

    /// The averaged weights and bias (`None` before any step was averaged).
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{Averaged, Constant, Plain, Sgd};
    /// let mut avg = [0.0f32; 2];
    /// let mut sgd = Sgd::new(Averaged::new(Plain, 0, &mut avg), Constant(0.25));
    /// let (mut w, mut b) = ([0.0f32], 0.0f32);
    /// sgd.step(&mut w, &mut b, &[1.0], 1.0)?; // w = b = 0.5
    /// sgd.step(&mut w, &mut b, &[1.0], 1.0)?; // r = 0: w = b = 0.5 again
    /// assert_eq!(sgd.update.averaged(), Some((&[0.5][..], 0.5)));
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn averaged(&self) -> Option<(&[f32], f32)> {
        if self.count == 0 {
            return None;
        }
        let (b, w) = self.avg.split_last()?;
        Some((w, *b))
    }
}

impl<U: Update> Update for Averaged<'_, U> {
    fn check(&self, d: usize) -> Result<(), Error> {
        self.inner.check(d)?;
        check_len(d, self.avg.len())
    }

    fn takes_batches(&self) -> bool {
        self.inner.takes_batches()
    }

    fn apply(
        &mut self,
        w: &mut [f32],
        b: &mut f32,
        grad: Grad<'_>,
        lr: f32,
        t: u64,
    ) -> Result<(), Error> {
        check_grad(w, &grad)?;
        self.check(w.len())?;
        self.inner.apply(w, b, grad, lr, t)?;
        if t >= self.start {
            self.count = self.count.saturating_add(1);
            let inv = 1.0 / self.count as f32;
            for (a, &p) in self
                .avg
                .iter_mut()
                .zip(w.iter().chain(core::iter::once(&*b)))
            {
                *a = mean_step(*a, p, inv);
            }
        }
        Ok(())
    }
}
