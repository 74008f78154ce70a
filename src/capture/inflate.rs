//! A gzip-compressed capture inflated on a thread of its own, ahead of the frames being decoded.
//!
//! Inflating costs more than everything else tlsnoop does with a frame: on the first 300 MB of
//! the benchmark capture (gzip -1), `-j 1` takes 1.25 s where the uncompressed file takes
//! 0.3 s. With more than one thread the reading thread would spend most of its time inflating
//! while the workers waited; so the inflating moves to a thread that hands the bytes on in
//! blocks through a short queue, and the reading thread only decodes and dispatches. The bytes
//! and the error that ends them (a cut or corrupt stream) are the same as when inflating in
//! place: only who calls the decoder changes.

use flate2::read::MultiGzDecoder;
use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};

/// Bytes inflated per block handed on.
const BLOCK: usize = 256 << 10;
/// Blocks inflated ahead of the reader, at most (so a slow reader holds about 1 MiB here).
const AHEAD: usize = 4;

/// What the inflating thread sends.
enum Inflated {
    Bytes(Vec<u8>),
    /// The decoder's error: the stream ends here.
    Error(io::Error),
    /// The end of the stream.
    End,
}

/// Reads the inflated stream that a thread of its own decodes from `compressed`.
pub(super) struct InflatedReader {
    from: Receiver<Inflated>,
    /// Blocks read out, back to the thread to be filled again.
    spent: SyncSender<Vec<u8>>,
    block: Vec<u8>,
    at: usize,
    ended: bool,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl InflatedReader {
    /// Starts the thread inflating `compressed` (gzip, one member or several).
    pub(super) fn spawn(compressed: impl Read + Send + 'static) -> io::Result<Self> {
        let (to, from) = mpsc::sync_channel(AHEAD);
        let (spent, reuse) = mpsc::sync_channel::<Vec<u8>>(AHEAD + 2);
        let thread = std::thread::Builder::new()
            .name("tlsnoop-inflate".to_string())
            .spawn(move || inflate(MultiGzDecoder::new(compressed), &to, &reuse))?;
        Ok(InflatedReader {
            from,
            spent,
            block: Vec::new(),
            at: 0,
            ended: false,
            thread: Some(thread),
        })
    }
}

/// The inflating thread: fills blocks and sends them until the stream ends, an error ends
/// it, or the reader is gone.
fn inflate(mut decoder: impl Read, to: &SyncSender<Inflated>, reuse: &Receiver<Vec<u8>>) {
    loop {
        let mut block = reuse.try_recv().unwrap_or_default();
        // A reused block is refilled over its old bytes; only a new one is zeroed first.
        block.resize(BLOCK, 0);
        let mut filled = 0;
        let mut error = None;
        while filled < BLOCK {
            match decoder.read(block.get_mut(filled..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        let full = filled == BLOCK;
        block.truncate(filled);
        if filled > 0 && to.send(Inflated::Bytes(block)).is_err() {
            return;
        }
        if let Some(e) = error {
            let _ = to.send(Inflated::Error(e));
            return;
        }
        if !full {
            let _ = to.send(Inflated::End);
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
        let rest = self.block.get(self.at..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(to), Some(from)) = (buf.get_mut(..n), rest.get(..n)) {
            to.copy_from_slice(from);
        }
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
    use std::io::Cursor;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, data).unwrap();
        e.finish().unwrap()
    }

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
    fn the_bytes_and_the_error_are_those_of_inflating_in_place() {
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
            let in_place = read_all(MultiGzDecoder::new(Cursor::new(bytes.clone())), 10_000);
            let apart = read_all(InflatedReader::spawn(Cursor::new(bytes)).unwrap(), 10_000);
            assert_eq!(in_place.0.len(), apart.0.len(), "{name}");
            assert!(in_place.0 == apart.0, "{name}: same bytes");
            assert_eq!(in_place.1, apart.1, "{name}: same error");
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
