//! ClientHello and ServerHello decoding into the record's [`ClientHelloInfo`] and
//! [`ServerHelloInfo`], via tls-parser and the work-arounds in `compat::tls_parser`.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use crate::compat::tls_parser::{self as compat, ListExtension, RawExtension};
use crate::record::{ClientHelloInfo, ServerHelloInfo};
use tls_parser::{SNIType, TlsExtension};

/// A decoded ClientHello and what could not be decoded in it.
pub struct ClientHello {
    /// The facts for the record.
    pub info: ClientHelloInfo,
    /// Problems worth a note ("extension 0x002b malformed").
    pub problems: Vec<String>,
    /// The client offered 0-RTT early data.
    pub early_data: bool,
    /// A non-empty session_ticket extension or a pre_shared_key was offered.
    pub offers_resumption: bool,
    /// The legacy session id (to see if the server echoes it).
    pub session_id: Vec<u8>,
}

/// Decodes a ClientHello from tls-parser's contents.
pub fn client_hello(ch: &tls_parser::TlsClientHelloContents<'_>, frame: u64) -> ClientHello {
    let mut info = ClientHelloInfo {
        frame,
        legacy_version: ch.version.0,
        cipher_suites: ch.ciphers.iter().map(|c| c.0).collect(),
        compression_methods: ch.comp.iter().map(|c| c.0).collect(),
        session_id_length: ch.session_id.map_or(0, |s| s.len().min(255) as u8),
        ..Default::default()
    };
    let mut out = ClientHello {
        info: ClientHelloInfo::default(),
        problems: Vec::new(),
        early_data: false,
        offers_resumption: false,
        session_id: ch.session_id.unwrap_or_default().to_vec(),
    };
    let (exts, bad) = compat::walk_extensions(ch.ext.unwrap_or_default());
    if let Some(at) = bad {
        out.problems.push(format!(
            "ClientHello extension block malformed at byte {at}; {} read",
            crate::names::count(exts.len() as u64, "extension")
        ));
    }
    info.extensions.reserve_exact(exts.len());
    for raw in &exts {
        info.extensions.push(raw.ty);
        client_extension(raw, &mut info, &mut out);
    }
    out.info = info;
    out
}

fn client_extension(raw: &RawExtension<'_>, info: &mut ClientHelloInfo, out: &mut ClientHello) {
    let wanted = matches!(raw.ty, 0 | 10 | 11 | 13 | 16 | 35 | 41 | 42 | 43 | 51);
    if !wanted || crate::names::is_grease(raw.ty) {
        return;
    }
    if raw.ty == 51 {
        match compat::client_key_share_groups(raw.data) {
            Some(g) => info.key_share_groups = g,
            None => out
                .problems
                .push("ClientHello key_share extension malformed".into()),
        }
        return;
    }
    if matches!(raw.ty, 10 | 11 | 13 | 43) {
        match compat::client_list_extension(raw.ty, raw.data) {
            Some(ListExtension::Groups(g)) => info.groups = g,
            Some(ListExtension::PointFormats(f)) => info.ec_point_formats = f,
            Some(ListExtension::SignatureAlgorithms(s)) => info.signature_algorithms = s,
            Some(ListExtension::Versions(v)) => info.versions = v,
            None => out.problems.push(malformed(raw.ty)),
        }
        return;
    }
    let Some(ext) = compat::parse_client_extension(raw) else {
        out.problems.push(malformed(raw.ty));
        return;
    };
    match ext {
        TlsExtension::SNI(names) => {
            info.sni = names
                .iter()
                .find(|(t, _)| *t == SNIType::HostName)
                .map(|(_, n)| String::from_utf8_lossy(n).into_owned());
        }
        TlsExtension::ALPN(p) => {
            info.alpn = p
                .iter()
                .map(|x| String::from_utf8_lossy(x).into_owned())
                .collect()
        }
        TlsExtension::SessionTicket(t) => out.offers_resumption |= !t.is_empty(),
        TlsExtension::PreSharedKey(_) => out.offers_resumption = true,
        TlsExtension::EarlyData(_) => out.early_data = true,
        _ => {}
    }
}

