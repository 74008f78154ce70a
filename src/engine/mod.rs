//! The only module that names every stage: frames in, finished negotiation records out.
//!
//! `Engine::frame` takes one captured frame (from a file or, later, a live interface), decodes it,
//! finds its connection, reassembles each direction and feeds the TLS layer. Finished records go
//! through the orderer to the caller's callback in order of first packet.
//!
//! Live capture sets [`EngineOptions::report_when_decided`]: a TLS flow is then reported as soon
//! as its handshake is decided (or after [`EngineOptions::decide_timeout_secs`] without a
//! decision), in the order flows are reported, and [`Engine::tick`] lets wall-clock time drive
//! the timeouts while no packet arrives.

mod conn;
mod order;

use conn::{close, feed, Conn, FrameCtx};

use crate::capture::Frame;
use crate::config::Limits;
use crate::decode::{Decoded, Decoder, DefragLimits, TcpSegment};
use crate::flow::key::FlowKey;
use crate::flow::reassembly::Reassembler;
use crate::record::{CloseKind, Negotiation, Stats, Timestamp};
use crate::tls::TlsFlow;
use order::Orderer;
use std::collections::{HashMap, VecDeque};

/// Options the engine needs beyond the limits.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Resource limits.
    pub limits: Limits,
    /// Ports taken to be servers when nothing else tells (`--server-ports`).
    pub server_ports: Vec<u16>,
    /// Report a TLS flow as soon as its handshake is decided (established or failed) instead of
    /// when the connection ends; `tlsnoop live` sets it. Default false (`read`).
    ///
    /// The record is then the flow as it stood at the decision: what the connection does later
    /// (alerts, close_notify, the FIN or RST, more traffic) is not in it, so `close`, the last
    /// history letters and `traffic` can differ from what `read` of the same packets reports
    /// at the end of the connection. The connection stays tracked without its TLS state, so its
    /// later packets are recognised and ignored rather than starting a new flow. Records are
    /// released, and their ids given, in the order flows are reported rather than in order of
    /// first packet, so that one silent connection never holds back the others' output.
    pub report_when_decided: bool,
    /// With `report_when_decided`: capture seconds after a flow's first TLS bytes after which a
    /// handshake still undecided is reported as it stands (usually `incomplete`), with a note.
    /// Default 10 (`tlsnoop live --timeout`).
    pub decide_timeout_secs: i64,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            limits: Limits::default(),
            server_ports: Vec::new(),
            report_when_decided: false,
            decide_timeout_secs: 10,
        }
    }
}

/// Decodes frames and turns them into negotiation records.
pub struct Engine {
    decoder: Decoder,
    table: FlowTable,
    unsupported_links: Vec<(u32, u64)>,
}

/// Every connection being followed, and what is needed to finish and order them.
struct FlowTable {
    opts: EngineOptions,
    flows: HashMap<FlowKey, Box<Conn>>,
    /// Connections closed by FIN/RST: their trailing ACKs and retransmissions are ignored until
    /// a new SYN reuses the ports.
    closed: Tombstones,
    /// Creation order, swept for timeouts and used for eviction when `max_flows` is reached.
    fifo: VecDeque<(FlowKey, u64)>,
    order: Orderer,
    next_seq: u64,
    input: usize,
    stats: Stats,
    /// Bytes held by every flow's reassembly and handshake buffers.
    buffered: usize,
    /// With `report_when_decided`: TLS flows by the time their handshake must be decided,
    /// in the order their TLS was found (so deadlines only grow).
    pending: VecDeque<(FlowKey, u64, Timestamp)>,
}

impl Engine {
    /// A new engine.
    pub fn new(opts: EngineOptions) -> Self {
        let order = if opts.report_when_decided {
            Orderer::in_report_order()
        } else {
            Orderer::default()
        };
        Engine {
            decoder: Decoder::new(DefragLimits::from(&opts.limits)),
            table: FlowTable {
                opts,
                flows: HashMap::new(),
                closed: Tombstones::default(),
                fifo: VecDeque::new(),
                order,
                next_seq: 0,
                input: 0,
                stats: Stats::default(),
                buffered: 0,
                pending: VecDeque::new(),
            },
            unsupported_links: Vec::new(),
        }
    }

