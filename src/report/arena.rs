//! Records rendered together into one buffer that they share, and the pool the buffers go back
//! to once the last of their records is written.
//!
//! Why: a worker thread renders its records ahead of their turn, and the reading thread writes
//! them. A buffer of its own per record (copied out of the worker's scratch buffer, freed by the
//! reader) cost a copy and an allocation per record, and, freed on another thread than the one
//! that allocated it, kept the worker's allocator taking fresh pages: perf on the benchmark
//! capture, `-j 2`, counted 38% of the run's page faults in those copies and allocations. A
//! worker now renders the records of one pass one after the other into arenas of about 48 KiB
//! taken from its pool ([`FILL`]: about nine records each, see [`Filling`]), and each record
//! refers to its bytes there; the reader's last reference sends the arena back, so the same few
//! buffers go round. `-j 2` on the benchmark capture, four interleaved runs each: 0.89-1.16 s
//! -> 0.83-1.04 s, CPU time 1.60-2.00 s -> 1.46-1.85 s, page faults 5,900-6,400 -> 5,400-5,600.

use std::sync::{Arc, Mutex};

/// Bytes of records in an arena after which the next record goes into a new one. A record
/// waiting in the merge keeps its whole arena, and the records of one pass are written at
/// different times (a pass can finish hundreds of connections early, for the memory limits,
/// each waiting for the ones that began before it). Peak RSS at `-j 2`, `gen_hostile.py`
/// captures, with a record's own buffer / one arena per pass / arenas of 224 KiB / of 48 KiB:
/// `hellos 200000` (passes of 1.5 MB of records on average) 205-259 / 265 / 206-237 /
/// 205-233 MiB, `open 100000` 129-132 / 171 / 160-168 / 132-135 MiB; the benchmark capture
/// was no slower with 48 KiB (`-j 2`, four interleaved runs: 0.83-1.04 s, 224 KiB 0.87-1.09 s).
pub const FILL: usize = 48 << 10;
/// Capacity of a new arena: room for [`FILL`] and one more record of up to 16 KB.
const START_CAPACITY: usize = FILL + (16 << 10);
/// Arenas kept for reuse per pool, at most.
const POOLED: usize = 32;
/// An arena larger than this is not kept (one grown for a very large record): the arenas that
/// go round stay small.
const POOLED_MAX_CAPACITY: usize = 1 << 20;

/// The arenas of the pass being made by one rendering thread, and the pool their buffers come
/// from and go back to.
#[derive(Debug, Default)]
pub struct Filling {
    /// The pass's arenas filled so far, before the one records are being rendered into.
    filled: Vec<Vec<u8>>,
    pool: Arc<Pool>,
}

impl Filling {
    /// Makes `current` (the buffer records are rendered into) ready for one more record: a
    /// buffer from the pool when it has none, or when it holds [`FILL`] bytes (then kept for
    /// the pass). Returns the number of the arena the record goes into, for [`Self::seal`].
    pub fn room(&mut self, current: &mut Vec<u8>) -> usize {
        if current.len() >= FILL {
            let full = std::mem::replace(current, self.pool.take());
            self.filled.push(full);
        } else if current.capacity() == 0 {
            *current = self.pool.take();
        }
        self.filled.len()
    }

    /// Ends the pass: its arenas in the order [`Self::room`] numbered them, `current` last
    /// (left without a buffer); none when no record was rendered.
    pub fn seal(&mut self, current: &mut Vec<u8>) -> Vec<Arc<Arena>> {
        if !current.is_empty() {
            self.filled.push(std::mem::take(current));
        }
        let pool = &self.pool;
        self.filled
            .drain(..)
            .map(|bytes| Arc::new(Arena::new(bytes, pool)))
            .collect()
    }
}

/// Buffers that arenas are made from and go back to: one per rendering thread.
#[derive(Debug, Default)]
struct Pool {
    free: Mutex<Vec<Vec<u8>>>,
}

impl Pool {
    /// An empty buffer to render into: one given back, or a new one.
    fn take(&self) -> Vec<u8> {
        let reused = self.free.lock().ok().and_then(|mut free| free.pop());
        reused.unwrap_or_else(|| Vec::with_capacity(START_CAPACITY))
    }

    /// Keeps `bytes` for reuse, unless the pool is full or the buffer is too large to keep.
    fn give_back(&self, mut bytes: Vec<u8>) {
        if bytes.capacity() > POOLED_MAX_CAPACITY {
            return;
        }
        bytes.clear();
        if let Ok(mut free) = self.free.lock() {
            if free.len() < POOLED {
                free.push(bytes);
            }
        }
    }

