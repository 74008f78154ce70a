//! Windows of a capture file mapped into memory: the one place tlsnoop uses `unsafe`.
//!
//! Why map: a `read()` copies every byte of the file into the reader's buffer, bulk
//! application data included, though tlsnoop looks at the headers and the handshakes only.
//! Measured on the benchmark capture (1.69 GB, in the page cache): a loop touching every page
//! took 0.20 s through `read()` into 256 KiB, 0.075 s through 2 MiB mapped windows (0.11-0.16 s
//! through 256 KiB-1 MiB windows: the page-table work at each unmap grows with the count).
//!
//! The risk, as ripgrep takes it: a mapping shows the file as it is now. If another process
//! truncates the file while a window of it is mapped, touching the lost pages raises SIGBUS and
//! the process dies; bytes rewritten in place are seen half old, half new (every parser is
//! bounds-checked, so that gives odd records, never an out-of-bounds read). Captures are
//! written by appending, which is safe (each window is mapped within the length of the moment,
//! and the file's length is read again before each one). `--no-mmap` reads instead.
#![allow(unsafe_code)]

use memmap2::{Mmap, MmapOptions};
use std::fs::File;
use std::io;

/// Size of a mapped window (see the module documentation for the measurement).
pub const WINDOW: usize = 2 << 20;

/// Maps `len` bytes of `file` from `offset` (any offset: memmap2 aligns it to a page), read
/// only and private.
pub fn map(file: &File, offset: u64, len: usize) -> io::Result<Mmap> {
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

/// How far ahead of the record being decoded [`prefetch`] asks for.
pub const AHEAD: usize = 4096;

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
