//! Byte streams → TLS facts. The only module that uses tls-parser and x509-parser.
//!
//! A [`TlsFlow`] receives each direction's reassembled bytes (and gaps and closes), frames
//! records itself (tls-parser has no defragmentation helper), rebuilds handshake messages across
//! records and segments, decodes them and fills the flow's [`Negotiation`]. After a
//! ChangeCipherSpec (TLS ≤ 1.2) or the ServerHello (TLS 1.3) records of that direction are
//! encrypted: only their headers are read. Once the handshake is decided nothing is buffered any
//! more; the record headers are still walked to see alerts.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod cert;
mod cert_cache;
pub mod detect;
mod handshake;
mod hello;
mod sslv2;

use crate::config::Limits;
use crate::record::{hex8, Alert, Close, CloseKind, LimitsHit, Negotiation, Outcome, Sender};
use detect::MAX_RECORD_BODY;

const CCS: u8 = 20;
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APPDATA: u8 = 23;
const HEARTBEAT: u8 = 24;

/// Per-direction record and handshake reassembly state.
#[derive(Debug, Default)]
struct Dir {
    /// Header bytes of the record being read (5, or 2 for SSLv2).
    hdr: Vec<u8>,
    /// Content type of the current record, once its header is complete.
    cur_type: Option<u8>,
    /// Body bytes of the current record still to come.
    body_left: usize,
    /// Total body length of the current record.
    body_len: usize,
    /// Body of the current record, when it is buffered (plaintext handshake, alert, CCS).
    body: Vec<u8>,
    buffering: bool,
    /// Partial handshake messages.
    hs: Vec<u8>,
    /// Bytes of an oversized handshake message still to skip.
    hs_skip: usize,
    /// Handshake message headers are looked at as the bytes of a record arrive (the messages
    /// are decoded when the record is complete), so that an oversized message is noted with
    /// the frame its header came in. Both walk the same stream, `hs` followed by the current
    /// record's body after `hs_skip`: this is the offset in it of the next header to look at…
    hs_scan: usize,
    /// …and the offset of an oversized message's header and the frame that completed it.
    hs_oversized: Option<(usize, u64)>,
    /// Times `hs` was emptied by [`Dir::clear_hs`] (so that a message that empties it while
    /// `hs` is being parsed is noticed).
    hs_epoch: u32,
    /// Over the global budget, the handshake bytes held were dropped: no more handshake
    /// messages are parsed in this direction ([`TlsFlow::drop_handshake`]).
    hs_dropped: bool,
    /// Records of this direction are encrypted.
    encrypted: bool,
    /// Framing lost after a gap; waiting for a plausible record header.
    lost: bool,
    /// Index into notes of the gap note to complete when framing resumes.
    gap_note: Option<usize>,
    /// Nothing parsed yet in this direction (an SSLv2 hello is only accepted first).
    at_start: bool,
    /// SSLv2 record being read.
    v2: bool,
    /// An encrypted Finished (TLS ≤ 1.2) was seen.
    finished: bool,
    /// Encrypted records after the handshake keys took effect, excluding alert-sized ones.
    enc_records: u32,
    /// A fatal alert was sent by this side.
    fatal_alert: bool,
    /// Any alert sent encrypted before the handshake was decided.
    enc_alert_early: bool,
    /// Handshake messages parsed.
    messages: u32,
    /// Session id sent in its hello.
    session_id: Vec<u8>,
    /// Server: Certificate / ServerKeyExchange / ServerHelloDone seen (a full handshake).
    full_handshake_msgs: bool,
}

impl Dir {
    /// Empties the partial handshake messages (and the header scan that walks them).
    fn clear_hs(&mut self) {
        self.hs.clear();
        self.hs_epoch = self.hs_epoch.wrapping_add(1);
        self.hs_scan = 0;
        self.hs_oversized = None;
    }

    /// Looks at the handshake headers complete so far in `hs` + the record body (see
    /// `hs_scan`): the first one claiming more than `limit` is remembered with `frame`.
    fn scan_headers(&mut self, frame: u64, limit: usize) {
        if self.hs_oversized.is_some() {
            return;
        }
        let skip = self.hs_skip.min(self.body.len());
        let body = self.body.get(skip..).unwrap_or_default();
        let hs = self.hs.as_slice();
        let at = |p: usize| match p.checked_sub(hs.len()) {
            None => hs.get(p).copied(),
            Some(b) => body.get(b).copied(),
        };
        while let (Some(_), Some(a), Some(b), Some(c)) = (
            at(self.hs_scan),
            at(self.hs_scan + 1),
            at(self.hs_scan + 2),
            at(self.hs_scan + 3),
        ) {
            let len = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
            if len > limit {
                self.hs_oversized = Some((self.hs_scan, frame));
                return;
            }
            self.hs_scan += 4 + len;
        }
    }
}

