//! The panic handler of both binaries: a loop, or with `panic-never` a call to a symbol
//! defined nowhere, so that the link fails if any path to a panic survived optimization.

#[cfg(not(feature = "panic-never"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[cfg(feature = "panic-never")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    unsafe extern "C" {
        fn panic_path_survived_optimization() -> !;
    }
    unsafe { panic_path_survived_optimization() }
}

/// The host's prebuilt libcore has unwind tables that name this symbol.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}
