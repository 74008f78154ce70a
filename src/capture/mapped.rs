//! Windows of a capture file mapped into memory, the SIGBUS handler that goes with them and the
//! CPU's prefetch hint that makes them pay: the one place tlsnoop uses `unsafe`.
//!
//! Why map: a `read()` copies every byte of the file into the reader's buffer, bulk
//! application data included, though tlsnoop looks at the headers and the handshakes only.
//! Measured on the benchmark capture (1.69 GB, in the page cache): a loop touching every page
//! took 0.20 s through `read()` into 256 KiB, 0.075 s through 2 MiB mapped windows (0.11-0.16 s
//! through 256 KiB-1 MiB windows: the page-table work at each unmap grows with the count). Windows
//! are 8 MiB: with two threads the worker unmaps the windows it held last, and each unmap
//! interrupts the reader's core to flush its TLB (perf, `-j 2`, 2 MiB windows: 2.2% of the
//! worker's samples in those IPIs and munmap's page-table walks), and a batch for a worker is
//! sent once it spans two windows (so fewer, larger batches). 2 -> 8 MiB: `-j 2` fastest / median
//! of five interleaved runs 0.94 / 0.99 s -> 0.85 / 0.95 s, peak RSS 35 -> 42 MiB (`-j 8`: 57 ->
//! 76 MiB); `-j 1` within the noise. The
//! kernel's copy had also been bringing each chunk into the cache just before the decoder read
//! it: mapped without [`prefetch`], `-j 1` was no faster; with it, 9% faster. A worker of a
//! sharded run also asks for the handshake payloads of each batch it is given
//! ([`prefetch_all`]), which were last in the reader's cache.
//!
//! The risk, as ripgrep takes it: a mapping shows the file as it is now. If another process
//! truncates the file while a window of it is mapped, touching the lost pages raises SIGBUS,
//! which would kill the process; bytes rewritten in place are seen half old, half new (every
//! parser is bounds-checked, so that gives odd records, never an out-of-bounds read). Captures
//! are written by appending, which is safe (each window is mapped within the length of the
//! moment, and the file's length is read again before each one). `--no-mmap` reads instead. So
//! that a truncation does not look like a crash, [`map`] first installs a SIGBUS handler that
//! says what happened and ends the process with status 1 (an input that could not be read).
#![allow(unsafe_code)]

use memmap2::{Mmap, MmapOptions};
use std::fs::File;
use std::io;

/// Size of a mapped window (see the module documentation for the measurement).
pub const WINDOW: usize = 8 << 20;

/// Maps `len` bytes of `file` from `offset` (any offset: memmap2 aligns it to a page), read
/// only and private.
pub fn map(file: &File, offset: u64, len: usize) -> io::Result<Mmap> {
    on_sigbus_say_truncated();
    // SAFETY: memmap2's `map` is unsafe because the returned slice aliases the file, which other
    // processes may change while it is mapped. The consequences and why they are accepted are
    // in the module documentation: only a truncation by another process during the read does
    // harm (SIGBUS), and the length mapped is never past the file's length when mapped.
    unsafe {
        MmapOptions::new()
            .offset(offset)
            .len(len)
            .populate()
            .map(file)
    }
}

/// What the SIGBUS handler writes on standard error.
const TRUNCATED: &[u8] = b"tlsnoop: an input file was cut short by another program while it was \
read (mapped into memory): the report is incomplete; read it again, or with --no-mmap to get \
a note instead of this stop\n";

/// Installs (once per process) a SIGBUS handler that writes [`TRUNCATED`] and ends the process
/// with exit status 1. A SIGBUS in tlsnoop can only come from touching a mapped page past the
/// end of a file that was truncated after it was mapped; the default action would kill the
/// process with a core dump and no word of why.
#[cfg(unix)]
fn on_sigbus_say_truncated() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `sigaction` with a zeroed, then filled, `struct sigaction` is how the C API is
        // used; the handler calls only async-signal-safe functions (write, _exit) on a static
        // message.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = say_truncated as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
    });
}

#[cfg(not(unix))]
fn on_sigbus_say_truncated() {}

#[cfg(unix)]
extern "C" fn say_truncated(_signal: libc::c_int) {
    // SAFETY: write(2) of a static buffer and _exit(2) are async-signal-safe.
    unsafe {
        libc::write(2, TRUNCATED.as_ptr().cast(), TRUNCATED.len());
        libc::_exit(1);
    }
}

/// How far ahead of the record being decoded [`prefetch`] asks for.
pub const AHEAD: usize = 4096;

/// Asks the CPU to fetch all of `bytes` into its caches (a worker, for the handshake payloads of
/// a batch: see `engine/pipeline.rs`).
pub fn prefetch_all(bytes: &[u8]) {
    prefetch(bytes, &mut 0, bytes.len());
}

/// Asks the CPU to fetch `bytes[*from..to]` into its caches, and moves `from` to `to`.
pub fn prefetch(bytes: &[u8], from: &mut usize, to: usize) {
    let to = to.min(bytes.len());
    while *from < to {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is a hint; it reads nothing and never faults, whatever the address
        // (which is inside `bytes` here).
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(bytes.as_ptr().wrapping_add(*from).cast());
        }
        *from += 64;
    }
}