/// The note for a ClientHello extension whose content is malformed.
fn malformed(ty: u16) -> String {
    format!(
        "ClientHello extension 0x{ty:04x} ({}) malformed",
        crate::names::extension(ty).unwrap_or("unknown")
    )
}

/// A decoded ServerHello.
pub struct ServerHello {
    /// The facts for the record.
    pub info: ServerHelloInfo,
    /// This is a HelloRetryRequest, not a real ServerHello.
    pub is_hrr: bool,
    /// The ALPN protocol selected.
    pub alpn: Option<String>,
    /// The server accepted a PSK (TLS 1.3 resumption).
    pub psk_accepted: bool,
    /// The session id as sent.
    pub session_id: Vec<u8>,
    /// Problems worth a note.
    pub problems: Vec<String>,
}

/// Decodes a ServerHello (or HelloRetryRequest) from tls-parser's contents.
/// `body` is the message without its 4-byte header (for the SSL 3.0 work-around).
pub fn server_hello(
    sh: &tls_parser::TlsServerHelloContents<'_>,
    body: &[u8],
    frame: u64,
) -> ServerHello {
    let mut info = ServerHelloInfo {
        frame,
        legacy_version: sh.version.0,
        cipher_suite: sh.cipher.0,
        compression_method: sh.compression.0,
        session_id_length: sh.session_id.map_or(0, |s| s.len().min(255) as u8),
        random: sh.random.to_vec(),
        ..Default::default()
    };
    let is_hrr = compat::is_hello_retry_request(sh.random);
    let mut out = ServerHello {
        info: ServerHelloInfo::default(),
        is_hrr,
        alpn: None,
        psk_accepted: false,
        session_id: sh.session_id.unwrap_or_default().to_vec(),
        problems: Vec::new(),
    };
    let block = match sh.ext {
        Some(e) => e,
        None if sh.version.0 == 0x0300 => {
            compat::ssl3_server_hello_extensions(body).unwrap_or_default()
        }
        None => &[],
    };
    let (exts, bad) = compat::walk_extensions(block);
    if let Some(at) = bad {
        out.problems.push(format!(
            "ServerHello extension block malformed at byte {at}; {} read",
            crate::names::count(exts.len() as u64, "extension")
        ));
    }
    for raw in &exts {
        info.extensions.push(raw.ty);
        match raw.ty {
            // supported_versions: the selected version (2 bytes). Read directly: tls-parser
            // decides client vs server form by length, which is right for a ServerHello.
            43 => match raw.data {
                [a, b] => info.version = Some(u16::from_be_bytes([*a, *b])),
                _ => out
                    .problems
                    .push("ServerHello supported_versions malformed".into()),
            },
            51 => info.key_share_group = compat::server_key_share_group(raw.data),
            41 => out.psk_accepted = true,
            16 => match compat::parse_server_extension(raw) {
                Some(TlsExtension::ALPN(p)) => {
                    out.alpn = p.first().map(|x| String::from_utf8_lossy(x).into_owned())
                }
                _ => out
                    .problems
                    .push("ServerHello ALPN extension malformed".into()),
            },
            _ => {}
        }
    }
    out.info = info;
    out
}

/// Decodes a ServerHello of a TLS 1.3 draft before draft 22 (version 0x7f00–0x7f15, 0x0304, or
/// Facebook's 0xfb17/0xfb1a): `version, random, cipher_suite, extensions` with no session id or
/// compression. tls-parser 0.12.2 only knows this layout for draft 18 and misreads the others
/// with the TLS 1.2 layout. `body` is the message without its 4-byte header.
pub fn draft_server_hello(body: &[u8], frame: u64) -> Option<ServerHello> {
    let version = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    if !is_pre22_draft(version) {
        return None;
    }
    let random = body.get(2..34)?;
    let cipher = u16::from_be_bytes([*body.get(34)?, *body.get(35)?]);
    let ext_block = match body.get(36..38) {
        Some(&[a, b]) => body.get(38..38 + usize::from(u16::from_be_bytes([a, b])))?,
        _ => &[],
    };
    let mut info = ServerHelloInfo {
        frame,
        legacy_version: version,
        version: Some(version),
        cipher_suite: cipher,
        random: random.to_vec(),
        ..Default::default()
    };
    let (exts, _) = compat::walk_extensions(ext_block);
    for raw in &exts {
        info.extensions.push(raw.ty);
        // Drafts used 40 for key_share before it moved to 51.
        if raw.ty == 40 || raw.ty == 51 {
            info.key_share_group = compat::server_key_share_group(raw.data);
        }
    }
    Some(ServerHello {
        info,
        is_hrr: false,
        alpn: None,
        psk_accepted: exts.iter().any(|e| e.ty == 41),
        session_id: Vec::new(),
        problems: Vec::new(),
    })
}

