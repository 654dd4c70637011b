//! The stepper's residual, and the plain-SGD epoch over row-major data with the weights in
//! registers.
//!
//! An SGD update is bound by latency (`w → dot → r → w`), not bandwidth, so the stepper forms
//! its residual with the shortest chain that still has one written order:
//! `r = p + (b − y)`, `p` the dot product started from the first product (not from `0.0`)
//! and, for rows of 8 features or more, summed chunk by chunk in `f32x8` lanes and then
//! across the lanes in [`tree8`]'s order ([`row_residual`]); column-major samples and rows of
//! fewer than 8 features add the products in feature order ([`seq_residual`]). `b − y` is
//! ready before `p`, so only one addition follows the dot product. Within `γ_{d+2}·A` of the
//! exact residual like any order (the reference's `((Σ x·w) + b) − y` included).
//!
//! The epoch keeps `w` in `C` vectors and a [`Tail`] of `d − 8C < 8` weights (`C ≤ 8`) for
//! the whole epoch, which takes the loads and stores of `w` off that chain. The tail's width
//! is a constant where that is cheap (no tail, or `d < 8`, where it is the whole row), so that
//! it too lives in registers. The arithmetic is exactly that of [`Sgd::step`](super::Sgd::step)
//! with [`Plain`](super::Plain), so both give the same bits.

use core::cell::Cell;

use rand_core::Rng;
use wide::f32x8;

use super::grad::Sample;
use super::schedule::{Schedule, usable};
use crate::error::Error;
use crate::kernels::lanes::{load, madd, prefetch, smadd, tree8};
use crate::shuffle::Drawing;

/// Widest row (in 8-wide chunks, plus a tail of up to 7) kept in registers.
pub(crate) const MAX_CHUNKS: usize = 8;

/// How many samples ahead the epoch prefetches each row (and target) it will need, one request
/// per 64-byte line, so that the cache misses of shuffled rows overlap the latency-bound
/// updates in between (a plain early load instead blocks retirement when it misses; 16 ahead
/// is no better).
pub(crate) const AHEAD: usize = 8;

/// How many steps the epoch's shuffle draws ahead of its swaps ([`Drawing`]'s `L`).
const DRAW_LAG: usize = 8;

/// Whether the epoch over rows of `C` full chunks draws its order in the loop of updates
/// ([`Drawing`]) rather than in a pass of its own (x86, 8 and 16 features). In the
/// loop the shuffle's integer chain overlaps the updates' floating-point one, which helps
/// while that chain leaves the core idle; for `d < 8` the loop is short and busy, and for wide
/// rows the order's random lines compete with the rows' own misses.
pub(crate) const fn draws_in_loop(c: usize) -> bool {
    // Measured on x86-64 only; the in-order Cortex-M cores have nothing to overlap.
    cfg!(any(target_arch = "x86", target_arch = "x86_64")) && matches!(c, 1 | 2)
}

/// Prefetches row `i` of row-major `x` (`d` features), one request per 64-byte line, and `y[i]`.
#[inline(always)]
pub(crate) fn prefetch_row(x: &[f32], y: &[f32], d: usize, i: usize) {
    let start = i * d;
    let mut line = start;
    while line < start + d {
        if let Some(v) = x.get(line) {
            prefetch(v);
        }
        line += 16;
    }
    // The last value too: a row that does not start on a line boundary ends on one more line
    // than the stride above reaches.
    for v in [x.get(start + d - 1), y.get(i)].into_iter().flatten() {
        prefetch(v);
    }
}

/// Prefetches sample `i` of column-major `x` (one value per column, `ld` apart) and `y[i]`.
#[inline(always)]
pub(crate) fn prefetch_column_sample(x: &[f32], y: &[f32], d: usize, ld: usize, i: usize) {
    for j in 0..d {
        if let Some(v) = x.get(j * ld + i) {
            prefetch(v);
        }
    }
    if let Some(v) = y.get(i) {
        prefetch(v);
    }
}

