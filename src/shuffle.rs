//! Fisher–Yates shuffles over any `rand_core` generator, with unbiased bounded integers.
//!
//! # The stream is pinned
//! For a given generator state the permutation depends only on these rules, written here so
//! that every platform (and every future version until the next major one) draws the same
//! order from the same seed:
//! * the loop runs `i` from `0` up to `n − 2` and swaps element `i` with element
//!   `j = i + bounded(n − i)` (Durstenfeld's loop, front to back: element `i` is final after
//!   step `i`, so an epoch can visit the samples while the rest of the order is being drawn);
//! * `bounded(s)` for `s ≤ 2³²` is Lemire's nearly-divisionless method on `next_u32`: draw
//!   `x`, form the 64-bit product `m = x·s`; if its low word `l` is below `s`, redraw while
//!   `l < (2³² − s) mod s`; return the high word. Above `2³²` the same on `next_u64` with a
//!   128-bit product.
//!
//! The documented generator for 32-bit microcontrollers is `rand_xoshiro::Xoshiro128PlusPlus`
//! seeded with `seed_from_u64` (which expands the seed with SplitMix64); any `rand_core::Rng`
//! works.

use core::cell::Cell;

use rand_core::Rng;

use crate::error::{Error, What};
use crate::kernels::lanes::prefetch;

/// A uniform integer in `0..s`, without bias, for `1 ≤ s ≤ 2³²` (`s = 0` returns 0).
///
/// # Example
/// ```
/// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
/// let mut rng = Xoshiro128PlusPlus::seed_from_u64(7);
/// assert!(steepest::bounded_u32(&mut rng, 10) < 10);
/// ```
#[inline]
pub fn bounded_u32<R: Rng + ?Sized>(rng: &mut R, s: u32) -> u32 {
    lemire32(rng, s)
}

/// A uniform integer in `0..s`, without bias, for any `s ≥ 1` (`s = 0` returns 0): the
/// 32-bit method when `s ≤ 2³²`, else the same on `next_u64`.
///
/// # Example
/// ```
/// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
/// let mut rng = Xoshiro128PlusPlus::seed_from_u64(7);
/// assert!(steepest::bounded_u64(&mut rng, 1 << 40) < 1 << 40);
/// assert_eq!(steepest::bounded_u64(&mut rng, 1), 0);
/// ```
#[inline]
pub fn bounded_u64<R: Rng + ?Sized>(rng: &mut R, s: u64) -> u64 {
    lemire64(rng, s)
}

/// [`bounded_u32`], inlined into the shuffle's loops: a call there would clobber the
/// registers the SGD epoch keeps its weights in.
#[inline(always)]
fn lemire32<R: Rng + ?Sized>(rng: &mut R, s: u32) -> u32 {
    if s == 0 {
        return 0;
    }
    let m = u64::from(rng.next_u32()) * u64::from(s);
    if (m as u32) < s {
        return redraw32(rng, s, m);
    }
    (m >> 32) as u32
}

/// Lemire's rare branch: redraw while the low word is below `(2³² − s) mod s`. Inlined too: as
/// a call it would take the generator's state out of registers for the whole loop.
#[inline(always)]
fn redraw32<R: Rng + ?Sized>(rng: &mut R, s: u32, mut m: u64) -> u32 {
    let t = s.wrapping_neg() % s;
    while (m as u32) < t {
        m = u64::from(rng.next_u32()) * u64::from(s);
    }
    (m >> 32) as u32
}

/// [`bounded_u64`], inlined as [`lemire32`].
#[inline(always)]
fn lemire64<R: Rng + ?Sized>(rng: &mut R, s: u64) -> u64 {
    if let Ok(s32) = u32::try_from(s) {
        return u64::from(lemire32(rng, s32));
    }
    wide64(rng, s)
}

