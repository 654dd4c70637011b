//! The column-major view.

use core::ops::Range;

use super::{check_len, check_nonempty};
use crate::error::{Error, What};

/// Column-major (feature-major) features with a leading dimension: sample `i`, feature `j` is
/// `x[j*ld + i]`, with `ld ≥ n`.
///
/// A leading dimension larger than `n` lets columns be padded; a power-of-two stride makes
/// every column map to the same cache sets, so pad it (for example to `n` rounded up to a
/// multiple of 16, plus 16) when `d` is more than a few.
///
/// # Example
/// ```
/// use steepest::ColMajor;
/// // 3 samples, 2 features, columns padded to a stride of 4
/// let x = [1.0, 2.0, 3.0, 0.0, 10.0, 20.0, 30.0, 0.0];
/// let y = [1.0, 2.0, 3.0];
/// let data = ColMajor::new(&x, &y, 3, 2, 4)?;
/// assert_eq!(data.column(1), Some(&[10.0, 20.0, 30.0][..]));
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColMajor<'a> {
    /// Exactly `(d−1)·ld + n` values, so every column `x[j*ld..j*ld+n]` is in bounds.
    x: &'a [f32],
    y: &'a [f32],
    n: usize,
    d: usize,
    ld: usize,
}

impl<'a> ColMajor<'a> {
    /// A view of `n` samples with `d` features stored column by column, `ld` apart.
    ///
    /// `x` may stop right after the last column's `n` values or include its padding:
    /// `(d−1)·ld + n ≤ x.len() ≤ d·ld`.
    ///
    /// # Errors
    /// [`Error::Empty`] if `n` or `d` is zero, [`Error::LeadingDimension`] if `ld < n`,
    /// [`Error::Overflow`] if `d·ld` overflows, [`Error::Length`] if `x.len()` is outside
    /// the range above or `y.len() != n`.
    ///
    /// # Example
    /// ```
    /// use steepest::ColMajor;
    /// // 3 samples, 2 features, columns 4 apart
    /// let data = ColMajor::new(&[1.0, 2.0, 3.0, 0.0, 10.0, 20.0, 30.0], &[1.0, 2.0, 3.0], 3, 2, 4)?;
    /// assert_eq!(data.column(0), Some(&[1.0, 2.0, 3.0][..]));
    /// assert!(ColMajor::new(&[1.0; 7], &[1.0; 3], 3, 2, 2).is_err()); // ld < n
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn new(x: &'a [f32], y: &'a [f32], n: usize, d: usize, ld: usize) -> Result<Self, Error> {
        check_nonempty(n, d)?;
        if ld < n {
            return Err(Error::LeadingDimension { ld, n });
        }
        let full = d.checked_mul(ld).ok_or(Error::Overflow)?;
        // (d−1)·ld + n = d·ld − (ld − n) ≥ 0 because n ≤ ld ≤ d·ld: never `None`.
        let least = ld
            .checked_sub(n)
            .and_then(|pad| full.checked_sub(pad))
            .ok_or(Error::Overflow)?;
        if x.len() < least || x.len() > full {
            return Err(Error::Length {
                what: What::X,
                expected: least,
                found: x.len(),
            });
        }
        check_len(What::Y, n, y.len())?;
        let x = x.get(..least).ok_or(Error::Overflow)?;
        Ok(ColMajor { x, y, n, d, ld })
    }