/// Largest handshake message body accepted (`max_handshake_message`, and no more than
/// `max_handshake_bytes` is buffered for one message).
fn handshake_limit(l: &FlowLimits) -> usize {
    l.max_handshake_message.min(l.max_handshake_bytes)
}

/// The limits of [`Limits`] that the TLS layer applies: every open flow keeps a copy, so only
/// these (40 bytes, not the whole 120).
#[derive(Debug, Clone, Copy)]
struct FlowLimits {
    max_handshake_message: usize,
    max_handshake_bytes: usize,
    max_history: usize,
    max_notes: usize,
    max_certificates: usize,
}

/// The counters of [`LimitsHit`] that the TLS layer counts, per flow (for the same reason).
#[derive(Debug, Clone, Copy, Default)]
struct FlowHits {
    max_handshake_message: u64,
    max_handshake_bytes: u64,
    max_certificates: u64,
    max_notes: u64,
    max_history: u64,
}

impl From<&Limits> for FlowLimits {
    fn from(l: &Limits) -> Self {
        FlowLimits {
            max_handshake_message: l.max_handshake_message,
            max_handshake_bytes: l.max_handshake_bytes,
            max_history: l.max_history,
            max_notes: l.max_notes,
            max_certificates: l.max_certificates,
        }
    }
}

/// The TLS state of one flow.
#[derive(Debug)]
pub struct TlsFlow {
    dirs: [Dir; 2],
    limits: FlowLimits,
    client_offers_resumption: bool,
    server_hello_seen: bool,
    tls13: bool,
    /// TLS 1.3: server sent a non-alert encrypted record after the client's first one.
    server_after_client_enc: bool,
    decided: bool,
    gap_before_decision: bool,
    history_cut: bool,
    notes_dropped: u32,
    /// Limits hit on this flow (counted once the flow is finished).
    hits: FlowHits,
}

fn idx(s: Sender) -> usize {
    match s {
        Sender::Client => 0,
        Sender::Server => 1,
    }
}

impl TlsFlow {
    /// A flow with nothing seen yet.
    pub fn new(limits: &Limits) -> Self {
        let mut dirs: [Dir; 2] = Default::default();
        for d in &mut dirs {
            d.at_start = true;
        }
        TlsFlow {
            dirs,
            limits: FlowLimits::from(limits),
            client_offers_resumption: false,
            server_hello_seen: false,
            tls13: false,
            server_after_client_enc: false,
            decided: false,
            gap_before_decision: false,
            history_cut: false,
            notes_dropped: 0,
            hits: FlowHits::default(),
        }
    }

    /// True once the handshake outcome is known (established or failed): from then on no
    /// handshake bytes are buffered.
    pub fn decided(&self) -> bool {
        self.decided
    }

    /// True when the next `len` bytes from `from` lie inside the body of an encrypted or
    /// unbuffered record after the handshake was decided, ending before it: feeding them would
    /// only count them off. Then [`TlsFlow::skip`] may stand in for [`TlsFlow::data`].
    pub fn can_skip(&self, from: Sender, len: usize) -> bool {
        self.decided
            && self.dirs.get(idx(from)).is_some_and(|d| {
                d.cur_type.is_some() && !d.buffering && !d.lost && !d.v2 && d.body_left > len
            })
    }

    /// Counts off `len` body bytes (see [`TlsFlow::can_skip`]).
    pub fn skip(&mut self, from: Sender, len: usize) {
        if let Some(d) = self.dirs.get_mut(idx(from)) {
            d.body_left -= len;
        }
    }

