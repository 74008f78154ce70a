//! Handshake messages: rebuilt from handshake record bodies across records, decoded with
//! tls-parser (and the work-arounds in `compat`), and written into the record.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use super::{cert_cache, hello, idx, sslv2, TlsFlow};
use crate::record::{CipherSuite, Negotiation, Sender, Version};

impl TlsFlow {
    pub(super) fn handshake_bytes(
        &mut self,
        from: Sender,
        mut body: &[u8],
        frame: u64,
        rec: &mut Negotiation,
    ) {
        let i = idx(from);
        let limit = super::handshake_limit(&self.limits);
        // Skip the rest of an oversized message first.
        let Some(d) = self.dirs.get_mut(i) else {
            return;
        };
        let skip = d.hs_skip.min(body.len());
        d.hs_skip -= skip;
        body = body.get(skip..).unwrap_or_default();
        // The header scan walked this same stream as the record's bytes came in; the next
        // record's scan starts afresh at what is left in `hs`.
        let oversized = d.hs_oversized.take();
        d.hs_scan = 0;
        // Messages are parsed where they lie: in the record body itself when no partial message
        // was waiting (the usual case), else in `hs` with the body appended. Only what is left
        // of a message still incomplete is kept in `hs` (copying each message out, and shifting
        // the rest of `hs` down after each, had been a visible share of a handshake's cost).
        let mut buf = std::mem::take(&mut d.hs);
        let joined = !buf.is_empty();
        if joined {
            buf.extend_from_slice(body);
        }
        let stream: &[u8] = if joined { &buf } else { body };
        let epoch = d.hs_epoch;
        // Offset in `stream` (the stream the scan walked, from `hs[0]`) of the next message.
        let mut off = 0;
        loop {
            let rest = stream.get(off..).unwrap_or_default();
            let (ty, len) = match rest.get(..4) {
                Some([t, a, b, c]) => (
                    *t,
                    usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c),
                ),
                _ => break,
            };
            if len > limit {
                // Skip it: drop what is here of it, and the rest as it comes.
                let have = rest.len().min(4 + len);
                if let Some(d) = self.dirs.get_mut(i) {
                    d.hs_skip = 4 + len - have;
                }
                let at = match oversized {
                    Some((p, f)) if p == off => f,
                    _ => frame,
                };
                off += have;
                let name = crate::names::handshake_type(ty).unwrap_or("unknown");
                let flag = if self.limits.max_handshake_message < self.limits.max_handshake_bytes {
                    self.hits.max_handshake_message += 1;
                    "--max-handshake-message"
                } else {
                    self.hits.max_handshake_bytes += 1;
                    "--max-handshake-bytes"
                };
                self.history(rec, from, letter(ty));
                self.note(
                    rec,
                    format!(
                        "{} {name} message of {len} bytes at frame {at} exceeds the handshake \
                         limit ({}); skipped (see {flag})",
                        from.arrow(),
                        crate::config::size(limit)
                    ),
                );
                continue;
            }
            let Some(msg) = rest.get(..4 + len) else {
                break;
            };
            off += 4 + len;
            if let Some(d) = self.dirs.get_mut(i) {
                d.messages += 1;
            }
            self.message(from, ty, msg, frame, rec);
            if self.dirs.get(i).is_none_or(|d| d.hs_epoch != epoch) {
                // The message emptied the partial messages (a TLS 1.3 ServerHello: what
                // follows is encrypted): the rest of this record goes with them.
                off = stream.len();
                break;
            }
        }
        let Some(d) = self.dirs.get_mut(i) else {
            return;
        };
        // `hs` is empty here (taken above, and whatever cleared it left it empty).
        if joined {
            buf.drain(..off.min(buf.len()));
        } else {
            buf.clear();
            buf.extend_from_slice(body.get(off..).unwrap_or_default());
        }
        d.hs = buf;
    }

    pub(super) fn message(
        &mut self,
        from: Sender,
        ty: u8,
        msg: &[u8],
        frame: u64,
        rec: &mut Negotiation,
    ) {
        use tls_parser::TlsMessageHandshake as M;
        if ty == 2 && from == Sender::Server {
            if let Some(d) = msg
                .get(4..)
                .and_then(|b| hello::draft_server_hello(b, frame))
            {
                self.history(rec, from, 'S');
                self.server_hello(d, rec);
                return;
            }
        }
        let parsed = tls_parser::parse_tls_message_handshake(msg);
        let m = match parsed {
            Ok((_, tls_parser::TlsMessage::Handshake(m))) => Some(m),
            _ => None,
        };
        match (ty, m) {
            (1, Some(M::ClientHello(ch))) if from == Sender::Client => {
                self.history(rec, from, 'C');
                let d = hello::client_hello(&ch, frame);
                for p in d.problems {
                    self.note(rec, format!("{p} (frame {frame})"));
                }
                if rec.client_hello.is_none() {
                    rec.sni = d.info.sni.clone();
                    rec.early_data = d.early_data;
                    self.client_offers_resumption = d.offers_resumption;
                    if let Some(c) = self.dirs.get_mut(0) {
                        c.session_id = d.session_id;
                    }
                    rec.client_hello = Some(Box::new(d.info));
                } else if !rec.hello_retry_request {
                    self.note(rec, format!("another ClientHello at frame {frame} (renegotiation or a retry); the first is reported"));
                }
            }
            (2, Some(M::ServerHello(sh))) if from == Sender::Server => {
                let mut d = hello::server_hello(&sh, msg.get(4..).unwrap_or_default(), frame);
                for p in std::mem::take(&mut d.problems) {
                    self.note(rec, format!("{p} (frame {frame})"));
                }
                if d.is_hrr {
                    self.history(rec, from, 'J');
                    rec.hello_retry_request = true;
                    return;
                }
                self.history(rec, from, 'S');
                self.server_hello(d, rec);
            }
            (11, Some(M::Certificate(c))) => {
                self.history(rec, from, 'X');
                let max = self.limits.max_certificates;
                let ders: Vec<&[u8]> = c.cert_chain.iter().take(max).map(|raw| raw.data).collect();
                let list = cert_cache::chain_info(&ders, frame);
                if c.cert_chain.len() > max {
                    self.hits.max_certificates += 1;
                    self.note(
                        rec,
                        format!(
                            "{} Certificate at frame {frame} has {}; {} (see --max-certificates)",
                            from.arrow(),
                            crate::names::count(c.cert_chain.len() as u64, "certificate"),
                            match max {
                                0 => "none is decoded".to_string(),
                                1 => "only the first is decoded".to_string(),
                                n => format!("only the first {n} are decoded"),
                            }
                        ),
                    );
                }
                match from {
                    Sender::Server => {
                        self.mark_full_handshake();
                        rec.certificates = list;
                    }
                    Sender::Client => rec.client_certificates = list,
                }
            }
            (12, Some(M::ServerKeyExchange(ske))) => {
                self.history(rec, from, 'K');
                self.mark_full_handshake();
                let suite = rec
                    .cipher_suite
                    .and_then(|c| crate::names::cipher_suite(c.0));
                // Anonymous DH suites are ephemeral too (kx "DH"/"ECDH" with au "anon").
                let kx = suite.map(|c| match (c.kx, c.au) {
                    ("DH", "anon") => "DHE",
                    ("ECDH", "anon") => "ECDHE",
                    (kx, _) => kx,
                });
                if matches!(kx, Some("DHE") | Some("DHE_PSK")) {
                    if let Ok((_, p)) = tls_parser::parse_dh_params(ske.parameters) {
                        rec.dh_bits = Some(bit_length(p.dh_p));
                    }
                }
                if matches!(kx, Some("ECDHE") | Some("ECDHE_PSK")) {
                    if let Ok((_, p)) = tls_parser::parse_ecdh_params(ske.parameters) {
                        if let tls_parser::ECParametersContent::NamedGroup(g) =
                            p.curve_params.params_content
                        {
                            rec.group = Some(group_name(g.0));
                        }
                    }
                }
            }
            (13, _) => {
                self.history(rec, from, 'R');
                rec.certificate_request = true;
            }
            (14, _) => {
                self.history(rec, from, 'N');
                self.mark_full_handshake();
            }
            (22, _) => {
                self.history(rec, from, 'U');
                rec.ocsp_stapled = Some(true);
            }
            (_, m) => {
                self.history(rec, from, letter(ty));
                let known = matches!(ty, 0 | 4 | 5 | 8 | 15 | 16 | 20 | 21 | 23 | 24 | 25 | 254);
                if m.is_none() && matches!(ty, 1 | 2 | 11 | 12) {
                    self.note(
                        rec,
                        format!(
                            "{} {} at frame {frame} could not be decoded",
                            from.arrow(),
                            crate::names::handshake_type(ty).unwrap_or("message")
                        ),
                    );
                } else if m.is_none() && !known {
                    self.note(
                        rec,
                        format!(
                            "{} handshake message of type {ty} at frame {frame} could not be decoded",
                            from.arrow()
                        ),
                    );
                }
            }
        }
    }

    pub(super) fn mark_full_handshake(&mut self) {
        if let Some(s) = self.dirs.get_mut(1) {
            s.full_handshake_msgs = true;
        }
    }

    pub(super) fn server_hello(&mut self, d: hello::ServerHello, rec: &mut Negotiation) {
        self.server_hello_seen = true;
        let version = d.info.version.unwrap_or(d.info.legacy_version);
        rec.version = Some(Version(version));
        rec.cipher_suite = Some(CipherSuite(d.info.cipher_suite));
        if let Some(g) = d.info.key_share_group {
            rec.group = Some(group_name(g));
        }
        rec.alpn = d.alpn;
        let is13 = version == 0x0304 || (version >> 8) == 0x7f || hello::is_pre22_draft(version);
        self.tls13 = is13;
        if is13 {
            rec.resumed = d.psk_accepted;
            rec.ocsp_stapled = None;
            for dir in &mut self.dirs {
                dir.encrypted = true;
                dir.clear_hs();
            }
        } else {
            let echoed = self
                .dirs
                .first()
                .is_some_and(|c| !c.session_id.is_empty() && c.session_id == d.session_id);
            rec.resumed = echoed;
            rec.ocsp_stapled = Some(false);
        }
        rec.server_hello = Some(d.info);
    }

    pub(super) fn sslv2_record(
        &mut self,
        from: Sender,
        rec_bytes: &[u8],
        frame: u64,
        rec: &mut Negotiation,
    ) {
        match from {
            Sender::Client => {
                self.history(rec, from, 'C');
                match sslv2::client_hello(rec_bytes, frame) {
                    Some((info, _)) if rec.client_hello.is_none() => {
                        rec.client_hello = Some(Box::new(info))
                    }
                    Some(_) => {}
                    None => {
                        self.note(
                            rec,
                            format!(
                                "SSLv2-format ClientHello at frame {frame} could not be decoded"
                            ),
                        );
                    }
                }
            }
            Sender::Server => {
                self.history(rec, from, 'S');
                if let Some((version, _spec, cert_der)) = sslv2::server_hello(rec_bytes) {
                    self.server_hello_seen = true;
                    rec.version = Some(Version(version));
                    if !cert_der.is_empty() {
                        rec.certificates = cert_cache::chain_info(&[cert_der], frame);
                    }
                }
                // The rest of an SSL 2.0 connection is encrypted and not framed as TLS.
                for d in &mut self.dirs {
                    d.lost = true;
                }
            }
        }
    }
}

