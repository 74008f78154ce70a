//! The output's chunks, waiting to be written by whichever thread of a run has the time.
//!
//! Why: writing the output is the kernel copying every byte into the file's pages, and on a
//! sharded run (`read --threads N`) it was all the reading thread's, which also reads, decodes
//! and dispatches every frame: on the benchmark capture (525 MB of JSON lines into tmpfs) perf
//! at `-j 2` put 23.5% of the reader's samples in that copy, and the reader had 62% of the
//! run's samples, the worker 38%, waiting the rest for batches. A write can be made by any
//! thread as long as the chunks go out in order, so the reader queues each chunk of records
//! here ([`Spool::push`]); a worker that finds its queue empty writes waiting chunks before it
//! sleeps, the reader writes them when it would wait for a worker, and when more than
//! [`WAITING_MAX`] wait (the workers busy), itself. Writes move only to a thread that would
//! otherwise wait: a worker writing its even share of the chunks whatever it was doing made
//! `-j 2` slower (0.88-1.02 s against 0.69-0.73 s; a chunk written on the other core costs more
//! than on the core that filled it), so the split of the flows between the threads
//! (`READER_COST_PCT_MAPPED` in `src/engine/pipeline.rs`) still counts the writes as the reader's.
//!
//! Chunks go out in order: a thread takes the output's lock first and only then the oldest
//! chunk, and writes it before it lets the lock go.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Chunks that may wait before the thread queueing one writes the oldest itself: 16 chunks of
/// [`super::LINE_CHUNK`] (2 MiB).
pub const WAITING_MAX: usize = 16;
/// Spent chunk buffers kept for reuse.
const FREE_MAX: usize = WAITING_MAX + 2;

/// Work a thread can do for the output while it would otherwise wait.
pub trait Help: Send + Sync {
    /// Writes the oldest chunk waiting, unless none waits or another thread is writing; true
    /// if it wrote one.
    fn help(&self) -> bool;
}

/// The output and the chunks waiting for it.
pub struct Spool<W> {
    out: Mutex<Output<W>>,
    queue: Mutex<Queue>,
    /// Chunks waiting (read without the lock to tell whether there is anything to help with).
    waiting: AtomicUsize,
    /// A write has failed: its error waits in `Output::error` for the thread that queues.
    failed: AtomicBool,
}

struct Output<W> {
    w: W,
    error: Option<io::Error>,
}

#[derive(Default)]
struct Queue {
    chunks: VecDeque<Vec<u8>>,
    free: Vec<Vec<u8>>,
}

/// A poisoned lock means a thread panicked while it held it; the run is failing anyway and the
/// data is still consistent (a chunk is written whole or the error kept), so it is used.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<W: Write> Spool<W> {
    /// A spool writing to `w`.
    pub fn new(w: W) -> Self {
        Spool {
            out: Mutex::new(Output { w, error: None }),
            queue: Mutex::new(Queue::default()),
            waiting: AtomicUsize::new(0),
            failed: AtomicBool::new(false),
        }
    }

    /// Writes `bytes` at once, after every chunk waiting.
    pub fn write_now(&self, bytes: &[u8]) -> io::Result<()> {
        let mut out = lock(&self.out);
        self.write_waiting(&mut out, usize::MAX);
        if let Some(e) = out.error.take() {
            return Err(e);
        }
        out.w.write_all(bytes)
    }

    /// Queues `chunk` (it is taken; an empty buffer of the same capacity is left in its place)
    /// and, when more than [`WAITING_MAX`] wait, writes the oldest. An error from an earlier
    /// write, by whichever thread, is returned here, once.
    pub fn push(&self, chunk: &mut Vec<u8>) -> io::Result<()> {
        if self.failed.load(Ordering::Acquire) {
            chunk.clear();
            return self.error();
        }
        let waiting = {
            let mut q = lock(&self.queue);
            let spare = q
                .free
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(chunk.capacity()));
            q.chunks.push_back(std::mem::replace(chunk, spare));
            q.chunks.len()
        };
        self.waiting.store(waiting, Ordering::Release);
        if waiting > WAITING_MAX {
            let mut out = lock(&self.out);
            self.write_waiting(&mut out, waiting - WAITING_MAX);
        }
        Ok(())
    }

    /// Writes every chunk waiting and flushes the output.
    pub fn flush(&self) -> io::Result<()> {
        self.write_now(&[])?;
        lock(&self.out).w.flush()
    }

    /// Looks at the output (tests).
    #[cfg(test)]
    pub(crate) fn output<R>(&self, f: impl FnOnce(&W) -> R) -> R {
        f(&lock(&self.out).w)
    }

    /// Takes the error of a failed write.
    fn error(&self) -> io::Result<()> {
        match lock(&self.out).error.take() {
            Some(e) => Err(e),
            None => Err(io::Error::other("writing the output failed")),
        }
    }

    /// Writes up to `n` of the oldest chunks waiting, `out` being held; the number written.
    /// After a failed write the chunks are dropped.
    fn write_waiting(&self, out: &mut Output<W>, n: usize) -> usize {
        let mut written = 0;
        while written < n {
            let Some(mut chunk) = ({
                let mut q = lock(&self.queue);
                let c = q.chunks.pop_front();
                self.waiting.store(q.chunks.len(), Ordering::Release);
                c
            }) else {
                break;
            };
            if out.error.is_none() {
                if let Err(e) = out.w.write_all(&chunk) {
                    out.error = Some(e);
                    self.failed.store(true, Ordering::Release);
                }
            }
            written += 1;
            chunk.clear();
            let mut q = lock(&self.queue);
            if q.free.len() < FREE_MAX {
                q.free.push(chunk);
            }
        }
        written
    }
}

