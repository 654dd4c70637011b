//! [`Sgd::minibatch_epoch`]: one step per batch of rows, summed by the fused kernel.

use rand_core::Rng;

use super::EpochReport;
use super::Sgd;
use super::grad::Grad;
use super::scaled::Scaling;
use super::schedule::Schedule;
use super::update::Update;
use crate::data::{Dataset, RowMajor, check_len};
use crate::error::{Error, What};
use crate::kernels::simd;
use crate::shuffle::permutation;

/// The caller's buffers for [`Sgd::minibatch_epoch`] with batches of `B = y.len()` samples.
///
/// # Example
/// ```
/// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
/// use steepest::{RowMajor, sgd::{Batch, Constant, Plain, Sgd}};
/// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
/// let (mut w, mut b, mut order) = ([0.0f32], 0.0f32, [0u32; 4]);
/// let (mut bx, mut by, mut grad) = ([0.0f32; 3], [0.0f32; 3], [0.0f64; 1]); // B = 3, d = 1
/// let batch = Batch { x: &mut bx, y: &mut by, grad: &mut grad };
/// let mut rng = Xoshiro128PlusPlus::seed_from_u64(5);
/// let report = Sgd::new(Plain, Constant(0.01)).minibatch_epoch(&data.into(), &mut w, &mut b, &mut order, &mut rng, batch)?;
/// assert_eq!(report.steps, 2); // batches of 3 and 1
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Debug)]
pub struct Batch<'a> {
    /// `B·d` values: the batch's rows, gathered.
    pub x: &'a mut [f32],
    /// `B` values: the batch's targets.
    pub y: &'a mut [f32],
    /// `d` values: the fused kernel's gradient sums.
    pub grad: &'a mut [f64],
}