    /// Takes `bytes`, the next bytes from `from` after the handshake was decided, when all they
    /// hold is the rest of the application-data record being read and further application-data
    /// records, each with its whole header among them: each record is counted as [`Self::data`]
    /// counts it, and nothing else is looked at. False, having changed nothing, for anything
    /// else (another content type, a header cut at the end, an implausible one, framing lost, a
    /// direction not encrypted): then `data` must have them.
    ///
    /// Why: in a long transfer the packet that ends a record and the one that starts the next
    /// (one in six of OpenSSL's 8 KB records' packets) missed [`Self::can_skip`], and went
    /// through reassembly and the record layer, about 970 instructions each.
    pub fn skip_records(&mut self, from: Sender, bytes: &[u8]) -> bool {
        let Some(d) = self.dirs.get(idx(from)) else {
            return false;
        };
        // In a record `hdr` holds its header (as `step` leaves it); between records, bytes of
        // a header cut short.
        let in_record = match d.cur_type {
            None if d.hdr.is_empty() => false,
            Some(APPDATA) => true,
            _ => return false,
        };
        // `hdr` keeps its allocation from the handshake; without one, taking a header here
        // would allocate what `--max-buffered` counts.
        if !self.decided || !d.encrypted || d.buffering || d.lost || d.v2 || d.hdr.capacity() < 5 {
            return false;
        }
        // Where the next header starts, the records that end in `bytes`, and the header of the
        // last record begun in them.
        let mut at = if in_record { d.body_left } else { 0 };
        let mut ended = u32::from(in_record && at <= bytes.len());
        let mut left = at.saturating_sub(bytes.len());
        let mut last: Option<(&[u8], usize)> = None;
        while at < bytes.len() {
            let Some(hdr @ [ty, _, _, hi, lo]) = bytes.get(at..at + 5) else {
                return false;
            };
            if *ty != APPDATA || !detect::is_record_header(hdr) {
                return false;
            }
            let body = usize::from(*hi) << 8 | usize::from(*lo);
            last = Some((hdr, body));
            let end = at + 5 + body;
            if end <= bytes.len() {
                ended += 1;
            } else {
                left = end - bytes.len();
            }
            at = end;
        }
        // As `step` leaves a direction after these bytes: in a record, its header kept.
        if let Some(d) = self.dirs.get_mut(idx(from)) {
            d.body_left = left;
            if let Some((h, body)) = last {
                d.body_len = body;
                d.hdr.clear();
                d.hdr.extend_from_slice(h);
            }
            if left == 0 {
                d.cur_type = None;
                d.hdr.clear();
            } else {
                d.cur_type = Some(APPDATA);
            }
            d.at_start = false;
        }
        self.count_app_records(from, ended);
        true
    }

    /// Counts `n` encrypted application-data records from `from` that are not alerts (as
    /// [`Self::opaque_record`] tells them): in TLS 1.3, the server's after the client's show
    /// that the client's Finished was accepted.
    fn count_app_records(&mut self, from: Sender, n: u32) {
        if let Some(d) = self.dirs.get_mut(idx(from)) {
            d.enc_records = d.enc_records.saturating_add(n);
        }
        if self.tls13
            && n > 0
            && from == Sender::Server
            && self.dirs.first().is_some_and(|c| c.enc_records > 0)
        {
            self.server_after_client_enc = true;
        }
    }

    /// The limits this flow hit so far (with the notes dropped once [`TlsFlow::finish`] ran).
    pub fn limits_hit(&self) -> LimitsHit {
        let h = &self.hits;
        LimitsHit {
            max_handshake_message: h.max_handshake_message,
            max_handshake_bytes: h.max_handshake_bytes,
            max_certificates: h.max_certificates,
            max_notes: h.max_notes,
            max_history: h.max_history,
            ..LimitsHit::default()
        }
    }

    /// Adds a note about this flow from outside the TLS layer, within `max_notes` (a note over
    /// the limit is counted in the last note).
    pub fn push_note(&mut self, rec: &mut Negotiation, text: String) {
        self.note(rec, text);
    }

    /// Bytes of memory the handshake buffers hold (their capacity: a buffer keeps its
    /// allocation from one record to the next), for the global budget.
    pub fn buffered_bytes(&self) -> usize {
        self.dirs
            .iter()
            .map(|d| d.hdr.capacity() + d.body.capacity() + d.hs.capacity())
            .sum()
    }

    /// Bytes waiting in the handshake buffers (not their capacity).
    #[cfg(test)]
    pub fn held_bytes(&self) -> usize {
        self.dirs
            .iter()
            .map(|d| d.hdr.len() + d.body.len() + d.hs.len())
            .sum()
    }

