//! Records rendered together into one buffer that they share, and the pool the buffers go back
//! to once the last of their records is written.
//!
//! Why: a worker thread renders its records ahead of their turn, and the reading thread writes
//! them. A buffer of its own per record (copied out of the worker's scratch buffer, freed by the
//! reader) cost a copy and an allocation per record, and, freed on another thread than the one
//! that allocated it, kept the worker's allocator taking fresh pages: perf on the benchmark
//! capture, `-j 2`, counted 38% of the run's page faults in those copies and allocations. A
//! worker now renders the records of one pass one after the other into arenas of about 48 KiB
//! taken from its pool (the engine's `ARENA_FILL`: about nine records each), and each record
//! refers to its bytes there; the reader's last reference sends the arena back, so the same few
//! buffers go round. `-j 2` on the benchmark capture, four interleaved runs each: 0.89-1.16 s
//! -> 0.83-1.04 s, CPU time 1.60-2.00 s -> 1.46-1.85 s, page faults 5,900-6,400 -> 5,400-5,600.

use std::sync::{Arc, Mutex};

/// Capacity of a new arena: room for the engine's fill mark and one more record of up to 16 KB.
const START_CAPACITY: usize = 64 << 10;
/// Arenas kept for reuse per pool, at most.
const POOLED: usize = 32;
/// An arena larger than this is not kept (one grown for a very large record): the arenas that
/// go round stay small.
const POOLED_MAX_CAPACITY: usize = 1 << 20;

/// Buffers that arenas are made from and go back to: one per rendering thread.
#[derive(Debug, Default)]
pub struct Pool {
    free: Mutex<Vec<Vec<u8>>>,
}

impl Pool {
    /// An empty buffer to render into: one given back, or a new one.
    pub fn take(&self) -> Vec<u8> {
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
    pub fn new(mut bytes: Vec<u8>, home: &Arc<Pool>) -> Self {
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
