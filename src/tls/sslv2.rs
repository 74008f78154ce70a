//! SSLv2-format hellos (tls-parser 0.12.2 has none: it misreads `80 2e 01 03 01…` as a record
//! header). Hand-written because no maintained crate parses them; the format is RFC 6101 app. E
//! and the SSL 2.0 draft.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use crate::record::ClientHelloInfo;

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(*b.get(at)?) << 8 | usize::from(*b.get(at + 1)?))
}

/// Length of a whole SSLv2 record (2-byte header plus body) starting at `b`, when `b` holds the header.
pub fn record_len(b: &[u8]) -> Option<usize> {
    let h0 = *b.first()?;
    Some((usize::from(h0 & 0x7f) << 8 | usize::from(*b.get(1)?)) + 2)
}

/// Decodes an SSLv2-compatible CLIENT-HELLO record (header included). Cipher specs whose first
/// byte is 0 are TLS suites and go into `cipher_suites`; SSLv2-only specs are counted.
pub fn client_hello(rec: &[u8], frame: u64) -> Option<(ClientHelloInfo, usize)> {
    let body = rec.get(2..)?;
    if *body.first()? != 1 {
        return None;
    }
    let version = u16::try_from(be16(body, 1)?).ok()?;
    let (spec_len, sid_len, chal_len) = (be16(body, 3)?, be16(body, 5)?, be16(body, 7)?);
    let specs = body.get(9..9 + spec_len)?;
    body.get(9 + spec_len..9 + spec_len + sid_len + chal_len)?;
    let mut info = ClientHelloInfo {
        frame,
        legacy_version: version,
        session_id_length: sid_len.min(255) as u8,
        sslv2_format: true,
        compression_methods: vec![0],
        ..Default::default()
    };
    let mut v2_only = 0;
    for s in specs.chunks_exact(3) {
        if let [0, a, b] = s {
            info.cipher_suites.push(u16::from_be_bytes([*a, *b]));
        } else {
            v2_only += 1;
        }
    }
    Some((info, v2_only))
}

/// Decodes an SSLv2 SERVER-HELLO: returns (version, first cipher spec as 24-bit value, certificate DER).
pub fn server_hello(rec: &[u8]) -> Option<(u16, u32, &[u8])> {
    let body = rec.get(2..)?;
    if *body.first()? != 4 {
        return None;
    }
    let version = u16::try_from(be16(body, 3)?).ok()?;
    let (cert_len, spec_len) = (be16(body, 5)?, be16(body, 7)?);
    let cert = body.get(11..11 + cert_len)?;
    let spec = body.get(11 + cert_len..11 + cert_len + spec_len.min(3))?;
    let spec = match spec {
        [a, b, c] => u32::from(*a) << 16 | u32::from(*b) << 8 | u32::from(*c),
        _ => 0,
    };
    Some((version, spec, cert))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_compatible_client_hello() {
        // header 80 22, type 1, version 0301, specs 9 bytes, sid 0, challenge 16
        let mut r = vec![0x80, 0x22, 1, 3, 1, 0, 9, 0, 0, 0, 16];
        r.extend_from_slice(&[0x00, 0x00, 0x2f, 0x07, 0x00, 0xc0, 0x00, 0x00, 0x0a]);
        r.extend_from_slice(&[0xaa; 16]);
        assert_eq!(record_len(&r), Some(r.len()));
        let (ch, v2) = client_hello(&r, 3).expect("decodes");
        assert_eq!(ch.legacy_version, 0x0301);
        assert_eq!(ch.cipher_suites, vec![0x002f, 0x000a]);
        assert_eq!(v2, 1);
        assert!(ch.sslv2_format);
        assert!(client_hello(&r[..20], 3).is_none());
    }
}
