//! `f32` buffers for the benches, on transparent huge pages where Linux offers them.
//!
//! numpy asks for huge pages (`madvise(MADV_HUGEPAGE)`) for every array of 4 MiB or more, so
//! with THP in `madvise` mode (the common default, and this project's machines) numpy and
//! scikit-learn run on 2 MiB pages while a plain `Vec` gets 4 KiB ones. Random rows then
//! cost the Rust side page walks the Python side does not pay. The benches map their data the
//! numpy way so that both sides run on the same page size; `STEEPEST_BENCH_PAGES=4k` gives
//! plain 4 KiB pages instead, to measure what that costs.

use std::ops::{Deref, DerefMut};

/// A zeroed anonymous mapping of `len` floats.
pub struct Buf(memmap2::MmapMut);

impl Buf {
    /// A zeroed buffer of `len` floats, advised onto huge pages unless
    /// `STEEPEST_BENCH_PAGES=4k`.
    pub fn new(len: usize) -> Buf {
        let map = memmap2::MmapMut::map_anon(len.max(1) * 4).expect("an anonymous mapping");
        #[cfg(target_os = "linux")]
        if std::env::var("STEEPEST_BENCH_PAGES").as_deref() != Ok("4k") {
            // Before the first touch, as numpy does; a kernel without THP just says no.
            let _ = map.advise(memmap2::Advice::HugePage);
        }
        Buf(map)
    }

    /// A buffer holding `values`.
    pub fn from_iter(len: usize, values: impl IntoIterator<Item = f32>) -> Buf {
        let mut buf = Buf::new(len);
        for (dst, v) in buf.iter_mut().zip(values) {
            *dst = v;
        }
        buf
    }
}

impl Deref for Buf {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        bytemuck::cast_slice(&self.0[..])
    }
}

impl DerefMut for Buf {
    fn deref_mut(&mut self) -> &mut [f32] {
        bytemuck::cast_slice_mut(&mut self.0[..])
    }
}
