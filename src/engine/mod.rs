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
pub mod order;
pub mod pipeline;
mod table;

use conn::FrameCtx;

use crate::capture::Frame;
use crate::config::Limits;
use crate::decode::{Decoded, Decoder, DefragLimits, TcpSegment};
use crate::record::{Negotiation, Stats, Timestamp};
use order::{Merge, OrderKey};
use table::FlowTable;

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
    /// This table's part of the flows, as a range of [`SHARE_UNITS`]ths, and so of the limits
    /// that bound all flows together (`max_flows`, `max_total_buffered`) when several tables
    /// share them (`read --threads`); notes name the whole limit. Default all of it.
    pub share: std::ops::Range<u32>,
}

/// What [`EngineOptions::share`] counts in.
pub const SHARE_UNITS: u32 = 1024;

impl EngineOptions {
    /// This table's share of a limit that bounds all flows together: the tables' shares add up
    /// to exactly `whole`.
    pub fn table_share(&self, whole: usize) -> usize {
        let upto =
            |u: u32| whole as u128 * u128::from(u.min(SHARE_UNITS)) / u128::from(SHARE_UNITS);
        let part = upto(self.share.end).saturating_sub(upto(self.share.start));
        usize::try_from(part).unwrap_or(usize::MAX)
    }
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            limits: Limits::default(),
            server_ports: Vec::new(),
            report_when_decided: false,
            decide_timeout_secs: 10,
            share: 0..SHARE_UNITS,
        }
    }
}

/// Decodes frames and turns them into negotiation records.
pub struct Engine {
    front: Frontend,
    table: FlowTable,
    /// Records waiting for their id (not used with `report_when_decided`).
    merge: Merge<Negotiation>,
    /// Ids given so far with `report_when_decided`.
    reported: u64,
}

/// Capture seconds the clock may jump ahead on one frame's word (see [`Frontend::clock_at`]).
pub const MAX_CLOCK_JUMP_SECS: i64 = 60;

/// The per-input half that every frame passes through before its flow is known: decoding,
/// defragmentation, frame counters and the capture clock.
pub(crate) struct Frontend {
    decoder: Decoder,
    unsupported_links: Vec<(u32, u64)>,
    /// Frames, truncated frames and decode errors (the flow counters live in the tables).
    pub(crate) stats: Stats,
    /// The latest capture time seen in this input (timestamps need not be in order).
    pub(crate) clock: Timestamp,
    /// A frame's time far ahead of the clock, not yet confirmed by the next frame.
    jump: Option<Timestamp>,
    /// The last frame number seen in this input.
    pub(crate) frame: u64,
    input: usize,
    defrag: DefragLimits,
}

impl Frontend {
    pub(crate) fn new(limits: &Limits) -> Self {
        let defrag = DefragLimits::from(limits);
        Frontend {
            decoder: Decoder::new(defrag.clone()),
            defrag,
            unsupported_links: Vec::new(),
            stats: Stats::default(),
            clock: Timestamp::default(),
            jump: None,
            frame: 0,
            input: 0,
        }
    }

    /// Starts a new input file: its frames are numbered from 1 again.
    pub(crate) fn begin_input(&mut self, input: usize) {
        self.input = input;
        // Fragments never combine across files; the decoder's counters are per input.
        self.decoder = Decoder::new(self.defrag.clone());
        self.unsupported_links.clear();
        self.clock = Timestamp::default();
        self.jump = None;
        self.frame = 0;
    }

    /// Moves the capture clock on for a frame stamped `ts` and returns it. The clock is the
    /// latest time seen, except that a jump of more than [`MAX_CLOCK_JUMP_SECS`] ahead is taken
    /// only once the next frame confirms it (one frame with a wild timestamp must not make every
    /// connection look idle past its timeout), and that two frames in a row more than that far
    /// behind set it back (captures concatenated from different days: the connections of the
    /// later part must not all look idle). It depends on the frames alone, so every thread sees
    /// the same clock.
    pub(crate) fn clock_at(&mut self, ts: Timestamp) -> Timestamp {
        let first = self.frame == 0 && self.clock == Timestamp::default();
        let ahead = ts.secs.saturating_sub(self.clock.secs);
        if first {
            self.clock = ts;
            self.jump = None;
        } else if (-MAX_CLOCK_JUMP_SECS..=MAX_CLOCK_JUMP_SECS).contains(&ahead) {
            self.clock = self.clock.max(ts);
            self.jump = None;
        } else {
            // Far ahead or far behind: taken when the frame before was as far the same way.
            match self.jump.take() {
                Some(prev) if (prev > self.clock) == (ts > self.clock) => {
                    self.clock = if ts > self.clock {
                        prev.min(ts)
                    } else {
                        prev.max(ts)
                    };
                }
                _ => self.jump = Some(ts),
            }
        }
        self.clock
    }

