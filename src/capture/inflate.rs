//! Inflating a gzip-compressed capture: on the reading thread, or on a thread of its own ahead
//! of the frames being decoded.
//!
//! Inflating costs more than everything else tlsnoop does with a frame: on the first 300 MB of
//! the benchmark capture (gzip -1), `-j 1` takes 1.25 s where the uncompressed file takes
//! 0.3 s. With more than one thread the reading thread would spend most of its time inflating
//! while the workers waited; so there the inflating moves to a thread that hands the bytes on
//! in blocks through a short queue, and the reading thread only decodes and dispatches.
//!
//! Both ways call the decoder alike ([`Stepped`]), so that they give the same bytes before the
//! same error: flate2's decoder drops what it inflated in a call that ends in an error, so how
//! much of a corrupt stream comes out depends on the sizes asked for (the pipeline fuzz target
//! found a stream that inflated in a reader's 24-byte steps and failed in 256 KiB ones).

use flate2::read::MultiGzDecoder;
use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};

/// Bytes inflated per block handed on by the thread.
const BLOCK: usize = 256 << 10;
/// Bytes asked of the decoder per call: at most this much of a corrupt stream's last good
/// bytes is lost. (16 KiB steps made `-j 1` 4% slower on a .pcap.gz, 64 KiB within noise.)
const STEP: usize = 64 << 10;
/// Blocks inflated ahead of the reader, at most (so a slow reader holds about 1 MiB here).
const AHEAD: usize = 4;

/// A gzip decoder called in steps that depend on the stream alone, never on the sizes its
/// reader asks for: each call asks for [`STEP`] bytes, or the rest of the current [`BLOCK`]
/// (counted from the start of the stream), into the reader's buffer when it has room for
/// that, else into a buffer of its own that the next reads empty first.
pub(super) struct Stepped<R> {
    decoder: MultiGzDecoder<R>,
    /// Bytes inflated since the last block boundary.
    in_block: usize,
    staged: Vec<u8>,
    at: usize,
}

impl<R: Read> Stepped<R> {
    /// Inflates `compressed` (one gzip member or several).
    pub(super) fn new(compressed: R) -> Self {
        Stepped {
            decoder: MultiGzDecoder::new(compressed),
            in_block: 0,
            staged: Vec::new(),
            at: 0,
        }
    }
}

impl<R: Read> Read for Stepped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.staged.len() {
            let want = STEP.min(BLOCK - self.in_block);
            let n = match buf.get_mut(..want) {
                Some(room) => self.decoder.read(room)?,
                None => {
                    self.staged.resize(want, 0);
                    let n = self.decoder.read(&mut self.staged)?;
                    self.staged.truncate(n);
                    self.at = 0;
                    n
                }
            };
            self.in_block = (self.in_block + n) % BLOCK;
            if self.staged.is_empty() {
                return Ok(n);
            }
        }
        let n = self.staged.get(self.at..).unwrap_or_default().read(buf)?;
        self.at += n;
        if self.at >= self.staged.len() {
            self.staged.clear();
            self.at = 0;
        }
        Ok(n)
    }
}

/// What the inflating thread sends.
enum Inflated {
    Bytes(Vec<u8>),
    /// The decoder's error: the stream ends here.
    Error(io::Error),
    /// The end of the stream.
    End,
}

/// Reads the stream that a thread of its own inflates from a gzip-compressed one.
pub(super) struct InflatedReader {
    from: Receiver<Inflated>,
    /// Blocks read out, back to the thread to be filled again.
    spent: SyncSender<Vec<u8>>,
    thread: Option<std::thread::JoinHandle<()>>,
    block: Vec<u8>,
    at: usize,
    ended: bool,
}

impl InflatedReader {
    /// Starts a thread inflating `compressed` (one gzip member or several).
    pub(super) fn spawn(compressed: impl Read + Send + 'static) -> io::Result<Self> {
        let (to, from) = mpsc::sync_channel(AHEAD);
        let (spent, reuse) = mpsc::sync_channel::<Vec<u8>>(AHEAD + 2);
        let thread = std::thread::Builder::new()
            .name("tlsnoop-inflate".to_string())
            .spawn(move || inflate(Stepped::new(compressed), &to, &reuse))?;
        Ok(InflatedReader {
            from,
            spent,
            thread: Some(thread),
            block: Vec::new(),
            at: 0,
            ended: false,
        })
    }
}

