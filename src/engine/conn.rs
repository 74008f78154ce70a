//! One connection's state and how its two byte streams reach detection and the TLS layer:
//! reassembler events in, TLS records and record notes out.

use super::EngineOptions;
use crate::decode::TcpSegment;
use crate::flow::reassembly::{Reassembler, StreamEvent};
use crate::record::{CloseKind, Endpoint, Negotiation, Sender, Timestamp};
use crate::tls::detect::{self, Start};
use crate::tls::TlsFlow;
use std::net::SocketAddr;

/// Per-direction detection state.
#[derive(Debug, Default)]
pub(super) struct Probe {
    /// Bytes looked at without finding TLS.
    pub(super) bytes: u64,
    /// The start of the stream so far, when too short to tell ([`detect::may_start`]): it is
    /// classified again joined to the next bytes, and given to the TLS layer with them.
    head: [u8; detect::HELLO_PREFIX - 1],
    head_len: u8,
    pub(super) detected: bool,
}

impl Probe {
    /// Keeps `b` (at most [`detect::HELLO_PREFIX`] - 1 bytes, else nothing) as the head.
    fn hold(&mut self, b: &[u8]) {
        match self.head.get_mut(..b.len()) {
            Some(head) => {
                head.copy_from_slice(b);
                self.head_len = b.len() as u8;
            }
            None => self.head_len = 0,
        }
    }
}

/// [`Conn::budget_hit`]: held out-of-order segments were released.
pub(super) const BUDGET_HELD: u8 = 1;
/// [`Conn::budget_hit`]: the bytes kept to compare retransmissions with were dropped.
pub(super) const BUDGET_RECENT: u8 = 2;
/// [`Conn::budget_hit`]: the client's handshake bytes held were dropped.
pub(super) const BUDGET_CLIENT_HANDSHAKE: u8 = 4;
/// [`Conn::budget_hit`]: the server's handshake bytes held were dropped.
pub(super) const BUDGET_SERVER_HANDSHAKE: u8 = 8;

/// One connection. `repr(C)`, in this order: the fields every packet reads or writes (`touch`
/// and [`fast_path`]) come first, so that a packet of a decided flow touches the first four of
/// the struct's eight cache lines (with the default layout they were spread over seven); small
/// fields fill the gaps, so that it is no larger than the default layout (488 bytes).
#[repr(C)]
pub(super) struct Conn {
    pub(super) last_ts: Timestamp,
    /// The frame of its last packet.
    pub(super) last_frame: u64,
    /// Packets and payload bytes per side.
    pub(super) packets: [u64; 2],
    pub(super) bytes: [u64; 2],
    pub(super) tls: Option<Box<TlsFlow>>,
    /// Side 0 is the sender of the first packet seen, side 1 its peer.
    pub(super) addr: [SocketAddr; 2],
    /// Side that sent the SYN (or received the SYN-ACK).
    pub(super) client_side: Option<usize>,
    pub(super) truncated: u32,
    pub(super) not_tls: bool,
    pub(super) fin: [bool; 2],
    pub(super) rst: bool,
    pub(super) syn_seen: bool,
    /// The orderer has been told whether this flow is TLS.
    pub(super) determined: bool,
    /// Already reported (`report_when_decided`): the TLS state and record are gone; later packets
    /// only keep the connection tracked until it closes or idles out.
    pub(super) reported: bool,
    /// What the global budget made this flow give up so far ([`BUDGET_HELD`] and the other
    /// bits; each is noted once, and the flow is counted once).
    pub(super) budget_hit: u8,
    /// The out-of-order limit was noted for this side.
    pub(super) ooo_noted: [bool; 2],
    /// Notes lost before the record existed (counted in `stats.limits_hit` when the connection
    /// is finished, with `ooo_hits`).
    pub(super) notes_lost: u16,
    pub(super) reasm: [Reassembler; 2],
    // The rest: when a flow starts, ends, or its handshake moves on.
    pub(super) seq: u64,
    /// Where its record goes in the output (see [`super::order`]).
    pub(super) key: super::OrderKey,
    pub(super) input: usize,
    pub(super) first_frame: u64,
    pub(super) first_ts: Timestamp,
    pub(super) rec: Option<Box<Negotiation>>,
    /// Notes from before the record existed.
    pub(super) early_notes: Vec<String>,
    /// Bytes of this flow's buffers counted in the table's `held.buffers`.
    pub(super) accounted: usize,
    /// Bytes of this flow's state counted in the table's `held.state`.
    pub(super) state: usize,
    /// What the record's lists cost (`Negotiation::lists_bytes`), with the record's growth
    /// mark when it was worked out.
    pub(super) rec_cost: (u64, usize),
    pub(super) first_truncated: u64,
    pub(super) probe: [Probe; 2],
    /// Holes given up on because of the out-of-order limit.
    pub(super) ooo_hits: u32,
}

