//! The update-rule trait and plain SGD: how a step turns the gradient into new parameters.

use wide::f32x8;

use super::elementwise::plain;
use super::grad::{Grad, Sample, check_grad};
use crate::error::Error;

/// An update rule: applies one step to `w` and `b`, all or nothing.
///
/// The loss of a sample is `(x·w + b − y)²`, so its gradient is `g·x` for the weights and `g`
/// for the bias, with `g = 2r` ([`Grad::Sample`]); a mini-batch's is the mean of those
/// ([`Grad::Sums`]). An implementation must either write every parameter (and its own state)
/// or, if any new value would be non-finite, write nothing and return [`Error::Rejected`].
///
/// # Example
/// ```
/// use steepest::{Error, sgd::{Grad, Sample, Update}};
/// /// Plain SGD with a cap on each weight's change: a rule of your own.
/// struct Clipped(f32);
/// impl Update for Clipped {
///     fn check(&self, _d: usize) -> Result<(), Error> {
///         Ok(())
///     }
///     fn apply(&mut self, w: &mut [f32], b: &mut f32, grad: Grad<'_>, lr: f32, t: u64) -> Result<(), Error> {
///         if grad.len() != w.len() {
///             return Err(Error::Length { what: steepest::What::X, expected: w.len(), found: grad.len() });
///         }
///         let step = |g: f32| (lr * g).clamp(-self.0, self.0);
///         let new_b = *b - step(grad.bias());
///         if !new_b.is_finite() || grad.weights().zip(w.iter()).any(|(g, wj)| !(wj - step(g)).is_finite()) {
///             return Err(Error::Rejected { step: t });
///         }
///         for (wj, g) in w.iter_mut().zip(grad.weights()) {
///             *wj -= step(g);
///         }
///         *b = new_b;
///         Ok(())
///     }
/// }
/// let (mut w, mut b) = ([0.0f32], 0.0f32);
/// let grad = Grad::Sample { x: Sample::Row(&[1.0]), g: -100.0 };
/// Clipped(0.5).apply(&mut w, &mut b, grad, 0.1, 0)?;
/// assert_eq!((w[0], b), (0.5, 0.5));
/// # Ok::<(), steepest::Error>(())
/// ```
pub trait Update {
    /// Checks that the rule's state has room for `d` features.
    ///
    /// # Errors
    /// [`Error::Length`] naming the state buffer.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{Adam, Update};
    /// let (mut m, mut v) = ([0.0f32; 3], [0.0f32; 3]);
    /// let adam = Adam::new(&mut m, &mut v);
    /// assert!(adam.check(2).is_ok()); // d + 1 = 3
    /// assert!(adam.check(3).is_err());
    /// ```
    fn check(&self, d: usize) -> Result<(), Error>;

    /// One update at step `t` with learning rate `lr`.
    ///
    /// # Errors
    /// Nothing is written on any error. [`Error::Length`] if the gradient or the rule's state
    /// does not match `w`; [`Error::Rejected`] if a parameter would become non-finite;
    /// [`Error::Unsupported`] for a gradient kind the rule does not define.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{Grad, Plain, Sample, Update};
    /// let (mut w, mut b) = ([1.0f32, 1.0], 0.0f32);
    /// let grad = Grad::Sample { x: Sample::Row(&[1.0, 2.0]), g: 0.5 };
    /// Plain.apply(&mut w, &mut b, grad, 0.1, 0)?;
    /// assert_eq!((w, b), ([0.95, 0.9], -0.05));
    /// // A gradient of the wrong length is an error, and nothing is written.
    /// let short = Grad::Sample { x: Sample::Row(&[1.0]), g: 0.5 };
    /// assert!(Plain.apply(&mut w, &mut b, short, 0.1, 1).is_err());
    /// # Ok::<(), steepest::Error>(())
    /// ```
    fn apply(
        &mut self,
        w: &mut [f32],
        b: &mut f32,
        grad: Grad<'_>,
        lr: f32,
        t: u64,
    ) -> Result<(), Error>;