/// The inflating thread: fills blocks of [`BLOCK`] bytes (each read one step of the decoder)
/// and sends them until the stream ends, an error ends it, or the reader is gone.
fn inflate(mut decoder: impl Read, to: &SyncSender<Inflated>, reuse: &Receiver<Vec<u8>>) {
    loop {
        let mut block = reuse.try_recv().unwrap_or_default();
        // A reused block is refilled over its old bytes; only a new one is zeroed first.
        block.resize(BLOCK, 0);
        let mut filled = 0;
        let mut after = None;
        while filled < BLOCK {
            match decoder.read(block.get_mut(filled..).unwrap_or_default()) {
                Ok(0) => {
                    after = Some(Inflated::End);
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    after = Some(Inflated::Error(e));
                    break;
                }
            }
        }
        block.truncate(filled);
        if filled > 0 && to.send(Inflated::Bytes(block)).is_err() {
            return;
        }
        if let Some(a) = after {
            let _ = to.send(a);
            return;
        }
    }
}

impl Read for InflatedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.block.len() {
            if self.ended {
                return Ok(0);
            }
            match self.from.recv() {
                Ok(Inflated::Bytes(b)) => {
                    let spent = std::mem::replace(&mut self.block, b);
                    self.at = 0;
                    if spent.capacity() > 0 {
                        // The thread may have ended: a block not taken back is dropped.
                        let _ = self.spent.try_send(spent);
                    }
                }
                Ok(Inflated::Error(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                Ok(Inflated::End) => self.ended = true,
                Err(_) => {
                    self.ended = true;
                    return Err(io::Error::other("the inflating thread stopped"));
                }
            }
        }
        let n = self.block.get(self.at..).unwrap_or_default().read(buf)?;
        self.at += n;
        Ok(n)
    }
}

impl Drop for InflatedReader {
    /// Ends the thread: with the queue gone its next send fails, after at most the block it is
    /// inflating.
    fn drop(&mut self) {
        let (_, gone) = mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.from, gone));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::testutil::gzip;
    use std::io::Cursor;

    /// Everything a reader gets: the bytes, then the error that ended them, if any.
    fn read_all(mut r: impl Read, step: usize) -> (Vec<u8>, Option<String>) {
        let mut out = Vec::new();
        let mut buf = vec![0; step];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, Some(e.to_string())),
            }
        }
    }

    #[test]
    fn in_place_and_apart_give_the_same_bytes_and_error_read_in_any_steps() {
        // Several blocks' worth, two members, not a multiple of the block size.
        let data: Vec<u8> = (0..3 * BLOCK + 12_345).map(|i| (i % 251) as u8).collect();
        let mut two = gzip(&data[..BLOCK + 7]);
        two.extend(gzip(&data[BLOCK + 7..]));
        let whole = two.clone();
        let mut cut = two.clone();
        cut.truncate(two.len() * 2 / 3);
        let mut corrupt = two.clone();
        let mid = corrupt.len() / 2;
        corrupt[mid..mid + 64].fill(0xff);
        for (name, bytes) in [("whole", whole), ("cut", cut), ("corrupt", corrupt)] {
            let apart = read_all(
                InflatedReader::spawn(Cursor::new(bytes.clone())).unwrap(),
                10_000,
            );
            // In place, read in steps smaller and larger than the decoder's.
            for step in [24, 10_000, 3 * STEP + 5] {
                let in_place = read_all(Stepped::new(Cursor::new(bytes.clone())), step);
                assert_eq!(in_place.0.len(), apart.0.len(), "{name}, {step}");
                assert!(in_place.0 == apart.0, "{name}, {step}: same bytes");
                assert_eq!(in_place.1, apart.1, "{name}, {step}: same error");
            }
            if name == "whole" {
                assert!(apart.0 == data && apart.1.is_none());
            } else {
                assert!(apart.1.is_some(), "{name} ends in an error");
            }
        }
    }

    /// A compressed stream that says when it is dropped (with the thread's decoder).
    struct Watched(
        Cursor<Vec<u8>>,
        std::sync::Arc<std::sync::atomic::AtomicBool>,
    );

    impl Read for Watched {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0.read(buf)
        }
    }

    impl Drop for Watched {
        fn drop(&mut self) {
            self.1.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn an_empty_stream_ends_and_a_reader_dropped_early_ends_its_thread() {
        let (bytes, error) = read_all(InflatedReader::spawn(Cursor::new(gzip(b""))).unwrap(), 7);
        assert!(bytes.is_empty() && error.is_none());
        // Dropped after one read, with the thread blocked on its full queue.
        let gone = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let big: Vec<u8> = vec![7; 12 * BLOCK];
        let source = Watched(Cursor::new(gzip(&big)), gone.clone());
        let mut r = InflatedReader::spawn(source).unwrap();
        let mut buf = [0; 100];
        assert_eq!(r.read(&mut buf).unwrap(), 100);
        drop(r);
        assert!(
            gone.load(std::sync::atomic::Ordering::SeqCst),
            "the thread ended"
        );
    }
}
