//! Content detection: does a byte stream start with TLS? Used on every TCP port, at the start of
//! each direction and at segment starts until TLS is found (STARTTLS, proxies), and to resume
//! framing after a capture gap.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

/// Largest record body accepted: 2^14 plus the 2048 bytes of expansion TLS 1.2 allows.
pub const MAX_RECORD_BODY: usize = (1 << 14) + 2048;

/// What the start of a stream looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// A handshake record whose first message is a ClientHello.
    ClientHello,
    /// A handshake record whose first message is a ServerHello.
    ServerHello,
    /// An SSLv2-compatible ClientHello (2-byte header with the high bit set, message type 1).
    Sslv2ClientHello,
    /// An SSLv2 ServerHello (message type 4).
    Sslv2ServerHello,
    /// Some other plausible TLS record (mid-stream pickup).
    OtherRecord,
}

/// A plausible record header: known content type, version 3.x, sane length.
pub fn is_record_header(b: &[u8]) -> bool {
    b.len() >= 5 && header_so_far(b)
}

/// The bytes of a record header that `b` holds (up to the first 5) are plausible ones.
fn header_so_far(b: &[u8]) -> bool {
    let at = |i: usize, ok: fn(u8) -> bool| b.get(i).is_none_or(|&x| ok(x));
    let length_ok = match (b.get(3), b.get(4)) {
        (Some(&hi), Some(&lo)) => {
            let len = usize::from(hi) << 8 | usize::from(lo);
            len > 0 && len <= MAX_RECORD_BODY
        }
        _ => true,
    };
    at(0, |t| (20..=24).contains(&t))
        && at(1, |major| major == 3)
        && at(2, |minor| minor <= 4)
        && length_ok
}

/// Classifies the start of `b`, or `None` if it does not look like TLS.
/// A handshake record must also carry a known handshake type; a record of another type is only
/// taken when it ends exactly at the end of `b` or is followed by another plausible header, so
/// that random bytes are rarely mistaken for TLS.
pub fn classify(b: &[u8]) -> Option<Start> {
    if let Some(s) = classify_sslv2(b) {
        return Some(s);
    }
    if !is_record_header(b) {
        return None;
    }
    let len = usize::from(*b.get(3)?) << 8 | usize::from(*b.get(4)?);
    match (b.first(), b.get(5)) {
        (Some(22), Some(1)) => Some(Start::ClientHello),
        (Some(22), Some(2)) => Some(Start::ServerHello),
        (Some(22), Some(4 | 8 | 11 | 12 | 13 | 14 | 15 | 16 | 20 | 22)) => Some(Start::OtherRecord),
        (Some(22), _) => None,
        _ => {
            let next = b.get(5 + len..)?;
            if next.is_empty() || is_record_header(next) {
                Some(Start::OtherRecord)
            } else {
                None
            }
        }
    }
}

fn classify_sslv2(b: &[u8]) -> Option<Start> {
    match sslv2_start(b)? {
        Some((start, needs)) if b.len() >= needs => Some(start),
        _ => None,
    }
}

/// What the first bytes of `b` say of an SSLv2 hello (2-byte header with the high bit set,
/// then the message type): `None` when they cannot start one; else the hello they start once
/// its type is there, with the bytes [`classify`] needs to take it.
fn sslv2_start(b: &[u8]) -> Option<Option<(Start, usize)>> {
    let h0 = *b.first()?;
    if h0 & 0x80 == 0 {
        return None;
    }
    let len = b
        .get(1)
        .map(|&h1| usize::from(h0 & 0x7f) << 8 | usize::from(h1));
    let long = |min: usize| len.is_none_or(|l| l >= min);
    let at = |i: usize, ok: fn(u8) -> bool| b.get(i).is_none_or(|&x| ok(x));
    let (start, needs, ok) = match b.get(2) {
        None => return long(9).then_some(None),
        // CLIENT-HELLO: version 0x0002 or 0x03xx, and a body long enough for its fixed fields.
        Some(1) => (
            Start::Sslv2ClientHello,
            4,
            long(9) && at(3, |v| v == 0 || v == 3),
        ),
        // SERVER-HELLO: session-id-hit 0/1, version 0x0002.
        Some(4) => (
            Start::Sslv2ServerHello,
            7,
            long(11) && at(3, |hit| hit <= 1) && at(5, |v| v == 0) && at(6, |v| v == 2),
        ),
        Some(_) => return None,
    };
    ok.then_some(Some((start, needs)))
}