impl<U: Update, S: Schedule> Sgd<U, S> {
    /// One epoch in mini-batches: the shuffled order is cut into batches of `B` samples (the
    /// last may be shorter), each batch's rows are gathered into the caller's buffers and
    /// summed by the fused kernel, and the rule takes one step with the batch's mean
    /// gradient (`2/m·Σ rᵢxᵢ`, `2/m·Σ rᵢ`). `B = n` is full-batch gradient descent.
    ///
    /// # Errors
    /// As [`epoch`](Self::epoch), and [`Error::Length`] for buffers that do not fit
    /// `B = batch.y.len() ≥ 1` and `d`; [`Error::NonFiniteData`] names the data row of a
    /// non-finite value; [`Error::Unsupported`] for a rule that has no batch form (the
    /// normalized step). The epoch stops at the first error, with the model as the batches
    /// before it left it.
    ///
    /// # Example
    /// ```
    /// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
    /// use steepest::{RowMajor, sgd::{Batch, Constant, Plain, Sgd}};
    /// let data = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?;
    /// let mut rng = Xoshiro128PlusPlus::seed_from_u64(5);
    /// let (mut w, mut b, mut order) = ([0.0f32], 0.0f32, [0u32; 4]);
    /// let (mut bx, mut by, mut grad) = ([0.0f32; 2], [0.0f32; 2], [0.0f64; 1]); // B = 2
    /// let mut sgd = Sgd::new(Plain, Constant(0.02));
    /// for _ in 0..2000 {
    ///     let batch = Batch { x: &mut bx, y: &mut by, grad: &mut grad };
    ///     sgd.minibatch_epoch(&data.into(), &mut w, &mut b, &mut order, &mut rng, batch)?;
    /// }
    /// assert!((w[0] - 2.0).abs() < 1e-3 && b.abs() < 3e-3);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn minibatch_epoch<R: Rng + ?Sized>(
        &mut self,
        data: &Dataset<'_>,
        w: &mut [f32],
        b: &mut f32,
        order: &mut [u32],
        rng: &mut R,
        batch: Batch<'_>,
    ) -> Result<EpochReport, Error> {
        self.minibatch_epoch_with(data, w, b, order, rng, batch, None)
    }

    /// [`minibatch_epoch`](Self::minibatch_epoch) with the batch's rows standardised as
    /// they are gathered: the model `v`, `c` lives in the coordinates of `scaling`
    /// ([`Scaling::original`] gives it in the data's units). Nothing is copied beyond the
    /// batch buffers the plain epoch fills anyway.
    ///
    /// # Errors
    /// As [`minibatch_epoch`](Self::minibatch_epoch), and [`Error::Length`] if `scaling`
    /// does not have `d` features.
    ///
    /// # Example
    /// ```
    /// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
    /// use steepest::{RowMajor, sgd::{Batch, Constant, Plain, Scaling, Sgd}, stats::{Moments, moments}};
    /// let data = RowMajor::new(&[1000.0, 2000.0, 3000.0, 4000.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?.into();
    /// let mut m = [Moments::default()];
    /// moments(&data, &mut m)?;
    /// let (mut mean, mut scale) = ([0.0f32], [0.0f32]);
    /// Scaling::compute(&m, &mut mean, &mut scale)?;
    /// let scaling = Scaling::new(&mean, &scale)?;
    /// let (mut v, mut c, mut order) = ([0.0f32], 0.0f32, [0u32; 4]);
    /// let (mut bx, mut by, mut grad) = ([0.0f32; 2], [0.0f32; 2], [0.0f64; 1]);
    /// let mut rng = Xoshiro128PlusPlus::seed_from_u64(1);
    /// let mut sgd = Sgd::new(Plain, Constant(0.1));
    /// for _ in 0..300 {
    ///     let batch = Batch { x: &mut bx, y: &mut by, grad: &mut grad };
    ///     sgd.minibatch_epoch_scaled(&data, &mut v, &mut c, &mut order, &mut rng, batch, &scaling)?;
    /// }
    /// let mut w = [0.0f32];
    /// let b = scaling.original(&v, c, &mut w)?;
    /// assert!((w[0] - 0.002).abs() < 1e-6 && b.abs() < 1e-3, "{w:?} {b}");
    /// # Ok::<(), steepest::Error>(())
    /// ```
    #[allow(clippy::too_many_arguments)] // minibatch_epoch's, and the scaling
    pub fn minibatch_epoch_scaled<R: Rng + ?Sized>(
        &mut self,
        data: &Dataset<'_>,
        v: &mut [f32],
        c: &mut f32,
        order: &mut [u32],
        rng: &mut R,
        batch: Batch<'_>,
        scaling: &Scaling<'_>,
    ) -> Result<EpochReport, Error> {
        check_len(What::Scratch, data.d(), scaling.len())?;
        self.minibatch_epoch_with(data, v, c, order, rng, batch, Some(scaling))
    }

    #[allow(clippy::too_many_arguments)] // as minibatch_epoch_scaled
    fn minibatch_epoch_with<R: Rng + ?Sized>(
        &mut self,
        data: &Dataset<'_>,
        w: &mut [f32],
        b: &mut f32,
        order: &mut [u32],
        rng: &mut R,
        batch: Batch<'_>,
        scaling: Option<&Scaling<'_>>,
    ) -> Result<EpochReport, Error> {
        let (n, d) = (data.n(), data.d());
        let bsize = batch.y.len();
        if bsize == 0 {
            return Err(Error::Empty(What::BatchSize));
        }
        if !self.update.takes_batches() {
            return Err(Error::Unsupported(
                "the normalized step is defined for one sample: use a batch size of 1",
            ));
        }
        for (what, expected, found) in [
            (What::Weights, d, w.len()),
            (What::Order, n, order.len()),
            (What::Gradient, d, batch.grad.len()),
            (What::X, bsize.saturating_mul(d), batch.x.len()),
        ] {
            check_len(what, expected, found)?;
        }
        self.ready(d, w, *b, n.div_ceil(bsize) as u64)?;
        permutation(order, rng)?;
        let mut loss = 0.0f64;
        for idx in order.chunks(bsize) {
            let m = idx.len();
            for ((&i, xr), yr) in idx
                .iter()
                .zip(batch.x.chunks_exact_mut(d))
                .zip(batch.y.iter_mut())
            {
                let i = i as usize;
                *yr = data.y().get(i).copied().unwrap_or(f32::NAN);
                match data {
                    Dataset::RowMajor(v) => {
                        if let Some(row) = v.x().get(i * d..i * d + d) {
                            xr.copy_from_slice(row);
                        }
                    }
                    Dataset::ColMajor(v) => {
                        for (xj, col) in xr.iter_mut().zip(v.columns()) {
                            *xj = col.get(i).copied().unwrap_or(f32::NAN);
                        }
                    }
                }
                if let Some(s) = scaling {
                    s.standardize_in_place(xr);
                }
            }
            let (bx, by) = (
                batch.x.get(..m * d).unwrap_or(&[]),
                batch.y.get(..m).unwrap_or(&[]),
            );
            let view = RowMajor::new(bx, by, m, d)?;
            let sums = match simd::gradient_row_major(&view, w, *b, batch.grad) {
                Ok(s) => s,
                Err(e) => {
                    // Name the data row if the batch holds a non-finite value.
                    return Err(match view.check_finite() {
                        Err(Error::NonFiniteData { what, row, col }) => Error::NonFiniteData {
                            what,
                            row: idx.get(row).map_or(row, |&i| i as usize),
                            col,
                        },
                        _ => match e {
                            Error::NonFinite(_) => Error::Rejected { step: self.steps },
                            other => other,
                        },
                    });
                }
            };
            let lr = self.rate()?;
            let next = self.next_step()?;
            let grad = Grad::Sums {
                w: batch.grad,
                b: sums.bias,
                scale: 2.0 / m as f64,
            };
            self.update.apply(w, b, grad, lr, self.steps)?;
            self.steps = next;
            loss += sums.loss;
        }
        let loss = loss / n as f64;
        self.schedule.end_of_epoch(loss);
        Ok(EpochReport {
            loss,
            steps: n.div_ceil(bsize),
        })
    }
}
