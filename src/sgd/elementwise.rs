//! The driver shared by the update rules: a rule written once as a function of one
//! parameter ([`Elementwise::elem`]) runs on `f32x8` lanes and on scalars, so the SIMD body
//! and the scalar tail compute the same bits, and is applied all or nothing (every new value
//! is checked finite before any is written). Square roots go through `libm::sqrtf` lane by
//! lane (correctly rounded, the same bits on every target).

use core::array;
use core::ops::{Add, Div, Mul, Sub};

use wide::f32x8;

use super::grad::Grad;
use crate::error::{Error, What};

/// The arithmetic a rule needs, on one value (`f32`) or eight (`f32x8`).
pub(crate) trait Lane:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    /// The value in every lane.
    fn splat(v: f32) -> Self;
    /// Correctly rounded square root, lane by lane.
    fn sqrt(self) -> Self;
}

impl Lane for f32 {
    #[inline(always)]
    fn splat(v: f32) -> Self {
        v
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        libm::sqrtf(self)
    }
}

impl Lane for f32x8 {
    #[inline(always)]
    fn splat(v: f32) -> Self {
        f32x8::splat(v)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32x8::new(crate::kernels::lanes::amap(self.to_array(), libm::sqrtf))
    }
}

/// A rule written once for lanes and scalars: new parameter and state from the old ones.
pub(crate) trait Elementwise<const S: usize> {
    /// One parameter: `theta` its value, `g` its raw gradient (`2r·x`, or `2r` for the bias),
    /// `st` its state; `weight` is false for the bias (no weight decay on it).
    fn elem<T: Lane>(&self, theta: T, g: T, st: [T; S], weight: bool) -> (T, [T; S]);
}

/// Runs `rule` over every parameter; with `write == false` only reports whether every new
/// value (parameters and state) is finite. `states` hold `d + 1` values each, the bias last.
#[inline(always)]
fn drive<E: Elementwise<S>, const S: usize>(
    rule: &E,
    w: &mut [f32],
    b: &mut f32,
    grad: Grad<'_>,
    states: &mut [&mut [f32]; S],
    write: bool,
) -> bool {
    let mut probe = f32x8::ZERO;
    let mut scalar_probe = 0.0f32;
    let d = w.len();
    let (wc, wt) = w.as_chunks_mut::<8>();
    // Each component of the gradient (g·x for a sample, rounded from its f64 sum for a batch)
    // is formed as the scalar path forms it, eight at a time.
    let mut gs = grad.weights();
    for (c, wv) in wc.iter_mut().enumerate() {
        let gw = f32x8::new(array::from_fn(|_| gs.next().unwrap_or(0.0)));
        let st: [f32x8; S] = array::from_fn(|s| {
            states
                .get(s)
                .and_then(|v| v.get(8 * c..8 * c + 8))
                .and_then(|v| <&[f32; 8]>::try_from(v).ok())
                .map_or(f32x8::ZERO, |a| f32x8::new(*a))
        });
        let (nw, ns) = rule.elem(f32x8::new(*wv), gw, st, true);
        probe += nw * 0.0;
        for v in ns {
            probe += v * 0.0;
        }
        if write {
            *wv = nw.to_array();
            for (state, v) in states.iter_mut().zip(ns) {
                if let Some(dst) = state.get_mut(8 * c..8 * c + 8) {
                    dst.copy_from_slice(v.as_array());
                }
            }
        }
    }
    let c8 = 8 * wc.len();
    let mut one = |theta: &mut f32, gj: f32, j: usize, weight: bool| {
        let st: [f32; S] =
            array::from_fn(|s| states.get(s).and_then(|v| v.get(j)).copied().unwrap_or(0.0));
        let (nt, ns) = rule.elem(*theta, gj, st, weight);
        scalar_probe += nt * 0.0;
        for v in ns {
            scalar_probe += v * 0.0;
        }
        if write {
            *theta = nt;
            for (state, v) in states.iter_mut().zip(ns) {
                if let Some(dst) = state.get_mut(j) {
                    *dst = v;
                }
            }
        }
    };
    // Indices from a range, not `enumerate`: nothing here can overflow (the build with
    // overflow checks in `ci/no_std_check` proves it).
    for (j, (wj, gj)) in (c8..d).zip(wt.iter_mut().zip(gs)) {
        one(wj, gj, j, true);
    }
    one(b, grad.bias(), d, false);
    scalar_probe == 0.0 && probe.to_array().iter().all(|v| *v == 0.0)
}

/// Checks the rule's state buffers and then applies it all or nothing.
#[inline(always)]
pub(crate) fn apply_checked<E: Elementwise<S>, const S: usize>(
    rule: &E,
    w: &mut [f32],
    b: &mut f32,
    grad: Grad<'_>,
    states: &mut [&mut [f32]; S],
    t: u64,
) -> Result<(), Error> {
    if !drive(rule, w, b, grad, states, false) {
        return Err(Error::Rejected { step: t });
    }
    drive(rule, w, b, grad, states, true);
    Ok(())
}

struct PlainStep {
    lr: f32,
}

impl Elementwise<0> for PlainStep {
    #[inline(always)]
    fn elem<T: Lane>(&self, theta: T, g: T, st: [T; 0], _weight: bool) -> (T, [T; 0]) {
        (theta - T::splat(self.lr) * g, st)
    }
}

/// Plain SGD for any gradient kind (the contiguous-sample case has its own fast path).
pub(crate) fn plain(
    w: &mut [f32],
    b: &mut f32,
    grad: Grad<'_>,
    lr: f32,
    t: u64,
) -> Result<(), Error> {
    apply_checked(&PlainStep { lr }, w, b, grad, &mut [], t)
}

pub(crate) fn check_len(d: usize, len: usize) -> Result<(), Error> {
    crate::data::check_len(What::State, d + 1, len)
}