    /// Decodes one frame down to its TCP segment, counting what is not one.
    pub(crate) fn decode<'a>(&'a mut self, frame: &'a Frame<'_>) -> Option<TcpSegment<'a>> {
        self.stats.packets += 1;
        self.frame = frame.number;
        if (frame.data.len() as u64) < u64::from(frame.orig_len) {
            self.stats.truncated_packets += 1;
        }
        if let Some(seg) = self.decoder.decode_fast(frame) {
            return Some(seg);
        }
        match self.decoder.decode_general(frame) {
            Decoded::Tcp(seg) => Some(seg),
            Decoded::Malformed(_) => {
                self.stats.decode_errors += 1;
                None
            }
            Decoded::UnsupportedLink(l) => {
                match self.unsupported_links.iter_mut().find(|(t, _)| *t == l.0) {
                    Some((_, n)) => *n += 1,
                    None => self.unsupported_links.push((l.0, 1)),
                }
                None
            }
            Decoded::NotTcp | Decoded::FragmentHeld => None,
        }
    }

    /// The key of the next frame of this input.
    pub(crate) fn next_key(&self) -> OrderKey {
        OrderKey {
            input: self.input,
            frame: self.frame.saturating_add(1),
        }
    }

    /// Ends the input: fragments still held are counted.
    pub(crate) fn finish(&mut self) {
        self.decoder.finish();
        self.decoder
            .stats()
            .add_limits_hit(&mut self.stats.limits_hit);
    }

    /// Notes for the input just read (unsupported link types, fragments).
    pub(crate) fn notes(&self) -> Vec<String> {
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
}

impl Engine {
    /// A new engine.
    pub fn new(opts: EngineOptions) -> Self {
        Engine {
            front: Frontend::new(&opts.limits),
            table: FlowTable::new(opts),
            merge: Merge::new(1),
            reported: 0,
        }
    }

    /// Starts a new input file: its frames are numbered from 1 again.
    pub fn begin_input(&mut self, input: usize) {
        self.table.input = input;
        self.front.begin_input(input);
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        let mut s = self.front.stats.clone();
        s += &self.table.stats;
        s
    }

    /// Processes one frame; finished records are passed to `out` in order of first packet.
    pub fn frame(&mut self, frame: &Frame<'_>, out: &mut dyn FnMut(Negotiation)) {
        let clock = self.front.clock_at(frame.ts);
        if let Some(seg) = self.front.decode(frame) {
            let ctx = FrameCtx {
                number: frame.number,
                ts: frame.ts,
            };
            self.table.segment(&seg, ctx, clock);
        }
        self.table.expire_undecided(frame.ts);
        let (clock, next) = (self.front.clock, self.front.next_key());
        self.release(clock, next, out);
    }

    /// Passes on finished records: at once with `report_when_decided`, else through the merge
    /// once the table's watermark has passed them.
    fn release(&mut self, now: Timestamp, next: OrderKey, out: &mut dyn FnMut(Negotiation)) {
        let order = &mut self.table.order;
        if self.table.opts.report_when_decided {
            for (_, mut r) in order.pass(now, next, &mut |r| r).done {
                self.reported += 1;
                r.id = self.reported;
                out(r);
            }
            return;
        }
        self.merge.accept(0, order.pass(now, next, &mut |r| r));
        let _ = self.merge.release::<()>(&mut |id, mut r| {
            r.id = id;
            out(r);
            Ok(())
        });
    }

    /// Lets time pass without a packet (live capture calls it a few times a second with the
    /// wall-clock time): handshakes undecided past `decide_timeout_secs` are reported
    /// (`report_when_decided`), connections idle past their timeout are finished, and records
    /// waiting for the orderer's timeout are released. At most [`TICK_SWEEP_STEP`] connections
    /// are looked at per call, so a huge table is swept over several ticks.
    pub fn tick(&mut self, now: Timestamp, out: &mut dyn FnMut(Negotiation)) {
        let t = &mut self.table;
        t.expire_undecided(now);
        t.advance(now);
        let next = self.front.next_key();
        self.release(now, next, out);
    }

