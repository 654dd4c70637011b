//! Borrowed, validated views of a data set: the only place where shapes are checked.
//!
//! A view is built once with `new`, which checks every length; the kernels downstream take the
//! view and can then not fail on shape. Nothing is copied.

mod col_major;
mod col_slices;
mod row_major;

use core::ops::Range;

pub use col_major::ColMajor;
pub use col_slices::ColSlices;
pub use row_major::RowMajor;

use crate::error::{Error, What};

/// Either layout: what the kernels and drivers take.
///
/// # Example
/// ```
/// use steepest::{Dataset, RowMajor};
/// let data: Dataset = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?.into();
/// assert!(matches!(data, Dataset::RowMajor(_)));
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dataset<'a> {
    /// Sample-major features.
    RowMajor(RowMajor<'a>),
    /// Feature-major features.
    ColMajor(ColMajor<'a>),
}

impl<'a> Dataset<'a> {
    /// Number of samples.
    ///
    /// # Example
    /// ```
    /// use steepest::{Dataset, RowMajor};
    /// let data: Dataset = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?.into();
    /// assert_eq!(data.n(), 4);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn n(&self) -> usize {
        match self {
            Dataset::RowMajor(v) => v.n(),
            Dataset::ColMajor(v) => v.n(),
        }
    }

    /// Number of features.
    ///
    /// # Example
    /// ```
    /// use steepest::{Dataset, RowMajor};
    /// let data: Dataset = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?.into();
    /// assert_eq!(data.d(), 1);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn d(&self) -> usize {
        match self {
            Dataset::RowMajor(v) => v.d(),
            Dataset::ColMajor(v) => v.d(),
        }
    }

    /// The targets.
    ///
    /// # Example
    /// ```
    /// use steepest::{Dataset, RowMajor};
    /// let data: Dataset = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?.into();
    /// assert_eq!(data.y(), &[2.0, 4.0, 6.0, 8.0]);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn y(&self) -> &'a [f32] {
        match self {
            Dataset::RowMajor(v) => v.y(),
            Dataset::ColMajor(v) => v.y(),
        }
    }

    /// The view of the samples in `rows`.
    ///
    /// # Errors
    /// [`Error::RowRange`] if `rows` is empty or reaches past `n`.
    ///
    /// # Example
    /// ```
    /// use steepest::{Dataset, RowMajor};
    /// let data: Dataset = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?.into();
    /// assert_eq!(data.rows(1..3)?.y(), &[4.0, 6.0]);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn rows(&self, rows: Range<usize>) -> Result<Self, Error> {
        Ok(match self {
            Dataset::RowMajor(v) => Dataset::RowMajor(v.rows(rows)?),
            Dataset::ColMajor(v) => Dataset::ColMajor(v.rows(rows)?),
        })
    }

    /// Checks that every value is finite.
    ///
    /// # Errors
    /// [`Error::NonFiniteData`] naming the first non-finite value.
    ///
    /// # Example
    /// ```
    /// use steepest::{Dataset, RowMajor};
    /// let data: Dataset = RowMajor::new(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 6.0, 8.0], 4, 1)?.into();
    /// assert!(data.check_finite().is_ok());
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn check_finite(&self) -> Result<(), Error> {
        match self {
            Dataset::RowMajor(v) => v.check_finite(),
            Dataset::ColMajor(v) => v.check_finite(),
        }
    }
}

impl<'a> From<RowMajor<'a>> for Dataset<'a> {
    fn from(v: RowMajor<'a>) -> Self {
        Dataset::RowMajor(v)
    }
}

impl<'a> From<ColMajor<'a>> for Dataset<'a> {
    fn from(v: ColMajor<'a>) -> Self {
        Dataset::ColMajor(v)
    }
}

pub(crate) fn check_nonempty(n: usize, d: usize) -> Result<(), Error> {
    if n == 0 {
        return Err(Error::Empty(What::Rows));
    }
    if d == 0 {
        return Err(Error::Empty(What::Features));
    }
    Ok(())
}

/// `Ok` if a slice has the length the shape requires, else [`Error::Length`] naming it.
pub(crate) fn check_len(what: What, expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::Length {
            what,
            expected,
            found,
        })
    }
}

/// The first non-finite value of `columns` (column by column) or of `y`, as
/// [`Error::NonFiniteData`].
fn check_columns_finite<'a>(
    columns: impl Iterator<Item = &'a [f32]>,
    y: &[f32],
) -> Result<(), Error> {
    for (col, column) in columns.enumerate() {
        if let Some(row) = column.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFiniteData {
                what: What::X,
                row,
                col,
            });
        }
    }
    match y.iter().position(|v| !v.is_finite()) {
        Some(row) => Err(Error::NonFiniteData {
            what: What::Y,
            row,
            col: 0,
        }),
        None => Ok(()),
    }
}

/// What the column-major kernels read: `d` columns of `n` values and `y`. [`ColMajor`] and
/// [`ColSlices`] give the same values to the same kernel code, and so the same bits.
pub(crate) trait ColumnView<'a> {
    fn n(&self) -> usize;
    fn d(&self) -> usize;
    fn y(&self) -> &'a [f32];
    fn column(&self, j: usize) -> Option<&'a [f32]>;
    fn columns(&self) -> impl Iterator<Item = &'a [f32]> + Clone + 'a;
}

impl<'a> ColumnView<'a> for ColMajor<'a> {
    #[inline(always)]
    fn n(&self) -> usize {
        ColMajor::n(self)
    }
    #[inline(always)]
    fn d(&self) -> usize {
        ColMajor::d(self)
    }
    #[inline(always)]
    fn y(&self) -> &'a [f32] {
        ColMajor::y(self)
    }
    #[inline(always)]
    fn column(&self, j: usize) -> Option<&'a [f32]> {
        ColMajor::column(self, j)
    }
    #[inline(always)]
    fn columns(&self) -> impl Iterator<Item = &'a [f32]> + Clone + 'a {
        ColMajor::columns(self)
    }
}

impl<'a> ColumnView<'a> for ColSlices<'a> {
    #[inline(always)]
    fn n(&self) -> usize {
        ColSlices::n(self)
    }
    #[inline(always)]
    fn d(&self) -> usize {
        ColSlices::d(self)
    }
    #[inline(always)]
    fn y(&self) -> &'a [f32] {
        ColSlices::y(self)
    }
    #[inline(always)]
    fn column(&self, j: usize) -> Option<&'a [f32]> {
        ColSlices::column(self, j)
    }
    #[inline(always)]
    fn columns(&self) -> impl Iterator<Item = &'a [f32]> + Clone + 'a {
        ColSlices::columns(self)
    }
}
