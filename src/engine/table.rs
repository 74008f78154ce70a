//! The flow table: every connection being followed, its timers, and how a connection's end
//! becomes a finished record for the [`Tracker`].

use super::conn::{self, close, feed, Conn, FrameCtx};
use super::order::{OrderKey, Tracker};
use super::EngineOptions;
use crate::config::Limits;
use crate::decode::TcpSegment;
use crate::flow::key::{FlowHasher, FlowKey, FlowMap};
use crate::flow::reassembly::Reassembler;
use crate::record::{CloseKind, Negotiation, Sender, Stats, Timestamp};
use crate::tls::TlsFlow;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet, VecDeque};
use std::hash::BuildHasher;

/// Every connection being followed, and what is needed to finish and order them. With
/// `--threads N` each worker thread has one, holding the flows whose address pair hashes to it.
pub(super) struct FlowTable {
    pub(super) opts: EngineOptions,
    pub(super) flows: FlowMap<Box<Conn>>,
    /// Connections closed by FIN/RST: their trailing ACKs and retransmissions are ignored until
    /// a new SYN reuses the ports.
    closed: Tombstones,
    /// When to look at each connection again for its idle timeout: (due, conn seq, key). A
    /// connection has an entry due no later than its deadline; later packets only move the
    /// deadline on, and an entry found early is pushed again for the new deadline. The
    /// earliest entries also choose whom to evict when `max_flows` is reached.
    timers: BinaryHeap<Reverse<(Timestamp, u64, FlowKey)>>,
    pub(super) order: Tracker,
    next_seq: u64,
    pub(super) input: usize,
    pub(super) stats: Stats,
    /// Memory held by the open flows, as counted against the limits.
    pub(super) held: Held,
    /// With `report_when_decided`: TLS flows by the time their handshake must be decided,
    /// in the order their TLS was found (so deadlines only grow).
    pending: VecDeque<(FlowKey, u64, Timestamp)>,
}

impl FlowTable {
    /// An empty table.
    pub(super) fn new(opts: EngineOptions) -> Self {
        FlowTable {
            opts,
            flows: FlowMap::default(),
            closed: Tombstones::default(),
            timers: BinaryHeap::new(),
            order: Tracker::default(),
            next_seq: 0,
            input: 0,
            stats: Stats::default(),
            held: Held::default(),
            pending: VecDeque::new(),
        }
    }

    /// Finishes every connection whose idle (or half-closed) timeout ran out by capture time
    /// `now`; each ends at the moment its timeout ran out, whenever it is looked at.
    pub(super) fn advance(&mut self, now: Timestamp) {
        while self
            .timers
            .peek()
            .is_some_and(|Reverse((due, _, _))| *due <= now)
        {
            let Some(Reverse((_, seq, key))) = self.timers.pop() else {
                return;
            };
            let Some(c) = self.flows.get(&key).filter(|c| c.seq == seq) else {
                continue;
            };
            let end = deadline(c, &self.opts.limits);
            if end <= now {
                if let Some(mut c) = self.flows.remove(&key) {
                    let limits = &self.opts.limits;
                    let note = if c.fin.iter().any(|f| *f)
                        && limits.half_closed_timeout_secs < limits.idle_timeout_secs
                    {
                        self.stats.limits_hit.half_closed_timeout += 1;
                        format!(
                            "no packet for more than {} s after a FIN (see --half-closed-timeout): reported then; later packets of this connection are ignored until a new SYN",
                            limits.half_closed_timeout_secs
                        )
                    } else {
                        self.stats.limits_hit.idle_timeout += 1;
                        format!(
                            "no packet for more than {} s (see --idle-timeout): reported then; later packets of this connection are ignored until a new SYN",
                            limits.idle_timeout_secs
                        )
                    };
                    if let Some(rec) = c.rec.as_mut() {
                        rec.notes.push(note);
                    }
                    finish_conn(c, end, &mut self.order, &mut self.stats, &mut self.held);
                    self.closed.insert(key);
                }
            } else {
                self.timers.push(Reverse((end, seq, key)));
            }
        }
    }

