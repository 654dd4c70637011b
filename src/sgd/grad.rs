//! What a step is given: one sample's features, or a mini-batch's gradient sums.

use crate::data::check_len;
use crate::error::{Error, What};

/// One sample's features: a contiguous row, or sample `i` of column-major data.
///
/// # Example
/// ```
/// use steepest::sgd::Sample;
/// // Sample 1 of column-major data with 3 samples per column: x[1], x[4].
/// let cols = [1.0, 2.0, 3.0, 10.0, 20.0, 30.0];
/// let s = Sample::Strided { x: &cols, ld: 3, i: 1, d: 2 };
/// assert_eq!(s.values().collect::<Vec<_>>(), [2.0, 20.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Sample<'a> {
    /// `d` consecutive values.
    Row(&'a [f32]),
    /// Every `ld`-th value of `x` starting at index `i`: `x[i], x[i+ld], …`, `d` of them.
    Strided {
        /// The column-major values.
        x: &'a [f32],
        /// The column stride.
        ld: usize,
        /// The sample index.
        i: usize,
        /// The number of features.
        d: usize,
    },
}

impl<'a> Sample<'a> {
    /// The features in order.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::Sample;
    /// assert_eq!(Sample::Row(&[1.0, 2.0]).values().sum::<f32>(), 3.0);
    /// ```
    pub fn values(&self) -> impl Iterator<Item = f32> + Clone + use<'a> {
        let (row, strided) = match *self {
            Sample::Row(r) => (Some(r.iter().copied()), None),
            Sample::Strided { x, ld, i, d } => (
                None,
                Some((0..d).map(move |j| {
                    x.get(j.saturating_mul(ld).saturating_add(i))
                        .copied()
                        .unwrap_or(f32::NAN)
                })),
            ),
        };
        row.into_iter()
            .flatten()
            .chain(strided.into_iter().flatten())
    }

    /// The number of features.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::Sample;
    /// assert_eq!(Sample::Row(&[1.0, 2.0]).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        match *self {
            Sample::Row(r) => r.len(),
            Sample::Strided { d, .. } => d,
        }
    }

    /// `true` if there are no features.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::Sample;
    /// assert!(Sample::Row(&[]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The gradient of one step.
///
/// # Example
/// ```
/// use steepest::sgd::{Grad, Sample};
/// let g = Grad::Sample { x: Sample::Row(&[1.0, 3.0]), g: -2.0 }; // g = 2r
/// assert_eq!((g.weights().collect::<Vec<_>>(), g.bias()), (vec![-2.0, -6.0], -2.0));
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Grad<'a> {
    /// One sample's: `g·x` for the weights and `g` for the bias, with `g = 2r`.
    Sample {
        /// The sample's features.
        x: Sample<'a>,
        /// `2r`.
        g: f32,
    },
    /// A mini-batch's, from the fused kernel's f64 sums: `scale·w[j]` for the weights and
    /// `scale·b` for the bias (`scale = 2/B`), each rounded once to f32.
    Sums {
        /// `Σ rᵢ·xᵢ`.
        w: &'a [f64],
        /// `Σ rᵢ`.
        b: f64,
        /// `2/B`.
        scale: f64,
    },
}

impl<'a> Grad<'a> {
    /// The number of weight components.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::Grad;
    /// let sums = [4.0, 8.0];
    /// assert_eq!(Grad::Sums { w: &sums, b: 2.0, scale: 0.5 }.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        match *self {
            Grad::Sample { x, .. } => x.len(),
            Grad::Sums { w, .. } => w.len(),
        }
    }

    /// `true` if there are no weight components.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::Grad;
    /// assert!(Grad::Sums { w: &[], b: 0.0, scale: 1.0 }.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The weights' gradient, component by component.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::Grad;
    /// // A batch of B = 4: Σ rᵢ·xᵢ scaled by 2/B.
    /// let g = Grad::Sums { w: &[4.0, 8.0], b: 2.0, scale: 0.5 };
    /// assert_eq!(g.weights().collect::<Vec<_>>(), [2.0, 4.0]);
    /// ```
    pub fn weights(&self) -> impl Iterator<Item = f32> + use<'a> {
        let (sample, sums) = match *self {
            Grad::Sample { x, g } => (Some(x.values().map(move |v| g * v)), None),
            Grad::Sums { w, scale, .. } => (None, Some(w.iter().map(move |v| (scale * v) as f32))),
        };
        sample
            .into_iter()
            .flatten()
            .chain(sums.into_iter().flatten())
    }

    /// The bias's gradient.
    ///
    /// # Example
    /// ```
    /// use steepest::sgd::Grad;
    /// assert_eq!(Grad::Sums { w: &[4.0], b: 2.0, scale: 0.5 }.bias(), 1.0);
    /// ```
    pub fn bias(&self) -> f32 {
        match *self {
            Grad::Sample { g, .. } => g,
            Grad::Sums { b, scale, .. } => (scale * b) as f32,
        }
    }
}

/// [`Error::Length`] unless `grad` has one component per weight.
#[inline(always)]
pub(crate) fn check_grad(w: &[f32], grad: &Grad<'_>) -> Result<(), Error> {
    let what = match grad {
        Grad::Sample { .. } => What::X,
        Grad::Sums { .. } => What::Gradient,
    };
    check_len(what, w.len(), grad.len())
}
