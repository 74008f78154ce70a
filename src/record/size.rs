//! What a record in progress holds on the heap, for `--max-flow-memory` (the engine counts it
//! for every open flow). An estimate from capacities and lengths: allocator rounding is not
//! counted, and what a record shares with others (a certificate chain decoded once by the chain
//! cache) is counted as its part of it, the size divided by the number of holders.

use super::{CertInfo, ClientHelloInfo, Negotiation};
use std::mem::size_of;
use std::sync::Arc;

fn string(s: &String) -> usize {
    s.capacity()
}

fn opt_string(s: &Option<String>) -> usize {
    s.as_ref().map_or(0, string)
}

fn vec<T>(v: &Vec<T>) -> usize {
    v.capacity() * size_of::<T>()
}

fn strings(v: &[String]) -> usize {
    v.iter().map(string).sum()
}

/// This holder's part of a shared allocation of `bytes`.
fn part<T: ?Sized>(a: &Arc<T>, bytes: usize) -> usize {
    bytes / Arc::strong_count(a).max(1)
}

impl ClientHelloInfo {
    /// Its own size (it is boxed in the record) and its lists'.
    fn heap_bytes(&self) -> usize {
        size_of::<Self>()
            + vec(&self.versions)
            + vec(&self.cipher_suites)
            + vec(&self.extensions)
            + vec(&self.groups)
            + vec(&self.signature_algorithms)
            + vec(&self.key_share_groups)
            + vec(&self.alpn)
            + strings(&self.alpn)
            + opt_string(&self.sni)
            + vec(&self.compression_methods)
            + vec(&self.ec_point_formats)
    }
}

impl CertInfo {
    /// The certificate's DER, and its decoded texts counted as as much again (they are taken
    /// from it; walking them was a visible share of a run, the DER's length is at hand), both
    /// shared with the other holders of the chain.
    fn heap_bytes(&self) -> usize {
        part(&self.der, 2 * self.der.len())
    }
}

/// What a note or an alert is counted as (a note's text is typically 100 to 200 bytes).
const NOTE_BYTES: usize = size_of::<String>() + 200;
const ALERT_BYTES: usize = size_of::<super::Alert>() + 32;

impl Negotiation {
    /// Bytes this record holds on the heap beyond its own size while its flow is followed: what
    /// [`Self::lists_bytes`] counts (given, as worked out when [`Self::growth_mark`] last
    /// changed), the history, and a fixed amount per note and alert. What analysis adds later
    /// (findings, fingerprints, a diagnosis) is not counted; see the module documentation.
    pub fn heap_bytes(&self, lists: usize) -> usize {
        lists
            + string(&self.history)
            + self.notes.capacity() * size_of::<String>()
            + self.notes.len() * NOTE_BYTES
            + self.alerts.len() * ALERT_BYTES
    }

    /// What the record's lists and texts allocate: the ClientHello's and ServerHello's lists,
    /// the names, the certificates. Walking them costs something, so it is worked out again
    /// only when [`Self::growth_mark`] changes.
    pub fn lists_bytes(&self) -> usize {
        let certs = |v: &Vec<CertInfo>| vec(v) + v.iter().map(CertInfo::heap_bytes).sum::<usize>();
        opt_string(&self.group)
            + opt_string(&self.sni)
            + opt_string(&self.alpn)
            + self.client_hello.as_ref().map_or(0, |c| c.heap_bytes())
            + self
                .server_hello
                .as_ref()
                .map_or(0, |s| vec(&s.extensions) + vec(&s.random))
            + certs(&self.certificates)
            + certs(&self.client_certificates)
    }

    /// Changes when what [`Self::lists_bytes`] counts may have grown: a ClientHello or
    /// ServerHello, a certificate message.
    pub fn growth_mark(&self) -> u64 {
        (self.certificates.len() + self.client_certificates.len()) as u64
            | u64::from(self.client_hello.is_some()) << 62
            | u64::from(self.server_hello.is_some()) << 63
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Endpoint, Timestamp};

    fn record() -> Negotiation {
        let ep = Endpoint {
            ip: [10, 0, 0, 1].into(),
            port: 443,
        };
        Negotiation::new(0, 1, Timestamp::default(), ep, ep)
    }

    #[test]
    fn a_record_counts_its_lists_and_its_part_of_shared_certificates() {
        let mut n = record();
        let (empty, mark) = (n.lists_bytes(), n.growth_mark());
        n.client_hello = Some(Box::new(ClientHelloInfo {
            cipher_suites: vec![0x1301; 1000],
            ..Default::default()
        }));
        let hello = n.lists_bytes();
        assert!(
            hello >= empty + size_of::<ClientHelloInfo>() + 2000,
            "{hello}"
        );
        assert_ne!(n.growth_mark(), mark);
        // A 3,000-byte certificate held by this record alone counts 6,000 bytes (the DER and
        // its texts); once a second record holds the same chain, half of that.
        // (Not a certificate: only its length matters here.)
        n.certificates = vec![crate::tls::cert::certificate_info(&[0; 3000], 6)];
        let alone = n.lists_bytes() - hello - size_of::<CertInfo>();
        assert_eq!(alone, 6000);
        let other = n.certificates.clone();
        assert_eq!(n.lists_bytes() - hello - size_of::<CertInfo>(), 3000);
        drop(other);
        // Notes are counted as they come, without a new mark.
        let (mark, before) = (n.growth_mark(), n.heap_bytes(0));
        n.notes.push("a note".into());
        assert_eq!(n.growth_mark(), mark);
        assert!(n.heap_bytes(0) >= before + NOTE_BYTES);
    }
}
