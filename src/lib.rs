//! Linear models `y = X·w + b` fitted by gradient descent on the mean squared error, in f32,
//! with no heap, no `unsafe` and no panics.
//!
//! * **Fused full-batch kernel** ([`kernels::simd`]): one read of the data gives the
//!   residuals, the loss `Σ rᵢ²`, and the gradient sums `Σ rᵢ·xᵢ` and `Σ rᵢ`, hand-vectorised
//!   with `wide::f32x8` for row-major and column-major data. A BLAS user needs two passes
//!   (`X·w`, then `Xᵀ·r`) and an `n`-length temporary for the same.
//! * **Scalar reference** ([`kernels::reference`]): plain loops with the same signatures, the
//!   definition of every result; [`kernels::bound`] is the written error bound the two are
//!   held to.
//! * **Gradient descent** ([`GradientDescent`]): learning rate, epochs, tolerance, a
//!   per-epoch observer that can stop the run, and typed errors on divergence.
//! * **Borrowed, validated data** ([`RowMajor`], [`ColMajor`] with a leading dimension):
//!   shapes are checked once, in the constructor; nothing is copied.
//! * **Mergeable partial sums** ([`Sums::merge`], [`merge_gradient`]): split rows into
//!   chunks, threads or machines and add the parts.
//!
//! # Example
//! ```
//! use steepest::{GradientDescent, RowMajor};
//! // the worked example: y = 2x at four points
//! let x = [1.0, 2.0, 3.0, 4.0];
//! let y = [2.0, 4.0, 6.0, 8.0];
//! let data = RowMajor::new(&x, &y, 4, 1)?;
//! let (mut w, mut b) = ([0.0f32], 0.0f32);
//! let mut grad = [0.0f64]; // scratch for the gradient sums: d values
//! let gd = GradientDescent { learning_rate: 0.05, max_epochs: 2000, tolerance: Some(1e-12) };
//! let report = gd.fit(&data.into(), &mut w, &mut b, &mut grad)?;
//! assert!((w[0] - 2.0).abs() < 1e-3 && b.abs() < 1e-2 && report.loss < 1e-5);
//! # Ok::<(), steepest::Error>(())
//! ```
//!
//! # Floating-point contract
//! In the default build, the same input gives the same result bits on every target and with
//! any target features (x86_64 with or without AVX/FMA, a Cortex-M4F, …):
//! * lane-wise `*` then `+`, never a fused multiply-add (Rust never contracts `a*b + c`);
//! * horizontal sums in one written-out order, never `wide`'s `reduce_add` (whose order
//!   depends on the backend);
//! * f32 partial sums folded into f64 at fixed points (every tile of rows), and updates
//!   computed in f64 from those sums: IEEE f64 is exact-rounding everywhere, in hardware or
//!   in software;
//! * the SIMD width is `wide`'s `f32x8` in every build; only data movement (a transpose with
//!   AVX, lane-by-lane without) differs, never the arithmetic.
//!
//! The opt-in feature `fma` uses fused multiply-adds in the kernels: fewer roundings and
//! faster on FMA hardware, but the bits then depend on the build.
//!
//! The two layouts add in different orders, so for `d ≥ 8` their results differ in the last
//! bits (within [`kernels::bound`]); for `d < 8` they are identical.
//!
//! # Errors and panics
//! Every fallible function returns [`Error`], which says what was wrong and where. Library
//! code has no reachable `panic!`, `unwrap`, `expect` or out-of-bounds indexing (clippy's
//! lints deny them), and an error never leaves the caller's parameters half-updated.
//!
//! # Memory
//! Nothing allocates. The gradient driver needs a caller-provided `&mut [f64]` of `d` values;
//! the kernels use at most about 9 KiB of stack on 64-bit targets (the column-major tile for
//! `d > 8`; 1 KiB elsewhere).
//!
//! # Features
//! * `std` (off): nothing beyond `core` is needed; the feature exists for crates that
//!   forward a `std` feature uniformly.
//! * `fma` (off): fused multiply-add in the kernels, giving up cross-build bit identity.
//! * `parallel` (off; implies `std`, adds rayon): [`parallel`] runs the fused pass and the
//!   feature statistics on all cores with the serial result bits for every thread count, and
//!   `GradientDescent`, `Regression` and `stats::moments` use it.

#![no_std]
#![forbid(unsafe_code)]
// Every public item is documented, with `# Errors` where it can fail; `ci/doc_check` checks
// on nightly that each also has an example.
#![deny(missing_docs, clippy::missing_errors_doc)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[cfg(feature = "std")]
extern crate std;

mod data;
mod error;
mod gd;
pub mod kernels;
mod model;
#[cfg(feature = "parallel")]
pub mod parallel;
mod passes;
pub mod regression;
pub mod sgd;
pub mod shuffle;
pub mod stats;

pub use data::{ColMajor, ColSlices, Dataset, RowMajor};
pub use error::{Error, What};
pub use gd::{Control, Epoch, GradientDescent, Report, StopReason};
pub use kernels::{Sums, merge_gradient};
pub use model::{LinearModel, Scores};
pub use passes::Passes;
pub use shuffle::{bounded_u32, bounded_u64, permutation, shuffle, shuffle_rows};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
