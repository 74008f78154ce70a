//! Reading inputs end to end, on one thread or several (`read --threads N`).
//!
//! The calling thread reads and decodes every frame ([`Frontend`]). With one thread it also
//! follows the flows, analyses and renders each finished record. With N it follows a part of
//! the connections itself and hands each TCP segment of the others in a batch (its payload not
//! copied but kept by a reference to the chunk of the input it was read in, a [`Chunk`]) to the
//! one of N - 1 workers that owns its connection (a hash of the address pair, the same for both
//! directions: see [`Split`]); each worker has its own [`FlowTable`], analyses and renders what
//! it finishes and passes it back with its marks. Either way the records go
//! through one [`Merge`], which numbers them and releases them in the order set by the flows
//! themselves (see [`super::order`]), so output is byte for byte the same for any N.
//!
//! Each worker's queue holds at most [`QUEUE_BATCHES`] batches, so a slow worker slows the
//! reader instead of growing memory. Limits that bound all flows together (`max_flows`,
//! `max_total_buffered`) are shared between the tables as the connections are
//! ([`EngineOptions::table_share`]).

use super::conn::FrameCtx;
use super::order::{Merge, OrderKey, Passed};
use super::table::FlowTable;
use super::{EngineOptions, Frontend, SHARE_UNITS};
use crate::analysis::{self, Context};
use crate::capture::{self, CaptureError, Chunk, Frame};
use crate::decode::{TcpFlags, TcpSegment};
use crate::flow::key::FlowKey;
use crate::record::{InputInfo, Negotiation, Stats, Timestamp};
use crate::report::arena::{Arena, Filling};
use crate::report::spool::Help;
use crate::report::{MakeRender, Render, Rendered, RenderedRef, Sink, Tally};
use std::hash::BuildHasher;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::ControlFlow;
use std::sync::mpsc;
use std::sync::Arc;

/// Segments per batch before it is sent.
const BATCH_SEGMENTS: usize = 1024;
/// Payload bytes per batch before it is sent.
const BATCH_BYTES: usize = 512 * 1024;
/// Chunks of the input a batch refers to before it is sent: with many workers each one's
/// segments are spread thin over the input, and what batches hold is what the reader cannot
/// reuse. Chunks alive are then at most about (QUEUE_BATCHES + 2) × this many past the one
/// being read (20 MiB of 256 KiB chunks), however many workers there are (a worker's oldest
/// batch pins the chunks after it).
const BATCH_CHUNKS: usize = 8;
/// Bytes of the chunks a batch refers to before it is sent: two windows of a mapped file (whose
/// pages count in the process's memory while mapped; at least two, or every batch would be sent
/// full at its first window), so that mapped windows alive stay under about
/// (QUEUE_BATCHES + 2) × 16 MiB; eight read chunks come first.
const BATCH_CHUNK_BYTES: usize = 2 * crate::capture::MAP_WINDOW;
/// Frames after which every worker is sent what it has (even nothing), so that its marks
/// follow the capture and records do not wait on an idle worker.
const SYNC_FRAMES: u64 = 16 * 1024;
// Every batch is sent at least this often, so a segment's frame number fits in a `u32` after its
// batch's first (`SegMeta::number`).
const _: () = assert!(SYNC_FRAMES < u32::MAX as u64);
/// Batches queued per worker.
pub const QUEUE_BATCHES: usize = 8;
/// Frames between two looks at what the one-thread run can release.
const RELEASE_FRAMES: u64 = 256;
/// Frames between progress reports.
const PROGRESS_FRAMES: u64 = 64 * 1024;

/// How far a run has got, for a progress display.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Input being read.
    pub input: usize,
    /// Frames read from it.
    pub packets: u64,
    /// Approximate bytes of it read (captured bytes plus record headers).
    pub bytes: u64,
    /// TCP flows seen so far (over all inputs; lags a little with several threads).
    pub tcp_flows: u64,
    /// TLS records written so far.
    pub tls_flows: u64,
}

/// What a run needs besides its inputs.
pub struct Job<'a> {
    /// Engine options (limits, server ports).
    pub opts: &'a EngineOptions,
    /// Analysis context.
    pub ctx: &'a Context,
    /// Makes one renderer per thread.
    pub render: &'a MakeRender,
    /// Worker threads (1: everything on the calling thread).
    pub threads: usize,
    /// Map regular files instead of reading them ([`capture::read_capture_until`]).
    pub map_files: bool,
    /// The output is thrown away (`/dev/null`): the reader's cost leaves out writing it
    /// ([`READER_COST_PCT_DISCARDED`]).
    pub output_discarded: bool,
    /// Called every so often while reading.
    pub progress: Option<&'a mut dyn FnMut(&Progress)>,
}

/// What a run produced besides the records.
#[derive(Debug, Default)]
pub struct Outcome {
    /// One entry per input, in order.
    pub inputs: Vec<InputInfo>,
    /// Totals.
    pub stats: Stats,
    /// Inputs that could not be read, with why.
    pub errors: Vec<(String, CaptureError)>,
}

/// Reads every input in turn into `sink`. An input that cannot be read is recorded and the
/// others are still read; an error from the sink (a closed pipe) stops the run.
pub fn run(paths: &[String], job: Job<'_>, sink: &mut dyn Sink) -> io::Result<Outcome> {
    if job.threads <= 1 {
        run_inline(paths, job, sink)
    } else {
        run_sharded(paths, job, sink)
    }
}

/// Analyses finished records and renders them (a worker, as they are finished; the reading
/// thread, its own records as they are written: [`Ready`]), counting them.
struct Finisher<'a> {
    ctx: &'a Context,
    render: Box<dyn Render>,
    /// Where the reading thread renders a record of its own when the sink has no buffer to
    /// render into; a worker's arena being filled (the records of the pass being made, each
    /// after the other, see [`crate::report::arena`]).
    scratch: Rendered,
    /// A worker's arenas of the pass being made, and where their buffers come from.
    arenas: Filling,
    written: u64,
    /// Render each record as it is finished (a worker: rendering runs in parallel, and the
    /// reading thread writes the bytes); else each waits analysed and is rendered when written.
    ahead: bool,
}

impl<'a> Finisher<'a> {
    fn new(ctx: &'a Context, render: Box<dyn Render>, ahead: bool) -> Self {
        Finisher {
            ctx,
            render,
            scratch: Rendered {
                bytes: if ahead {
                    Vec::new()
                } else {
                    Vec::with_capacity(16 << 10)
                },
                ..Default::default()
            },
            arenas: Filling::default(),
            written: 0,
            ahead,
        }
    }

    /// Analyses one finished record, and renders it into the pass's arena when the finisher
    /// renders ahead.
    fn finish(&mut self, mut n: Negotiation) -> Ready {
        analysis::analyze(&mut n, self.ctx);
        self.written += 1;
        if !self.ahead {
            return Ready::Analysed(Box::new(n));
        }
        let arena = self.arenas.room(&mut self.scratch.bytes);
        let start = self.scratch.bytes.len();
        self.render.append(&n, &mut self.scratch);
        Ready::Pending(Span {
            arena,
            start,
            end: self.scratch.bytes.len(),
            id_at: self.scratch.id_at.saturating_sub(start),
            id_len: self.scratch.id_len,
            tally: Tally::of(&n),
        })
    }

