//! `--policy modern|intermediate|old`: which weaknesses count as findings, and how severe.
//!
//! The three levels follow Mozilla's server-side TLS guidelines
//! (<https://wiki.mozilla.org/Security/Server_Side_TLS>, configurations "Modern", "Intermediate"
//! and "Old"): modern accepts TLS 1.3 only, intermediate TLS 1.2 and 1.3 with AEAD suites and
//! forward secrecy, old still accepts TLS 1.0/1.1, CBC and 3DES for legacy clients. Things no
//! policy accepts (SSL 3.0, RC4, NULL, EXPORT, anonymous key exchange, MD5, compression) are high
//! everywhere.

use crate::record::Severity;

/// A policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Policy {
    /// Mozilla "modern": TLS 1.3 only.
    Modern,
    /// Mozilla "intermediate" (default): TLS 1.2+, AEAD, forward secrecy.
    #[default]
    Intermediate,
    /// Mozilla "old": compatibility with very old clients.
    Old,
}

impl Policy {
    /// The severity of finding `id` under this policy, or `None` when it does not count.
    pub fn severity(&self, id: &str) -> Option<Severity> {
        use Policy::*;
        use Severity::*;
        let s = match (id, self) {
            ("version.sslv3", _) => High,
            ("version.tls1_0" | "version.tls1_1", Modern) => High,
            ("version.tls1_0" | "version.tls1_1", Intermediate) => Medium,
            ("version.tls1_0" | "version.tls1_1", Old) => Low,
            ("version.tls1_2", Modern) => Low,
            ("version.tls1_2", _) => return None,
            ("cipher.null" | "cipher.export" | "cipher.anon" | "cipher.rc4" | "cipher.des", _) => {
                High
            }
            ("cipher.md5_mac" | "handshake.compression", _) => High,
            ("cipher.3des", Old) => Low,
            ("cipher.3des", _) => Medium,
            ("cipher.no_forward_secrecy", Old) => Low,
            ("cipher.no_forward_secrecy", _) => Medium,
            ("cipher.cbc", Modern) => Medium,
            ("cipher.cbc", Intermediate) => Low,
            ("cipher.cbc", Old) => return None,
            ("handshake.insecure_renegotiation", _) => Medium,
            ("handshake.no_extended_master_secret", Old) => Low,
            ("handshake.no_extended_master_secret", _) => Medium,
            ("handshake.no_sni", _) => Info,
            ("handshake.weak_dh_group", Old) => Low,
            ("handshake.weak_dh_group", _) => Medium,
            ("offer.weak_suites", Old) => Info,
            ("offer.weak_suites", _) => Low,
            ("offer.fallback_scsv", _) => Info,
            ("offer.downgrade_sentinel", _) => High,
            _ => return None,
        };
        Some(s)
    }

    /// The policy's name as given on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Policy::Modern => "modern",
            Policy::Intermediate => "intermediate",
            Policy::Old => "old",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_differ_where_mozilla_differs() {
        assert_eq!(Policy::Old.severity("version.tls1_0"), Some(Severity::Low));
        assert_eq!(
            Policy::Intermediate.severity("version.tls1_0"),
            Some(Severity::Medium)
        );
        assert_eq!(
            Policy::Modern.severity("version.tls1_2"),
            Some(Severity::Low)
        );
        assert_eq!(Policy::Intermediate.severity("version.tls1_2"), None);
        assert_eq!(Policy::Old.severity("cipher.cbc"), None);
        assert_eq!(Policy::Old.severity("cipher.rc4"), Some(Severity::High));
    }
}
