//! The from-memory threshold. Without `std` it is [`FAR_VALUES`]: 8 MiB, which any L3 of
//! 16 MiB holds. With `std` on Linux it is half the L3 that the operating system reports for
//! CPU 0, within 4–32 MiB, learnt once. All paths give the same bits, so only the speed
//! depends on the host.

use super::FAR_VALUES;

/// The least and the most values of `x` and `y` the learnt threshold may be (4 and 32 MiB):
/// below 4 MiB the data may still be in L2; a VM may report far more L3 than it holds.
#[cfg(all(feature = "std", target_os = "linux"))]
const LEARNT: (usize, usize) = (1 << 20, 1 << 23);

/// Values of `x` and `y` from which a pass takes its from-memory paths.
#[cfg(not(all(feature = "std", target_os = "linux")))]
#[inline(always)]
pub(super) fn far_values() -> usize {
    FAR_VALUES
}

/// Values of `x` and `y` from which a pass takes its from-memory paths.
#[cfg(all(feature = "std", target_os = "linux"))]
#[inline(always)]
pub(super) fn far_values() -> usize {
    use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    static FAR: AtomicUsize = AtomicUsize::new(0);
    match FAR.load(Relaxed) {
        0 => {
            let v = learn();
            FAR.store(v, Relaxed);
            v
        }
        v => v,
    }
}

/// Half the reported L3 in values of `x` and `y`, within [`LEARNT`]; [`FAR_VALUES`] if
/// there is none.
#[cfg(all(feature = "std", target_os = "linux"))]
#[cold]
#[inline(never)]
fn learn() -> usize {
    let read = |index: usize, what: &str| {
        let path = std::format!("/sys/devices/system/cpu/cpu0/cache/index{index}/{what}");
        std::fs::read_to_string(path).ok()
    };
    (0..8)
        .find(|&i| read(i, "level").is_some_and(|l| l.trim() == "3"))
        .and_then(|i| read(i, "size"))
        .and_then(|s| bytes(&s))
        .map_or(FAR_VALUES, |b| (b / 8).clamp(LEARNT.0, LEARNT.1))
}

/// A cache size as sysfs writes it ("32768K"), in bytes.
#[cfg(any(test, all(feature = "std", target_os = "linux")))]
fn bytes(size: &str) -> Option<usize> {
    let s = size.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let scale: usize = match unit.trim() {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return None,
    };
    digits.parse::<usize>().ok()?.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_sysfs_writes_them() {
        assert_eq!(bytes("32768K\n"), Some(32 << 20));
        assert_eq!(bytes("1M"), Some(1 << 20));
        assert_eq!(bytes("4096"), Some(4096));
        assert_eq!(bytes("12 M"), Some(12 << 20));
        for bad in ["", "K", "32768Q", "-1K", "99999999999999999999999G"] {
            assert_eq!(bytes(bad), None, "{bad:?}");
        }
    }

    /// The threshold is within the bounds, whatever the host reports.
    #[test]
    fn the_threshold_is_within_its_bounds() {
        let v = far_values();
        assert!((1 << 20..=1 << 23).contains(&v), "{v}");
        assert_eq!(far_values(), v, "learnt once");
    }
}
