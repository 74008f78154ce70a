//! STUB (replaced by the cert helper's module).
#![allow(missing_docs)]
pub fn certificate_info(der: &[u8], frame: u64) -> crate::record::CertInfo {
    crate::record::CertInfo {
        subject: None,
        issuer: None,
        serial: None,
        not_before: None,
        not_after: None,
        not_before_unix: None,
        not_after_unix: None,
        san_dns: vec![],
        san_ip: vec![],
        key: None,
        signature_algorithm: None,
        is_ca: false,
        sha256: String::new(),
        der_len: der.len(),
        parse_error: None,
        frame,
    }
}
