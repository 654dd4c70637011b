//! What a step is given: one sample's features, or a mini-batch's gradient sums.

use crate::data::check_len;
use crate::error::{Error, What};

/// One sample's features: a contiguous row, or sample `i` of column-major data.
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
    pub fn len(&self) -> usize {
        match *self {
            Sample::Row(r) => r.len(),
            Sample::Strided { d, .. } => d,
        }
    }

    /// `true` if there are no features.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The gradient of one step.
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
    pub fn len(&self) -> usize {
        match *self {
            Grad::Sample { x, .. } => x.len(),
            Grad::Sums { w, .. } => w.len(),
        }
    }

    /// `true` if there are no weight components.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The weights' gradient, component by component.
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