    /// Starts a new input file: its frames are numbered from 1 again.
    pub fn begin_input(&mut self, input: usize) {
        self.table.input = input;
        // Fragments never combine across files; the decoder's counters are per input.
        self.decoder = Decoder::new(DefragLimits::from(&self.table.opts.limits));
        self.unsupported_links.clear();
    }

    /// Counters so far.
    pub fn stats(&self) -> &Stats {
        &self.table.stats
    }

    /// Processes one frame; finished records are passed to `out` in order of first packet.
    pub fn frame(&mut self, frame: &Frame<'_>, out: &mut dyn FnMut(Negotiation)) {
        let table = &mut self.table;
        table.stats.packets += 1;
        if (frame.data.len() as u64) < u64::from(frame.orig_len) {
            table.stats.truncated_packets += 1;
        }
        let seg = match self.decoder.decode(frame) {
            Decoded::Tcp(seg) => seg,
            Decoded::Malformed(_) => {
                table.stats.decode_errors += 1;
                return;
            }
            Decoded::UnsupportedLink(l) => {
                match self.unsupported_links.iter_mut().find(|(t, _)| *t == l.0) {
                    Some((_, n)) => *n += 1,
                    None => self.unsupported_links.push((l.0, 1)),
                }
                return;
            }
            Decoded::NotTcp | Decoded::FragmentHeld => return,
        };
        let ctx = FrameCtx {
            number: frame.number,
            ts: frame.ts,
        };
        table.segment(&seg, ctx);
        table.expire_undecided(frame.ts);
        table.order.release(Some(frame.ts), out);
    }

    /// Lets time pass without a packet (live capture calls it a few times a second with the
    /// wall-clock time): handshakes undecided past `decide_timeout_secs` are reported
    /// (`report_when_decided`), connections idle past their timeout are finished, and records
    /// waiting for the orderer's timeout are released. At most [`TICK_SWEEP_STEP`] connections
    /// are looked at per call, so a huge table is swept over several ticks.
    pub fn tick(&mut self, now: Timestamp, out: &mut dyn FnMut(Negotiation)) {
        let t = &mut self.table;
        t.expire_undecided(now);
        sweep(
            &mut t.flows,
            &mut t.closed,
            &mut t.fifo,
            &mut t.order,
            &mut t.stats,
            &mut t.buffered,
            &t.opts.limits,
            now,
            TICK_SWEEP_STEP,
        );
        t.order.release(Some(now), out);
    }

    /// Notes for the input just read (unsupported link types).
    pub fn input_notes(&self) -> Vec<String> {
        let mut notes: Vec<String> = self
            .unsupported_links
            .iter()
            .map(|(t, n)| {
                format!(
                    "link type {} is not supported; {} skipped",
                    crate::capture::LinkType(*t).name(),
                    crate::names::count(*n, "frame")
                )
            })
            .collect();
        notes.extend(self.decoder.stats().notes(self.decoder.limits()));
        notes
    }

    /// Ends the current input: every open flow is finished and reported.
    pub fn end_input(&mut self, out: &mut dyn FnMut(Negotiation)) {
        self.decoder.finish();
        let t = &mut self.table;
        self.decoder.stats().add_limits_hit(&mut t.stats.limits_hit);
        let keys: Vec<(FlowKey, u64)> = t.fifo.drain(..).collect();
        for (k, seq) in keys {
            if t.flows.get(&k).is_some_and(|c| c.seq == seq) {
                if let Some(c) = t.flows.remove(&k) {
                    finish_conn(c, &mut t.order, &mut t.stats, &mut t.buffered);
                }
            }
        }
        t.flows.clear();
        t.closed = Tombstones::default();
        t.pending.clear();
        t.order.release(None, out);
    }
}