/// `p + x₀·w₀ + x₁·w₁ + …`, the products added to `p` one by one in feature order.
#[inline(always)]
fn add_products(x: impl Iterator<Item = f32>, w: &[f32], mut p: f32) -> f32 {
    for (xj, &wj) in x.zip(w) {
        p = smadd(xj, wj, p);
    }
    p
}

/// `x₀·w₀ + x₁·w₁ + …` in feature order, from the first product (0 for no features).
#[inline(always)]
fn seq_dot(mut x: impl Iterator<Item = f32>, w: &[f32]) -> f32 {
    match (x.next(), w.split_first()) {
        (Some(x0), Some((&w0, rest))) => add_products(x, rest, x0 * w0),
        _ => 0.0,
    }
}

/// The stepper's residual of a contiguous sample (see the module docs): chunk products summed
/// lane by lane from the first chunk, [`tree8`] across the lanes, then the tail features in
/// order; `r = p + (b − y)`.
#[inline]
pub(crate) fn row_residual(row: &[f32], w: &[f32], b: f32, y: f32) -> f32 {
    let (wc, wt) = w.as_chunks::<8>();
    let (xc, xt) = row.as_chunks::<8>();
    let mut chunks = xc.iter().zip(wc);
    let p = match chunks.next() {
        Some((x0, w0)) => {
            let mut a = load(x0) * load(w0);
            for (xv, wv) in chunks {
                a = madd(load(xv), load(wv), a);
            }
            add_products(xt.iter().copied(), wt, tree8(a.to_array()))
        }
        None => seq_dot(xt.iter().copied(), wt),
    };
    p + (b - y)
}

/// The stepper's residual of a strided (column-major) sample: the products in feature order
/// from the first; `r = p + (b − y)`. Equal to [`row_residual`] for fewer than 8 features.
#[inline]
pub(crate) fn seq_residual(x: impl Iterator<Item = f32>, w: &[f32], b: f32, y: f32) -> f32 {
    seq_dot(x, w) + (b - y)
}

