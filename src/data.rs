//! Borrowed, validated views of a data set: the only place where shapes are checked.
//!
//! A view is built once with `new`, which checks every length; the kernels downstream take the
//! view and can then not fail on shape. Nothing is copied.

use core::ops::Range;

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

    /// The view of the samples in `rows`; see [`RowMajor::rows`].
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
        for (col, column) in self.columns().enumerate() {
            if let Some(row) = column.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFiniteData {
                    what: What::X,
                    row,
                    col,
                });
            }
        }
        match self.y.iter().position(|v| !v.is_finite()) {
            Some(row) => Err(Error::NonFiniteData {
                what: What::Y,
                row,
                col: 0,
            }),
            None => Ok(()),
        }
    }
}

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

fn check_nonempty(n: usize, d: usize) -> Result<(), Error> {
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
