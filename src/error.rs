//! The crate's one error type.

use core::fmt;

/// Which argument or quantity an [`Error`] is about.
///
/// # Example
/// ```
/// use steepest::{Error, RowMajor, What};
/// let err = RowMajor::new(&[1.0, 2.0], &[1.0], 1, 3).unwrap_err();
/// assert_eq!(err, Error::Length { what: What::X, expected: 3, found: 2 });
/// assert_eq!(What::X.to_string(), "x");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum What {
    /// The feature matrix `x`.
    X,
    /// The targets `y`.
    Y,
    /// The weight vector `w`.
    Weights,
    /// The caller's gradient buffer.
    Gradient,
    /// The number of samples `n`.
    Rows,
    /// The number of features `d`.
    Features,
    /// The column stride (leading dimension) of a column-major matrix.
    LeadingDimension,
    /// A row range asked of a data view.
    RowRange,
    /// The loss `Σ r²` of a pass.
    Loss,
    /// The bias `b`.
    Bias,
    /// The learning rate.
    LearningRate,
    /// The convergence tolerance.
    Tolerance,
    /// The caller's buffer for an epoch's visiting order.
    Order,
    /// An update rule's state buffer.
    State,
    /// A caller-provided scratch buffer.
    Scratch,
    /// The mini-batch size `B`.
    BatchSize,
    /// A schedule's regularisation strength `α`.
    Alpha,
    /// A schedule's offset or other setting.
    Schedule,
}

impl fmt::Display for What {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            What::X => "x",
            What::Y => "y",
            What::Weights => "weights",
            What::Gradient => "gradient buffer",
            What::Rows => "number of rows n",
            What::Features => "number of features d",
            What::LeadingDimension => "leading dimension ld",
            What::RowRange => "row range",
            What::Loss => "loss",
            What::Bias => "bias",
            What::LearningRate => "learning rate",
            What::Tolerance => "tolerance",
            What::Order => "order buffer",
            What::State => "optimizer state",
            What::Scratch => "scratch buffer",
            What::BatchSize => "batch size B",
            What::Alpha => "alpha",
            What::Schedule => "schedule setting",
        })
    }
}