impl Conn {
    pub(super) fn sender(&self, side: usize) -> Sender {
        if Some(side) == self.client_side {
            Sender::Client
        } else {
            Sender::Server
        }
    }
    pub(super) fn closed(&self) -> bool {
        self.rst || (self.fin[0] && self.fin[1])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameCtx {
    pub(crate) number: u64,
    pub(crate) ts: Timestamp,
}

pub(super) fn close(conn: &mut Conn, side: usize, kind: CloseKind, frame: u64) {
    let from = conn.sender(side);
    if let (Some(tls), Some(rec)) = (conn.tls.as_mut(), conn.rec.as_mut()) {
        tls.close(from, kind, frame, rec);
    }
}

/// An operation on one direction's reassembler that emits stream events.
pub(super) type ReassemblerOp<'o> =
    dyn FnMut(&mut Reassembler, &mut dyn FnMut(StreamEvent<'_>)) + 'o;

/// Runs a reassembler operation on `side` and routes its events to detection and the TLS layer.
pub(super) fn feed(
    conn: &mut Conn,
    side: usize,
    f: FrameCtx,
    opts: &EngineOptions,
    op: &mut ReassemblerOp<'_>,
) {
    let Conn {
        reasm,
        probe,
        tls,
        rec,
        client_side,
        addr,
        early_notes,
        not_tls,
        input,
        first_frame,
        first_ts,
        syn_seen,
        ooo_hits,
        notes_lost,
        ooo_noted,
        ..
    } = conn;
    let Some(r) = reasm.get_mut(side) else { return };
    let mut cb = |ev: StreamEvent<'_>| match ev {
        StreamEvent::Data { bytes, frame } => {
            let Some(p) = probe.get_mut(side) else { return };
            // With a head held, what is classified and given to the TLS layer is the head and
            // these bytes together (one delivery, in the frame that completed it).
            let joined: Vec<u8>;
            let mut seen = bytes;
            if !p.detected {
                let held = p.head.get(..usize::from(p.head_len)).unwrap_or_default();
                let had_head = !held.is_empty();
                if had_head {
                    joined = [held, bytes].concat();
                    seen = &joined;
                }
                p.head_len = 0;
                let mut start = detect::classify(seen);
                if start.is_none() && had_head && !detect::may_start(seen) {
                    // The head was not TLS after all: these bytes may start it on their own.
                    seen = bytes;
                    start = detect::classify(seen);
                }
                match start {
                    Some(start) => {
                        p.detected = true;
                        if tls.is_none() {
                            let cs = roles(*client_side, side, start, addr, &opts.server_ports);
                            *client_side = Some(cs);
                            let (c, s) = (addr[cs], addr[1 - cs]);
                            let mut n = Negotiation::new(
                                *input,
                                *first_frame,
                                *first_ts,
                                Endpoint {
                                    ip: c.ip(),
                                    port: c.port(),
                                },
                                Endpoint {
                                    ip: s.ip(),
                                    port: s.port(),
                                },
                            );
                            if !*syn_seen {
                                let how = match start {
                                    Start::ClientHello | Start::Sslv2ClientHello => {
                                        format!("client taken to be the sender of the ClientHello in frame {frame}")
                                    }
                                    Start::ServerHello | Start::Sslv2ServerHello => {
                                        format!("server taken to be the sender of the ServerHello in frame {frame}")
                                    }
                                    Start::OtherRecord => "capture starts mid-stream; server taken to be the side on the well-known or lower port".to_string(),
                                };
                                n.notes.push(format!("SYN not seen; {how}"));
                            }
                            n.notes.append(early_notes);
                            *rec = Some(Box::new(n));
                            *tls = Some(Box::new(TlsFlow::new(&opts.limits)));
                        }
                    }
                    None => {
                        p.bytes += bytes.len() as u64;
                        if detect::may_start(seen) {
                            p.hold(seen);
                        }
                        let limit = opts.limits.max_probe_bytes;
                        let [a, b] = &*probe;
                        if tls.is_none() && (a.bytes > limit || b.bytes > limit) {
                            *not_tls = true;
                        }
                        return;
                    }
                }
            }
            let sender = if Some(side) == *client_side {
                Sender::Client
            } else {
                Sender::Server
            };
            if let (Some(t), Some(n)) = (tls.as_mut(), rec.as_mut()) {
                t.data(sender, seen, frame, n);
            }
        }
        StreamEvent::Gap {
            len,
            before_frame,
            over_limit,
            ..
        } => {
            // A head held is not followed by the bytes after the gap.
            if let Some(p) = probe.get_mut(side) {
                p.head_len = 0;
            }
            let sender = if Some(side) == *client_side {
                Sender::Client
            } else {
                Sender::Server
            };
            if over_limit {
                *ooo_hits = ooo_hits.saturating_add(1);
            }
            if let (Some(t), Some(n), true) = (
                tls.as_mut(),
                rec.as_mut(),
                probe.get(side).is_some_and(|p| p.detected),
            ) {
                if over_limit && !ooo_noted.get(side).copied().unwrap_or(true) {
                    if let Some(x) = ooo_noted.get_mut(side) {
                        *x = true;
                    }
                    t.push_note(n, format!(
                        "{} held more than {} of out-of-order data at frame {} (see --max-ooo-bytes); stopped waiting for the missing bytes",
                        sender.arrow(),
                        crate::config::size(opts.limits.max_ooo_bytes),
                        f.number
                    ));
                }
                t.gap(sender, len, before_frame, n);
            }
        }
        StreamEvent::Conflict {
            frame,
            len,
            kept_frame,
        } => {
            let dir = if Some(side) == *client_side {
                "client→server"
            } else {
                "server→client"
            };
            let bytes = if len == 1 { "byte" } else { "bytes" };
            let kept = kept_frame.map_or_else(String::new, |k| format!(" (frame {k})"));
            let text = format!(
                "{dir} retransmission in frame {frame} differs from the bytes already seen over {len} {bytes}; kept the first copy{kept}"
            );
            match (tls.as_mut(), rec.as_mut()) {
                (Some(t), Some(n)) => t.push_note(n, text),
                _ if early_notes.len() < 4 => early_notes.push(text),
                _ => *notes_lost = notes_lost.saturating_add(1),
            }
        }
    };
    op(r, &mut cb);
    // Once the handshake is decided, stop keeping bytes for retransmission checks, and free
    // what the handshake buffers had allocated.
    if let Some(t) = tls.as_mut().filter(|t| t.decided()) {
        for r in reasm.iter_mut() {
            r.stop_keeping_recent();
        }
        t.free_buffers();
    }
}

/// The cheap path for a decided flow's packets: an in-order segment without SYN, FIN or RST
/// whose payload lies inside the record being skipped or holds only application-data records
/// ([`TlsFlow::skip_records`]), and whose ACK reveals no hole, changes nothing but counters.
/// Returns false (having changed nothing) when the full path is needed. Most packets of a long
/// transfer take this path.
pub(super) fn fast_path(conn: &mut Conn, side: usize, seg: &TcpSegment<'_>) -> bool {
    if seg.flags.syn || seg.flags.fin || seg.flags.rst || seg.truncated || conn.not_tls {
        return false;
    }
    let sender = conn.sender(side);
    let Conn { reasm, tls, .. } = conn;
    let Some(t) = tls.as_mut() else { return false };
    let other = 1 - side;
    let len = seg.payload.len();
    let ack_ok = !seg.flags.ack || reasm.get(other).is_some_and(|r| r.ack_is_old(seg.ack));
    if !(ack_ok && t.decided()) {
        return false;
    }
    if len > 0 {
        let Some(r) = reasm.get_mut(side).filter(|r| r.is_next(seg.seq)) else {
            return false;
        };
        // Inside the record being skipped; else records of application data, counted off
        // where they lie (the packets that end a record or start one).
        if t.can_skip(sender, len) {
            t.skip(sender, len);
        } else if !t.skip_records(sender, seg.payload) {
            return false;
        }
        r.advance(len);
    }
    true
}

/// Which side is the client, once TLS is found on `side` starting with `start`.
pub(super) fn roles(
    known: Option<usize>,
    side: usize,
    start: Start,
    addr: &[SocketAddr; 2],
    ports: &[u16],
) -> usize {
    if let Some(c) = known {
        return c;
    }
    match start {
        Start::ClientHello | Start::Sslv2ClientHello => side,
        Start::ServerHello | Start::Sslv2ServerHello => 1 - side,
        Start::OtherRecord => {
            let (p0, p1) = (addr[0].port(), addr[1].port());
            let server = if ports.contains(&p0) && !ports.contains(&p1) {
                0
            } else if ports.contains(&p1) && !ports.contains(&p0) {
                1
            } else if p0 < p1 {
                0
            } else {
                1
            };
            1 - server
        }
    }
}

#[cfg(test)]
mod tests {
    /// The layout's gaps are filled: as small as Rust's own layout of the same fields (which
    /// counts in every open flow's state, `--max-flow-memory`).
    #[test]
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    fn the_connection_is_as_small_as_the_default_layout() {
        assert_eq!(std::mem::size_of::<super::Conn>(), 488);
    }
}
