//! The model file: JSON with everything `predict` needs and what produced it.

use serde::{Deserialize, Serialize};

use crate::{ScheduleKind, Solver, UpdateRule};

/// What `steepest fit --output` writes.
#[derive(Serialize, Deserialize, Debug)]
pub struct ModelFile {
    /// Always "steepest linear model".
    pub format: String,
    /// The version of the tool that wrote it.
    pub version: String,
    /// The features, in the order of `weights`.
    pub features: Vec<String>,
    /// The target's name.
    pub target: String,
    /// One weight per feature, in the original units.
    pub weights: Vec<f32>,
    /// The intercept, in the original units.
    pub intercept: f32,
    /// The standardisation the fit ran in (training rows' mean and standard deviation), if any.
    pub standardization: Option<Standardization>,
    /// How it was fitted.
    pub fit: FitInfo,
}

/// Per-feature mean and standard deviation.
#[derive(Serialize, Deserialize, Debug)]
pub struct Standardization {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

/// The fit's settings and outcome.
#[derive(Serialize, Deserialize, Debug)]
pub struct FitInfo {
    pub solver: Solver,
    pub update: Option<UpdateRule>,
    pub schedule: Option<ScheduleKind>,
    pub rate: f64,
    pub epochs: usize,
    pub stopped: String,
    pub tol: f64,
    pub seed: u64,
    pub test_fraction: f64,
    pub rows: usize,
    pub train_rows: usize,
    pub test_rows: usize,
}

pub const FORMAT: &str = "steepest linear model";