    /// The open connections by their keys: the order in which their records go out when the
    /// input ends (they all end then).
    pub(super) fn open_in_order(&self) -> Vec<(OrderKey, FlowKey)> {
        let mut open: Vec<_> = self.flows.iter().map(|(k, c)| (c.key, *k)).collect();
        open.sort_unstable();
        open
    }

    /// Finishes the open connections `keys` at the end of an input, so that what they hold
    /// can go before the others are finished.
    pub(super) fn end_flows(&mut self, keys: &[(OrderKey, FlowKey)]) {
        for (_, key) in keys {
            if let Some(c) = self.flows.remove(key) {
                finish_conn(
                    c,
                    Timestamp::MAX,
                    &mut self.order,
                    &mut self.stats,
                    &mut self.held,
                );
            }
        }
    }

    /// Finishes every open flow (the end of an input; [`FlowTable::end_flows`] may have
    /// finished some or all of them already) and forgets the input's timers and closed
    /// connections.
    pub(super) fn end_input(&mut self) {
        let open = self.open_in_order();
        self.end_flows(&open);
        self.timers.clear();
        self.closed = Tombstones::default();
        self.pending.clear();
    }
}

impl FlowTable {
    /// Follows one TCP segment: finds or creates its connection, reassembles, feeds TLS,
    /// closes and accounts for buffered bytes.
    ///
    /// `clock` is the latest capture time seen so far (timestamps need not be in order): it
    /// decides whether a flow that shows TLS late is keyed by its first frame.
    pub(super) fn segment(&mut self, seg: &TcpSegment<'_>, f: FrameCtx, clock: Timestamp) {
        self.segment_keyed(FlowKey::of(seg.src, seg.dst), seg, f, clock);
    }

    /// [`FlowTable::segment`] with the segment's key, `FlowKey::of(seg.src, seg.dst)`, already
    /// made (the reading thread of a sharded run makes it to choose the table).
    pub(super) fn segment_keyed(
        &mut self,
        key: FlowKey,
        seg: &TcpSegment<'_>,
        f: FrameCtx,
        clock: Timestamp,
    ) {
        self.advance(clock);
        let FlowTable {
            opts,
            flows,
            closed,
            timers,
            order,
            next_seq,
            input,
            stats,
            held,
            pending,
        } = self;
        let opts: &EngineOptions = opts;
        let mut t = Shared {
            opts,
            order,
            stats,
            held,
            timers,
            pending,
            input: *input,
        };
        // Most packets belong to a known connection: one look-up, and for a decided flow's
        // packet inside a record nothing more (see `touch`). The connection is followed where
        // it was found: looking it up again was 2% of a run's instructions.
        let after = match flows.get_mut(&key) {
            Some(conn) if !reuses_ports(conn, seg) => {
                if touch(conn, seg, f) {
                    return;
                }
                follow(conn, key, seg, f, clock, &mut t)
            }
            found => {
                // A new SYN on a finished connection starts a new flow (port reuse); else a
                // closed connection's stragglers are ignored, and anything else opens a flow.
                if found.is_some() {
                    if let Some(c) = flows.remove(&key) {
                        finish_conn(c, clock, t.order, t.stats, t.held);
                    }
                } else if closed.contains(&key) {
                    if seg.flags.syn && !seg.flags.ack {
                        closed.remove(&key);
                    } else {
                        return;
                    }
                }
                if flows.len() >= opts.table_share(opts.limits.max_flows).max(1) {
                    evict_idlest(
                        flows,
                        t.timers,
                        t.order,
                        t.stats,
                        t.held,
                        clock,
                        Evict::Count,
                    );
                }
                let seq = *next_seq;
                *next_seq += 1;
                let order_key = OrderKey {
                    input: t.input,
                    frame: f.number,
                };
                t.order.open(order_key, f.ts);
                let due =
                    Timestamp::new(f.ts.secs.saturating_add(opts.limits.idle_timeout_secs), 0);
                compact_timers(t.timers, flows);
                t.timers.push(Reverse((due, seq, key)));
                t.stats.tcp_flows += 1;
                let conn = flows.entry(key).or_insert_with(|| {
                    Box::new(Conn {
                        seq,
                        key: order_key,
                        input: t.input,
                        first_frame: f.number,
                        first_ts: f.ts,
                        last_ts: f.ts,
                        last_frame: f.number,
                        addr: [seg.src, seg.dst],
                        reasm: [Reassembler::new(), Reassembler::new()],
                        client_side: None,
                        syn_seen: false,
                        probe: Default::default(),
                        tls: None,
                        rec: None,
                        early_notes: Vec::new(),
                        fin: [false; 2],
                        rst: false,
                        not_tls: false,
                        determined: false,
                        reported: false,
                        accounted: 0,
                        state: 0,
                        rec_cost: (u64::MAX, 0),
                        packets: [0; 2],
                        bytes: [0; 2],
                        budget_hit: 0,
                        ooo_hits: 0,
                        notes_lost: 0,
                        ooo_noted: [false; 2],
                        truncated: 0,
                        first_truncated: 0,
                    })
                });
                if touch(conn, seg, f) {
                    return;
                }
                follow(conn, key, seg, f, clock, &mut t)
            }
        };
        match after {
            After::Closed => {
                if let Some(c) = flows.remove(&key) {
                    finish_conn(c, clock, t.order, t.stats, t.held);
                }
                closed.insert(key);
            }
            After::Reported => {}
            After::Open => {
                // The flows' state over its share of `--max-flow-memory`: the oldest flows are
                // finished early (this one too, if it is the oldest), as for `--max-flows`.
                let limit = opts.table_share(opts.limits.max_flow_memory);
                let why = Evict::Memory {
                    limit: opts.limits.max_flow_memory,
                };
                while t.held.state > limit
                    && flows.len() > 1
                    && evict_idlest(flows, t.timers, t.order, t.stats, t.held, clock, why)
                {
                }
            }
        }
    }
}