    /// Frees the handshake buffers' allocations (once the handshake is decided nothing is
    /// buffered but an alert's two bytes).
    pub fn free_buffers(&mut self) {
        for d in &mut self.dirs {
            if d.body.is_empty() {
                d.body = Vec::new();
            }
            if d.hs.is_empty() {
                d.hs = Vec::new();
            }
        }
    }

    /// Over the global buffer budget: drops the handshake bytes held for `from` (a message
    /// in progress, the record being buffered) and parses no more of that direction's
    /// handshake messages; records are still framed, alerts and ChangeCipherSpec still read.
    /// Returns the bytes dropped (0 when nothing was held, and then nothing changes).
    pub fn drop_handshake(&mut self, from: Sender) -> usize {
        let Some(d) = self.dirs.get_mut(idx(from)) else {
            return 0;
        };
        let held = d.body.len() + d.hs.len();
        if held == 0 || d.hs_dropped {
            return 0;
        }
        d.hs_dropped = true;
        d.body = Vec::new();
        d.hs = Vec::new();
        d.hs_skip = 0;
        d.hs_scan = 0;
        d.hs_oversized = None;
        held
    }

    /// Feeds the next in-order bytes sent by `from`.
    pub fn data(&mut self, from: Sender, mut bytes: &[u8], frame: u64, rec: &mut Negotiation) {
        let i = idx(from);
        if self.dirs.get(i).is_some_and(|d| d.lost) {
            // Resume only at something that looks like a record header (checked per segment).
            if detect::is_record_header(bytes) {
                let note = self.dirs.get_mut(i).and_then(|d| {
                    d.lost = false;
                    d.gap_note.take()
                });
                if let Some(n) = note.and_then(|n| rec.notes.get_mut(n)) {
                    n.push_str(&format!("; resumed at a record header in frame {frame}"));
                }
            } else {
                return;
            }
        }
        while !bytes.is_empty() {
            let used = self.step(from, bytes, frame, rec);
            if used == 0 {
                break;
            }
            bytes = bytes.get(used..).unwrap_or_default();
        }
    }

    /// Consumes a prefix of `bytes` for the record being read; returns how many were used.
    fn step(&mut self, from: Sender, bytes: &[u8], frame: u64, rec: &mut Negotiation) -> usize {
        let i = idx(from);
        let Some(d) = self.dirs.get_mut(i) else {
            return 0;
        };
        if d.lost {
            return bytes.len();
        }
        if d.cur_type.is_none() {
            // Read a header.
            if d.hdr.is_empty() && d.at_start && from == Sender::Client {
                if let Some(detect::Start::Sslv2ClientHello) = detect::classify(bytes) {
                    d.v2 = true;
                }
            }
            if d.hdr.is_empty() && d.at_start && from == Sender::Server {
                if let Some(detect::Start::Sslv2ServerHello) = detect::classify(bytes) {
                    d.v2 = true;
                }
            }
            let want = if d.v2 { 2 } else { 5 };
            let take = (want - d.hdr.len()).min(bytes.len());
            d.hdr
                .extend_from_slice(bytes.get(..take).unwrap_or_default());
            if d.hdr.len() < want {
                return take;
            }
            if d.v2 {
                let len = sslv2::record_len(&d.hdr).unwrap_or(2) - 2;
                d.cur_type = Some(HANDSHAKE);
                d.body_len = len;
                d.body_left = len;
                d.buffering = true;
                d.body.clear();
                return take;
            }
            if !detect::is_record_header(&d.hdr) {
                let hdr: Vec<String> = d.hdr.iter().map(|b| format!("{b:02x}")).collect();
                d.hdr.clear();
                d.lost = true;
                d.at_start = false;
                let text = format!(
                    "{} bytes in frame {frame} are not a TLS record header ({}); stopped parsing this direction until a record header is found",
                    from.arrow(),
                    hdr.join(" ")
                );
                let n = self.note(rec, text);
                if let Some(d) = self.dirs.get_mut(i) {
                    d.gap_note = n;
                }
                return take;
            }
            let (ty, len) = match d.hdr.as_slice() {
                [t, _, _, h, l] => (*t, usize::from(*h) << 8 | usize::from(*l)),
                _ => return take,
            };
            d.cur_type = Some(ty);
            d.body_len = len;
            let null_cipher = d.encrypted && is_null_cipher(rec);
            d.body_left = len;
            d.body.clear();
            // A 2-byte alert record is plaintext even after encryption started (TLS 1.3 clients
            // may alert before they have keys; an encrypted alert is never 2 bytes long).
            d.buffering = (ty == ALERT && (len == 2 || (null_cipher && len <= 2 + 64)))
                || (!d.encrypted && matches!(ty, CCS | ALERT | HANDSHAKE) && !self.decided);
            if d.body_left == 0 {
                self.end_record(from, frame, rec, None);
            }
            return take;
        }
        let take = d.body_left.min(bytes.len());
        let keep = d.buffering && !(d.hs_dropped && d.cur_type == Some(HANDSHAKE));
        if keep && d.body.is_empty() && take == d.body_left {
            // The whole body is in these bytes (most handshake records): read where it lies,
            // not copied. (The header scan below only matters for a body that comes in parts:
            // the messages of this one are all seen in this frame.)
            d.body_left = 0;
            self.end_record(from, frame, rec, bytes.get(..take));
            return take;
        }
        if keep {
            d.body
                .extend_from_slice(bytes.get(..take).unwrap_or_default());
            if d.cur_type == Some(HANDSHAKE) && !d.v2 && !d.encrypted {
                let limit = handshake_limit(&self.limits);
                d.scan_headers(frame, limit);
            }
        }
        d.body_left -= take;
        if d.body_left == 0 {
            self.end_record(from, frame, rec, None);
        }
        take
    }