    /// Number of samples.
    ///
    /// # Example
    /// ```
    /// use steepest::ColMajor;
    /// // 3 samples, 2 features, columns 4 apart
    /// let data = ColMajor::new(&[1.0, 2.0, 3.0, 0.0, 10.0, 20.0, 30.0], &[1.0, 2.0, 3.0], 3, 2, 4)?;
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
    /// use steepest::ColMajor;
    /// // 3 samples, 2 features, columns 4 apart
    /// let data = ColMajor::new(&[1.0, 2.0, 3.0, 0.0, 10.0, 20.0, 30.0], &[1.0, 2.0, 3.0], 3, 2, 4)?;
    /// assert_eq!(data.d(), 2);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn d(&self) -> usize {
        self.d
    }

    /// The column stride.
    ///
    /// # Example
    /// ```
    /// use steepest::ColMajor;
    /// // 3 samples, 2 features, columns 4 apart
    /// let data = ColMajor::new(&[1.0, 2.0, 3.0, 0.0, 10.0, 20.0, 30.0], &[1.0, 2.0, 3.0], 3, 2, 4)?;
    /// assert_eq!(data.ld(), 4);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn ld(&self) -> usize {
        self.ld
    }

    /// The targets, `n` values.
    ///
    /// # Example
    /// ```
    /// use steepest::ColMajor;
    /// // 3 samples, 2 features, columns 4 apart
    /// let data = ColMajor::new(&[1.0, 2.0, 3.0, 0.0, 10.0, 20.0, 30.0], &[1.0, 2.0, 3.0], 3, 2, 4)?;
    /// assert_eq!(data.y(), &[1.0, 2.0, 3.0]);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn y(&self) -> &'a [f32] {
        self.y
    }

    /// The stored values: `(d−1)·ld + n` of them, column `j` at `j·ld`.
    ///
    /// # Example
    /// ```
    /// use steepest::ColMajor;
    /// // 3 samples, 2 features, columns 4 apart
    /// let data = ColMajor::new(&[1.0, 2.0, 3.0, 0.0, 10.0, 20.0, 30.0], &[1.0, 2.0, 3.0], 3, 2, 4)?;
    /// assert_eq!(data.x_values().len(), 7); // (d − 1)·ld + n
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn x_values(&self) -> &'a [f32] {
        self.x
    }

    /// Feature `j` of every sample (`n` values), or `None` if `j ≥ d`.
    ///
    /// # Example
    /// ```
    /// use steepest::ColMajor;
    /// // 3 samples, 2 features, columns 4 apart
    /// let data = ColMajor::new(&[1.0, 2.0, 3.0, 0.0, 10.0, 20.0, 30.0], &[1.0, 2.0, 3.0], 3, 2, 4)?;
    /// assert_eq!(data.column(1), Some(&[10.0, 20.0, 30.0][..]));
    /// assert_eq!(data.column(2), None);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn column(&self, j: usize) -> Option<&'a [f32]> {
        if j >= self.d {
            return None;
        }
        // j < d, so j·ld + n ≤ (d−1)·ld + n = x.len(): no overflow.
        let start = j * self.ld;
        self.x.get(start..start + self.n)
    }

    /// The columns in order, each `n` values.
    ///
    /// # Example
    /// ```
    /// use steepest::ColMajor;
    /// // 3 samples, 2 features, columns 4 apart
    /// let data = ColMajor::new(&[1.0, 2.0, 3.0, 0.0, 10.0, 20.0, 30.0], &[1.0, 2.0, 3.0], 3, 2, 4)?;
    /// let sums: Vec<f32> = data.columns().map(|c| c.iter().sum()).collect();
    /// assert_eq!(sums, [6.0, 60.0]);
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn columns(&self) -> impl Iterator<Item = &'a [f32]> + Clone + 'a {
        let (x, n, ld) = (self.x, self.n, self.ld);
        (0..self.d).filter_map(move |j| x.get(j * ld..j * ld + n))
    }

    /// The view of the samples in `rows`; see [`RowMajor::rows`](crate::RowMajor::rows).
    ///
    /// # Errors
    /// [`Error::RowRange`] if `rows` is empty or reaches past `n`.
    ///
    /// # Example
    /// ```
    /// use steepest::ColMajor;
    /// // 3 samples, 2 features, columns 4 apart
    /// let data = ColMajor::new(&[1.0, 2.0, 3.0, 0.0, 10.0, 20.0, 30.0], &[1.0, 2.0, 3.0], 3, 2, 4)?;
    /// let head = data.rows(0..2)?;
    /// assert_eq!(head.column(1), Some(&[10.0, 20.0][..]));
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
        let n = end - start;
        let least = (self.d - 1) * self.ld + n;
        let x = self.x.get(start..start + least).ok_or(bad)?;
        let y = self.y.get(rows).ok_or(bad)?;
        Ok(ColMajor {
            x,
            y,
            n,
            d: self.d,
            ld: self.ld,
        })
    }

    /// Checks that every value of `x` (padding excluded) and `y` is finite, in O(n·d).
    ///
    /// # Errors
    /// [`Error::NonFiniteData`] naming the first non-finite value, column by column.
    ///
    /// # Example
    /// ```
    /// use steepest::{ColMajor, Error, What};
    /// let data = ColMajor::new(&[1.0, 2.0, 3.0, f32::INFINITY], &[1.0, 2.0], 2, 2, 2)?;
    /// assert_eq!(data.check_finite(), Err(Error::NonFiniteData { what: What::X, row: 1, col: 1 }));
    /// # Ok::<(), steepest::Error>(())
    /// ```
    pub fn check_finite(&self) -> Result<(), Error> {
        super::check_columns_finite(self.columns(), self.y)
    }
}
