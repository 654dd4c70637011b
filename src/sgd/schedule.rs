//! Learning-rate schedules: `η_t` as a function of the step counter `t` (steps taken so far).

/// A learning-rate schedule.
///
/// `rate(t)` is the step size for the update that follows `t` earlier updates. The stepper
/// checks that it is finite and positive before using it.
pub trait Schedule {
    /// The learning rate for step `t` (0-based).
    fn rate(&self, t: u64) -> f32;
}

/// A constant learning rate `η_t = η` (the seed's).
///
/// Memory: the one `f32`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant(pub f32);

impl Schedule for Constant {
    #[inline]
    fn rate(&self, _t: u64) -> f32 {
        self.0
    }
}