    /// The record being read is complete: its body is `whole` when it was not buffered (it lay
    /// in one piece in the bytes delivered), else what was buffered.
    fn end_record(
        &mut self,
        from: Sender,
        frame: u64,
        rec: &mut Negotiation,
        whole: Option<&[u8]>,
    ) {
        let i = idx(from);
        let Some(d) = self.dirs.get_mut(i) else {
            return;
        };
        let ty = d.cur_type.take().unwrap_or(0);
        let len = d.body_len;
        let v2 = std::mem::take(&mut d.v2);
        let buffered = d.buffering;
        let encrypted = d.encrypted;
        let kept = std::mem::take(&mut d.body);
        let body = whole.unwrap_or(&kept);
        let mut hdr = std::mem::take(&mut d.hdr);
        d.at_start = false;
        if v2 {
            hdr.extend_from_slice(body);
            self.sslv2_record(from, &hdr, frame, rec);
        } else if ty == ALERT && buffered && body.len() == 2 {
            self.plain_alerts(from, body, frame, rec);
        } else if ty == ALERT && buffered && encrypted && is_null_cipher(rec) {
            // A NULL-cipher suite "encrypts" nothing: the alert is in the clear, followed by
            // its MAC.
            self.plain_alerts(from, body.get(..2).unwrap_or_default(), frame, rec);
        } else if encrypted || !buffered {
            self.opaque_record(from, ty, len, frame, rec);
        } else {
            match ty {
                HANDSHAKE if self.dirs.get(i).is_some_and(|d| d.hs_dropped) => {}
                HANDSHAKE => self.handshake_bytes(from, body, frame, rec),
                CCS => self.change_cipher_spec(from, rec),
                // A plaintext alert is 2 bytes. A longer alert record is an encrypted one whose
                // ChangeCipherSpec was not seen (lost to a gap or truncation).
                ALERT if body.len() == 2 => self.plain_alerts(from, body, frame, rec),
                ALERT => {
                    if let Some(d) = self.dirs.get_mut(i) {
                        d.encrypted = true;
                    }
                    self.opaque_record(from, ty, len, frame, rec);
                }
                _ => {}
            }
        }
        if let Some(d) = self.dirs.get_mut(i) {
            d.body = kept; // keep the allocation
            d.body.clear();
            d.hdr = hdr;
            d.hdr.clear();
        }
        self.update_decision(rec);
    }