    /// `true` only for [`Plain`]: lets [`Sgd::epoch`](super::Sgd::epoch) run its
    /// weights-in-registers loop, which computes exactly what [`Plain::apply`] would.
    #[doc(hidden)]
    fn is_plain(&self) -> bool {
        false
    }

    /// Whether the rule has a mini-batch form ([`Grad::Sums`]); `true` unless it says
    /// otherwise. [`Sgd::minibatch_epoch`](super::Sgd::minibatch_epoch) checks it before it
    /// draws the order.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::{Normalized, Plain, Update};
    /// assert!(Plain.takes_batches() && !Normalized::default().takes_batches());
    /// ```
    fn takes_batches(&self) -> bool {
        true
    }
}

/// Plain SGD: `w ← w − η·g·x`, `b ← b − η·g`.
///
/// Memory: none beyond the parameters.
///
/// # Example
/// ```
/// use steepest::sgd::{Constant, Plain, Sgd};
/// let mut sgd = Sgd::new(Plain, Constant(0.1));
/// let (mut w, mut b) = ([0.0f32], 0.0f32);
/// sgd.step(&mut w, &mut b, &[1.0], 1.0)?; // r = −1, g = −2: w = b = 0.2
/// assert_eq!((w[0], b), (0.2, 0.2));
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Plain;

impl Update for Plain {
    fn check(&self, _d: usize) -> Result<(), Error> {
        Ok(())
    }

    fn is_plain(&self) -> bool {
        true
    }

    #[inline]
    fn apply(
        &mut self,
        w: &mut [f32],
        b: &mut f32,
        grad: Grad<'_>,
        lr: f32,
        t: u64,
    ) -> Result<(), Error> {
        check_grad(w, &grad)?;
        match grad {
            // The hot path: one contiguous sample, w ← w − (η·g)·x in f32x8 lanes.
            Grad::Sample {
                x: Sample::Row(x),
                g,
            } => {
                let c = lr * g;
                let nb = *b - c;
                if !(nb.is_finite() && axpy_is_finite(w, x, c)) {
                    return Err(Error::Rejected { step: t });
                }
                axpy(w, x, c);
                *b = nb;
                Ok(())
            }
            _ => plain(w, b, grad, lr, t),
        }
    }
}

/// `w ← w − c·x`, eight lanes at a time, the tail in scalar code (same arithmetic).
#[inline]
pub(crate) fn axpy(w: &mut [f32], x: &[f32], c: f32) {
    let cv = f32x8::splat(c);
    let (wc, wt) = w.as_chunks_mut::<8>();
    let (xc, xt) = x.as_chunks::<8>();
    for (wv, xv) in wc.iter_mut().zip(xc) {
        *wv = (f32x8::new(*wv) - cv * f32x8::new(*xv)).to_array();
    }
    for (wj, xj) in wt.iter_mut().zip(xt) {
        *wj -= c * xj;
    }
}

/// Whether every `w_j − c·x_j` is finite, without writing anything. (`v·0` is ±0 for finite
/// `v` and NaN otherwise, so one sum of those tells.)
#[inline]
pub(crate) fn axpy_is_finite(w: &[f32], x: &[f32], c: f32) -> bool {
    let cv = f32x8::splat(c);
    let (wc, wt) = w.as_chunks::<8>();
    let (xc, xt) = x.as_chunks::<8>();
    let mut probe = f32x8::ZERO;
    for (wv, xv) in wc.iter().zip(xc) {
        let nw = f32x8::new(*wv) - cv * f32x8::new(*xv);
        probe += nw * 0.0;
    }
    let mut tail = 0.0f32;
    for (wj, xj) in wt.iter().zip(xt) {
        let nw = wj - c * xj;
        tail += nw * 0.0;
    }
    tail == 0.0 && probe.to_array().iter().all(|v| *v == 0.0)
}