    /// How many buffers wait for reuse.
    #[cfg(test)]
    fn kept(&self) -> usize {
        self.free.lock().map(|f| f.len()).unwrap_or(0)
    }
}

/// Rendered records, one after the other, shared by the records (each holds an `Arc`); the
/// buffer goes back to its pool when the last one is dropped.
#[derive(Debug)]
pub struct Arena {
    bytes: Vec<u8>,
    home: Option<Arc<Pool>>,
}

impl Arena {
    /// The records rendered into `bytes` (a buffer taken from `home`, where it goes back when
    /// the arena is dropped), or a copy of them when they fill less than half of it (the last
    /// arena of a pass, often): records can wait in the merge by the thousand, and each keeps
    /// its whole arena. A copy is one allocation per arena, not one per record; the buffer goes
    /// back to the pool at once.
    fn new(mut bytes: Vec<u8>, home: &Arc<Pool>) -> Self {
        if bytes.len() >= bytes.capacity() / 2 {
            return Arena {
                bytes,
                home: Some(home.clone()),
            };
        }
        let copy = bytes.as_slice().to_vec();
        bytes.clear();
        home.give_back(bytes);
        Arena {
            bytes: copy,
            home: None,
        }
    }

    /// All the records' bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        if let Some(home) = &self.home {
            home.give_back(std::mem::take(&mut self.bytes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arena_goes_back_to_its_pool_when_its_last_record_is_dropped() {
        let pool = Arc::new(Pool::default());
        let mut bytes = pool.take();
        assert!(bytes.capacity() >= START_CAPACITY);
        bytes.resize(START_CAPACITY / 2, b'x');
        let arena = Arc::new(Arena::new(bytes, &pool));
        let second = arena.clone();
        assert_eq!(arena.bytes(), vec![b'x'; START_CAPACITY / 2]);
        drop(arena);
        assert_eq!(pool.kept(), 0, "a record still holds the arena");
        drop(second);
        assert_eq!(pool.kept(), 1);
        let again = pool.take();
        assert!(again.is_empty() && again.capacity() >= START_CAPACITY);
        assert_eq!(pool.kept(), 0);
    }

    #[test]
    fn a_pass_fills_arenas_in_turn_and_seals_them_in_order() {
        let mut filling = Filling::default();
        let mut current = Vec::new();
        // Records of 20 KB: three fill an arena past FILL (48 KiB), the next starts another.
        let arenas: Vec<usize> = (0..5u8)
            .map(|i| {
                let at = filling.room(&mut current);
                current.extend_from_slice(&[i; 20_000]);
                at
            })
            .collect();
        assert_eq!(arenas, [0, 0, 0, 1, 1]);
        let sealed = filling.seal(&mut current);
        assert_eq!(current.capacity(), 0);
        let lens: Vec<usize> = sealed.iter().map(|a| a.bytes().len()).collect();
        assert_eq!(lens, [60_000, 40_000]);
        assert_eq!(sealed[1].bytes()[0], 3);
        assert!(
            filling.seal(&mut current).is_empty(),
            "a pass without records"
        );
        drop(sealed);
        assert_eq!(filling.pool.kept(), 2);
    }

    #[test]
    fn records_filling_less_than_half_their_buffer_are_copied_and_the_buffer_kept() {
        let pool = Arc::new(Pool::default());
        let mut bytes = pool.take();
        bytes.extend_from_slice(b"{\"id\":0}\n");
        let arena = Arena::new(bytes, &pool);
        assert_eq!(arena.bytes(), b"{\"id\":0}\n");
        assert_eq!(arena.bytes.capacity(), arena.bytes.len(), "an exact copy");
        assert_eq!(pool.kept(), 1, "the buffer is back at once");
        drop(arena);
        assert_eq!(pool.kept(), 1, "the copy is not kept");
    }

    #[test]
    fn a_large_arena_and_one_past_a_full_pool_are_not_kept() {
        let pool = Arc::new(Pool::default());
        drop(Arena::new(vec![0; POOLED_MAX_CAPACITY + 1], &pool));
        assert_eq!(pool.kept(), 0);
        for _ in 0..POOLED + 3 {
            drop(Arena::new(vec![0; 1024], &pool));
        }
        assert_eq!(pool.kept(), POOLED);
    }
}