/// What [`follow`] needs of its table besides the connection.
struct Shared<'t> {
    opts: &'t EngineOptions,
    order: &'t mut Tracker,
    stats: &'t mut Stats,
    held: &'t mut Held,
    timers: &'t mut BinaryHeap<Reverse<(Timestamp, u64, FlowKey)>>,
    pending: &'t mut VecDeque<(FlowKey, u64, Timestamp)>,
    input: usize,
}

/// What is left to do with a connection once [`follow`] has fed it a segment.
enum After {
    /// Closed (FIN both ways, RST): it leaves the table.
    Closed,
    /// Reported as soon as its handshake was decided: nothing more.
    Reported,
    /// Still open: the table may be over its memory limit.
    Open,
}

/// A SYN (not a SYN-ACK) on a connection that is closed, or whose SYN came from the other end:
/// the ports are reused by a new connection.
fn reuses_ports(conn: &Conn, seg: &TcpSegment<'_>) -> bool {
    seg.flags.syn && !seg.flags.ack && (conn.closed() || (conn.syn_seen && conn.addr[0] != seg.src))
}

/// Follows one segment of `conn` (keyed `key`) that [`touch`] has counted: reassembles, feeds
/// TLS, closes and accounts for buffered bytes.
fn follow(
    conn: &mut Conn,
    key: FlowKey,
    seg: &TcpSegment<'_>,
    f: FrameCtx,
    clock: Timestamp,
    t: &mut Shared<'_>,
) -> After {
    let opts = t.opts;
    let side = usize::from(conn.addr[0] != seg.src);
    let other = 1 - side;
    if !conn.not_tls && !conn.reported {
        let data_seq = if seg.flags.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        feed(conn, side, f, opts, &mut |r, cb| {
            r.push(
                data_seq,
                seg.payload,
                f.number,
                opts.limits.max_ooo_bytes,
                cb,
            )
        });
        if seg.flags.ack {
            feed(conn, other, f, opts, &mut |r, cb| {
                r.peer_ack(seg.ack, f.number, cb)
            });
        }
    }
    if !conn.determined {
        if conn.tls.is_some() {
            conn.determined = true;
            let at = OrderKey {
                input: t.input,
                frame: f.number,
            };
            conn.key = t.order.tls(conn.key, conn.first_ts, at, clock);
            if opts.report_when_decided {
                let deadline = Timestamp::new(
                    f.ts.secs.saturating_add(opts.decide_timeout_secs),
                    f.ts.nanos,
                );
                t.pending.push_back((key, conn.seq, deadline));
            }
        } else if conn.not_tls {
            conn.determined = true;
            t.stats.limits_hit.max_probe_bytes += 1;
            t.order.not_tls(conn.key);
        }
    }
    if seg.flags.fin {
        if let Some(r) = conn.reasm.get_mut(side) {
            r.fin(seg.seq, seg.payload.len());
        }
        if !conn.fin.get(side).copied().unwrap_or(true) {
            if let Some(x) = conn.fin.get_mut(side) {
                *x = true;
            }
            feed(conn, side, f, opts, &mut |r, cb| r.flush(cb));
            close(conn, side, CloseKind::Fin, f.number);
            // Half-closed: a shorter timeout from now on. Not when this FIN (or an RST with
            // it) closes the connection, which then leaves the table below: the entry would
            // only wait in the heap to be found stale (half of a short flow's timer work).
            if !conn.closed() && !seg.flags.rst {
                t.timers
                    .push(Reverse((deadline(conn, &opts.limits), conn.seq, key)));
            }
        }
    }
    if seg.flags.rst {
        conn.rst = true;
        feed(conn, 0, f, opts, &mut |r, cb| r.flush(cb));
        feed(conn, 1, f, opts, &mut |r, cb| r.flush(cb));
        close(conn, side, CloseKind::Rst, f.number);
    }
    if conn.closed() {
        return After::Closed;
    } else if conn.not_tls {
        conn.reasm = [Reassembler::default(), Reassembler::default()];
    } else if opts.report_when_decided
        && !conn.reported
        && conn.tls.as_ref().is_some_and(|t| t.decided())
    {
        report_early(conn, t.order, t.stats, t.held, None);
        return After::Reported;
    }
    account(conn, t.held);
    if t.held.buffers > opts.table_share(opts.limits.max_total_buffered) {
        over_budget(conn, f, opts, t.stats, t.held);
    }
    After::Open
}

