//! Where the kernels add their f64 values ([`Out`]): the pass's totals, or one slot per run
//! for the parallel pass, and that pass's way into the kernels.

#[cfg(feature = "parallel")]
use super::{CM_FOLD_VECS, FAR_L3_VALUES, TILE, col_major_into, row_major_into, row_major_tile};
#[cfg(feature = "parallel")]
use super::{far_by_size, sums_col_major, sums_row_major};
#[cfg(feature = "parallel")]
use crate::data::Dataset;
use crate::kernels::Sums;

/// [`gradient`](super::gradient) without its checks.
#[cfg(feature = "parallel")]
pub(crate) fn sums(data: &Dataset<'_>, w: &[f32], b: f32, grad: &mut [f64]) -> Sums {
    match data {
        Dataset::RowMajor(v) => sums_row_major(v, w, b, grad),
        Dataset::ColMajor(v) => sums_col_major(v, w, b, grad),
    }
}

/// Rows per fold into f64 of the kernel for `data`'s layout and `d`: a pass over whole such
/// runs of rows (from the start) adds one f64 value per sum per run into its total, in order,
/// and the rows past the last multiple of 8 one value each. A pass over consecutive runs
/// separately, their sums then added in order, has the bits of one pass.
#[cfg(feature = "parallel")]
pub(crate) fn fold_rows(data: &Dataset<'_>) -> usize {
    match data {
        Dataset::RowMajor(v) if v.d() >= 8 => row_major_tile(v.d()),
        Dataset::ColMajor(v) if v.d() > 8 => 8 * CM_FOLD_VECS,
        _ => TILE,
    }
}

/// Where a kernel adds its f64 values: `run(k)` is the gradient and the sums that the `k`-th
/// run of `fold_rows` rows of the call adds into, once per sum. The serial pass adds every
/// run into its totals ([`Totals`]), and so does a parallel task whose predecessors have all
/// been added in; any other task keeps each run's values apart (`Runs`) to be added in order
/// afterwards, which is the same arithmetic.
pub(crate) trait Out {
    fn run(&mut self, k: usize) -> (&mut [f64], &mut Sums);
}

/// Every run into the pass's totals.
pub(crate) struct Totals<'a> {
    pub(crate) grad: &'a mut [f64],
    pub(crate) s: &'a mut Sums,
}

impl Out for Totals<'_> {
    #[inline(always)]
    fn run(&mut self, _: usize) -> (&mut [f64], &mut Sums) {
        (self.grad, self.s)
    }
}

/// Each run into a slot of its own: `grad` holds `d` values per run, `sums` one per run. A
/// slot is zeroed when its run is first added into (the runs come in order), so that it is
/// in L1 when the kernel adds into it, not written out to memory beforehand.
#[cfg(feature = "parallel")]
pub(crate) struct Runs<'a> {
    pub(crate) grad: &'a mut [f64],
    pub(crate) sums: &'a mut [Sums],
    pub(crate) d: usize,
    /// The first run whose slot is not zeroed yet.
    pub(crate) zeroed: usize,
    /// Where a run past the slots would add: the callers size the slots so none is.
    pub(crate) spare: Sums,
}

#[cfg(feature = "parallel")]
impl Out for Runs<'_> {
    #[inline(always)]
    fn run(&mut self, k: usize) -> (&mut [f64], &mut Sums) {
        let d = self.d;
        if k >= self.zeroed {
            let from = self.zeroed;
            self.zeroed = k + 1;
            if let Some(g) = self.grad.get_mut(from * d..(k + 1) * d) {
                g.fill(0.0);
            }
            if let Some(s) = self.sums.get_mut(from..=k) {
                s.fill(Sums::default());
            }
        }
        match (self.grad.get_mut(k * d..(k + 1) * d), self.sums.get_mut(k)) {
            (Some(g), Some(s)) => (g, s),
            _ => (&mut [], &mut self.spare),
        }
    }
}

/// Whether a pass over `data` reads it from beyond the caches: its parts are `streamed`. One
/// column from 32 MiB of `x` on, as its serial pass asks ahead (`small::rm_small`).
#[cfg(feature = "parallel")]
pub(crate) fn beyond_caches(data: &Dataset<'_>) -> bool {
    match data.d() {
        1 => data.n() >= FAR_L3_VALUES,
        d => far_by_size(data.n(), d),
    }
}

/// The runs of `data` (a whole number of runs from a run boundary, `n` a multiple of 8) into
/// `out`; `streamed` as for [`FAR_VALUES`](super::FAR_VALUES).
#[cfg(feature = "parallel")]
pub(crate) fn runs(data: &Dataset<'_>, w: &[f32], b: f32, out: &mut impl Out, streamed: bool) {
    match data {
        Dataset::RowMajor(v) => row_major_into(v, w, b, out, streamed),
        Dataset::ColMajor(v) => col_major_into(v, w, b, out, streamed),
    }
}