impl<W: Write + Send> Help for Spool<W> {
    fn help(&self) -> bool {
        if self.waiting.load(Ordering::Acquire) == 0 {
            return false;
        }
        // Another thread writing: it will write what waits, so there is nothing to help with.
        let Ok(mut out) = self.out.try_lock() else {
            return false;
        };
        self.write_waiting(&mut out, 1) == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A writer whose bytes stay readable, failing after `fail_after` writes if set.
    #[derive(Clone, Default)]
    struct Shared {
        bytes: Arc<Mutex<Vec<u8>>>,
        writes: Arc<AtomicUsize>,
        fail_after: Option<usize>,
    }

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = self.writes.fetch_add(1, Ordering::SeqCst);
            if self.fail_after.is_some_and(|f| n >= f) {
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"));
            }
            lock(&self.bytes).extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn chunk(i: usize) -> Vec<u8> {
        let mut c = Vec::with_capacity(64);
        c.extend_from_slice(format!("chunk {i}\n").as_bytes());
        c
    }

    #[test]
    fn chunks_wait_until_a_helper_or_too_many_and_go_out_in_order() {
        let w = Shared::default();
        let spool = Spool::new(w.clone());
        assert!(!spool.help(), "nothing waits");
        let mut want = Vec::new();
        for i in 0..WAITING_MAX {
            let mut c = chunk(i);
            want.extend_from_slice(&c);
            spool.push(&mut c).unwrap();
            assert!(c.is_empty() && c.capacity() >= 64, "a spare buffer is left");
        }
        assert!(lock(&w.bytes).is_empty(), "up to WAITING_MAX chunks wait");
        assert!(spool.help());
        assert_eq!(
            lock(&w.bytes).as_slice(),
            b"chunk 0\n",
            "a helper writes the oldest"
        );
        for i in WAITING_MAX..WAITING_MAX + 2 {
            let mut c = chunk(i);
            want.extend_from_slice(&c);
            spool.push(&mut c).unwrap();
        }
        assert_eq!(
            String::from_utf8(lock(&w.bytes).clone()).unwrap(),
            "chunk 0\nchunk 1\n",
            "past WAITING_MAX the queueing thread writes the oldest"
        );
        spool.write_now(b"last\n").unwrap();
        want.extend_from_slice(b"last\n");
        spool.flush().unwrap();
        assert_eq!(lock(&w.bytes).as_slice(), want.as_slice());
        assert_eq!(spool.waiting.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn helpers_on_other_threads_keep_the_order() {
        let w = Shared::default();
        let spool = Arc::new(Spool::new(w.clone()));
        let stop = Arc::new(AtomicBool::new(false));
        let helpers: Vec<_> = (0..3)
            .map(|_| {
                let (spool, stop) = (Arc::clone(&spool), Arc::clone(&stop));
                std::thread::spawn(move || {
                    let mut helped = 0;
                    while !stop.load(Ordering::SeqCst) {
                        helped += usize::from(spool.help());
                    }
                    helped
                })
            })
            .collect();
        let mut want = Vec::new();
        for i in 0..5_000 {
            let mut c = chunk(i);
            want.extend_from_slice(&c);
            spool.push(&mut c).unwrap();
        }
        // However the threads were scheduled, up to WAITING_MAX chunks wait now: the helpers
        // write them (the test's timing does not decide what it checks).
        let start = std::time::Instant::now();
        while spool.waiting.load(Ordering::SeqCst) > 0 && start.elapsed().as_secs() < 60 {
            std::thread::yield_now();
        }
        spool.flush().unwrap();
        stop.store(true, Ordering::SeqCst);
        let helped: usize = helpers.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(helped > 0, "the helpers wrote some");
        assert_eq!(lock(&w.bytes).as_slice(), want.as_slice());
    }

    #[test]
    fn a_failed_write_is_returned_to_the_queueing_thread_once_and_later_chunks_dropped() {
        let w = Shared {
            fail_after: Some(1),
            ..Default::default()
        };
        let spool = Spool::new(w.clone());
        spool.push(&mut chunk(0)).unwrap();
        spool.push(&mut chunk(1)).unwrap();
        assert!(spool.help() && spool.help(), "both taken");
        let e = spool.push(&mut chunk(2)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        assert!(spool.push(&mut chunk(3)).is_err(), "still failed");
        assert_eq!(lock(&w.bytes).as_slice(), b"chunk 0\n");
        assert_eq!(
            w.writes.load(Ordering::SeqCst),
            2,
            "nothing written after the error"
        );
    }
}
