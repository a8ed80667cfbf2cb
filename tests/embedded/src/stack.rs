//! The peak stack of a piece of code: paint the free stack below the
//! caller with a pattern, run the code, and find the lowest word that no
//! longer holds the pattern.

/// How far below the caller the stack is painted. A run that reaches the
/// bottom is reported as using all of it, which fails any budget below it.
const WINDOW: usize = 16 * 1024;

/// The paint: a word that code rarely writes.
const PAINT: u32 = 0x5AA5_C33C;

/// The stack pointer.
#[inline(always)]
fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads a register into a local; touches no memory.
    unsafe {
        #[cfg(target_arch = "arm")]
        core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
        #[cfg(target_arch = "riscv32")]
        core::arch::asm!("mv {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    sp
}

/// Paints the `WINDOW` bytes below `top` that lie below this function's own
/// frame. Returns the lowest painted address.
#[inline(never)]
fn paint(top: usize) -> usize {
    let bottom = (top - WINDOW) & !3;
    let own = stack_pointer() & !3;
    let mut address = bottom;
    while address < own {
        // SAFETY: `address` is free stack below the stack pointer, inside the
        // RAM that the linker script gives the stack (at least WINDOW bytes
        // below any caller of `measure`), aligned to 4; nothing else runs.
        unsafe { core::ptr::write_volatile(address as *mut u32, PAINT) };
        address += 4;
    }
    bottom
}

/// Runs `f` and returns what it returns, with the most stack it used in
/// bytes (its frames and everything it called, down to the deepest word
/// written).
#[inline(never)]
pub(crate) fn measure<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let top = stack_pointer();
    let bottom = paint(top);
    let result = below(f);
    let mut address = bottom;
    // SAFETY: the words from `bottom` up to `top` are stack that `paint`
    // made valid to read; they lie below this frame.
    while address < top && unsafe { core::ptr::read_volatile(address as *const u32) } == PAINT {
        address += 4;
    }
    (result, top - address)
}

/// Calls `f` in a frame of its own, below the caller's: were `f` inlined into
/// `measure`, its locals would sit in `measure`'s frame, above `top`, and
/// go unmeasured.
#[inline(never)]
fn below<T>(f: impl FnOnce() -> T) -> T {
    f()
}