/// The 64-bit method, for `s > 2³²`.
#[cold]
#[inline(never)]
fn wide64<R: Rng + ?Sized>(rng: &mut R, s: u64) -> u64 {
    let mut m = u128::from(rng.next_u64()) * u128::from(s);
    if (m as u64) < s {
        let t = s.wrapping_neg() % s;
        while (m as u64) < t {
            m = u128::from(rng.next_u64()) * u128::from(s);
        }
    }
    (m >> 64) as u64
}

/// Shuffles `items` in place: every permutation equally likely (given a uniform generator).
///
/// # Example
/// ```
/// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
/// let mut order = [0u32, 1, 2, 3, 4, 5, 6, 7];
/// steepest::shuffle(&mut order, &mut Xoshiro128PlusPlus::seed_from_u64(42));
/// let mut sorted = order;
/// sorted.sort();
/// assert_eq!(sorted, [0, 1, 2, 3, 4, 5, 6, 7]);
/// ```
#[inline(never)]
pub fn shuffle<T, R: Rng + ?Sized>(items: &mut [T], rng: &mut R) {
    // Step i swaps the head of `rest = items[i..]` with `rest[bounded(n − i)]`.
    let mut rest = items;
    while rest.len() > 1 {
        let j = lemire64(rng, rest.len() as u64) as usize;
        if let Some((head, tail)) = core::mem::take(&mut rest).split_first_mut() {
            if let Some(other) = tail.get_mut(j.wrapping_sub(1)) {
                core::mem::swap(head, other);
            }
            rest = tail;
        }
    }
}

/// Fills `order` with `0, 1, …, len−1` and shuffles it: one epoch's visiting order.
///
/// # Errors
/// [`Error::Length`] if `order` has more than `u32::MAX + 1` elements (indices are `u32` to
/// halve the buffer on 64-bit hosts); `order` is then unchanged.
///
/// # Example
/// ```
/// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
/// let mut order = [0u32; 5];
/// steepest::permutation(&mut order, &mut Xoshiro128PlusPlus::seed_from_u64(42))?;
/// let mut sorted = order;
/// sorted.sort();
/// assert_eq!(sorted, [0, 1, 2, 3, 4]); // every index once, in an order fixed by the seed
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn permutation<R: Rng + ?Sized>(order: &mut [u32], rng: &mut R) -> Result<(), Error> {
    identity(order)?;
    shuffle(order, rng);
    Ok(())
}

/// [`shuffle`] split in two for a loop that visits the order while it is being drawn: each
/// [`advance`](Self::advance) draws the partner `j` of the next step and prefetches
/// `items[j]`, and makes the swap of the step drawn `L` advances before, whose partner has
/// arrived in the cache by then. The draws and swaps are [`shuffle`]'s, in its order, so the
/// permutation and the generator's state end the same.
pub(crate) struct Drawing<const L: usize> {
    /// The partners drawn and not yet swapped, by step modulo `L`.
    partners: [usize; L],
    /// Steps drawn so far.
    drawn: usize,
}

impl<const L: usize> Drawing<L> {
    pub(crate) fn new() -> Self {
        Drawing {
            partners: [0; L],
            drawn: 0,
        }
    }

    /// How many leading items are final (`items[..final_len()]` no longer changes).
    #[inline(always)]
    pub(crate) fn final_len(&self) -> usize {
        self.drawn.saturating_sub(L)
    }

    /// Swaps step `drawn − L`, then draws step `drawn` into the slot that swap freed (no
    /// draw past the last step). The items are cells so that the caller can read the final
    /// ones while the rest is being drawn.
    #[inline(always)]
    pub(crate) fn advance<T: Copy, R: Rng + ?Sized>(&mut self, items: &[Cell<T>], rng: &mut R) {
        let (s, n) = (self.drawn, items.len());
        if let Some(t) = s.checked_sub(L)
            && t + 1 < n
            && let Some(&j) = self.partners.get(t % L)
            && let (Some(a), Some(b)) = (items.get(t), items.get(j))
        {
            let v = a.get();
            a.set(b.get());
            b.set(v);
        }
        if s + 1 < n
            && let Some(slot) = self.partners.get_mut(s % L)
        {
            let j = s + lemire64(rng, (n - s) as u64) as usize;
            if let Some(v) = items.get(j) {
                prefetch(v);
            }
            *slot = j;
        }
        self.drawn = s + 1;
    }