    /// `passed` with the arenas of its records closed: each record rendered into one now holds
    /// it. Every pass a finisher makes goes through here before it leaves the finisher's thread.
    /// (A finisher that does not render ahead has no arenas: its scratch buffer is the
    /// reading thread's, for rendering a record at its turn.)
    fn sealed(&mut self, mut passed: Passed<Ready>) -> Passed<Ready> {
        if !self.ahead {
            return passed;
        }
        let arenas = self.arenas.seal(&mut self.scratch.bytes);
        for (_, r) in &mut passed.done {
            if let Ready::Pending(span) = r {
                if let Some(arena) = arenas.get(span.arena) {
                    let span = std::mem::take(span);
                    *r = Ready::Rendered(InArena {
                        arena: arena.clone(),
                        span,
                    });
                }
            }
        }
        passed
    }
}

/// Where a record rendered ahead lies (which arena of its pass, where in it), and its tally.
#[derive(Debug, Default)]
struct Span {
    arena: usize,
    start: usize,
    end: usize,
    /// Where its id digits start, from `start`.
    id_at: usize,
    id_len: usize,
    tally: Tally,
}

/// A record rendered ahead, with the arena it lies in.
struct InArena {
    arena: Arc<Arena>,
    span: Span,
}

impl InArena {
    fn view(&self) -> RenderedRef<'_> {
        RenderedRef {
            bytes: self
                .arena
                .bytes()
                .get(self.span.start..self.span.end)
                .unwrap_or_default(),
            id_at: self.span.id_at,
            id_len: self.span.id_len,
            tally: &self.span.tally,
        }
    }
}

/// A finished record waiting in the merge for its turn to be written.
enum Ready {
    /// Rendered by a worker (in parallel), in the arena of the pass that finished it.
    Rendered(InArena),
    /// Rendered by a worker into the arena of the pass being made: only until the pass is
    /// sealed ([`Finisher::sealed`]), never in the merge.
    Pending(Span),
    /// The reading thread's own (every record, with one thread), analysed: rendered when its
    /// turn comes, right before the write (straight into the output's buffer for JSON lines,
    /// `Sink::flow_analysed`; else into the finisher's scratch buffer). Rendered when
    /// finished, each had been copied out of the scratch buffer and read back from memory when
    /// its turn came (records wait for the ones that began before them). On the first 300 MB of
    /// the benchmark capture (cachegrind, 2 MiB last level, `-j 1`): last-level misses 10.86 M
    /// -> 7.43 M, instructions 1,384 M -> 1,360 M; the whole capture, five interleaved runs
    /// each, 2.08-2.24 s -> 1.92-1.96 s. Waiting records hold about as much memory analysed as
    /// rendered (`gen_hostile.py` captures: within a few MiB).
    Analysed(Box<Negotiation>),
}

/// Writes whatever the merge can release, rendering the records that wait analysed.
fn release(
    merge: &mut Merge<Ready>,
    sink: &mut dyn Sink,
    fin: &mut Finisher<'_>,
) -> io::Result<()> {
    merge.release(&mut |id, r| match r {
        Ready::Rendered(r) => sink.flow(id, r.view()),
        Ready::Pending(_) => Err(io::Error::other(
            "internal error: a record was passed before its arena was sealed",
        )),
        Ready::Analysed(mut n) => {
            n.id = id;
            sink.flow_analysed(&n, &mut *fin.render, &mut fin.scratch)
        }
    })
}