    /// A record whose body was not buffered: encrypted, application data, heartbeat, or any
    /// record after the handshake was decided.
    fn opaque_record(
        &mut self,
        from: Sender,
        ty: u8,
        len: usize,
        frame: u64,
        rec: &mut Negotiation,
    ) {
        let i = idx(from);
        let tls13 = self.tls13;
        let decided = self.decided;
        let encrypted = self.dirs.get(i).is_some_and(|d| d.encrypted);
        match ty {
            ALERT if encrypted => {
                self.history(rec, from, 'L');
                rec.alerts.push(Alert {
                    from,
                    level: None,
                    description: None,
                    encrypted: true,
                    frame,
                });
                if !decided {
                    if let Some(d) = self.dirs.get_mut(i) {
                        d.enc_alert_early = true;
                    }
                }
            }
            HANDSHAKE if encrypted && !tls13 => {
                let first = self
                    .dirs
                    .get_mut(i)
                    .is_some_and(|d| !std::mem::replace(&mut d.finished, true));
                if first {
                    self.history(rec, from, 'F');
                }
            }
            APPDATA if encrypted && tls13 => {
                // An encrypted TLS 1.3 alert is 2 bytes + content type + 16-byte tag (8 for CCM_8).
                let alert_len = if rec.cipher_suite.map(|c| c.0) == Some(0x1305) {
                    11
                } else {
                    19
                };
                if len == alert_len && !decided {
                    self.history(rec, from, 'L');
                    rec.alerts.push(Alert {
                        from,
                        level: None,
                        description: None,
                        encrypted: true,
                        frame,
                    });
                    if let Some(d) = self.dirs.get_mut(i) {
                        d.enc_alert_early = true;
                    }
                } else {
                    self.count_app_records(from, 1);
                }
            }
            APPDATA | CCS | HANDSHAKE => {
                if let Some(d) = self.dirs.get_mut(i) {
                    if d.encrypted {
                        d.enc_records += 1;
                    }
                }
                if ty == CCS {
                    self.history(rec, from, 'I');
                }
            }
            HEARTBEAT => self.history(rec, from, 'B'),
            _ => self.history(rec, from, 'Q'),
        }
    }

    fn change_cipher_spec(&mut self, from: Sender, rec: &mut Negotiation) {
        self.history(rec, from, 'I');
        let i = idx(from);
        if from == Sender::Server && !self.tls13 {
            // A server CCS with no Certificate/ServerKeyExchange/ServerHelloDone before it:
            // an abbreviated (resumed) handshake.
            if self.server_hello_seen && self.dirs.get(1).is_some_and(|d| !d.full_handshake_msgs) {
                rec.resumed = true;
            }
        }
        // Only a TLS ≤ 1.2 ServerHello makes CCS switch on encryption. Before any ServerHello
        // (middlebox-compatibility CCS around a HelloRetryRequest) and in TLS 1.3, where
        // encryption starts with the ServerHello, it changes nothing.
        if self.server_hello_seen && !self.tls13 {
            if let Some(d) = self.dirs.get_mut(i) {
                d.encrypted = true;
                d.clear_hs();
            }
        }
    }

    fn plain_alerts(&mut self, from: Sender, body: &[u8], frame: u64, rec: &mut Negotiation) {
        if body.len() % 2 != 0 || body.is_empty() {
            self.note(
                rec,
                format!(
                    "{} alert record in frame {frame} has odd length {}",
                    from.arrow(),
                    body.len()
                ),
            );
        }
        for a in body.chunks_exact(2) {
            let (level, desc) = match a {
                [l, d] => (*l, *d),
                _ => continue,
            };
            let level_name = match level {
                1 => "warning".to_string(),
                2 => "fatal".to_string(),
                x => hex8(x),
            };
            let desc_name =
                crate::names::alert_description(desc).map_or_else(|| hex8(desc), str::to_string);
            self.history(rec, from, 'L');
            if level == 2 {
                if let Some(d) = self.dirs.get_mut(idx(from)) {
                    d.fatal_alert = true;
                }
            }
            rec.alerts.push(Alert {
                from,
                level: Some(level_name),
                description: Some(desc_name),
                encrypted: false,
                frame,
            });
        }
    }

    /// A hole of `len` bytes in what `from` sent, before `frame`.
    pub fn gap(&mut self, from: Sender, len: u64, frame: u64, rec: &mut Negotiation) {
        let i = idx(from);
        let decided = self.decided;
        let Some(d) = self.dirs.get_mut(i) else {
            return;
        };
        let text_base = format!(
            "{} gap of {} before frame {frame}",
            from.arrow(),
            crate::names::count(len, "byte")
        );
        if d.cur_type.is_some() && !d.buffering && (len as usize) < d.body_left {
            // The hole is inside a record we were skipping anyway: framing is intact.
            d.body_left -= len as usize;
            if !decided {
                self.note(
                    rec,
                    format!("{text_base} (inside an encrypted record; framing kept)"),
                );
            }
            return;
        }
        if d.lost && d.gap_note.is_some() {
            return;
        }
        d.lost = true;
        d.cur_type = None;
        d.hdr.clear();
        d.body.clear();
        d.clear_hs();
        d.hs_skip = 0;
        if !decided {
            self.gap_before_decision = true;
        }
        let n = self.note(rec, text_base);
        if let Some(d) = self.dirs.get_mut(i) {
            d.gap_note = n;
        }
    }

