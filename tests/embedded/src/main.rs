//! A bare-metal firmware that runs sse-core on a microcontroller: Cortex-M4
//! (`thumbv7em-none-eabihf`, QEMU's `mps2-an386`) or RISC-V
//! (`riscv32imc-unknown-none-elf`, QEMU's `virt`). No allocator; output by
//! semihosting; the exit status says whether every check passed.
//!
//! With the default features it decodes the recorded chat stream in 7-byte
//! chunks, encodes a few events and decodes them back, and drives the
//! `EventSource` client through a dropped connection (see `scenario.rs`).
//! Lines that start with `measure ` report figures of the target: the peak
//! stack of each run and the RAM of the decoder and the client.
//! `tests/tests/embedded.rs` in the workspace builds it, runs it under QEMU,
//! compares its output with the host's, and builds it with each of the
//! features `decoder`, `encoder` and `client` alone, and with none, for the
//! footprint table.
#![no_std]
#![no_main]

// Each feature uses part of it; the empty baseline none.
#[allow(dead_code)]
mod scenario;
mod stack;

use core::fmt::Write;

#[cfg(target_arch = "arm")]
use cortex_m_semihosting::{debug, hio};
#[cfg(target_arch = "riscv32")]
use riscv_semihosting::{debug, hio};

#[cfg(any(feature = "decoder", feature = "client"))]
use scenario::Buffers;
use scenario::{Failure, Outcome};
#[cfg(any(feature = "decoder", feature = "client"))]
use sse_core::Decoder;

/// The decoder of the decode and round-trip runs, outside the stack: its
/// size is the RAM figure, apart from the peak stack.
#[cfg(feature = "decoder")]
static mut DECODER: Decoder<Buffers> = Decoder::new();

/// The encoder's output, zeroed at start-up like all of `.bss`.
#[cfg(feature = "encoder")]
static mut ENCODED: [u8; scenario::ENCODE_BUFFER] = [0; scenario::ENCODE_BUFFER];

/// Whether the runs print every item (see `scenario.rs`).
const PRINT: bool = cfg!(feature = "print");

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    let Ok(mut out) = hio::hstdout() else {
        debug::exit(debug::EXIT_FAILURE);
        halt()
    };
    match run(&mut out) {
        Ok(()) => {
            let _ = writeln!(out, "ok");
            debug::exit(debug::EXIT_SUCCESS);
        }
        Err(Failure::Check(what)) => {
            let _ = writeln!(out, "FAIL: {what}");
            debug::exit(debug::EXIT_FAILURE);
        }
        Err(Failure::Output) => debug::exit(debug::EXIT_FAILURE),
    }
    halt()
}

/// Each run of the enabled features, in order, with its peak stack.
fn run(out: &mut impl Write) -> Outcome {
    let (outcome, peak) = stack::measure(|| scenario::banner(out));
    outcome?;
    writeln!(out, "measure stack banner {peak}")?;

    #[cfg(feature = "decoder")]
    {
        // SAFETY: the only reference to DECODER, taken once; no interrupt
        // handler touches it.
        let decoder = unsafe { &mut *core::ptr::addr_of_mut!(DECODER) };
        writeln!(out, "measure ram decoder {}", size_of::<Decoder<Buffers>>())?;
        let (outcome, peak) = stack::measure(|| {
            // The body comes from an `embedded_io::Read` (here the recorded
            // stream itself) through a buffer of 7 bytes.
            let mut body = scenario::CHAT;
            let mut buf = [0u8; scenario::CHUNK];
            scenario::decode(decoder, &mut body, &mut buf, out)
        });
        outcome?;
        writeln!(out, "measure stack decode {peak}")?;
    }

    #[cfg(feature = "encoder")]
    {
        // SAFETY: the only reference to ENCODED, taken once.
        let buf = unsafe { &mut *core::ptr::addr_of_mut!(ENCODED) };
        let (outcome, peak) = stack::measure(|| scenario::encode(buf, out));
        let len = outcome?;
        writeln!(out, "measure stack encode {peak}")?;
        #[cfg(feature = "decoder")]
        {
            // SAFETY: as above; the decode run's reference is no longer used.
            let decoder = unsafe { &mut *core::ptr::addr_of_mut!(DECODER) };
            *decoder = Decoder::new();
            scenario::round_trip(decoder, &buf[..len], out)?;
        }
        #[cfg(not(feature = "decoder"))]
        let _ = len;
    }

    #[cfg(feature = "client")]
    {
        use sse_core::client::{Client, Reconnect};
        let mut client = Client::new(Decoder::<Buffers>::new(), Reconnect::new());
        writeln!(out, "measure ram client {}", size_of::<Client<Buffers>>())?;
        let (outcome, peak) = stack::measure(|| scenario::client(&mut client, out));
        outcome?;
        writeln!(out, "measure stack client {peak}")?;
    }
    Ok(())
}

/// Where the firmware stops if QEMU did not end it.
fn halt() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// A panic is a failed run: say where, and exit with failure. Only the
/// location is written, not the message, so that the message's formatting
/// is not part of the footprint (as with `panic-halt`).
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    if let Ok(mut out) = hio::hstdout() {
        match info.location() {
            Some(at) => {
                // As `usize`, whose formatting every build has already.
                let _ = writeln!(out, "FAIL: panic at {}:{}", at.file(), at.line() as usize);
            }
            None => {
                let _ = writeln!(out, "FAIL: panic");
            }
        }
    }
    debug::exit(debug::EXIT_FAILURE);
    halt()
}