/// Reads one input, passing each frame to `on_frame`; records the outcome in `out`.
fn read_one(
    path: &str,
    how: capture::ReadOptions,
    out: &mut Outcome,
    on_frame: &mut dyn FnMut(&Frame<'_>) -> ControlFlow<()>,
) -> InputInfo {
    let mut info = InputInfo {
        path: path.to_string(),
        ..Default::default()
    };
    if let Err(error) = capture::read_capture_until(path, how, &mut info, on_frame) {
        info.notes.push(format!("cannot be read: {error}"));
        out.errors.push((path.to_string(), error));
    }
    info
}

fn progress_of(front: &Frontend, input: usize, bytes: u64, flows: u64, tls: u64) -> Progress {
    Progress {
        input,
        packets: front.frame,
        bytes,
        tcp_flows: flows,
        tls_flows: tls,
    }
}

/// One thread does everything.
fn run_inline(paths: &[String], mut job: Job<'_>, sink: &mut dyn Sink) -> io::Result<Outcome> {
    let mut front = Frontend::new(&job.opts.limits);
    let mut table = FlowTable::new(job.opts.clone());
    let mut fin = Finisher::new(job.ctx, (job.render)(), false);
    let mut merge: Merge<Ready> = Merge::new(1);
    let mut out = Outcome::default();
    for (i, path) in paths.iter().enumerate() {
        front.begin_input(i);
        table.input = i;
        let mut sink_err: Option<io::Error> = None;
        let mut bytes = 0u64;
        let how = capture::ReadOptions {
            map: job.map_files,
            inflate_apart: false,
        };
        let mut info = read_one(path, how, &mut out, &mut |frame| {
            let clock = front.clock_at(frame.ts);
            if let Some(seg) = front.decode(frame) {
                let ctx = FrameCtx {
                    number: frame.number,
                    ts: frame.ts,
                };
                table.segment(&seg, ctx, clock);
            }
            bytes += frame.data.len() as u64 + 16;
            if frame.number % RELEASE_FRAMES == 0 {
                let p = table
                    .order
                    .pass(front.clock, front.next_key(), &mut |n| fin.finish(n));
                merge.accept(0, fin.sealed(p));
                if let Err(e) = release(&mut merge, sink, &mut fin) {
                    sink_err = Some(e);
                    return ControlFlow::Break(());
                }
            }
            if frame.number % PROGRESS_FRAMES == 0 {
                if let Some(p) = job.progress.as_mut() {
                    p(&progress_of(
                        &front,
                        i,
                        bytes,
                        table.stats.tcp_flows,
                        fin.written,
                    ));
                }
            }
            ControlFlow::Continue(())
        });
        front.finish();
        if let Some(e) = sink_err {
            return Err(e);
        }
        end_in_steps(&mut table, &mut fin, i, &mut |step| {
            merge.accept(0, step.passed);
            release(&mut merge, sink, step.fin)
        })?;
        info.notes.extend(front.notes());
        out.inputs.push(info);
    }
    out.stats = front.stats.clone();
    out.stats += &table.stats;
    sink.finish(&out.inputs, &out.stats)?;
    Ok(out)
}

/// [`SegMeta::chunk`] of a payload copied into the batch's data.
const COPIED: u8 = u8::MAX;

/// [`SegMeta::bits`]: the TCP flags, the segment's state, and how its addresses are kept.
const SYN: u16 = 1;
const ACK: u16 = 1 << 1;
const FIN: u16 = 1 << 2;
const RST: u16 = 1 << 3;
const PSH: u16 = 1 << 4;
const TRUNCATED: u16 = 1 << 5;
/// The payload starts like a TLS handshake, alert or change-cipher-spec record: the worker
/// will most likely copy and parse it ([`Batch::prefetch_records`]).
const RECORD: u16 = 1 << 6;
/// Not two IPv4 addresses: `src_ip` is the index of the pair in [`Batch::addrs`].
const OTHER_ADDRS: u16 = 1 << 7;
/// The frame's time is not the batch's first plus `ts_secs` seconds, or the capture clock is not
/// the frame's time: `ts_secs` is the index of both in [`Batch::times`].
const OTHER_TIMES: u16 = 1 << 8;

/// One TCP segment in a batch, in 48 bytes: the segment without its payload, which is in one
/// of the batch's chunks or (copied) in its data. The reader writes one for each segment it
/// passes on and the worker reads it on the other core, so its size is traffic between the
/// cores: with the addresses as `SocketAddr`s and whole `Timestamp`s it took 144 bytes, and
/// doubling that made `-j 2` 3-5% slower on the benchmark capture; then 72, and 48 with the
/// frame number and seconds counted from the batch's first and the capture clock left out when
/// it is the frame's time (nearly always; else both times are kept aside).
#[derive(Debug, Clone, Copy)]
struct SegMeta {
    /// Frame number after the batch's first ([`Batch::base_number`]).
    number: u32,
    /// Seconds after the batch's first segment's ([`Batch::base_secs`]), or (with
    /// [`OTHER_TIMES`]) an index in [`Batch::times`].
    ts_secs: u32,
    ts_nanos: u32,
    seq: u32,
    ack: u32,
    wire_payload_len: u32,
    /// Where the payload starts in its chunk or in the batch's data (both far below 4 GiB).
    start: u32,
    len: u32,
    /// IPv4 addresses, or (with [`OTHER_ADDRS`]) an index in [`Batch::addrs`].
    src_ip: u32,
    dst_ip: u32,
    src_port: u16,
    dst_port: u16,
    /// Index in [`Batch::chunks`], or [`COPIED`].
    chunk: u8,
    bits: u16,
}

/// Segments for one worker, with where the capture had got to when it was sent.
#[derive(Debug)]
struct Batch {
    input: usize,
    segs: Vec<SegMeta>,
    /// The chunks of the input the payloads are in (not copied: a reference each).
    chunks: Vec<Chunk>,
    /// Payloads that are not in a chunk (a reassembled IP datagram's, a live capture's).
    data: Vec<u8>,
    /// The address pairs that are not two IPv4 addresses ([`OTHER_ADDRS`]).
    addrs: Vec<(SocketAddr, SocketAddr)>,
    /// The first segment's frame number and seconds, which the others count from.
    base_number: u64,
    base_secs: i64,
    /// Frame times and capture clocks that are not kept in the segment ([`OTHER_TIMES`]).
    times: Vec<(Timestamp, Timestamp)>,
    /// Payload bytes of all the segments.
    bytes: usize,
    /// Bytes of the chunks in `chunks`.
    chunk_bytes: usize,
    /// The capture clock and the next frame's key when the batch was sent.
    clock: Timestamp,
    next: OrderKey,
}

impl Batch {
    /// An empty batch with room for a full one, so that filling it never reallocates (growing
    /// batches from empty had been most of what a sharded run costs over a single-threaded one).
    fn new() -> Self {
        Batch {
            input: 0,
            segs: Vec::with_capacity(BATCH_SEGMENTS),
            chunks: Vec::with_capacity(BATCH_CHUNKS),
            data: Vec::new(),
            addrs: Vec::new(),
            base_number: 0,
            base_secs: 0,
            times: Vec::new(),
            bytes: 0,
            chunk_bytes: 0,
            clock: Timestamp::default(),
            next: OrderKey::default(),
        }
    }

    /// Adds a segment of a frame read from `chunk` (when it was): its payload is kept by a
    /// reference to the chunk when it lies in it, else copied.
    fn push(
        &mut self,
        seg: &TcpSegment<'_>,
        number: u64,
        ts: Timestamp,
        clock: Timestamp,
        chunk: Option<&Chunk>,
    ) {
        let kept = chunk
            .filter(|_| !seg.payload.is_empty())
            .and_then(|c| Some((c, u32::try_from(c.offset_of(seg.payload)?).ok()?)));
        let (chunk, start) = match kept {
            Some((c, at)) => {
                if !self.chunks.last().is_some_and(|l| Chunk::same(l, c)) {
                    self.chunks.push(c.clone());
                    self.chunk_bytes += c.len();
                }
                // At most BATCH_CHUNKS chunks: the index fits.
                (u8::try_from(self.chunks.len() - 1).unwrap_or(COPIED), at)
            }
            None => {
                // A batch's data is sent at BATCH_BYTES, far below 4 GiB.
                let start = u32::try_from(self.data.len()).unwrap_or(u32::MAX);
                self.data.extend_from_slice(seg.payload);
                (COPIED, start)
            }
        };
        self.bytes += seg.payload.len();
        let f = seg.flags;
        // Without a branch per flag: a loop over (flag, bit) pairs was a tenth of what the
        // reader spends on a segment it passes on.
        let record = matches!(seg.payload.first(), Some(0x14..=0x16));
        let mut bits = (u16::from(f.syn) * SYN)
            | (u16::from(f.ack) * ACK)
            | (u16::from(f.fin) * FIN)
            | (u16::from(f.rst) * RST)
            | (u16::from(f.psh) * PSH)
            | (u16::from(seg.truncated) * TRUNCATED)
            | (u16::from(record) * RECORD);
        let (src_ip, dst_ip) = match (seg.src, seg.dst) {
            (SocketAddr::V4(s), SocketAddr::V4(d)) => (s.ip().to_bits(), d.ip().to_bits()),
            (s, d) => {
                bits |= OTHER_ADDRS;
                self.addrs.push((s, d));
                // At most BATCH_SEGMENTS pairs.
                (u32::try_from(self.addrs.len() - 1).unwrap_or(u32::MAX), 0)
            }
        };
        if self.segs.is_empty() {
            self.base_number = number;
            self.base_secs = ts.secs;
        }
        // A batch spans at most SYNC_FRAMES frames (every batch is sent that often), far below
        // 4 Gi; nearly always the clock is the frame's time and it is seconds after the first.
        let number = u32::try_from(number.wrapping_sub(self.base_number)).unwrap_or(u32::MAX);
        let ts_secs = match u32::try_from(ts.secs.wrapping_sub(self.base_secs)) {
            Ok(d) if clock == ts && ts.secs >= self.base_secs => d,
            _ => {
                bits |= OTHER_TIMES;
                self.times.push((ts, clock));
                // At most BATCH_SEGMENTS of them.
                u32::try_from(self.times.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.segs.push(SegMeta {
            number,
            ts_secs,
            ts_nanos: ts.nanos,
            seq: seg.seq,
            ack: seg.ack,
            wire_payload_len: seg.wire_payload_len,
            start,
            // A payload is at most one frame (or a reassembled datagram), far below 4 GiB.
            len: u32::try_from(seg.payload.len()).unwrap_or(u32::MAX),
            src_ip,
            dst_ip,
            src_port: seg.src.port(),
            dst_port: seg.dst.port(),
            chunk,
            bits,
        });
    }

    /// Segment `m` as the reader decoded it, with its frame and the capture clock at its frame.
    fn segment(&self, m: &SegMeta) -> (TcpSegment<'_>, FrameCtx, Timestamp) {
        let (src, dst) = if m.bits & OTHER_ADDRS != 0 {
            let none = SocketAddr::from(([0; 4], 0));
            self.addrs
                .get(m.src_ip as usize)
                .copied()
                .unwrap_or((none, none))
        } else {
            (
                SocketAddr::from((Ipv4Addr::from_bits(m.src_ip), m.src_port)),
                SocketAddr::from((Ipv4Addr::from_bits(m.dst_ip), m.dst_port)),
            )
        };
        let has = |bit| m.bits & bit != 0;
        let seg = TcpSegment {
            src,
            dst,
            seq: m.seq,
            ack: m.ack,
            flags: TcpFlags {
                syn: has(SYN),
                ack: has(ACK),
                fin: has(FIN),
                rst: has(RST),
                psh: has(PSH),
            },
            payload: self.payload(m),
            truncated: has(TRUNCATED),
            wire_payload_len: m.wire_payload_len,
        };
        let (ts, clock) = if has(OTHER_TIMES) {
            self.times
                .get(m.ts_secs as usize)
                .copied()
                .unwrap_or_default()
        } else {
            let ts = Timestamp {
                secs: self.base_secs.wrapping_add(i64::from(m.ts_secs)),
                nanos: m.ts_nanos,
            };
            (ts, ts)
        };
        let f = FrameCtx {
            number: self.base_number.wrapping_add(u64::from(m.number)),
            ts,
        };
        (seg, f, clock)
    }

    fn full(&self) -> bool {
        self.segs.len() >= BATCH_SEGMENTS
            || self.bytes >= BATCH_BYTES
            || self.chunks.len() >= BATCH_CHUNKS
            || self.chunk_bytes >= BATCH_CHUNK_BYTES
    }

    /// The payload of `m`.
    fn payload(&self, m: &SegMeta) -> &[u8] {
        let from = match self.chunks.get(m.chunk as usize) {
            Some(c) => &c[..],
            None => &self.data[..],
        };
        let start = m.start as usize;
        from.get(start..start + m.len as usize).unwrap_or_default()
    }

    /// Asks the CPU for the payloads that start like a handshake record, all at once before the
    /// segments are followed. They were last in the reader's cache (or only in memory), and the
    /// worker copying each one as it came to it waited for each: perf on the benchmark capture,
    /// `-j 2`, counted 880 samples in the worker's copies without this, 578 with it (and 170 in
    /// this loop); the worker's samples in all 4,235 and 4,301 without, 4,037 and 4,012 with.
    fn prefetch_records(&self) {
        for m in self.segs.iter().filter(|m| m.bits & RECORD != 0) {
            capture::prefetch_all(self.payload(m));
        }
    }

    /// Empties the batch for reuse, letting go of its chunks.
    fn clear(&mut self) {
        self.segs.clear();
        self.chunks.clear();
        self.data.clear();
        self.addrs.clear();
        self.times.clear();
        self.bytes = 0;
        self.chunk_bytes = 0;
    }
}

enum ToWorker {
    Batch(Batch),
    /// The input ended: finish every flow.
    End(usize),
}

struct FromWorker {
    /// The worker's table: 1 for the first worker (0 is the reader's own).
    worker: usize,
    passed: Passed<Ready>,
    /// The worker's table counters so far.
    stats: Stats,
    /// Records it has finished so far.
    written: u64,
    /// The batch, emptied, for reuse; `None` while ending an input.
    spent: Option<Batch>,
    /// The worker's last answer to an `End`: every flow of the input finished and passed.
    ended: bool,
}

/// How the connections are shared out: the reading thread follows a part of them itself in
/// table 0 (reading and decoding every frame is a worker's load of its own, so it takes less
/// than an even part, and none once there are enough workers), the workers the rest evenly,
/// by a hash of the address pair (the same for both directions).
///
/// A reader that only dispatched would make N + 1 busy threads on N cores; its own part keeps
/// exactly N busy. The split changes only who does the work: the output is the same for any.
#[derive(Debug, Clone)]
struct Split {
    /// Owner of each [`SHARE_UNITS`]th of the hash space: 0 the reader, w + 1 worker w.
    owner: Vec<u8>,
    tables: usize,
}

/// What reading, decoding and dispatching every frame, merging and writing the records costs,
/// in hundredths of what following all the flows costs, when the file is read with `read()`
/// (`--no-mmap`, compressed files, stdin). Set by timing `-j 2` on the 1.69 GB benchmark capture
/// (fastest of five runs each, interleaved): 29 took 1.05 s, 40 0.94 s, 50 0.89 s, 55 0.85 s,
/// 65 0.85 s, 75 0.82 s, 100 1.09 s. The flat middle of that range is taken. Counting
/// instructions (callgrind) says 29, but that leaves out the reader's system time (copying the
/// file in and 525 MB of records out, about 0.4 s of `-j 1`'s 1.5 s) and its cache misses on
/// every frame it dispatches.
const READER_COST_PCT: i64 = 65;

/// [`READER_COST_PCT`] when files are mapped (the reader no longer copies the file in). Timed
/// as above, three runs each, interleaved (seconds, fastest to slowest): 30 0.89-0.93, 40
/// 0.84-0.89, 45 0.84-0.85, 50 0.84-0.89, 55 0.89-0.96, 60 0.95-0.97, 65 0.97-0.98.
const READER_COST_PCT_MAPPED: i64 = 45;

/// [`READER_COST_PCT_MAPPED`] when the output is thrown away (`-o /dev/null`, as when only the
/// exit status of `--fail-on` is wanted): the reader no longer pays the kernel's copy of what it
/// writes (0.2-0.3 s of system time for the benchmark's 525 MB into tmpfs). Timed as above,
/// three runs each, interleaved: 20 0.66-0.95 s, 28 0.64-0.69, 35 0.68-0.75, 45 0.77-0.78 (the
/// same session, writing into tmpfs: 45 0.79-0.81, 52 0.78-0.82, 40 0.82-0.90). Only a file
/// known to discard counts: a pipe's reader or a terminal may cost as much as a file.
const READER_COST_PCT_DISCARDED: i64 = 28;

impl Split {
    /// The split for `threads` threads in all (the reader and `threads - 1` workers), the
    /// reader's own work costing `reader_cost_pct` (see [`READER_COST_PCT`]).
    fn new(threads: usize, reader_cost_pct: i64) -> Self {
        // Owners are bytes: more than 255 threads are 255.
        let tables = threads.clamp(1, usize::from(u8::MAX));
        let units = i64::from(SHARE_UNITS);
        let n = tables as i64;
        // Each thread's load is (reader cost + flows) / n: the reader's part of the flows is
        // what is left of that once its own cost is paid.
        let own = ((units * (100 + reader_cost_pct) / n - units * reader_cost_pct) / 100)
            .clamp(if tables == 1 { units } else { 0 }, units);
        let workers = (tables - 1).max(1) as i64;
        let owner = (0..units)
            .map(|u| {
                if u < own {
                    0
                } else {
                    // At most `workers` ≤ 254, so the owner fits.
                    u8::try_from(1 + (u - own) * workers / (units - own)).unwrap_or(u8::MAX)
                }
            })
            .collect();
        Split { owner, tables }
    }

    /// The table following connection `key`.
    fn table_of(&self, key: &FlowKey) -> usize {
        let h = foldhash::fast::FixedState::with_seed(0x0074_6c73_6e6f_6f70).hash_one(key);
        // The top 32 bits scaled to [0, SHARE_UNITS).
        let unit = (((h >> 32) * u64::from(SHARE_UNITS)) >> 32) as usize;
        usize::from(self.owner.get(unit).copied().unwrap_or(0))
    }

    /// Table `t`'s part: the [`SHARE_UNITS`]ths it owns (one run: owners only grow along
    /// the hash space).
    fn share(&self, t: usize) -> std::ops::Range<u32> {
        let unit = |i: usize| u32::try_from(i).unwrap_or(SHARE_UNITS);
        let start = self
            .owner
            .iter()
            .take_while(|&&o| usize::from(o) < t)
            .count();
        let len = self.owner.iter().filter(|&&o| usize::from(o) == t).count();
        unit(start)..unit(start + len)
    }
}

/// What a table of a sharded run (a worker's or the reader's own) can pass on once the
/// capture has got to `clock`, with `next` the next frame's key: flows timed out by then
/// finished, their records finished by `fin` (analysed; a worker's also rendered).
fn pass(
    table: &mut FlowTable,
    fin: &mut Finisher<'_>,
    clock: Timestamp,
    next: OrderKey,
) -> Passed<Ready> {
    table.advance(clock);
    let passed = table.order.pass(clock, next, &mut |n| fin.finish(n));
    fin.sealed(passed)
}

/// One step of [`end_in_steps`].
struct EndStep<'s, 'c> {
    /// Its records, as the finisher finished them, and the table's marks.
    passed: Passed<Ready>,
    /// The last step: every flow of the input finished, the marks final.
    last: bool,
    /// The table's counters after the step.
    stats: &'s Stats,
    /// The finisher (its count of records, its renderer).
    fin: &'s mut Finisher<'c>,
}

/// Open flows finished per step at the end of an input.
const END_STEP: usize = 1024;

/// Ends input `input` of `table`: finishes its open flows in the order their records go out,
/// [`END_STEP`] at a time, and hands each step to `each`. When a capture ends with tens of
/// thousands of connections open, their records are written while the rest are finished,
/// instead of all of them being held at once (60,000 stuck handshakes: 386 MiB at the end,
/// 264 MiB before it, when they were finished together).
fn end_in_steps<'c, E>(
    table: &mut FlowTable,
    fin: &mut Finisher<'c>,
    input: usize,
    each: &mut dyn FnMut(EndStep<'_, 'c>) -> Result<(), E>,
) -> Result<(), E> {
    let open = table.open_in_order();
    let mut steps = open.chunks(END_STEP).peekable();
    while let Some(step) = steps.next() {
        table.end_flows(step);
        // The last step's records go with the final marks below.
        if let Some(&(upto, _)) = steps.peek().and_then(|next| next.first()) {
            let passed = table.order.pass_ending(upto, &mut |n| fin.finish(n));
            let passed = fin.sealed(passed);
            each(EndStep {
                passed,
                last: false,
                stats: &table.stats,
                fin: &mut *fin,
            })?;
        }
    }
    table.end_input();
    let passed = table
        .order
        .pass(Timestamp::MAX, OrderKey::end_of(input), &mut |n| {
            fin.finish(n)
        });
    let passed = fin.sealed(passed);
    each(EndStep {
        passed,
        last: true,
        stats: &table.stats,
        fin,
    })
}

/// The next message from `rx`; while none has come, the output's waiting chunks are written
/// (`help`, see [`crate::report::spool`]) before the thread sleeps. `None` once `rx` is closed.
fn recv_helping<T>(rx: &mpsc::Receiver<T>, help: Option<&dyn Help>) -> Option<T> {
    loop {
        match rx.try_recv() {
            Ok(m) => return Some(m),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) => {
                if !help.is_some_and(|h| h.help()) {
                    return rx.recv().ok();
                }
            }
        }
    }
}

/// Sends `msg` on `tx`; while its queue is full, the output's waiting chunks are written
/// (`help`) before the thread sleeps. False once the receiver is gone.
fn send_helping<T>(tx: &mpsc::SyncSender<T>, mut msg: T, help: Option<&dyn Help>) -> bool {
    loop {
        match tx.try_send(msg) {
            Ok(()) => return true,
            Err(mpsc::TrySendError::Disconnected(_)) => return false,
            Err(mpsc::TrySendError::Full(m)) => {
                if !help.is_some_and(|h| h.help()) {
                    return tx.send(m).is_ok();
                }
                msg = m;
            }
        }
    }
}

fn worker(
    id: usize,
    opts: EngineOptions,
    ctx: &Context,
    render: &MakeRender,
    rx: mpsc::Receiver<ToWorker>,
    tx: mpsc::Sender<FromWorker>,
    help: Option<&dyn Help>,
) {
    let mut table = FlowTable::new(opts);
    let mut fin = Finisher::new(ctx, render(), true);
    while let Some(msg) = recv_helping(&rx, help) {
        match msg {
            ToWorker::Batch(mut b) => {
                table.input = b.input;
                b.prefetch_records();
                for m in &b.segs {
                    let (seg, f, clock) = b.segment(m);
                    table.segment(&seg, f, clock);
                }
                // Its chunks released before the records are passed: the reader waits for
                // free chunks no longer than it must.
                b.clear();
                let passed = pass(&mut table, &mut fin, b.clock, b.next);
                let reply = FromWorker {
                    worker: id,
                    passed,
                    stats: table.stats.clone(),
                    written: fin.written,
                    spent: Some(b),
                    ended: false,
                };
                if tx.send(reply).is_err() {
                    return;
                }
            }
            ToWorker::End(input) => {
                let sent = end_in_steps(&mut table, &mut fin, input, &mut |step| {
                    tx.send(FromWorker {
                        worker: id,
                        passed: step.passed,
                        stats: step.stats.clone(),
                        written: step.fin.written,
                        spent: None,
                        ended: step.last,
                    })
                    .map_err(|_| ())
                });
                // The reader gone: nothing to send to any more.
                if sent.is_err() {
                    return;
                }
            }
        }
    }
}

/// The calling thread reads, dispatches and follows its own part of the flows;
/// `job.threads - 1` workers follow the rest.
fn run_sharded(paths: &[String], mut job: Job<'_>, sink: &mut dyn Sink) -> io::Result<Outcome> {
    let reader_cost = match (job.map_files, job.output_discarded) {
        (true, true) => READER_COST_PCT_DISCARDED,
        (true, false) => READER_COST_PCT_MAPPED,
        (false, _) => READER_COST_PCT,
    };
    let split = Split::new(job.threads, reader_cost);
    let n = split.tables;
    let ctx = job.ctx;
    let render = job.render;
    let opts_for = |t: usize| EngineOptions {
        share: split.share(t),
        ..job.opts.clone()
    };
    // Whichever thread would wait writes the output meanwhile.
    let help = sink.share_writes();
    let help = help.as_deref();
    std::thread::scope(|scope| {
        let (res_tx, res_rx) = mpsc::channel::<FromWorker>();
        let mut to: Vec<mpsc::SyncSender<ToWorker>> = Vec::with_capacity(n - 1);
        for id in 1..n {
            let (tx, rx) = mpsc::sync_channel::<ToWorker>(QUEUE_BATCHES);
            let res_tx = res_tx.clone();
            let opts = opts_for(id);
            std::thread::Builder::new()
                .name(format!("tlsnoop-worker-{id}"))
                .spawn_scoped(scope, move || {
                    worker(id, opts, ctx, render, rx, res_tx, help)
                })
                .map_err(io::Error::other)?;
            to.push(tx);
        }
        drop(res_tx);
        let mut d = Dispatch {
            to,
            batches: (1..n).map(|_| Batch::new()).collect(),
            pool: Vec::new(),
            merge: Merge::new(n),
            res: res_rx,
            stats: vec![Stats::default(); n - 1],
            written: vec![0; n - 1],
            ended: 0,
            help,
        };
        let mut front = Frontend::new(&job.opts.limits);
        let mut own = FlowTable::new(opts_for(0));
        let mut fin = Finisher::new(ctx, render(), false);
        let mut out = Outcome::default();
        for (i, path) in paths.iter().enumerate() {
            front.begin_input(i);
            own.input = i;
            let mut sink_err: Option<io::Error> = None;
            let mut bytes = 0u64;
            // The reader would otherwise spend most of its time inflating.
            let how = capture::ReadOptions {
                map: job.map_files,
                inflate_apart: true,
            };
            let mut info = read_one(path, how, &mut out, &mut |frame| {
                let clock = front.clock_at(frame.ts);
                let next = OrderKey {
                    input: i,
                    frame: frame.number.saturating_add(1),
                };
                if let Some(seg) = front.decode(frame) {
                    let key = FlowKey::of(seg.src, seg.dst);
                    match split.table_of(&key) {
                        0 => {
                            let f = FrameCtx {
                                number: frame.number,
                                ts: frame.ts,
                            };
                            own.segment_keyed(key, &seg, f, clock);
                        }
                        t => {
                            if let Some(b) = d.batches.get_mut(t - 1) {
                                b.push(&seg, frame.number, frame.ts, clock, frame.chunk);
                                if b.full() {
                                    d.send(t - 1, i, clock, next);
                                }
                            }
                        }
                    }
                }
                bytes += frame.data.len() as u64 + 16;
                if frame.number % RELEASE_FRAMES == 0 {
                    let p = pass(&mut own, &mut fin, clock, next);
                    d.merge.accept(0, p);
                }
                if frame.number % SYNC_FRAMES == 0 {
                    for w in 0..n - 1 {
                        d.send(w, i, clock, next);
                    }
                    if let Err(e) = d.drain(sink, &mut fin) {
                        sink_err = Some(e);
                        return ControlFlow::Break(());
                    }
                }
                if frame.number % PROGRESS_FRAMES == 0 {
                    if let Some(p) = job.progress.as_mut() {
                        let flows =
                            own.stats.tcp_flows + d.stats.iter().map(|s| s.tcp_flows).sum::<u64>();
                        let tls = fin.written + d.written.iter().sum::<u64>();
                        p(&progress_of(&front, i, bytes, flows, tls));
                    }
                }
                ControlFlow::Continue(())
            });
            front.finish();
            for w in 0..n - 1 {
                d.send(w, i, front.clock, front.next_key());
                if let Some(tx) = d.to.get(w) {
                    // A worker gone means it panicked; the scope reports that when it ends.
                    let _ = tx.send(ToWorker::End(i));
                }
            }
            if let Some(e) = sink_err {
                return Err(e);
            }
            // The workers end their parts meanwhile; what they pass is written as it comes.
            end_in_steps(&mut own, &mut fin, i, &mut |step| {
                d.merge.accept(0, step.passed);
                d.drain(sink, step.fin)
            })?;
            // Every worker ends an End with one answer marked so: wait for all of them.
            while d.ended < n - 1 {
                match recv_helping(&d.res, d.help) {
                    Some(r) => d.take(r),
                    None => return Err(io::Error::other("a worker thread stopped")),
                }
                release(&mut d.merge, sink, &mut fin)?;
            }
            d.ended = 0;
            info.notes.extend(front.notes());
            out.inputs.push(info);
        }
        drop(d.to);
        out.stats = front.stats.clone();
        out.stats += &own.stats;
        for s in &d.stats {
            out.stats += s;
        }
        sink.finish(&out.inputs, &out.stats)?;
        Ok(out)
    })
}

/// The reader's side of a sharded run.
struct Dispatch<'h> {
    to: Vec<mpsc::SyncSender<ToWorker>>,
    batches: Vec<Batch>,
    pool: Vec<Batch>,
    merge: Merge<Ready>,
    res: mpsc::Receiver<FromWorker>,
    stats: Vec<Stats>,
    written: Vec<u64>,
    /// Workers that have answered this input's End (answers are taken wherever they are
    /// waiting, so this is counted in `take`).
    ended: usize,
    /// The output's writes, which the reader makes while it would wait for a worker.
    help: Option<&'h dyn Help>,
}

impl Dispatch<'_> {
    /// Sends worker `w` its batch, stamped with where the capture has got to.
    fn send(&mut self, w: usize, input: usize, clock: Timestamp, next: OrderKey) {
        // Spent batches come back with the answers: take them first, so that the pool, not
        // the allocator, provides the next one.
        while let Ok(r) = self.res.try_recv() {
            self.take(r);
        }
        let fresh = self.pool.pop().unwrap_or_else(Batch::new);
        let Some(slot) = self.batches.get_mut(w) else {
            return;
        };
        let mut b = std::mem::replace(slot, fresh);
        b.input = input;
        b.clock = clock;
        b.next = next;
        if let Some(tx) = self.to.get(w) {
            // A worker gone means it panicked; the scope reports that when it ends.
            send_helping(tx, ToWorker::Batch(b), self.help);
        }
    }

    fn take(&mut self, r: FromWorker) {
        if let Some(s) = self.stats.get_mut(r.worker.wrapping_sub(1)) {
            *s = r.stats;
        }
        if let Some(x) = self.written.get_mut(r.worker.wrapping_sub(1)) {
            *x = r.written;
        }
        self.merge.accept(r.worker, r.passed);
        if let Some(b) = r.spent.filter(|_| self.pool.len() < 4 * self.to.len()) {
            self.pool.push(b);
        }
        if r.ended {
            self.ended += 1;
        }
    }

    /// Takes every answer waiting and writes what can be released (rendering the reading
    /// thread's own records with `fin`).
    fn drain(&mut self, sink: &mut dyn Sink, fin: &mut Finisher<'_>) -> io::Result<()> {
        while let Ok(r) = self.res.try_recv() {
            self.take(r);
        }
        release(&mut self.merge, sink, fin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn key(i: u32) -> FlowKey {
        let a = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)), 40000);
        let b = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 443);
        FlowKey::of(a, b)
    }

    #[test]
    fn a_batch_gives_back_each_segment_as_it_was_pushed() {
        let v4 = |a: [u8; 4], p| SocketAddr::from((a, p));
        let v6 = |a: [u16; 8], p| SocketAddr::from((std::net::Ipv6Addr::from(a), p));
        let chunk = Chunk::from((0..=255).collect::<Vec<u8>>());
        let segs = [
            (
                v4([10, 0, 0, 1], 40000),
                v4([192, 0, 2, 1], 443),
                &chunk[..0],
            ),
            (
                v4([192, 0, 2, 1], 443),
                v4([10, 0, 0, 1], 40000),
                &chunk[0x14..0x30],
            ),
            (
                v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], 51000),
                v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 2], 443),
                &chunk[0x16..],
            ),
            (
                v4([10, 0, 0, 1], 40000),
                v6([0, 0, 0, 0, 0, 0xffff, 0x0a00, 1], 443),
                &chunk[5..9],
            ),
            (
                v4([255, 255, 255, 255], 65535),
                v4([0, 0, 0, 0], 0),
                &chunk[..1],
            ),
        ];
        let mut batch = Batch::new();
        let mut want = Vec::new();
        for (i, &(src, dst, payload)) in segs.iter().enumerate() {
            let bit = |n: usize| (i >> n) & 1 == 1 || i == 4;
            let seg = TcpSegment {
                src,
                dst,
                seq: 0xfedc_ba98 ^ i as u32,
                ack: u32::MAX - i as u32,
                flags: TcpFlags {
                    syn: bit(0),
                    ack: bit(1),
                    fin: bit(2),
                    rst: !bit(0),
                    psh: !bit(1),
                },
                payload,
                truncated: bit(1),
                wire_payload_len: 70_000 + i as u32,
            };
            // Times kept in the segment (the clock at the frame's time, seconds after the
            // first's) and aside (an earlier second, one 2^32 s later, a clock ahead).
            let secs = [-5, -3, -6, -5 + (1i64 << 32), 7][i];
            let f = FrameCtx {
                number: (1 << 40) + 3 * i as u64,
                ts: Timestamp::new(secs, 999_999_999 - i as u32),
            };
            let clock = if i == 1 {
                Timestamp::new(1 << 40, i as u32)
            } else {
                f.ts
            };
            batch.push(&seg, f.number, f.ts, clock, Some(&chunk));
            want.push((seg, f, clock));
        }
        assert_eq!(
            batch.addrs.len(),
            2,
            "only pairs that are not both IPv4 are kept aside"
        );
        assert_eq!(
            batch.times.len(),
            3,
            "only times that do not fit are kept aside"
        );
        let got: Vec<_> = batch.segs.iter().map(|m| batch.segment(m)).collect();
        assert_eq!(got, want);
        assert!(std::mem::size_of::<SegMeta>() <= 48);
    }

    #[test]
    fn a_batch_keeps_payloads_in_their_chunk_and_copies_the_others() {
        let seg = |payload| TcpSegment {
            src: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000),
            dst: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 443),
            seq: 1,
            ack: 0,
            flags: TcpFlags::default(),
            payload,
            truncated: false,
            wire_payload_len: 0,
        };
        let a = Chunk::from((0..=255).collect::<Vec<u8>>());
        let b = Chunk::from(vec![7; 100]);
        // A reassembled datagram's payload is not in the chunk its last fragment came in.
        let reassembled = vec![9u8; 30];
        let t = Timestamp::default();
        let mut batch = Batch::new();
        batch.push(&seg(&a[10..20]), 1, t, t, Some(&a));
        batch.push(&seg(&a[200..256]), 2, t, t, Some(&a));
        batch.push(&seg(&reassembled), 3, t, t, Some(&b));
        batch.push(&seg(&b[..5]), 4, t, t, Some(&b));
        batch.push(&seg(&[1, 2, 3]), 5, t, t, None);
        assert_eq!(batch.chunks.len(), 2, "one reference per chunk in a row");
        assert_eq!(batch.data, [&reassembled[..], &[1, 2, 3]].concat());
        assert_eq!(batch.bytes, 10 + 56 + 30 + 5 + 3);
        let got: Vec<&[u8]> = batch.segs.iter().map(|m| batch.payload(m)).collect();
        let want: [&[u8]; 5] = [&a[10..20], &a[200..], &reassembled, &b[..5], &[1, 2, 3]];
        assert_eq!(got, want);
        // Only a payload starting like a handshake, alert or CCS record is asked for ahead.
        let mut records = Batch::new();
        for p in [
            &[0x16, 3, 1][..],
            &[0x15, 3, 3],
            &[0x14, 3, 3],
            &[0x17, 3, 3],
            &[0x13],
            &[],
        ] {
            records.push(&seg(p), 1, t, t, None);
        }
        let flagged: Vec<bool> = records.segs.iter().map(|m| m.bits & RECORD != 0).collect();
        assert_eq!(flagged, [true, true, true, false, false, false]);
        for i in 0..BATCH_CHUNKS - 2 {
            assert!(!batch.full());
            let c = if i % 2 == 0 { &a } else { &b };
            batch.push(&seg(&c[..1]), 6 + i as u64, t, t, Some(c));
        }
        assert_eq!(batch.chunks.len(), BATCH_CHUNKS);
        assert!(
            batch.full(),
            "a batch is sent once it refers to {BATCH_CHUNKS} chunks"
        );
        batch.clear();
        assert!(batch.chunks.is_empty() && batch.segs.is_empty() && batch.bytes == 0);
        // One window of a mapped file does not fill a batch (else every batch would be sent at
        // its first window); two do.
        let big = Chunk::from(vec![1; crate::capture::MAP_WINDOW]);
        let other = Chunk::from(vec![2; crate::capture::MAP_WINDOW]);
        batch.push(&seg(&big[..1]), 20, t, t, Some(&big));
        assert!(!batch.full());
        batch.push(&seg(&other[..1]), 21, t, t, Some(&other));
        assert!(
            batch.full(),
            "a batch is sent once its chunks hold {BATCH_CHUNK_BYTES} bytes"
        );
        batch.clear();
        assert_eq!(batch.chunk_bytes, 0);
    }

    #[test]
    fn the_reader_takes_less_than_a_worker_and_none_once_there_are_enough() {
        let parts = |threads: usize| {
            let s = Split::new(threads, READER_COST_PCT);
            (0..s.tables)
                .map(|t| s.share(t).len() as u32)
                .collect::<Vec<_>>()
        };
        // (1 + 0.65) / 2 - 0.65 of 1024 for the reader, the rest to the one worker.
        assert_eq!(parts(2), vec![179, 845]);
        // (1 + 0.45) / 2 - 0.45 when the file is mapped.
        assert_eq!(Split::new(2, READER_COST_PCT_MAPPED).share(0).len(), 281);
        // A reader that writes nothing takes more: (1.28 / 2 - 0.28) of the flows.
        assert_eq!(Split::new(2, READER_COST_PCT_DISCARDED).share(0).len(), 368);
        assert_eq!(parts(3), vec![0, 512, 512]);
        assert_eq!(parts(5)[0], 0);
        for threads in 2..=16 {
            let p = parts(threads);
            assert_eq!(p.len(), threads);
            assert_eq!(p.iter().sum::<u32>(), SHARE_UNITS, "{threads} threads");
            let worker = p.get(1).copied().unwrap_or(0);
            assert!(p.iter().skip(1).all(|&w| w.abs_diff(worker) <= 1), "{p:?}");
        }
    }

    #[test]
    fn connections_go_to_their_tables_in_proportion_and_both_directions_alike() {
        let s = Split::new(2, READER_COST_PCT);
        let mut count = [0u32; 2];
        for i in 0..100_000 {
            let k = key(i);
            let t = s.table_of(&k);
            if let Some(c) = count.get_mut(t) {
                *c += 1;
            }
        }
        // 179/1024 = 17.5% of the connections for the reader, within a percent.
        assert!((16_500..18_500).contains(&count[0]), "{count:?}");
        assert_eq!(count[0] + count[1], 100_000);
        let a = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)), 51000);
        let b = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 9, 8, 7)), 443);
        assert_eq!(
            s.table_of(&FlowKey::of(a, b)),
            s.table_of(&FlowKey::of(b, a))
        );
    }

    #[test]
    fn limits_are_shared_as_the_connections_are() {
        let s = Split::new(2, READER_COST_PCT);
        let opts = |t: usize| EngineOptions {
            share: s.share(t),
            ..EngineOptions::default()
        };
        assert_eq!(opts(0).table_share(1024), 179);
        assert_eq!(opts(1).table_share(1024), 845);
        // The parts add up to the whole limit, whatever it is.
        for whole in [1, 7, 200_000, 64 << 20] {
            for threads in 2..=5 {
                let s = Split::new(threads, READER_COST_PCT);
                let sum: usize = (0..threads)
                    .map(|t| {
                        EngineOptions {
                            share: s.share(t),
                            ..EngineOptions::default()
                        }
                        .table_share(whole)
                    })
                    .sum();
                assert_eq!(sum, whole, "{threads} threads");
            }
        }
        assert_eq!(EngineOptions::default().table_share(usize::MAX), usize::MAX);
    }

    #[test]
    fn an_input_ends_in_steps_that_each_pass_their_records_in_order() {
        // 2,500 connections, each open with the first bytes of a TLS handshake record.
        const N: u32 = 2_500;
        let mut table = FlowTable::new(EngineOptions::default());
        let server = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 443);
        let hello_start = [
            0x16, 0x03, 0x01, 0x00, 0x80, 0x01, 0x00, 0x00, 0x7c, 0x03, 0x03,
        ];
        let ts = Timestamp::new(1_000_000, 0);
        for i in 0..N {
            let client = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)), 40000);
            let seg = TcpSegment {
                src: client,
                dst: server,
                seq: 1,
                ack: 1,
                flags: TcpFlags {
                    ack: true,
                    psh: true,
                    ..TcpFlags::default()
                },
                payload: &hello_start,
                truncated: false,
                wire_payload_len: hello_start.len() as u32,
            };
            // Frames numbered backwards from the address, so that the table's order is not
            // the order of the keys.
            let f = FrameCtx {
                number: u64::from(2 * N - i),
                ts,
            };
            table.segment(&seg, f, ts);
        }
        let ctx = Context::default();
        let (render, _sink) =
            crate::report::for_format(crate::report::Format::Jsonl, Box::new(io::sink()), false);
        let mut fin = Finisher::new(&ctx, render(), true);
        let mut steps = Vec::new();
        let mut last_mark = None;
        let mut clients = std::collections::BTreeSet::new();
        let ended = end_in_steps(&mut table, &mut fin, 0, &mut |step| -> Result<(), ()> {
            let p = &step.passed;
            // Each record rendered ahead lies whole in one arena of the step (several for
            // 1,024 records of about 1 KB), none in another's bytes, and the records of an
            // arena are all of its bytes.
            let mut arenas: Vec<(&Arc<Arena>, usize)> = Vec::new();
            for (_, r) in &p.done {
                let Ready::Rendered(r) = r else {
                    panic!("not rendered ahead and sealed");
                };
                let len = r.span.end - r.span.start;
                match arenas.iter_mut().find(|(a, _)| Arc::ptr_eq(a, &r.arena)) {
                    Some((_, total)) => *total += len,
                    None => arenas.push((&r.arena, len)),
                }
                let v = r.view();
                let text = std::str::from_utf8(v.bytes).unwrap();
                assert!(
                    text.starts_with("{\"id\":") && text.ends_with("}\n"),
                    "{text}"
                );
                assert_eq!(text.matches('\n').count(), 1, "{text}");
                assert_eq!(text.get(v.id_at..v.id_at + v.id_len), Some("0"));
                let at = text.find("\"client\":{\"ip\":\"").unwrap();
                let ip = text[at..].split('"').nth(5).unwrap().to_string();
                assert!(clients.insert(ip), "{text}");
            }
            for (a, total) in &arenas {
                assert_eq!(a.bytes().len(), *total);
            }
            if p.done.len() == 1024 {
                assert!(arenas.len() > 1, "{} arenas", arenas.len());
            }
            // Every record of a step is below its marks, and above the step before's.
            for (e, _) in &p.done {
                assert!(*e < p.end, "{e:?} before {:?}", p.end);
                if let Some(m) = last_mark {
                    assert!(*e >= m);
                }
            }
            last_mark = Some(p.end);
            steps.push((p.done.len(), p.tls.len(), step.last));
            Ok(())
        });
        assert_eq!(ended, Ok(()));
        assert_eq!(clients.len(), N as usize);
        // Found to be TLS while the capture was read, finished END_STEP at a time.
        assert_eq!(
            steps,
            vec![(1024, 2_500, false), (1024, 0, false), (452, 0, true)]
        );
        assert!(table.flows.is_empty());
        assert_eq!((table.held.buffers, table.held.state), (0, 0));
        assert_eq!(last_mark, Some(super::super::order::EndKey::end_of(0)));
    }
}