    /// A FIN or RST from `from`.
    pub fn close(&mut self, from: Sender, kind: CloseKind, frame: u64, rec: &mut Negotiation) {
        if rec.close.is_none() {
            let during = !self.decided && !self.dirs.iter().any(|d| d.fatal_alert);
            rec.close = Some(Close {
                from,
                kind,
                frame,
                during_handshake: during,
            });
        }
    }

    fn update_decision(&mut self, rec: &mut Negotiation) {
        if self.decided {
            return;
        }
        if self.established() {
            self.decided = true;
            rec.outcome = Outcome::Established;
        } else if self.dirs.iter().any(|d| d.fatal_alert || d.enc_alert_early) {
            self.decided = true;
            rec.outcome = Outcome::Failed;
        }
        if self.decided {
            for d in &mut self.dirs {
                d.clear_hs();
                d.hs = Vec::new();
                d.body = Vec::new();
            }
        }
    }

    fn established(&self) -> bool {
        let [c, s] = &self.dirs;
        if !self.server_hello_seen {
            return false;
        }
        if self.tls13 {
            // The server answered the client's encrypted flight with something that is not an
            // alert (NewSessionTicket or data): the client's Finished was accepted.
            s.enc_records > 0 && c.enc_records > 0 && self.server_after_client_enc
        } else {
            c.finished && s.finished
        }
    }

    /// Settles the outcome at the end of the flow (close, eviction or end of capture).
    pub fn finish(&mut self, rec: &mut Negotiation) {
        let [c, s] = &self.dirs;
        rec.outcome = if self.established()
            || (self.tls13
                && self.server_hello_seen
                && s.enc_records > 0
                && c.enc_records > 0
                && !c.enc_alert_early
                && !s.enc_alert_early)
        {
            Outcome::Established
        } else if c.fatal_alert || s.fatal_alert {
            Outcome::Failed
        } else if self.gap_before_decision {
            // Holes before the answer: an encrypted alert or a close cannot be judged.
            Outcome::Incomplete
        } else if c.enc_alert_early
            || s.enc_alert_early
            || rec.close.is_some_and(|c| c.during_handshake)
        {
            Outcome::Failed
        } else {
            Outcome::Incomplete
        };
        if self.notes_dropped > 0 {
            self.hits.max_notes += u64::from(self.notes_dropped);
            let n = self.notes_dropped;
            rec.notes.push(format!(
                "{n} more {} dropped (limit {}; see --max-notes)",
                if n == 1 { "note" } else { "notes" },
                self.limits.max_notes
            ));
            self.notes_dropped = 0;
        }
    }

    fn history(&mut self, rec: &mut Negotiation, from: Sender, upper: char) {
        if rec.history.len() >= self.limits.max_history {
            if !self.history_cut {
                self.history_cut = true;
                self.hits.max_history += 1;
                self.note(
                    rec,
                    format!(
                        "history cut at {} letters (see --max-history)",
                        self.limits.max_history
                    ),
                );
            }
            return;
        }
        rec.history.push(match from {
            Sender::Client => upper,
            Sender::Server => upper.to_ascii_lowercase(),
        });
    }

    /// Adds a note, within the limit; returns its index.
    fn note(&mut self, rec: &mut Negotiation, text: String) -> Option<usize> {
        if rec.notes.len() + 1 >= self.limits.max_notes {
            self.notes_dropped += 1;
            return None;
        }
        rec.notes.push(text);
        Some(rec.notes.len() - 1)
    }
}

/// The negotiated suite protects records with a MAC only (`TLS_RSA_WITH_NULL_*`).
fn is_null_cipher(rec: &Negotiation) -> bool {
    rec.cipher_suite
        .and_then(|c| crate::names::cipher_suite(c.0))
        .is_some_and(|c| c.enc == "NULL" && c.id != 0)
}

/// Most bytes a record framer holds at once for one direction (one record body).
pub const MAX_RECORD_BUFFER: usize = MAX_RECORD_BODY + 5;