impl FlowTable {
    /// Follows one TCP segment: finds or creates its connection, reassembles, feeds TLS,
    /// closes and accounts for buffered bytes.
    fn segment(&mut self, seg: &TcpSegment<'_>, f: FrameCtx) {
        let FlowTable {
            opts,
            flows,
            closed,
            fifo,
            order,
            next_seq,
            input,
            stats,
            buffered,
            pending,
        } = self;
        let opts: &EngineOptions = opts;
        let input = *input;
        let key = FlowKey::of(seg.src, seg.dst);
        if !flows.contains_key(&key) && closed.contains(&key) {
            if seg.flags.syn && !seg.flags.ack {
                closed.remove(&key);
            } else {
                return;
            }
        }
        // A new SYN on a finished connection starts a new flow (port reuse).
        let reuse = seg.flags.syn
            && !seg.flags.ack
            && flows
                .get(&key)
                .is_some_and(|c| c.closed() || (c.syn_seen && c.addr[0] != seg.src));
        if reuse {
            if let Some(c) = flows.remove(&key) {
                finish_conn(c, order, stats, buffered);
            }
        }
        if !flows.contains_key(&key) {
            if flows.len() >= opts.limits.max_flows {
                evict_oldest(flows, fifo, order, stats, buffered);
            }
            let seq = *next_seq;
            *next_seq += 1;
            order.open(seq, f.ts);
            sweep(
                flows,
                closed,
                fifo,
                order,
                stats,
                buffered,
                &opts.limits,
                f.ts,
                SWEEP_STEP,
            );
            fifo.push_back((key, seq));
            stats.tcp_flows += 1;
            flows.insert(
                key,
                Box::new(Conn {
                    seq,
                    input,
                    first_frame: f.number,
                    first_ts: f.ts,
                    last_ts: f.ts,
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
                    packets: [0; 2],
                    bytes: [0; 2],
                    budget_hit: false,
                    ooo_hits: 0,
                    notes_lost: 0,
                    ooo_noted: [false; 2],
                    truncated: 0,
                    first_truncated: 0,
                }),
            );
        }
        let Some(conn) = flows.get_mut(&key) else {
            return;
        };
        conn.last_ts = f.ts;
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
        if let Some(rec) = conn.rec.as_mut() {
            rec.last_seen = f.ts;
            rec.last_frame = f.number;
        }
        if !conn.determined {
            if conn.tls.is_some() {
                conn.determined = true;
                order.tls(conn.seq);
                if opts.report_when_decided {
                    let deadline = Timestamp::new(
                        f.ts.secs.saturating_add(opts.decide_timeout_secs),
                        f.ts.nanos,
                    );
                    pending.push_back((key, conn.seq, deadline));
                }
            } else if conn.not_tls {
                conn.determined = true;
                stats.limits_hit.max_probe_bytes += 1;
                order.finish(conn.seq, None);
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
            }
        }
        if seg.flags.rst {
            conn.rst = true;
            feed(conn, 0, f, opts, &mut |r, cb| r.flush(cb));
            feed(conn, 1, f, opts, &mut |r, cb| r.flush(cb));
            close(conn, side, CloseKind::Rst, f.number);
        }
        if conn.closed() {
            if let Some(c) = flows.remove(&key) {
                finish_conn(c, order, stats, buffered);
            }
            closed.insert(key);
            return;
        } else if conn.not_tls {
            conn.reasm = [Reassembler::default(), Reassembler::default()];
        } else if opts.report_when_decided
            && !conn.reported
            && conn.tls.as_ref().is_some_and(|t| t.decided())
        {
            report_early(conn, order, stats, buffered, None);
            return;
        }
        account(conn, buffered);
        let held = conn
            .reasm
            .iter()
            .map(Reassembler::pending_bytes)
            .sum::<usize>();
        if *buffered > opts.limits.max_total_buffered && held > 0 {
            // Over the global budget: this flow stops waiting for missing data.
            feed(conn, 0, f, opts, &mut |r, cb| r.flush(cb));
            feed(conn, 1, f, opts, &mut |r, cb| r.flush(cb));
            if !conn.budget_hit {
                conn.budget_hit = true;
                stats.limits_hit.max_total_buffered += 1;
                if let (Some(tls), Some(rec)) = (conn.tls.as_mut(), conn.rec.as_mut()) {
                    tls.push_note(rec, format!(
                        "global reassembly budget ({}) reached at frame {}; out-of-order data released without waiting for the missing bytes (see --max-buffered)",
                        crate::config::size(opts.limits.max_total_buffered),
                        f.number
                    ));
                }
            }
            account(conn, buffered);
        }
    }
}