    /// Notes for the input just read (unsupported link types).
    pub fn input_notes(&self) -> Vec<String> {
        self.front.notes()
    }

    /// Ends the current input: every open flow is finished and reported.
    pub fn end_input(&mut self, out: &mut dyn FnMut(Negotiation)) {
        self.front.finish();
        self.table.end_input();
        let end = OrderKey::end_of(self.table.input);
        self.release(self.front.clock, end, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_ignores_one_wild_timestamp_and_follows_time_running_backwards() {
        let mut f = Frontend::new(&Limits::default());
        let t = |s: i64| Timestamp::new(s, 0);
        let mut at = |s: i64| f.clock_at(t(s)).secs;
        assert_eq!(at(1000), 1000);
        assert_eq!(at(1001), 1001);
        assert_eq!(at(999), 1001, "small steps back keep the latest time");
        assert_eq!(at(9_000_000), 1001, "one frame far ahead is not believed");
        assert_eq!(at(1002), 1002);
        assert_eq!(at(5000), 1002);
        assert_eq!(at(5001), 5000, "two frames far ahead are");
        assert_eq!(at(100), 5000);
        assert_eq!(at(101), 101, "two frames far behind set the clock back");
        assert_eq!(at(102), 102);
    }

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
            (engine.table.held.buffers, engine.table.held.state),
            (0, 0),
            "every flow's bytes and state are released at the end"
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
        assert_eq!((engine.table.held.buffers, engine.table.held.state), (0, 0));
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
        // 600 bytes: over at the held segments, with the client's first bytes kept for
        // retransmission checks (and the 256 bytes of room they are given).
        opts.limits.max_total_buffered = 600;
        let flows = run("crafted/ch_split_3_ooo.pcap", opts);
        assert_eq!(flows.len(), 1);
        assert_eq!(
            flows[0].notes,
            vec![
                // The ClientHello's middle part (frame 8) comes after the hole was given up on,
                // so the client's next record header is the ClientKeyExchange in frame 12.
                "client→server gap of 80 bytes before frame 6; resumed at a record header in frame 12".to_string(),
                "global reassembly budget (600 bytes) reached at frame 6; out-of-order data released without waiting for the missing bytes (see --max-buffered)".to_string(),
                // Still over at the server's flight: the bytes kept for retransmission checks go.
                "global reassembly budget (600 bytes) reached at frame 10; retransmissions are no longer compared with the bytes first seen (see --max-buffered)".to_string(),
            ]
        );
        assert_eq!(flows[0].history, "sxknGIFtifLl");
        // Without the budget the same capture is clean.
        let flows = run("crafted/ch_split_3_ooo.pcap", EngineOptions::default());
        assert!(flows[0].notes.is_empty());
        assert_eq!(flows[0].sni.as_deref(), Some("server.test"));
        assert_eq!(flows[0].history, "CsxknGIFtifLl");
    }

    #[test]
    fn global_budget_drops_handshake_bytes_last() {
        let mut opts = EngineOptions::default();
        opts.limits.max_total_buffered = 64;
        let flows = run("crafted/ch_split_3_ooo.pcap", opts);
        assert_eq!(
            flows[0].notes,
            vec![
                "global reassembly budget (64 bytes) reached at frame 4; retransmissions are no longer compared with the bytes first seen (see --max-buffered)".to_string(),
                "global reassembly budget (64 bytes) reached at frame 4; the client→server handshake bytes held (75) were dropped and its later handshake messages are not parsed (see --max-buffered)".to_string(),
                "client→server gap of 80 bytes before frame 6; resumed at a record header in frame 12".to_string(),
                "global reassembly budget (64 bytes) reached at frame 6; out-of-order data released without waiting for the missing bytes (see --max-buffered)".to_string(),
            ]
        );
        // Neither the ClientHello (C) nor the ClientKeyExchange (G) was parsed; the server's
        // side still was, and the records still framed.
        assert_eq!(flows[0].history, "sxknIFtifLl");
        assert_eq!(flows[0].sni, None);
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