/// The weights past the last full chunk, as registers.
trait Tail: Copy {
    /// The row's tail, as the update needs it.
    type X<'a>: Copy;
    fn new(w: &[f32]) -> Self;
    fn store(self, w: &mut [f32]);
    /// The row's features past its full chunks, if they have this tail's width.
    fn split(rest: &[f32]) -> Option<Self::X<'_>>;
    /// `p + x₀·w₀ + x₁·w₁ + …` in feature order ([`row_residual`]'s tail).
    fn dot(self, x: Self::X<'_>, p: f32) -> f32;
    /// `x₀·w₀ + x₁·w₁ + …` in feature order, from the first product ([`seq_residual`]).
    fn dot_first(self, x: Self::X<'_>) -> f32;
    /// `w − c·x` weight by weight, and whether every new weight is finite.
    fn update(self, x: Self::X<'_>, c: f32) -> (Self, bool);
}

/// A tail of exactly `T` weights, unrolled.
#[derive(Clone, Copy)]
struct Fixed<const T: usize>([f32; T]);

impl<const T: usize> Tail for Fixed<T> {
    type X<'a> = &'a [f32; T];
    #[inline(always)]
    fn new(w: &[f32]) -> Self {
        Fixed(core::array::from_fn(|j| w.get(j).copied().unwrap_or(0.0)))
    }
    #[inline(always)]
    fn store(self, w: &mut [f32]) {
        for (dst, v) in w.iter_mut().zip(self.0) {
            *dst = v;
        }
    }
    #[inline(always)]
    fn split(rest: &[f32]) -> Option<&[f32; T]> {
        rest.try_into().ok()
    }
    #[inline(always)]
    fn dot(self, x: &[f32; T], p: f32) -> f32 {
        add_products(x.iter().copied(), &self.0, p)
    }
    #[inline(always)]
    fn dot_first(self, x: &[f32; T]) -> f32 {
        seq_dot(x.iter().copied(), &self.0)
    }
    #[inline(always)]
    fn update(self, x: &[f32; T], c: f32) -> (Self, bool) {
        let mut n = self.0;
        let mut probe = 0.0f32;
        for (n, &xj) in n.iter_mut().zip(x) {
            *n -= c * xj;
            probe += *n * 0.0;
        }
        (Fixed(n), probe == 0.0)
    }
}

/// A tail of 1 to 7 weights after full chunks, in the low lanes of one vector (the rest 0).
#[derive(Clone, Copy)]
struct Lanes(f32x8);

impl Tail for Lanes {
    /// The tail features in order, and the same in a vector padded with zeros.
    type X<'a> = (&'a [f32], f32x8);
    #[inline(always)]
    fn new(w: &[f32]) -> Self {
        Lanes(f32x8::new(core::array::from_fn(|j| {
            w.get(j).copied().unwrap_or(0.0)
        })))
    }
    #[inline(always)]
    fn store(self, w: &mut [f32]) {
        for (dst, v) in w.iter_mut().zip(self.0.to_array()) {
            *dst = v;
        }
    }
    #[inline(always)]
    fn split(rest: &[f32]) -> Option<(&[f32], f32x8)> {
        (rest.len() < 8).then(|| {
            let padded = f32x8::new(core::array::from_fn(|j| {
                rest.get(j).copied().unwrap_or(0.0)
            }));
            (rest, padded)
        })
    }
    #[inline(always)]
    fn dot(self, (x, _): (&[f32], f32x8), p: f32) -> f32 {
        add_products(x.iter().copied(), &self.0.to_array(), p)
    }
    #[inline(always)]
    fn dot_first(self, (x, _): (&[f32], f32x8)) -> f32 {
        seq_dot(x.iter().copied(), &self.0.to_array())
    }
    #[inline(always)]
    fn update(self, (_, x): (&[f32], f32x8), c: f32) -> (Self, bool) {
        // The padding lanes stay 0 − c·0 = 0 (a non-finite c is rejected anyway).
        let n = self.0 - f32x8::splat(c) * x;
        (Lanes(n), (n * 0.0).to_array().iter().all(|v| *v == 0.0))
    }
}

/// How the epoch's order gets drawn while the epoch visits it.
trait Order {
    /// One step of the epoch's loop: `order[..=k + AHEAD]` must be final after the call in
    /// visit `k`.
    fn advance(&mut self, order: &[Cell<u32>]);
    /// Completes the order.
    fn finish(self, order: &[Cell<u32>]);
}

/// The order was drawn before the loop.
struct Drawn;

impl Order for Drawn {
    #[inline(always)]
    fn advance(&mut self, _: &[Cell<u32>]) {}
    #[inline(always)]
    fn finish(self, _: &[Cell<u32>]) {}
}

/// The order is drawn in the loop, `AHEAD` samples past the prefetch (see [`draws_in_loop`]).
struct InLoop<'r, R: ?Sized>(Drawing<DRAW_LAG>, &'r mut R);

impl<'r, R: Rng + ?Sized> InLoop<'r, R> {
    /// Starts the shuffle of `order` (`0, 1, …` on entry) far enough that visit 0 may begin.
    #[inline(always)]
    fn new(order: &[Cell<u32>], rng: &'r mut R) -> Self {
        let mut drawing = Drawing::new();
        for _ in 0..DRAW_LAG + 2 * AHEAD {
            drawing.advance(order, rng);
        }
        InLoop(drawing, rng)
    }
}

impl<R: Rng + ?Sized> Order for InLoop<'_, R> {
    #[inline(always)]
    fn advance(&mut self, order: &[Cell<u32>]) {
        self.0.advance(order, self.1);
    }
    #[inline(always)]
    fn finish(self, order: &[Cell<u32>]) {
        self.0.finish(order, self.1);
    }
}

/// How far [`plain_epoch`] got.
pub(crate) struct Visited {
    /// The sum of the visited samples' squared errors, each before its update.
    pub(crate) loss: f64,
    /// The samples visited: `order[..count]`.
    pub(crate) count: usize,
}

