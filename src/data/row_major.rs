//! The row-major view.

use core::ops::Range;

use super::{check_len, check_nonempty};
use crate::error::{Error, What};

/// Row-major (sample-major) features: sample `i`, feature `j` is `x[i*d + j]`.
///
/// # Example
/// ```
/// use steepest::RowMajor;
/// let x = [1.0, 10.0, 2.0, 20.0, 3.0, 30.0]; // 3 samples, 2 features
/// let y = [1.0, 2.0, 3.0];
/// let data = RowMajor::new(&x, &y, 3, 2)?;
/// assert_eq!((data.n(), data.d()), (3, 2));
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RowMajor<'a> {
    x: &'a [f32],
    y: &'a [f32],
    n: usize,
    d: usize,
}

impl<'a> RowMajor<'a> {
    /// A view of `n` samples with `d` features each.
    ///
    /// # Errors
    /// [`Error::Empty`] if `n` or `d` is zero, [`Error::Overflow`] if `n·d` overflows,
    /// [`Error::Length`] if `x.len() != n·d` or `y.len() != n`.
    ///
    /// # Example
    /// ```
    /// use steepest::RowMajor;
    /// let data = RowMajor::new(&[1.0, 10.0, 2.0, 20.0, 3.0, 30.0], &[1.0, 2.0, 3.0], 3, 2)?;
    /// assert_eq!(data.x()[2], 2.0); // sample 1, feature 0
    /// assert!(RowMajor::new(&[1.0, 2.0, 3.0], &[1.0, 2.0], 2, 2).is_err()); // x needs 4 values
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn new(x: &'a [f32], y: &'a [f32], n: usize, d: usize) -> Result<Self, Error> {
        check_nonempty(n, d)?;
        let len = n.checked_mul(d).ok_or(Error::Overflow)?;
        check_len(What::X, len, x.len())?;
        check_len(What::Y, n, y.len())?;
        Ok(RowMajor { x, y, n, d })
    }

    /// Number of samples.
    ///
    /// # Example
    /// ```
    /// use steepest::RowMajor;
    /// let data = RowMajor::new(&[1.0, 10.0, 2.0, 20.0, 3.0, 30.0], &[1.0, 2.0, 3.0], 3, 2)?;
    /// assert_eq!(data.n(), 3);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of features.
    ///
    /// # Example
    /// ```
    /// use steepest::RowMajor;
    /// let data = RowMajor::new(&[1.0, 10.0, 2.0, 20.0, 3.0, 30.0], &[1.0, 2.0, 3.0], 3, 2)?;
    /// assert_eq!(data.d(), 2);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn d(&self) -> usize {
        self.d
    }

    /// The features, `n·d` values, sample by sample.
    ///
    /// # Example
    /// ```
    /// use steepest::RowMajor;
    /// let data = RowMajor::new(&[1.0, 10.0, 2.0, 20.0, 3.0, 30.0], &[1.0, 2.0, 3.0], 3, 2)?;
    /// assert_eq!(data.x(), &[1.0, 10.0, 2.0, 20.0, 3.0, 30.0]);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn x(&self) -> &'a [f32] {
        self.x
    }

    /// The targets, `n` values.
    ///
    /// # Example
    /// ```
    /// use steepest::RowMajor;
    /// let data = RowMajor::new(&[1.0, 10.0, 2.0, 20.0, 3.0, 30.0], &[1.0, 2.0, 3.0], 3, 2)?;
    /// assert_eq!(data.y(), &[1.0, 2.0, 3.0]);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn y(&self) -> &'a [f32] {
        self.y
    }

    /// The view of the samples in `rows`, for splitting a pass into chunks whose partial sums
    /// are merged (see [`Sums::merge`](crate::Sums::merge)).
    ///
    /// # Errors
    /// [`Error::RowRange`] if `rows` is empty or reaches past `n`.
    ///
    /// # Example
    /// ```
    /// use steepest::RowMajor;
    /// let data = RowMajor::new(&[1.0, 10.0, 2.0, 20.0, 3.0, 30.0], &[1.0, 2.0, 3.0], 3, 2)?;
    /// let tail = data.rows(1..3)?;
    /// assert_eq!((tail.n(), tail.x()), (2, &[2.0, 20.0, 3.0, 30.0][..]));
    /// assert!(data.rows(2..5).is_err());
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn rows(&self, rows: Range<usize>) -> Result<Self, Error> {
        let (start, end) = (rows.start, rows.end);
        let bad = Error::RowRange {
            start,
            end,
            n: self.n,
        };
        if start >= end || end > self.n {
            return Err(bad);
        }
        // In range: start < end <= n and n·d fits, so neither product overflows.
        let x = self.x.get(start * self.d..end * self.d).ok_or(bad)?;
        let y = self.y.get(rows).ok_or(bad)?;
        Ok(RowMajor {
            x,
            y,
            n: end - start,
            d: self.d,
        })
    }

    /// Checks that every value of `x` and `y` is finite, in O(n·d).
    ///
    /// The kernels detect non-finite data anyway (a NaN or ∞ anywhere makes the loss
    /// non-finite); this check says where it is.
    ///
    /// # Errors
    /// [`Error::NonFiniteData`] naming the first row (and column) that holds NaN or ±∞.
    ///
    /// # Example
    /// ```
    /// use steepest::{Error, RowMajor, What};
    /// let data = RowMajor::new(&[1.0, 2.0, f32::NAN, 4.0], &[1.0, 2.0], 2, 2)?;
    /// assert_eq!(data.check_finite(), Err(Error::NonFiniteData { what: What::X, row: 1, col: 0 }));
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn check_finite(&self) -> Result<(), Error> {
        for (row, (xs, y)) in self.x.chunks_exact(self.d.max(1)).zip(self.y).enumerate() {
            if let Some(col) = xs.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFiniteData {
                    what: What::X,
                    row,
                    col,
                });
            }
            if !y.is_finite() {
                return Err(Error::NonFiniteData {
                    what: What::Y,
                    row,
                    col: 0,
                });
            }
        }
        Ok(())
    }
}