/// A TLS 1.3 draft version whose ServerHello still has the pre-draft-22 layout. Drafts before
/// 16 put 0x0304 itself in the ServerHello's version field (a final TLS 1.3 ServerHello says
/// 0x0303 there), so 0x0304 in that field means the draft layout too.
pub fn is_pre22_draft(v: u16) -> bool {
    (0x7f00..=0x7f15).contains(&v) || matches!(v, 0x0304 | 0xfb17 | 0xfb1a)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ClientHello body (after the 4-byte handshake header), TLS 1.3 style, built by hand.
    fn client_hello_bytes() -> Vec<u8> {
        let mut exts = Vec::new();
        // SNI "a.test"
        exts.extend_from_slice(&[0x00, 0x00, 0x00, 0x0b, 0x00, 0x09, 0x00, 0x00, 0x06]);
        exts.extend_from_slice(b"a.test");
        // GREASE extension
        exts.extend_from_slice(&[0x3a, 0x3a, 0x00, 0x00]);
        // supported_groups [x25519, secp256r1]
        exts.extend_from_slice(&[0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17]);
        // ALPN [h2, http/1.1]
        exts.extend_from_slice(&[0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, b'h', b'2', 0x08]);
        exts.extend_from_slice(b"http/1.1");
        // supported_versions [0x0304, 0x0303]
        exts.extend_from_slice(&[0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03]);
        // key_share [x25519 with 2 bytes]
        exts.extend_from_slice(&[
            0x00, 0x33, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x02, 1, 2,
        ]);
        let mut b = vec![0x03, 0x03];
        b.extend_from_slice(&[7u8; 32]);
        b.push(0); // session id
        b.extend_from_slice(&[0x00, 0x06, 0x13, 0x01, 0x13, 0x02, 0xc0, 0x2f]);
        b.extend_from_slice(&[0x01, 0x00]);
        b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        b.extend_from_slice(&exts);
        let mut msg = vec![1, 0, (b.len() >> 8) as u8, b.len() as u8];
        msg.extend_from_slice(&b);
        msg
    }

    #[test]
    fn decodes_a_client_hello() {
        let msg = client_hello_bytes();
        let (_, parsed) = tls_parser::parse_tls_message_handshake(&msg).expect("parses");
        let tls_parser::TlsMessage::Handshake(tls_parser::TlsMessageHandshake::ClientHello(ch)) =
            parsed
        else {
            panic!("not a ClientHello")
        };
        let d = client_hello(&ch, 4);
        assert_eq!(d.info.sni.as_deref(), Some("a.test"));
        assert_eq!(d.info.cipher_suites, vec![0x1301, 0x1302, 0xc02f]);
        assert_eq!(
            d.info.extensions,
            vec![0x0000, 0x3a3a, 0x000a, 0x0010, 0x002b, 0x0033]
        );
        assert_eq!(d.info.groups, vec![0x1d, 0x17]);
        assert_eq!(d.info.alpn, vec!["h2".to_string(), "http/1.1".to_string()]);
        assert_eq!(d.info.versions, vec![0x0304, 0x0303]);
        assert_eq!(d.info.key_share_groups, vec![0x1d]);
        assert_eq!(d.info.max_version(), 0x0304);
        assert!(d.problems.is_empty());
    }
}