/// One epoch of plain SGD over row-major `x` (`d` features) and `y`. `order` holds the
/// permutation [`shuffle`](crate::shuffle::shuffle) draws from `rng` on return, as after
/// [`permutation`](crate::shuffle::permutation); on entry it holds `0, 1, …, n−1` if
/// [`draws_in_loop`]`(d / 8)` (the loop draws the order ahead of its updates, [`InLoop`]), and
/// that permutation already otherwise. The caller draws it then, outside this function: a call
/// in the function that holds the loops would push their pointers to the stack.
///
/// Returns the sum of the samples' squared errors before their updates and how many samples
/// it visited: all of them, unless it met a rate that is not positive or whose double
/// overflows (`η > f32::MAX/2`), which it leaves, with the rest of the epoch, to the per-sample
/// path ([`Sgd::step`](super::Sgd::step) computes the same bits). On an error, `w`, `b` and
/// `steps` hold the state after the last good step (and `order` and `rng` are still those of
/// the whole shuffle).
#[allow(clippy::too_many_arguments)] // data (3), order and generator, model (2), schedule, counter
#[inline(never)]
pub(crate) fn plain_epoch<S: Schedule, R: Rng + ?Sized>(
    x: &[f32],
    y: &[f32],
    d: usize,
    (order, rng): (&mut [u32], &mut R),
    w: &mut [f32],
    b: &mut f32,
    schedule: &S,
    steps: &mut u64,
) -> Result<Visited, Error> {
    let order = Cell::from_mut(order).as_slice_of_cells();
    macro_rules! go {
        ($c:literal, $tail:ty) => {
            if draws_in_loop($c) {
                let drawing = InLoop::new(order, rng);
                run::<$c, $tail, S, _>(x, y, d, (order, drawing), w, b, schedule, steps)
            } else {
                run::<$c, $tail, S, _>(x, y, d, (order, Drawn), w, b, schedule, steps)
            }
        };
    }
    match (d / 8, d % 8) {
        (0, 1) => go!(0, Fixed<1>),
        (0, 2) => go!(0, Fixed<2>),
        (0, 3) => go!(0, Fixed<3>),
        (0, 4) => go!(0, Fixed<4>),
        (0, 5) => go!(0, Fixed<5>),
        (0, 6) => go!(0, Fixed<6>),
        (0, 7) => go!(0, Fixed<7>),
        (1, 0) => go!(1, Fixed<0>),
        (2, 0) => go!(2, Fixed<0>),
        (3, 0) => go!(3, Fixed<0>),
        (4, 0) => go!(4, Fixed<0>),
        (5, 0) => go!(5, Fixed<0>),
        (6, 0) => go!(6, Fixed<0>),
        (7, 0) => go!(7, Fixed<0>),
        (8, 0) => go!(8, Fixed<0>),
        (1, _) => go!(1, Lanes),
        (2, _) => go!(2, Lanes),
        (3, _) => go!(3, Lanes),
        (4, _) => go!(4, Lanes),
        (5, _) => go!(5, Lanes),
        (6, _) => go!(6, Lanes),
        (7, _) => go!(7, Lanes),
        _ => go!(8, Lanes),
    }
}