    /// Completes the shuffle: the pending swaps, then the remaining steps.
    pub(crate) fn finish<T: Copy, R: Rng + ?Sized>(mut self, items: &[Cell<T>], rng: &mut R) {
        while self.final_len() + 1 < items.len() {
            self.advance(items, rng);
        }
    }
}

/// Fills `order` with `0, 1, …, len−1`: [`permutation`] before its shuffle.
///
/// # Errors
/// As [`permutation`].
pub(crate) fn identity(order: &mut [u32]) -> Result<(), Error> {
    // Every index must fit in u32 (always true where usize has 32 bits).
    if order.len().saturating_sub(1) > u32::MAX as usize {
        return Err(Error::Length {
            what: What::Order,
            expected: (u32::MAX as usize).saturating_add(1),
            found: order.len(),
        });
    }
    for (i, o) in order.iter_mut().enumerate() {
        *o = i as u32;
    }
    Ok(())
}

/// Permutes the rows of row-major data in place (`x` holds `n` rows of `d`, `y` the `n`
/// targets), drawing exactly the permutation [`shuffle`] would draw for `n` items: for devices
/// with no room for an index buffer.
///
/// # Errors
/// [`Error::Empty`] if `d == 0`; [`Error::Length`] if `x.len() != y.len()·d`. Nothing is
/// moved then.
///
/// # Example
/// ```
/// use rand_xoshiro::{Xoshiro128PlusPlus, rand_core::SeedableRng};
/// let mut x = [1.0, 10.0, 2.0, 20.0, 3.0, 30.0];
/// let mut y = [1.0, 2.0, 3.0];
/// steepest::shuffle_rows(&mut x, &mut y, 2, &mut Xoshiro128PlusPlus::seed_from_u64(1))?;
/// for (row, t) in x.chunks(2).zip(&y) {
///     assert_eq!(row, [*t, 10.0 * t]); // rows stay whole and keep their targets
/// }
/// # Ok::<(), steepest::Error>(())
/// ```
pub fn shuffle_rows<R: Rng + ?Sized>(
    x: &mut [f32],
    y: &mut [f32],
    d: usize,
    rng: &mut R,
) -> Result<(), Error> {
    if d == 0 {
        return Err(Error::Empty(What::Features));
    }
    let expected = y.len().checked_mul(d).ok_or(Error::Overflow)?;
    if x.len() != expected {
        return Err(Error::Length {
            what: What::X,
            expected,
            found: x.len(),
        });
    }
    for i in 0..y.len().saturating_sub(1) {
        let j = i + lemire64(rng, (y.len() - i) as u64) as usize;
        if j > i {
            swap_above(y, i, j);
            // Row i lies in the head and row j starts the tail.
            if let Some((head, tail)) = x.split_at_mut_checked(j * d)
                && let Some(a) = head.get_mut(i * d..i * d + d)
            {
                for (p, q) in a.iter_mut().zip(tail.iter_mut()) {
                    core::mem::swap(p, q);
                }
            }
        }
    }
    Ok(())
}

/// Swaps `items[i]` and `items[j]` for `i < j` (nothing otherwise), without a panic path.
#[inline(always)]
fn swap_above<T>(items: &mut [T], i: usize, j: usize) {
    if let Some((head, tail)) = items.split_at_mut_checked(j)
        && let (Some(a), Some(b)) = (head.get_mut(i), tail.first_mut())
    {
        core::mem::swap(a, b);
    }
}