/// The table holds more than its share of `--max-buffered` after a segment of `conn`: that
/// connection gives up what it holds, in this order, until the table is within its share or
/// nothing is left: out-of-order segments waiting for a hole (released as after a gap), the
/// bytes kept to compare retransmissions with, then the handshake bytes held for each side
/// (whose handshake is then not parsed further). Each is noted once on the flow; the flow is
/// counted once in `limits_hit.max_total_buffered`.
fn over_budget(
    conn: &mut Conn,
    f: FrameCtx,
    opts: &EngineOptions,
    stats: &mut Stats,
    held: &mut Held,
) {
    let budget = opts.table_share(opts.limits.max_total_buffered);
    let mut gave_up: Vec<(u8, String)> = Vec::new();
    let waiting = conn
        .reasm
        .iter()
        .map(Reassembler::pending_bytes)
        .sum::<usize>();
    if waiting > 0 {
        feed(conn, 0, f, opts, &mut |r, cb| r.flush(cb));
        feed(conn, 1, f, opts, &mut |r, cb| r.flush(cb));
        gave_up.push((
            conn::BUDGET_HELD,
            "out-of-order data released without waiting for the missing bytes".into(),
        ));
        account(conn, held);
    }
    if held.buffers > budget && conn.reasm.iter().any(|r| r.recent_bytes() > 0) {
        for r in &mut conn.reasm {
            r.stop_keeping_recent();
        }
        gave_up.push((
            conn::BUDGET_RECENT,
            "retransmissions are no longer compared with the bytes first seen".into(),
        ));
        account(conn, held);
    }
    for (sender, bit) in [
        (Sender::Client, conn::BUDGET_CLIENT_HANDSHAKE),
        (Sender::Server, conn::BUDGET_SERVER_HANDSHAKE),
    ] {
        if held.buffers <= budget {
            break;
        }
        let dropped = conn.tls.as_mut().map_or(0, |t| t.drop_handshake(sender));
        if dropped > 0 {
            gave_up.push((
                bit,
                format!(
                    "the {} handshake bytes held ({dropped}) were dropped and its later handshake messages are not parsed",
                    sender.arrow()
                ),
            ));
            account(conn, held);
        }
    }
    for (bit, what) in gave_up {
        if conn.budget_hit & bit != 0 {
            continue;
        }
        if conn.budget_hit == 0 {
            stats.limits_hit.max_total_buffered += 1;
        }
        conn.budget_hit |= bit;
        if let (Some(tls), Some(rec)) = (conn.tls.as_mut(), conn.rec.as_mut()) {
            tls.push_note(
                rec,
                format!(
                    "global reassembly budget ({}) reached at frame {}; {what} (see --max-buffered)",
                    crate::config::size(opts.limits.max_total_buffered),
                    f.number
                ),
            );
        }
    }
}