impl FlowTable {
    /// Reports every flow whose handshake is still undecided at its deadline
    /// (`report_when_decided`).
    fn expire_undecided(&mut self, now: Timestamp) {
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
                &mut self.buffered,
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
    order: &mut Orderer,
    stats: &mut Stats,
    buffered: &mut usize,
    note: Option<String>,
) {
    let (Some(tls), Some(mut rec)) = (conn.tls.take(), conn.rec.take()) else {
        return;
    };
    conn.reported = true;
    conn.reasm = [Reassembler::default(), Reassembler::default()];
    account(conn, buffered);
    if let Some(n) = note {
        rec.notes.push(n);
    }
    let rec = complete_record(conn, tls, rec, stats);
    order.finish(conn.seq, Some(rec));
}

/// Updates the table's total of buffered bytes with this flow's current holding.
fn account(conn: &mut Conn, total: &mut usize) {
    let now = conn
        .reasm
        .iter()
        .map(Reassembler::pending_bytes)
        .sum::<usize>()
        + conn.tls.as_ref().map_or(0, |t| t.buffered_bytes());
    *total = total.saturating_sub(conn.accounted) + now;
    conn.accounted = now;
}

fn finish_conn(mut conn: Box<Conn>, order: &mut Orderer, stats: &mut Stats, buffered: &mut usize) {
    *buffered = buffered.saturating_sub(conn.accounted);
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
            let rec = complete_record(&conn, tls, rec, stats);
            order.finish(conn.seq, Some(rec));
        }
        _ => order.finish(conn.seq, None),
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
    let c = usize::from(conn.client_side == Some(1));
    rec.traffic = crate::record::Traffic {
        client_packets: conn.packets[c],
        server_packets: conn.packets[1 - c],
        client_bytes: conn.bytes[c],
        server_bytes: conn.bytes[1 - c],
    };
    tls.finish(&mut rec);
    stats.limits_hit += tls.limits_hit();
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

/// Entries of the creation-order list looked at per new flow: more than one, so the list
/// shrinks faster than it grows and stays about as long as the flow table.
const SWEEP_STEP: usize = 4;

/// Entries of the creation-order list looked at per [`Engine::tick`].
pub const TICK_SWEEP_STEP: usize = 16_384;

/// A clock sweep over the creation-order list: forgets closed flows, finishes flows idle past
/// their timeout (capture time), and moves live ones to the back. Constant work per new flow.
#[allow(clippy::too_many_arguments)]
fn sweep(
    flows: &mut HashMap<FlowKey, Box<Conn>>,
    closed: &mut Tombstones,
    fifo: &mut VecDeque<(FlowKey, u64)>,
    order: &mut Orderer,
    stats: &mut Stats,
    buffered: &mut usize,
    limits: &Limits,
    now: Timestamp,
    step: usize,
) {
    for _ in 0..step.min(fifo.len()) {
        let Some((k, seq)) = fifo.pop_front() else {
            return;
        };
        let Some(c) = flows.get(&k).filter(|c| c.seq == seq) else {
            continue;
        };
        let idle = now.secs.saturating_sub(c.last_ts.secs);
        let half_closed = c.fin.iter().any(|f| *f);
        let idled = idle > limits.idle_timeout_secs;
        let half_closed_out = half_closed && idle > limits.half_closed_timeout_secs;
        if idled || half_closed_out {
            if let Some(mut c) = flows.remove(&k) {
                let note = if idled {
                    stats.limits_hit.idle_timeout += 1;
                    format!(
                        "no packet for more than {} s (see --idle-timeout): reported then; later packets of this connection are ignored until a new SYN",
                        limits.idle_timeout_secs
                    )
                } else {
                    stats.limits_hit.half_closed_timeout += 1;
                    format!(
                        "no packet for more than {} s after a FIN (see --half-closed-timeout): reported then; later packets of this connection are ignored until a new SYN",
                        limits.half_closed_timeout_secs
                    )
                };
                if let Some(rec) = c.rec.as_mut() {
                    rec.notes.push(note);
                }
                finish_conn(c, order, stats, buffered);
                closed.insert(k);
            }
        } else {
            fifo.push_back((k, seq));
        }
    }
}

fn evict_oldest(
    flows: &mut HashMap<FlowKey, Box<Conn>>,
    fifo: &mut VecDeque<(FlowKey, u64)>,
    order: &mut Orderer,
    stats: &mut Stats,
    buffered: &mut usize,
) {
    while let Some((k, seq)) = fifo.pop_front() {
        if flows.get(&k).is_some_and(|c| c.seq == seq) {
            if let Some(mut c) = flows.remove(&k) {
                stats.limits_hit.max_flows += 1;
                if let Some(rec) = c.rec.as_mut() {
                    rec.notes
                        .push("flow table full: reported before its end (see --max-flows)".into());
                }
                finish_conn(c, order, stats, buffered);
            }
            return;
        }
    }
}

/// How many closed connections are remembered (oldest forgotten first).
const MAX_TOMBSTONES: usize = 65_536;

/// A bounded set of recently closed connections.
#[derive(Default)]
struct Tombstones {
    set: std::collections::HashSet<FlowKey>,
    order: VecDeque<FlowKey>,
}

impl Tombstones {
    fn contains(&self, k: &FlowKey) -> bool {
        self.set.contains(k)
    }
    fn insert(&mut self, k: FlowKey) {
        if self.set.insert(k) {
            self.order.push_back(k);
            while self.order.len() > MAX_TOMBSTONES {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }
    fn remove(&mut self, k: &FlowKey) {
        // Left in `order`; a stale entry only shortens the memory of one other key.
        self.set.remove(k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(path: &str, opts: EngineOptions) -> Vec<Negotiation> {
        let mut engine = Engine::new(opts);
        let mut out = Vec::new();
        let mut info = crate::record::InputInfo::default();
        let file = format!("{}/testdata/{path}", env!("CARGO_MANIFEST_DIR"));
        engine.begin_input(0);
        crate::capture::read_capture(&file, &mut info, &mut |f| {
            engine.frame(f, &mut |n| out.push(n))
        })
        .expect("readable");
        engine.end_input(&mut |n| out.push(n));
        assert_eq!(
            engine.table.buffered, 0,
            "every flow's bytes are released at the end"
        );
        out
    }

    /// Reads a capture with `report_when_decided`: each record with the number of the frame
    /// during which it was reported (0: at the end of the input).
    fn run_live(path: &str, ticks: &[(u64, Timestamp)]) -> Vec<(u64, Negotiation)> {
        let opts = EngineOptions {
            report_when_decided: true,
            ..Default::default()
        };
        let mut engine = Engine::new(opts);
        let mut out = Vec::new();
        let mut info = crate::record::InputInfo::default();
        let file = format!("{}/testdata/{path}", env!("CARGO_MANIFEST_DIR"));
        engine.begin_input(0);
        crate::capture::read_capture(&file, &mut info, &mut |f| {
            engine.frame(f, &mut |n| out.push((f.number, n)));
            for (after, now) in ticks {
                if *after == f.number {
                    engine.tick(*now, &mut |n| out.push((f.number, n)));
                }
            }
        })
        .expect("readable");
        engine.end_input(&mut |n| out.push((0, n)));
        assert_eq!(engine.table.buffered, 0);
        assert!(engine.table.flows.is_empty());
        out
    }

    fn key_facts(n: &Negotiation) -> String {
        format!(
            "{:?} {:?} {:?} {:?}",
            n.outcome,
            n.version.map(|v| v.0),
            n.cipher_suite.map(|c| c.0),
            n.sni,
        )
    }

    #[test]
    fn report_when_decided_reports_at_the_deciding_frame_with_the_same_facts() {
        for (path, frame) in [
            // tshark: frame 6 is the server's fatal protocol_version alert.
            ("real/openssl_version_mismatch.pcap", 6),
            // TLS 1.2: frame 9 carries the server's ChangeCipherSpec and Finished.
            ("real/openssl_tls12_ecdhe_rsa.pcap", 9),
        ] {
            let live = run_live(path, &[]);
            let read = run(path, EngineOptions::default());
            assert_eq!(live.len(), 1, "{path}");
            assert_eq!(read.len(), 1, "{path}");
            assert_eq!(live[0].0, frame, "{path}: reported during frame {frame}");
            assert_eq!(key_facts(&live[0].1), key_facts(&read[0]), "{path}");
            assert_eq!(live[0].1.id, 1);
            // The close came after the report, so it is not in the record.
            assert!(live[0].1.close.is_none(), "{path}");
            assert!(read[0].close.is_some(), "{path}");
        }
        // The fatal alert decided it, so it is in the record; the TLS 1.2 flow's close_notify
        // alerts (frames 13 and 15) came after its report.
        let live = run_live("real/openssl_version_mismatch.pcap", &[]);
        assert_eq!(live[0].1.alerts.len(), 1);
        let live = run_live("real/openssl_tls12_ecdhe_rsa.pcap", &[]);
        assert!(live[0].1.alerts.is_empty());
        let read = run(
            "real/openssl_tls12_ecdhe_rsa.pcap",
            EngineOptions::default(),
        );
        assert_eq!(read[0].alerts.len(), 2);
    }

    #[test]
    fn report_when_decided_tls13_is_reported_before_the_end() {
        let path = "real/openssl_tls13.pcap";
        let live = run_live(path, &[]);
        let read = run(path, EngineOptions::default());
        assert_eq!(live.len(), 1);
        assert!(live[0].0 > 0, "reported during a frame, not at the end");
        assert!(live[0].0 < read[0].last_frame);
        assert_eq!(key_facts(&live[0].1), key_facts(&read[0]));
    }

    #[test]
    fn tick_reports_an_undecided_handshake_after_the_timeout_without_packets() {
        // tshark: the ClientHello is frame 4, the server never answers it, and the client gives
        // up with a FIN in frame 6, 0.97 s later. `read` calls that failed (closed during the
        // handshake); reported at the timeout, before the FIN, it is incomplete.
        let path = "real/no_server_response.pcap";
        let read = run(path, EngineOptions::default());
        assert_eq!(read.len(), 1);
        let first = read[0].first_seen;
        let ch_frame = read[0].first_frame + 3;
        // A tick 5 s after the first packet: too early. A tick at 11 s: reported then.
        let live = run_live(
            path,
            &[
                (ch_frame, Timestamp::new(first.secs + 5, first.nanos)),
                (ch_frame, Timestamp::new(first.secs + 11, first.nanos)),
            ],
        );
        assert_eq!(live.len(), 1, "later packets do not start a new flow");
        assert_eq!(live[0].0, ch_frame);
        assert_eq!(read[0].outcome, crate::record::Outcome::Failed);
        assert_eq!(live[0].1.outcome, crate::record::Outcome::Incomplete);
        assert_eq!(live[0].1.sni, read[0].sni);
        assert_eq!(
            live[0].1.notes.last().map(String::as_str),
            Some("handshake not decided within 10 s of its first TLS bytes; reported then (live --timeout), later packets not followed")
        );
    }

    #[test]
    fn global_budget_releases_held_segments_with_a_note() {
        let mut opts = EngineOptions::default();
        opts.limits.max_total_buffered = 16;
        let flows = run("crafted/ch_split_3_ooo.pcap", opts);
        assert_eq!(flows.len(), 1);
        assert_eq!(
            flows[0].notes,
            vec![
                // The ClientHello's middle part (frame 8) comes after the hole was given up on,
                // so the client's next record header is the ClientKeyExchange in frame 12.
                "client→server gap of 80 bytes before frame 6; resumed at a record header in frame 12".to_string(),
                "global reassembly budget (16 bytes) reached at frame 6; out-of-order data released without waiting for the missing bytes (see --max-buffered)".to_string(),
            ]
        );
        // Without the budget the same capture is clean.
        let flows = run("crafted/ch_split_3_ooo.pcap", EngineOptions::default());
        assert!(flows[0].notes.is_empty());
        assert_eq!(flows[0].sni.as_deref(), Some("server.test"));
    }

    #[test]
    fn flow_table_full_reports_the_oldest_early() {
        let mut opts = EngineOptions::default();
        opts.limits.max_flows = 1;
        // Two connections interleaved in a table of one: each packet of the other connection
        // evicts the current one, which is reported early; nothing is lost silently.
        let flows = run("crafted/interleaved_flows.pcap", opts);
        assert!(flows.len() > 2, "{} flows", flows.len());
        let evicted = flows
            .iter()
            .filter(|f| {
                f.notes
                    .iter()
                    .any(|n| n == "flow table full: reported before its end (see --max-flows)")
            })
            .count();
        assert!(
            evicted + 1 >= flows.len(),
            "{evicted} of {} flows evicted",
            flows.len()
        );
    }
}
