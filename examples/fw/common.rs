//! Shared by the footprint firmwares `fw_sgd.rs` and `fw_base.rs` (see `ci/footprint.sh`):
//! the sample stream, the printing, and on the device the measurement of stack and time.
//!
//! The two firmwares are the same program except for what `learn` does with each sample:
//! `fw_sgd` takes a plain-SGD step, `fw_base` only hands the sample to `black_box`. The
//! difference of their `.text` sizes is the code the SGD stepper brings into a firmware,
//! with the formatting and runtime code (the same in both) taken out.

use core::fmt;

/// Features per sample.
pub const D: usize = 8;

/// Where the output goes: stdout on the host, semihosting on the device.
pub type Out<'a> = &'a mut dyn FnMut(fmt::Arguments);

/// Sample `k` of a synthetic sensor stream: features in [-1, 1) on a 1/8 grid and the target
/// `y = x·w* + 0.5` with `w* = (1, -2, 0.5, 3, -1, 0.25, 2, -0.5)`: exact in f32 everywhere.
#[inline(always)]
pub fn sample(k: u32) -> ([f32; D], f32) {
    const W: [f32; D] = [1.0, -2.0, 0.5, 3.0, -1.0, 0.25, 2.0, -0.5];
    let mut x = [0.0f32; D];
    let mut y = 0.5f32;
    for (j, (xj, wj)) in x.iter_mut().zip(W).enumerate() {
        *xj = (k.wrapping_mul(7).wrapping_add(13 * j as u32) % 16) as f32 / 8.0 - 1.0;
        y += *xj * wj;
    }
    (x, y)
}

/// What a measured call of `learn` reports.
pub struct Measured {
    /// Bytes of stack used below the caller's frame (0 on the host: not measured).
    pub stack: u32,
    /// SysTick ticks it took (0 on the host).
    pub ticks: u32,
}

/// Prints the model and the measurements, the same way in both firmwares.
pub fn print(out: Out<'_>, w: &[f32; D], b: f32, loss: f32, steps: u32, m: &Measured) {
    for (j, v) in w.iter().enumerate() {
        out(format_args!("w[{j}] = {:08x} ({v})", v.to_bits()));
    }
    out(format_args!("b = {:08x} ({b})", b.to_bits()));
    out(format_args!("loss = {:08x} ({loss})", loss.to_bits()));
    out(format_args!(
        "steps {steps} ticks {} stack {}",
        m.ticks, m.stack
    ));
}

/// Runs `f` and measures it: nothing on the host.
#[cfg(not(target_os = "none"))]
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Measured) {
    (f(), Measured { stack: 0, ticks: 0 })
}

/// Runs `f` and measures its stack high-water mark (the stack below this frame is painted
/// with a pattern first, and the lowest word that changed is found afterwards) and its time
/// in SysTick ticks (the core clock; under `qemu -icount shift=0` one instruction advances
/// the virtual clock by 1 ns, so a tick of the 25 MHz clock is 40 instructions).
#[cfg(target_os = "none")]
#[inline(never)]
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Measured) {
    use cortex_m::peripheral::SYST;
    /// Painted bytes below the stack pointer, and a gap just below it left alone.
    const WINDOW: u32 = 4096;
    const GAP: u32 = 16;
    const PAINT: u32 = 0xC0FF_EE11;
    let sp = cortex_m::register::msp::read();
    let (lo, hi) = (sp - WINDOW, sp - GAP);
    let mut a = lo;
    while a < hi {
        // SAFETY: [lo, hi) lies below the current stack pointer, inside the 4 MiB RAM the
        // stack grows into; nothing lives there (no interrupts are enabled) until `f` runs.
        #[allow(unsafe_code)]
        unsafe {
            core::ptr::write_volatile(a as *mut u32, PAINT)
        };
        a += 4;
    }
    let t0 = SYST::get_current();
    let r = f();
    let t1 = SYST::get_current();
    let mut a = lo;
    // SAFETY: the same painted words, read back.
    #[allow(unsafe_code)]
    while a < hi && unsafe { core::ptr::read_volatile(a as *const u32) } == PAINT {
        a += 4;
    }
    let stack = if a < hi { sp - a } else { 0 };
    (
        r,
        Measured {
            stack,
            ticks: t0.wrapping_sub(t1) & 0x00FF_FFFF,
        },
    )
}

/// The device's entry: starts SysTick on the core clock, runs `run`, exits through
/// semihosting with its verdict.
#[cfg(target_os = "none")]
pub mod firmware {
    use cortex_m::peripheral::syst::SystClkSource;
    use cortex_m_rt::{ExceptionFrame, entry, exception};
    use cortex_m_semihosting::{debug, hprintln};

    #[entry]
    fn main() -> ! {
        if let Some(mut p) = cortex_m::Peripherals::take() {
            p.SYST.set_clock_source(SystClkSource::Core);
            p.SYST.set_reload(0x00FF_FFFF);
            p.SYST.clear_current();
            p.SYST.enable_counter();
        }
        let mut print = |a: core::fmt::Arguments| hprintln!("{}", a);
        let ok = crate::run(&mut print);
        debug::exit(if ok {
            debug::EXIT_SUCCESS
        } else {
            debug::EXIT_FAILURE
        });
        loop {}
    }

    #[exception]
    unsafe fn HardFault(ef: &ExceptionFrame) -> ! {
        hprintln!("HARDFAULT {:?}", ef);
        debug::exit(debug::EXIT_FAILURE);
        loop {}
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo) -> ! {
        hprintln!("PANIC {}", info);
        debug::exit(debug::EXIT_FAILURE);
        loop {}
    }
}