/// Counts a segment on its connection (time, packets, bytes, SYN, truncation); true when that is
/// all it needs: conn::fast_path, a decided flow's in-order segment inside a record.
fn touch(conn: &mut Conn, seg: &TcpSegment<'_>, f: FrameCtx) -> bool {
    // The record's last frame and time are set from these when it is completed: the record is
    // not touched per packet (a cache miss each on a long transfer).
    conn.last_ts = f.ts;
    conn.last_frame = f.number;
    let side = usize::from(conn.addr[0] != seg.src);
    let other = 1 - side;
    if let (Some(p), Some(b)) = (conn.packets.get_mut(side), conn.bytes.get_mut(side)) {
        *p += 1;
        *b += u64::from(seg.wire_payload_len);
    }
    if seg.flags.syn {
        conn.syn_seen = true;
        if conn.client_side.is_none() {
            conn.client_side = Some(if seg.flags.ack { other } else { side });
        }
        if let Some(r) = conn.reasm.get_mut(side) {
            r.syn(seg.seq);
        }
    }
    if seg.truncated {
        if conn.truncated == 0 {
            conn.first_truncated = f.number;
        }
        conn.truncated += 1;
    }
    conn::fast_path(conn, side, seg)
}

impl FlowTable {
    /// Reports every flow whose handshake is still undecided at its deadline
    /// (`report_when_decided`).
    pub(super) fn expire_undecided(&mut self, now: Timestamp) {
        while let Some(&(key, seq, deadline)) = self.pending.front() {
            if now < deadline {
                return;
            }
            self.pending.pop_front();
            let Some(conn) = self
                .flows
                .get_mut(&key)
                .filter(|c| c.seq == seq && !c.reported)
            else {
                continue;
            };
            if conn.tls.as_ref().is_some_and(|t| t.decided()) {
                continue;
            }
            // Held out-of-order data is given up on, as at the end of a capture.
            let f = FrameCtx {
                number: 0,
                ts: conn.last_ts,
            };
            let opts = &self.opts;
            feed(conn, 0, f, opts, &mut |r, cb| r.flush(cb));
            feed(conn, 1, f, opts, &mut |r, cb| r.flush(cb));
            let note = format!(
                "handshake not decided within {} s of its first TLS bytes; reported then (live --timeout), later packets not followed",
                opts.decide_timeout_secs
            );
            report_early(
                conn,
                &mut self.order,
                &mut self.stats,
                &mut self.held,
                Some(note),
            );
        }
    }
}

/// Reports a flow before its connection ends (`report_when_decided`): the record as it stands
/// now goes to the orderer, and the connection stays in the table without its TLS state and
/// reassembly buffers, so that its later packets are recognised and ignored.
fn report_early(
    conn: &mut Conn,
    order: &mut Tracker,
    stats: &mut Stats,
    held: &mut Held,
    note: Option<String>,
) {
    let (Some(tls), Some(mut rec)) = (conn.tls.take(), conn.rec.take()) else {
        return;
    };
    conn.reported = true;
    conn.reasm = [Reassembler::default(), Reassembler::default()];
    account(conn, held);
    if let Some(n) = note {
        rec.notes.push(n);
    }
    let rec = complete_record(conn, tls, rec, stats);
    order.finish(conn.key, conn.last_ts, rec);
}