/// Bytes [`classify`] may need to tell a hello: a record header and the handshake type (6), an
/// SSLv2 ServerHello's fixed fields (7).
pub const HELLO_PREFIX: usize = 7;

/// True when `b`, which [`classify`] did not take, is shorter than [`HELLO_PREFIX`] and could
/// still be the start of a TLS record or an SSLv2 hello cut short by its segment: the caller
/// keeps it and classifies it joined to the bytes that follow. Some stacks, and the DPI-evasion
/// tools that split a ClientHello after its first byte or two, send less than a header first.
pub fn may_start(b: &[u8]) -> bool {
    !b.is_empty() && b.len() < HELLO_PREFIX && (may_start_record(b) || may_start_sslv2(b))
}

/// `b` is the start of a plausible record header (with six bytes, of a record [`classify`]
/// needs whole: a handshake record's type is known by then).
fn may_start_record(b: &[u8]) -> bool {
    header_so_far(b) && (b.len() < 6 || b.first() != Some(&22))
}

/// `b` is the start of an SSLv2 ClientHello or ServerHello that [`classify`] needs more of.
fn may_start_sslv2(b: &[u8]) -> bool {
    match sslv2_start(b) {
        None => false,
        Some(None) => true,
        Some(Some((_, needs))) => b.len() < needs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hello_record() {
        assert_eq!(
            classify(&[22, 3, 1, 0, 200, 1, 0, 0, 196]),
            Some(Start::ClientHello)
        );
        assert_eq!(
            classify(&[22, 3, 3, 0, 90, 2, 0, 0, 86]),
            Some(Start::ServerHello)
        );
    }

    #[test]
    fn sslv2_client_hello() {
        // 80 2e 01 03 01 ...: the form tls-parser misreads as a record header.
        assert_eq!(
            classify(&[0x80, 0x2e, 1, 3, 1, 0, 0x15]),
            Some(Start::Sslv2ClientHello)
        );
    }

    #[test]
    fn rejects_text_and_zero_length() {
        assert_eq!(classify(b"GET / HTTP/1.1\r\n"), None);
        assert_eq!(classify(&[23, 3, 3, 0, 0]), None);
        assert_eq!(classify(&[22, 3, 3, 0x48, 0x01, 1]), None);
    }

    #[test]
    fn application_data_needs_a_following_header() {
        let mut b = vec![23, 3, 3, 0, 2, 0xaa, 0xbb];
        assert_eq!(classify(&b), Some(Start::OtherRecord));
        b.extend_from_slice(b"junk!");
        assert_eq!(classify(&b), None);
    }

    #[test]
    fn a_hello_cut_short_may_start_tls_until_classify_can_tell() {
        let tls = [22, 3, 1, 0, 200, 1, 0, 0, 196];
        let v2_client = [0x80, 0x2e, 1, 3, 1, 0, 0x15];
        let v2_server = [0x83, 0x10, 4, 0, 1, 0, 2, 0, 0x30];
        for hello in [&tls[..], &v2_client, &v2_server] {
            assert!(classify(hello).is_some(), "{hello:02x?}");
            for cut in 1..HELLO_PREFIX {
                let head = &hello[..cut];
                // Either classify tells already, or the head is kept for more.
                assert!(
                    classify(head).is_some() || may_start(head),
                    "{hello:02x?} cut after {cut}"
                );
            }
        }
        // A mid-stream record header cut short is kept too; whole, it is classified.
        assert!(may_start(&[23, 3, 3, 0]));
        assert!(may_start(&[23, 3, 3, 0, 2, 0xaa]));
        for not in [
            &b"GET / HTTP/1.1"[..6],
            &[22, 2],
            &[22, 3, 5],
            &[22, 3, 3, 0, 0],
            &[22, 3, 3, 0x48, 0x01],
            // A handshake record of an unknown type: classify has seen all it needs.
            &[22, 3, 3, 0, 5, 99],
            &[0x80, 0x05],
            &[0x80, 0x2e, 7],
            &[0x80, 0x2e, 1, 9],
            &[0x83, 0x10, 4, 2],
            &[0x83, 0x10, 4, 0, 1, 1],
            &[],
        ] {
            assert!(classify(not).is_none() && !may_start(not), "{not:02x?}");
        }
        assert!(!may_start(&tls[..HELLO_PREFIX]), "long enough to classify");
    }
}
