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
pub trait Update {
    /// Checks that the rule's state has room for `d` features.
    ///
    /// # Errors
    /// [`Error::Length`] naming the state buffer.
    fn check(&self, d: usize) -> Result<(), Error>;

    /// One update at step `t` with learning rate `lr`.
    ///
    /// # Errors
    /// Nothing is written on any error. [`Error::Length`] if the gradient or the rule's state
    /// does not match `w`; [`Error::Rejected`] if a parameter would become non-finite;
    /// [`Error::Unsupported`] for a gradient kind the rule does not define.
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
    fn takes_batches(&self) -> bool {
        true
    }
}

/// Plain SGD: `w ← w − η·g·x`, `b ← b − η·g`.
///
/// Memory: none beyond the parameters.
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