/// Updates the table's totals with what this flow holds now: its buffers and its state.
fn account(conn: &mut Conn, held: &mut Held) {
    let now = conn
        .reasm
        .iter()
        .map(|r| r.pending_bytes() + r.recent_bytes())
        .sum::<usize>()
        + conn.tls.as_ref().map_or(0, |t| t.buffered_bytes());
    held.buffers = held.buffers.saturating_sub(conn.accounted) + now;
    conn.accounted = now;
    let state = state_bytes(conn);
    held.state = held.state.saturating_sub(conn.state) + state;
    conn.state = state;
}

/// Memory held by the open flows, as counted against `--max-buffered` and `--max-flow-memory`.
#[derive(Debug, Default)]
pub(super) struct Held {
    /// Bytes held by every flow's reassembly and handshake buffers (as allocated).
    pub(super) buffers: usize,
    /// Bytes of the flows' own state: connection, TLS state, record so far ([`state_bytes`]).
    pub(super) state: usize,
}

/// What one open connection costs besides its buffers, beyond its own size: its entries in
/// the flow map and the timer heap (counted twice: the heap holds up to four entries per open
/// connection before it is compacted, and a vector has room to spare), and the tracker's entry.
const CONN_OVERHEAD: usize = 192;

/// The memory a connection's state holds besides its buffers (which `--max-buffered` counts):
/// the connection, its TLS state and its record so far, with what the record's lists and texts
/// allocate (see [`Negotiation::heap_bytes`]).
fn state_bytes(conn: &mut Conn) -> usize {
    let rec = match conn.rec.as_deref() {
        Some(r) => {
            let mark = r.growth_mark();
            if conn.rec_cost.0 != mark {
                conn.rec_cost = (mark, r.lists_bytes());
            }
            std::mem::size_of::<Negotiation>() + r.heap_bytes(conn.rec_cost.1)
        }
        None => 0,
    };
    std::mem::size_of::<Conn>()
        + CONN_OVERHEAD
        + conn.early_notes.iter().map(String::capacity).sum::<usize>()
        + conn
            .tls
            .as_ref()
            .map_or(0, |_| std::mem::size_of::<TlsFlow>())
        + rec
}

/// Why [`evict_idlest`] finishes a flow early.
#[derive(Clone, Copy)]
enum Evict {
    /// `--max-flows`.
    Count,
    /// `--max-flow-memory`, whose whole value the note names.
    Memory { limit: usize },
}

/// Finishes a connection that ended at capture time `at`: its record, if it is TLS, goes to
/// the tracker.
fn finish_conn(
    mut conn: Box<Conn>,
    at: Timestamp,
    order: &mut Tracker,
    stats: &mut Stats,
    held: &mut Held,
) {
    held.buffers = held.buffers.saturating_sub(conn.accounted);
    held.state = held.state.saturating_sub(conn.state);
    stats.limits_hit.max_ooo_bytes += u64::from(conn.ooo_hits);
    stats.limits_hit.max_notes += u64::from(conn.notes_lost);
    if conn.reported {
        // Its record went out when its handshake was decided.
        return;
    }
    let dummy = EngineOptions::default();
    let f = FrameCtx {
        number: 0,
        ts: conn.last_ts,
    };
    if !conn.not_tls {
        feed(&mut conn, 0, f, &dummy, &mut |r, cb| r.flush(cb));
        feed(&mut conn, 1, f, &dummy, &mut |r, cb| r.flush(cb));
    }
    match (conn.tls.take(), conn.rec.take()) {
        (Some(tls), Some(rec)) => {
            if !conn.determined {
                // Every path that creates TLS state marks the flow determined; this keeps a
                // record from waiting for an id that would never come if one did not.
                conn.key = order.tls(conn.key, conn.first_ts, conn.key, conn.first_ts);
            }
            let rec = complete_record(&conn, tls, rec, stats);
            order.finish(conn.key, at, rec);
        }
        _ => order.not_tls(conn.key),
    }
}

