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
    match b {
        [t, 3, minor, hi, lo, ..] => {
            let len = usize::from(*hi) << 8 | usize::from(*lo);
            (20..=24).contains(t) && *minor <= 4 && len > 0 && len <= MAX_RECORD_BODY
        }
        _ => false,
    }
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
    let (h0, h1, ty) = (*b.first()?, *b.get(1)?, *b.get(2)?);
    if h0 & 0x80 == 0 {
        return None;
    }
    let len = usize::from(h0 & 0x7f) << 8 | usize::from(h1);
    match ty {
        // CLIENT-HELLO: version 0x0002 or 0x03xx, and a body long enough for its fixed fields.
        1 if len >= 9 && matches!(b.get(3), Some(0) | Some(3)) => Some(Start::Sslv2ClientHello),
        // SERVER-HELLO: session-id-hit 0/1, certificate type 1 (X.509), version 0x0002.
        4 if len >= 11 && b.get(3).is_some_and(|h| *h <= 1) && b.get(5..7) == Some(&[0, 2]) => {
            Some(Start::Sslv2ServerHello)
        }
        _ => None,
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
}