#[allow(clippy::too_many_arguments)] // as plain_epoch, which it serves
#[inline(always)]
fn run<const C: usize, T: Tail, S: Schedule, O: Order>(
    x: &[f32],
    y: &[f32],
    d: usize,
    (order, mut drawing): (&[Cell<u32>], O),
    w: &mut [f32],
    b: &mut f32,
    schedule: &S,
    steps: &mut u64,
) -> Result<Visited, Error> {
    let (wc, wt) = w.split_at(w.len().min(8 * C));
    let mut wv: [f32x8; C] =
        core::array::from_fn(|c| wc.as_chunks::<8>().0.get(c).map_or(f32x8::ZERO, load));
    let mut tail = T::new(wt);
    let mut bias = *b;
    let mut loss = 0.0f64;
    let mut step = *steps;
    // The position in `order` of the sample that stopped the epoch; the error is worked out
    // after the loop, so the loop itself stays small enough for the weights to stay in
    // registers.
    let mut stopped = None;
    let mut count = order.len();
    for (k, i) in order.iter().enumerate() {
        drawing.advance(order);
        if let Some(ahead) = order.get(k + AHEAD) {
            prefetch_row(x, y, d, ahead.get() as usize);
        }
        // Final since the advance above.
        let i = i.get() as usize;
        let parts = x.get(i * d..i * d + d).and_then(|row| {
            let (xc, xt) = row.split_at_checked(8 * C)?;
            Some((
                <&[[f32; 8]; C]>::try_from(xc.as_chunks::<8>().0).ok()?,
                T::split(xt)?,
            ))
        });
        let (Some((xc, xt)), Some(&yi)) = (parts, y.get(i)) else {
            stopped = Some(k);
            break;
        };
        // r = p + (b − y), exactly as row_residual forms it.
        let p = match (xc.split_first(), wv.split_first()) {
            (Some((x0, xr)), Some((w0, wr))) => {
                let mut a = load(x0) * *w0;
                for (xv, wvc) in xr.iter().zip(wr) {
                    a = madd(load(xv), *wvc, a);
                }
                tail.dot(xt, tree8(a.to_array()))
            }
            _ => tail.dot_first(xt),
        };
        let r = p + (bias - yi);
        let lr = schedule.rate(step);
        let lr2 = lr + lr;
        if !(lr2.is_finite() && usable(lr)) {
            // A rate `step` rejects, or one whose double overflows: its path's.
            count = k;
            break;
        }
        // w ← w − (η·2r)·x, all or nothing. `(2η)·r` rounds the same real number as `η·(2r)`
        // (doubling is exact) one multiplication sooner after r; the two differ only if 2η or
        // 2r overflows: the first is left to the per-sample path above, and the second cannot
        // happen here, since a sample whose r² overflows is rejected below, as `step` rejects
        // it.
        let c = lr2 * r;
        let cv = f32x8::splat(c);
        let nb = bias - c;
        let mut nw = wv;
        let mut probe = f32x8::ZERO;
        for (n, xv) in nw.iter_mut().zip(xc) {
            *n -= cv * load(xv);
            probe += *n * 0.0;
        }
        let (ntail, tail_ok) = tail.update(xt, c);
        let good = (r * r).is_finite()
            && nb.is_finite()
            && tail_ok
            && probe.to_array().iter().all(|v| *v == 0.0);
        if !good {
            stopped = Some(k);
            break;
        }
        wv = nw;
        tail = ntail;
        bias = nb;
        // The caller checked that the counter has room for the epoch.
        step = step.saturating_add(1);
        loss += f64::from(r * r);
    }
    // Finish the order (after an error too), so that `order` and the generator do not depend
    // on where the epoch stopped.
    drawing.finish(order);
    *steps = step;
    // Write the registers back (also after an error: the last good state).
    let (wc, wt) = w.split_at_mut(w.len().min(8 * C));
    for (dst, v) in wc.as_chunks_mut::<8>().0.iter_mut().zip(wv) {
        *dst = v.to_array();
    }
    tail.store(wt);
    *b = bias;
    match stopped.and_then(|k| order.get(k)) {
        None => Ok(Visited { loss, count }),
        Some(i) => Err(diagnose((x, y, d, i.get() as usize), w, *b, step)),
    }
}

/// Why sample `i` stopped the epoch at step `step` (its rate was valid, or the per-sample
/// path would have taken it): [`super::classify`], as [`Sgd::step`](super::Sgd::step) does.
fn diagnose((x, y, d, i): (&[f32], &[f32], usize, usize), w: &[f32], b: f32, step: u64) -> Error {
    let row = i
        .checked_mul(d)
        .and_then(|start| x.get(start..start.checked_add(d)?))
        .unwrap_or(&[]);
    let yi = y.get(i).copied().unwrap_or(f32::NAN);
    super::classify(w, b, Sample::Row(row), yi, i, step)
}