/// Settles a record from its connection's counters and TLS state, and counts it.
fn complete_record(
    conn: &Conn,
    mut tls: Box<TlsFlow>,
    mut rec: Box<Negotiation>,
    stats: &mut Stats,
) -> Negotiation {
    if conn.truncated > 0 {
        rec.notes.push(format!(
            "{} truncated by snaplen (first at frame {})",
            crate::names::count(u64::from(conn.truncated), "frame"),
            conn.first_truncated
        ));
    }
    rec.last_seen = conn.last_ts;
    rec.last_frame = conn.last_frame;
    let c = usize::from(conn.client_side == Some(1));
    rec.traffic = crate::record::Traffic {
        client_packets: conn.packets[c],
        server_packets: conn.packets[1 - c],
        client_bytes: conn.bytes[c],
        server_bytes: conn.bytes[1 - c],
    };
    tls.finish(&mut rec);
    stats.limits_hit += &tls.limits_hit();
    // A one-sided capture cannot show a failure: what the other side did is unknown.
    let one_sided = rec.traffic.client_packets == 0 || rec.traffic.server_packets == 0;
    if one_sided && rec.outcome == crate::record::Outcome::Failed {
        rec.outcome = crate::record::Outcome::Incomplete;
    }
    stats.tls_flows += 1;
    match rec.outcome {
        crate::record::Outcome::Established => stats.established += 1,
        crate::record::Outcome::Failed => stats.failed += 1,
        crate::record::Outcome::Incomplete => stats.incomplete += 1,
    }
    *rec
}

/// The capture time at which `c` counts as idle past its timeout (more whole seconds than
/// the timeout since its last packet; the half-closed timeout once one side sent FIN).
fn deadline(c: &Conn, limits: &Limits) -> Timestamp {
    let timeout = if c.fin.iter().any(|f| *f) {
        limits
            .half_closed_timeout_secs
            .min(limits.idle_timeout_secs)
    } else {
        limits.idle_timeout_secs
    };
    Timestamp::new(c.last_ts.secs.saturating_add(timeout).saturating_add(1), 0)
}

/// Drops the timer entries of connections that have left the table once they outnumber the
/// live ones. A connection closed by FIN or RST leaves its entry behind until it is due, an
/// idle timeout later: on a busy link that is every connection of the last 5 minutes, and
/// popping from a heap that much larger than the open connections was 6% of the run time
/// (cache misses). Entries are only ever skipped when found stale, so dropping them early
/// changes nothing else; the threshold makes the O(n) rebuild cost about one look-up per entry
/// pushed.
fn compact_timers(
    timers: &mut BinaryHeap<Reverse<(Timestamp, u64, FlowKey)>>,
    flows: &FlowMap<Box<Conn>>,
) {
    if timers.len() > 4 * flows.len() + 4096 {
        timers.retain(|Reverse((_, seq, k))| flows.get(k).is_some_and(|c| c.seq == *seq));
    }
}

/// The flow table is full: the connection with the earliest timer (the one idle longest, or
/// close to it) is finished and reported early with a note. Returns false when there was none.
fn evict_idlest(
    flows: &mut FlowMap<Box<Conn>>,
    timers: &mut BinaryHeap<Reverse<(Timestamp, u64, FlowKey)>>,
    order: &mut Tracker,
    stats: &mut Stats,
    held: &mut Held,
    clock: Timestamp,
    why: Evict,
) -> bool {
    while let Some(Reverse((_, seq, k))) = timers.pop() {
        if flows.get(&k).is_some_and(|c| c.seq == seq) {
            if let Some(mut c) = flows.remove(&k) {
                let note = match why {
                    Evict::Count => {
                        stats.limits_hit.max_flows += 1;
                        "flow table full: reported before its end (see --max-flows)".to_string()
                    }
                    Evict::Memory { limit } => {
                        stats.limits_hit.max_flow_memory += 1;
                        format!(
                            "open flows' state over {}: reported before its end (see --max-flow-memory)",
                            crate::config::size(limit)
                        )
                    }
                };
                if let Some(rec) = c.rec.as_mut() {
                    rec.notes.push(note);
                }
                finish_conn(c, clock, order, stats, held);
            }
            return true;
        }
    }
    false
}

