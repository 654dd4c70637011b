//! The column-slices view.

use super::{check_len, check_nonempty};
use crate::error::{Error, What};

/// Features as one slice per feature (column), each of `n` values, wherever they are: the
/// columns of an Arrow record batch, or of separate allocations. The kernels take it as they
/// take a [`ColMajor`](crate::ColMajor) view, with the same result bits for the same values.
///
/// # Example
/// ```
/// use steepest::ColSlices;
/// let (temp, volt) = ([20.0, 21.0, 22.0], [3.3, 3.2, 3.1]);
/// let cols = [&temp[..], &volt[..]];
/// let data = ColSlices::new(&cols, &[1.0, 2.0, 3.0])?;
/// assert_eq!((data.n(), data.d()), (3, 2));
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColSlices<'a> {
    /// `d ≥ 1` columns of exactly `n` values each.
    cols: &'a [&'a [f32]],
    y: &'a [f32],
}

impl<'a> ColSlices<'a> {
    /// A view of `y.len()` samples whose feature `j` is `cols[j]`.
    ///
    /// # Errors
    /// [`Error::Empty`] if there are no columns or no samples; [`Error::Length`] (about `x`)
    /// if a column's length is not `y.len()`.
    ///
    /// # Example
    /// ```
    /// use steepest::{ColSlices, Error, What};
    /// let cols = [&[1.0, 2.0][..], &[3.0][..]];
    /// let err = ColSlices::new(&cols, &[0.0, 0.0]).unwrap_err();
    /// assert_eq!(err, Error::Length { what: What::X, expected: 2, found: 1 });
    /// ```
    pub fn new(cols: &'a [&'a [f32]], y: &'a [f32]) -> Result<Self, Error> {
        check_nonempty(y.len(), cols.len())?;
        for c in cols {
            check_len(What::X, y.len(), c.len())?;
        }
        Ok(ColSlices { cols, y })
    }

    /// Number of samples.
    ///
    /// # Example
    /// ```
    /// let cols = [&[1.0, 2.0][..]];
    /// assert_eq!(steepest::ColSlices::new(&cols, &[0.0, 1.0])?.n(), 2);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn n(&self) -> usize {
        self.y.len()
    }

    /// Number of features.
    ///
    /// # Example
    /// ```
    /// let cols = [&[1.0][..], &[2.0][..]];
    /// assert_eq!(steepest::ColSlices::new(&cols, &[0.0])?.d(), 2);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn d(&self) -> usize {
        self.cols.len()
    }

    /// The targets.
    ///
    /// # Example
    /// ```
    /// let cols = [&[1.0][..]];
    /// assert_eq!(steepest::ColSlices::new(&cols, &[5.0])?.y(), &[5.0]);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn y(&self) -> &'a [f32] {
        self.y
    }

    /// Feature `j`'s `n` values, or `None` if `j ≥ d`.
    ///
    /// # Example
    /// ```
    /// let cols = [&[1.0][..], &[2.0][..]];
    /// let data = steepest::ColSlices::new(&cols, &[0.0])?;
    /// assert_eq!((data.column(1), data.column(2)), (Some(&[2.0][..]), None));
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn column(&self, j: usize) -> Option<&'a [f32]> {
        self.cols.get(j).copied()
    }

    /// The columns in feature order.
    ///
    /// # Example
    /// ```
    /// let cols = [&[1.0][..], &[2.0][..]];
    /// let data = steepest::ColSlices::new(&cols, &[0.0])?;
    /// assert_eq!(data.columns().count(), 2);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn columns(&self) -> impl Iterator<Item = &'a [f32]> + Clone + 'a {
        self.cols.iter().copied()
    }

    /// Checks that every value of the columns and of `y` is finite, in O(n·d).
    ///
    /// # Errors
    /// [`Error::NonFiniteData`] naming the first non-finite value, column by column.
    ///
    /// # Example
    /// ```
    /// use steepest::{ColSlices, Error, What};
    /// let cols = [&[1.0, f32::NAN][..]];
    /// let data = ColSlices::new(&cols, &[0.0, 0.0])?;
    /// assert_eq!(data.check_finite(), Err(Error::NonFiniteData { what: What::X, row: 1, col: 0 }));
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn check_finite(&self) -> Result<(), Error> {
        super::check_columns_finite(self.columns(), self.y)
    }
}