/// Everything that can go wrong, with what was wrong and where.
///
/// Every fallible function of the crate returns this type; none panics. An error never leaves
/// the caller's model half-updated: see each function's `# Errors` section for the state it
/// leaves behind.
///
/// # Example
/// ```
/// use steepest::{Error, GradientDescent, RowMajor, What};
/// let data = RowMajor::new(&[1.0, 2.0], &[2.0, f32::NAN], 2, 1)?;
/// let (mut w, mut b) = ([0.0f32], 0.0f32);
/// let err = GradientDescent::default().fit(&data.into(), &mut w, &mut b, &mut [0.0]).unwrap_err();
/// assert_eq!(err, Error::NonFiniteData { what: What::Y, row: 1, col: 0 });
/// assert_eq!(err.to_string(), "y is not finite at row 1, column 0");
/// assert_eq!((w, b), ([0.0], 0.0)); // nothing was changed
/// # Ok::<(), steepest::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A slice does not have the length the shape requires.
    Length {
        /// The slice.
        what: What,
        /// The length the shape requires (for `x` of a column-major view: the least one).
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// `n == 0` or `d == 0`: there is nothing to fit.
    Empty(What),
    /// `n·d` (or `(d−1)·ld + n`) does not fit in `usize`.
    Overflow,
    /// A column-major leading dimension smaller than the number of rows.
    LeadingDimension {
        /// The leading dimension given.
        ld: usize,
        /// The number of rows, the least it may be.
        n: usize,
    },
    /// A row range outside the view, or empty.
    RowRange {
        /// First row asked for.
        start: usize,
        /// One past the last row asked for.
        end: usize,
        /// Rows in the view.
        n: usize,
    },
    /// A non-finite value (NaN or ±∞) in the data, found by a finiteness check.
    NonFiniteData {
        /// `What::X` or `What::Y`.
        what: What,
        /// The sample (row) index.
        row: usize,
        /// The feature index (0 for `y`).
        col: usize,
    },
    /// A pass produced a non-finite loss or gradient: the data hold NaN/∞, or the values
    /// overflow `f32` at these parameters.
    NonFinite(What),
    /// A parameter is not finite, or a configuration value is out of its range (for example a
    /// learning rate that is not finite and positive).
    InvalidParameter {
        /// Which parameter.
        what: What,
        /// Its value, widened to f64.
        value: f64,
    },
    /// An SGD update was rejected because a parameter would have become non-finite; the
    /// model and the optimizer state are exactly as before the step.
    Rejected {
        /// The step counter of the rejected update.
        step: u64,
    },
    /// The operation is not defined for this configuration; the message says why.
    Unsupported(&'static str),
    /// The normal equations of a least-squares problem are singular at f64 precision: the
    /// features (with the constant column of the bias) are linearly dependent.
    Singular,
    /// A learning-rate schedule gives, at step `step`, a rate that is not a positive normal
    /// float (it decayed to zero, underflowed, overflowed or is NaN). The check runs before an
    /// epoch, batch or step writes anything.
    Schedule {
        /// The first step whose rate is unusable.
        step: u64,
        /// That rate, widened to f64.
        rate: f64,
    },
    /// The step counter cannot count the updates asked for: `steps + updates` overflows `u64`.
    /// Nothing was written.
    StepCounter {
        /// The counter's value.
        steps: u64,
        /// The updates the call would make.
        updates: u64,
    },
    /// The fit diverged. Gradient descent: at this epoch the loss or the gradient became
    /// non-finite, the update would have made a parameter non-finite, or the loss grew by more
    /// than its rounding bound (which a stable step size never does); the model holds the
    /// parameters in force at the start of that epoch. SGD's `fit`: the epoch loss exceeded
    /// the first epoch's by the factor its docs give.
    Diverged {
        /// The 1-based epoch at which it happened.
        epoch: usize,
        /// What became non-finite.
        what: What,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Length {
                what,
                expected,
                found,
            } => write!(
                f,
                "{what} has length {found}, the shape requires {expected}"
            ),
            Error::Empty(what) => write!(f, "{what} is zero: nothing to fit"),
            Error::Overflow => f.write_str("the data shape overflows usize"),
            Error::LeadingDimension { ld, n } => {
                write!(f, "leading dimension {ld} is smaller than the {n} rows")
            }
            Error::RowRange { start, end, n } => {
                write!(f, "row range {start}..{end} is empty or outside 0..{n}")
            }
            Error::NonFiniteData { what, row, col } => {
                write!(f, "{what} is not finite at row {row}, column {col}")
            }
            Error::NonFinite(what) => write!(
                f,
                "the {what} is not finite: the data hold NaN/inf or overflow f32 at these parameters"
            ),
            Error::InvalidParameter { what, value } => match what {
                What::LearningRate => write!(
                    f,
                    "invalid learning rate {value}: it must be a positive normal float (finite, \
                     and not so small that a step cannot move a parameter)"
                ),
                _ => write!(f, "invalid {what}: {value}"),
            },
            Error::Rejected { step } => write!(
                f,
                "update {step} rejected: a parameter would have become non-finite; the model is unchanged"
            ),
            Error::Unsupported(why) => write!(f, "unsupported: {why}"),
            Error::Singular => f.write_str(
                "the normal equations are singular: the features (and the bias) are linearly dependent",
            ),
            Error::Schedule { step, rate } => write!(
                f,
                "the learning-rate schedule gives rate {rate} at step {step}: not a positive \
                 normal float (it decayed to zero or overflowed); nothing was written"
            ),
            Error::StepCounter { steps, updates } => write!(
                f,
                "the step counter {steps} cannot take {updates} more updates without overflowing; \
                 nothing was written"
            ),
            Error::Diverged { epoch, what } => write!(
                f,
                "diverged at epoch {epoch}: the {what} became non-finite or grew; the model holds \
                 the parameters from before that epoch's update"
            ),
        }
    }
}

impl core::error::Error for Error {}