/// How many closed connections are remembered (oldest forgotten first).
const MAX_TOMBSTONES: usize = 65_536;

/// A bounded set of recently closed connections, each kept as a 64-bit fingerprint of its key
/// (8 bytes instead of the key's 40, in the set and in the order: 1.5 MiB instead of about
/// 7.5 MiB for 65,536, so that a look-up or an insertion misses the cache less; on the benchmark
/// capture insertions had been 1.5% of `-j 1`'s samples). Two connections of the same
/// fingerprint would make a closed one's straggler look like the other's: with 65,536 kept, one
/// look-up in 2^48. The fingerprint is keyed at random per table, as the flow maps are, so that
/// no one can craft a connection whose packets are taken for a closed one's and ignored.
#[derive(Default)]
struct Tombstones {
    set: HashSet<u64, FlowHasher>,
    order: VecDeque<u64>,
    fingerprints: FlowHasher,
}

impl Tombstones {
    fn fingerprint(&self, k: &FlowKey) -> u64 {
        self.fingerprints.hash_one(k)
    }
    fn contains(&self, k: &FlowKey) -> bool {
        self.set.contains(&self.fingerprint(k))
    }
    fn insert(&mut self, k: FlowKey) {
        let f = self.fingerprint(&k);
        if self.set.insert(f) {
            self.order.push_back(f);
            while self.order.len() > MAX_TOMBSTONES {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }
    fn remove(&mut self, k: &FlowKey) {
        // Left in `order`; a stale entry only shortens the memory of one other key.
        let f = self.fingerprint(k);
        self.set.remove(&f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::TcpFlags;
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    #[test]
    fn closed_connections_are_remembered_up_to_the_bound_oldest_forgotten_first() {
        let server = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 443);
        let key = |i: usize| {
            let ip = Ipv4Addr::from(0x0a00_0000 + (i / 50_000) as u32);
            let client = SocketAddr::new(IpAddr::V4(ip), 10_000 + (i % 50_000) as u16);
            FlowKey::of(client, server)
        };
        let mut t = Tombstones::default();
        for i in 0..MAX_TOMBSTONES + 100 {
            t.insert(key(i));
        }
        assert_eq!(t.set.len(), MAX_TOMBSTONES);
        assert!(
            (0..100).all(|i| !t.contains(&key(i))),
            "the oldest are forgotten"
        );
        assert!((100..MAX_TOMBSTONES + 100).all(|i| t.contains(&key(i))));
        assert!(!t.contains(&key(MAX_TOMBSTONES + 100)));
        t.remove(&key(500));
        assert!(!t.contains(&key(500)) && t.contains(&key(501)));
    }

    #[test]
    fn timers_of_closed_connections_do_not_pile_up() {
        let mut table = FlowTable::new(EngineOptions::default());
        let server = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 443);
        let mut frame = 0;
        let mut most = 0;
        // 50,000 connections in 50 s, each opened by a SYN and reset at once: all of them end
        // long before the 300 s idle timeout that their first timer entry waits for.
        for i in 0..50_000u32 {
            let client = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)), 40000);
            let ts = Timestamp::new(1_000_000 + i64::from(i / 1000), 0);
            for flags in [
                TcpFlags {
                    syn: true,
                    ..TcpFlags::default()
                },
                TcpFlags {
                    rst: true,
                    ..TcpFlags::default()
                },
            ] {
                frame += 1;
                let seg = TcpSegment {
                    src: client,
                    dst: server,
                    seq: 1,
                    ack: 0,
                    flags,
                    payload: &[],
                    truncated: false,
                    wire_payload_len: 0,
                };
                table.segment(&seg, FrameCtx { number: frame, ts }, ts);
            }
            most = most.max(table.timers.len());
        }
        assert!(table.flows.is_empty());
        assert_eq!(table.stats.tcp_flows, 50_000);
        // At most 4 per open connection (none here) + 4096, and the one just pushed.
        assert_eq!(most, 4097);
    }
}