/// Zeek's ssl_history letter (uppercase form) for a handshake message type.
fn letter(ty: u8) -> char {
    match ty {
        0 => 'H',
        1 => 'C',
        2 => 'S',
        3 => 'V',
        4 => 'T',
        5 => 'E',
        8 => 'O',
        11 => 'X',
        12 => 'K',
        13 => 'R',
        14 => 'N',
        15 => 'Y',
        16 => 'G',
        20 => 'F',
        21 => 'W',
        22 => 'U',
        23 => 'A',
        24 => 'P',
        254 => 'M',
        _ => 'Z',
    }
}

fn group_name(g: u16) -> String {
    crate::names::group(g).map_or_else(|| crate::record::hex16(g), str::to_string)
}

/// Bits of a big-endian unsigned integer, leading zeros not counted.
fn bit_length(n: &[u8]) -> u32 {
    let mut it = n.iter().skip_while(|b| **b == 0);
    match it.next() {
        Some(first) => (8 - first.leading_zeros()) + 8 * it.count() as u32,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Limits;
    use crate::record::{Endpoint, Negotiation, Sender, Timestamp};
    use crate::tls::TlsFlow;

    fn flow(limit: usize) -> (TlsFlow, Negotiation) {
        let limits = Limits {
            max_handshake_bytes: limit,
            max_handshake_message: limit,
            ..Limits::default()
        };
        let ep = |port| Endpoint {
            ip: [10, 0, 0, 1].into(),
            port,
        };
        let rec = Negotiation::new(0, 1, Timestamp::new(0, 0), ep(40000), ep(443));
        (TlsFlow::new(&limits), rec)
    }

    /// A handshake record header for a body of `len` bytes.
    fn record_header(len: usize) -> Vec<u8> {
        vec![22, 3, 3, (len >> 8) as u8, len as u8]
    }

    /// A handshake message header.
    fn msg_header(ty: u8, len: usize) -> Vec<u8> {
        vec![ty, (len >> 16) as u8, (len >> 8) as u8, len as u8]
    }

    #[test]
    fn oversized_message_is_noted_at_the_frame_of_its_header() {
        let (mut t, mut rec) = flow(1024);
        // Record 1 (frames 10-13): a HelloRequest, then a Certificate header claiming 5000
        // bytes, completed in frame 12, and 2000 bytes of it; the record ends in frame 13.
        let mut body = msg_header(0, 0);
        body.extend(msg_header(11, 5000));
        body.extend(vec![0x41; 2000]);
        let mut bytes = record_header(body.len());
        bytes.extend(&body);
        let s = Sender::Server;
        t.data(s, &bytes[..7], 10, &mut rec);
        t.data(s, &bytes[7..11], 11, &mut rec);
        t.data(s, &bytes[11..111], 12, &mut rec);
        t.data(s, &bytes[111..], 13, &mut rec);
        assert_eq!(
            rec.notes,
            ["server→client certificate message of 5000 bytes at frame 12 exceeds the handshake \
              limit (1 KiB); skipped (see --max-handshake-bytes)"]
        );
        // Record 2 (frame 14): the Certificate's last 3000 bytes and a ServerHelloDone, which
        // is still decoded.
        let mut body = vec![0x42; 3000];
        body.extend(msg_header(14, 0));
        let mut bytes = record_header(body.len());
        bytes.extend(&body);
        t.data(s, &bytes, 14, &mut rec);
        assert_eq!(rec.history, "hxn");
        assert_eq!(rec.notes.len(), 1);
    }

    #[test]
    fn oversized_header_split_over_two_records() {
        let (mut t, mut rec) = flow(1024);
        let s = Sender::Server;
        // Record 1 (frame 20) ends after two bytes of a header; record 2 (frames 21-22) has
        // the other two (claiming 0x01_0000 bytes) in frame 21 and ends in frame 22.
        let mut bytes = record_header(2);
        bytes.extend([11, 0x01]);
        t.data(s, &bytes, 20, &mut rec);
        let mut bytes = record_header(1000);
        bytes.extend([0, 0]);
        bytes.extend(vec![0x43; 998]);
        t.data(s, &bytes[..10], 21, &mut rec);
        t.data(s, &bytes[10..], 22, &mut rec);
        assert_eq!(
            rec.notes,
            ["server→client certificate message of 65536 bytes at frame 21 exceeds the handshake \
              limit (1 KiB); skipped (see --max-handshake-bytes)"]
        );
        assert_eq!(rec.history, "x");
    }

    #[test]
    fn messages_after_an_oversized_one_in_the_same_record_are_decoded() {
        let (mut t, mut rec) = flow(1024);
        let s = Sender::Server;
        // One record (frame 30): a whole 1500-byte Certificate, then a ServerHelloDone.
        let mut body = msg_header(11, 1500);
        body.extend(vec![0x44; 1500]);
        body.extend(msg_header(14, 0));
        let mut bytes = record_header(body.len());
        bytes.extend(&body);
        t.data(s, &bytes, 30, &mut rec);
        assert_eq!(rec.history, "xn");
        assert_eq!(
            rec.notes,
            ["server→client certificate message of 1500 bytes at frame 30 exceeds the handshake \
              limit (1 KiB); skipped (see --max-handshake-bytes)"]
        );
        // Limits given apart: the message limit names its own flag.
        let limits = Limits {
            max_handshake_message: 1000,
            ..Limits::default()
        };
        let mut t = TlsFlow::new(&limits);
        let mut rec2 = Negotiation::new(0, 1, rec.first_seen, rec.client, rec.server);
        t.data(s, &bytes, 30, &mut rec2);
        assert_eq!(
            rec2.notes,
            ["server→client certificate message of 1500 bytes at frame 30 exceeds the handshake \
              limit (1000 bytes); skipped (see --max-handshake-message)"]
        );
    }

    #[test]
    fn messages_are_parsed_in_their_record_and_across_records() {
        let (mut t, mut rec) = flow(1024);
        let s = Sender::Server;
        // Record 1 (frame 40): a HelloRequest whole, then two bytes of a ServerHelloDone
        // header: only those two bytes wait for the next record.
        let mut body = msg_header(0, 0);
        body.extend(&msg_header(14, 0)[..2]);
        let mut bytes = record_header(body.len());
        bytes.extend(&body);
        t.data(s, &bytes, 40, &mut rec);
        assert_eq!(rec.history, "h");
        assert_eq!(t.held_bytes(), 2);
        // Record 2 (frame 41): the header's other two bytes, then another HelloRequest.
        let mut body = msg_header(14, 0)[2..].to_vec();
        body.extend(msg_header(0, 0));
        let mut bytes = record_header(body.len());
        bytes.extend(&body);
        t.data(s, &bytes, 41, &mut rec);
        assert_eq!(rec.history, "hnh");
        assert_eq!(t.held_bytes(), 0);
        assert!(rec.notes.is_empty(), "{:?}", rec.notes);
    }
}
