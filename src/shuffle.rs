//! Fisher–Yates shuffles over any `rand_core` generator, with unbiased bounded integers.
//!
//! # The stream is pinned
//! For a given generator state the permutation depends only on these rules, written here so
//! that every platform (and every future version until the next major one) draws the same
//! order from the same seed:
//! * the loop runs `i` from `n − 1` down to `1` and swaps element `i` with element
//!   `j = bounded(i + 1)`;
//! * `bounded(s)` for `s ≤ 2³²` is Lemire's nearly-divisionless method on `next_u32`: draw
//!   `x`, form the 64-bit product `m = x·s`; if its low word `l` is below `s`, redraw while
//!   `l < (2³² − s) mod s`; return the high word. Above `2³²` the same on `next_u64` with a
//!   128-bit product.
//!
//! The documented generator for 32-bit microcontrollers is `rand_xoshiro::Xoshiro128PlusPlus`
//! seeded with `seed_from_u64` (which expands the seed with SplitMix64); any `rand_core::Rng`
//! works.

use rand_core::Rng;

use crate::error::{Error, What};

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
    if s == 0 {
        return 0;
    }
    let mut m = u64::from(rng.next_u32()) * u64::from(s);
    if (m as u32) < s {
        let t = s.wrapping_neg() % s;
        while (m as u32) < t {
            m = u64::from(rng.next_u32()) * u64::from(s);
        }
    }
    (m >> 32) as u32
}

/// A uniform integer in `0..s`, without bias, for any `s ≥ 1` (`s = 0` returns 0): the
/// 32-bit method when `s ≤ 2³²`, else the same on `next_u64`.
#[inline]
pub fn bounded_u64<R: Rng + ?Sized>(rng: &mut R, s: u64) -> u64 {
    if let Ok(s32) = u32::try_from(s) {
        return u64::from(bounded_u32(rng, s32));
    }
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
pub fn shuffle<T, R: Rng + ?Sized>(items: &mut [T], rng: &mut R) {
    for i in (1..items.len()).rev() {
        let j = bounded_u64(rng, i as u64 + 1) as usize;
        swap_below(items, i, j);
    }
}

/// Fills `order` with `0, 1, …, len−1` and shuffles it: one epoch's visiting order.
///
/// # Errors
/// [`Error::Length`] if `order` has more than `u32::MAX + 1` elements (indices are `u32` to
/// halve the buffer on 64-bit hosts); `order` is then unchanged.
pub fn permutation<R: Rng + ?Sized>(order: &mut [u32], rng: &mut R) -> Result<(), Error> {
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
    shuffle(order, rng);
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
    for i in (1..y.len()).rev() {
        let j = bounded_u64(rng, i as u64 + 1) as usize;
        if j < i {
            swap_below(y, i, j);
            // Row j lies in the head and row i starts the tail.
            if let Some((head, tail)) = x.split_at_mut_checked(i * d)
                && let Some(a) = head.get_mut(j * d..j * d + d)
            {
                for (p, q) in a.iter_mut().zip(tail.iter_mut()) {
                    core::mem::swap(p, q);
                }
            }
        }
    }
    Ok(())
}

/// Swaps `items[i]` and `items[j]` for `j < i` (nothing otherwise), without a panic path.
#[inline]
fn swap_below<T>(items: &mut [T], i: usize, j: usize) {
    if let Some((head, tail)) = items.split_at_mut_checked(i)
        && let (Some(a), Some(b)) = (head.get_mut(j), tail.first_mut())
    {
        core::mem::swap(a, b);
    }
}
