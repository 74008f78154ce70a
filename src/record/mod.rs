//! The vocabulary: the negotiation record (one per flow), its parts, inputs and stats.
//!
//! This is the JSON contract `tlsnoop/1`. Every type here is plain data that the TLS layer and
//! analysis fill and reporters only read. Keys are never renamed: later work adds keys only.
//! Unknown values are `null` (or `[]`), never a missing key. It imports nothing of ours except the
//! name tables, which are vocabulary too.

mod hello;
mod limits;
mod size;
mod time;

pub use self::hello::{list_name, ClientHelloInfo, ServerHelloInfo};
pub use self::limits::LimitsHit;
pub use self::time::Timestamp;

use crate::names;
use serde::{Serialize, Serializer};
use std::net::IpAddr;
use std::sync::Arc;

/// The schema name written in `--format json` documents.
pub const SCHEMA: &str = "tlsnoop/1";

/// A TLS or SSL protocol version as sent on the wire (`0x0303` is TLS 1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u16);

impl Version {
    /// The name a person reads: "TLS 1.3", "SSL 3.0", "TLS 1.3 (draft 23)", else "0x7e02".
    pub fn name(&self) -> String {
        match names::version(self.0) {
            Some(n) => n.to_string(),
            None => format!("0x{:04x}", self.0),
        }
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match names::version(self.0) {
            Some(n) => s.serialize_str(n),
            None => Hex16(self.0).serialize(s),
        }
    }
}

/// Writes a 16-bit code point as `"0x1301"`.
pub fn hex16(v: u16) -> String {
    Hex16(v).text().as_str().to_string()
}

/// Writes an 8-bit code point as `"0x01"`.
pub fn hex8(v: u8) -> String {
    Hex8(v).text().as_str().to_string()
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The lower-case hex digit of the low nibble of `v`.
fn nibble(v: u32) -> u8 {
    HEX_DIGITS.get((v & 0xf) as usize).copied().unwrap_or(b'0')
}

/// A 16-bit code point that serializes as `"0x1301"` from a stack buffer. Records carry
/// thousands of these per flow, and `format!` for each was a measurable share of a run.
#[derive(Debug, Clone, Copy)]
pub struct Hex16(pub u16);

/// The text of a [`Hex16`] or [`Hex8`]: ASCII held on the stack.
#[derive(Debug, Clone, Copy)]
pub struct HexText<const N: usize>([u8; N]);

impl<const N: usize> HexText<N> {
    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and "0x" are ever written into the buffer.
        std::str::from_utf8(&self.0).unwrap_or("0x????")
    }

    /// The text's bytes, without the UTF-8 check of [`HexText::as_str`] (a JSON record writes
    /// several a flow).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Hex16 {
    /// `"0x1301"`.
    pub fn text(self) -> HexText<6> {
        let v = u32::from(self.0);
        HexText([
            b'0',
            b'x',
            nibble(v >> 12),
            nibble(v >> 8),
            nibble(v >> 4),
            nibble(v),
        ])
    }
}

impl Hex16 {
    /// `"0x1301"` from a table of all 65,536 texts, built once: no UTF-8 check per value.
    pub fn as_static(self) -> &'static str {
        static ALL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let all = ALL.get_or_init(|| {
            let mut t = String::with_capacity(6 << 16);
            for v in 0..=u16::MAX {
                t.push_str(Hex16(v).text().as_str());
            }
            t
        });
        let at = usize::from(self.0) * 6;
        all.get(at..at + 6).unwrap_or("0x????")
    }
}

impl Serialize for Hex16 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_static())
    }
}

/// An 8-bit code point that serializes as `"0x01"` from a stack buffer.
#[derive(Debug, Clone, Copy)]
pub struct Hex8(pub u8);

impl Hex8 {
    /// `"0x01"`.
    pub fn text(self) -> HexText<4> {
        let v = u32::from(self.0);
        HexText([b'0', b'x', nibble(v >> 4), nibble(v)])
    }
}

impl Serialize for Hex8 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.text().as_str())
    }
}

/// Appends the lower-case hex of `bytes` to `out`.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(nibble(u32::from(*b) >> 4)));
        out.push(char::from(nibble(u32::from(*b))));
    }
}

/// One end of a TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Endpoint {
    /// IPv4 or IPv6 address.
    pub ip: IpAddr,
    /// TCP port.
    pub port: u16,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.ip {
            IpAddr::V4(ip) => write!(f, "{ip}:{}", self.port),
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}

/// How far the handshake got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Both Finished seen, or TLS 1.3 ServerHello then application data from both sides, or a
    /// resumed handshake completed.
    Established,
    /// A fatal alert, or a reset/close before the handshake completed.
    Failed,
    /// The capture ended or has holes before an answer.
    #[default]
    Incomplete,
}

impl Outcome {
    /// The outcome as the word used in JSON and text.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Established => "established",
            Outcome::Failed => "failed",
            Outcome::Incomplete => "incomplete",
        }
    }
}

/// The negotiated cipher suite with both names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CipherSuite(pub u16);

impl CipherSuite {
    /// IANA name, if the suite is in the table.
    pub fn iana(&self) -> Option<&'static str> {
        names::cipher_suite(self.0).map(|c| c.iana)
    }
    /// OpenSSL name, if OpenSSL has one.
    pub fn openssl(&self) -> Option<&'static str> {
        names::cipher_suite(self.0).and_then(|c| c.openssl)
    }
}

impl Serialize for CipherSuite {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let info = names::cipher_suite(self.0);
        let mut st = s.serialize_struct("CipherSuite", 9)?;
        st.serialize_field("id", &Hex16(self.0))?;
        st.serialize_field("iana", &self.iana())?;
        st.serialize_field("openssl", &self.openssl())?;
        st.serialize_field("kx", &info.map(|c| c.kx))?;
        st.serialize_field("au", &info.map(|c| c.au))?;
        st.serialize_field("enc", &info.map(|c| c.enc))?;
        st.serialize_field("enc_bits", &info.map(|c| c.enc_bits))?;
        st.serialize_field("mode", &info.map(|c| c.mode))?;
        st.serialize_field("mac", &info.map(|c| c.mac))?;
        st.end()
    }
}

/// Which side sent something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sender {
    /// The TLS client (sent SYN, else the ClientHello).
    Client,
    /// The TLS server.
    Server,
}

impl Sender {
    /// "client" or "server".
    pub fn as_str(&self) -> &'static str {
        match self {
            Sender::Client => "client",
            Sender::Server => "server",
        }
    }
    /// The other side.
    pub fn peer(&self) -> Sender {
        match self {
            Sender::Client => Sender::Server,
            Sender::Server => Sender::Client,
        }
    }
    /// "client→server" or "server→client": the direction of data this side sends.
    pub fn arrow(&self) -> &'static str {
        match self {
            Sender::Client => "client→server",
            Sender::Server => "server→client",
        }
    }
}

/// A TLS alert seen on the flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// Who sent it.
    pub from: Sender,
    /// "warning", "fatal", or "0x05" for an unknown level; null when encrypted.
    pub level: Option<String>,
    /// "protocol_version", … or "0x99" for an unknown code; null when encrypted.
    pub description: Option<String>,
    /// True when the alert record was encrypted (only its presence is known).
    pub encrypted: bool,
    /// Frame that completed the alert record.
    pub frame: u64,
}

impl Alert {
    /// True for a plaintext fatal alert.
    pub fn is_fatal(&self) -> bool {
        self.level.as_deref() == Some("fatal")
    }
}

/// A public key's algorithm and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// "RSA", "EC", "Ed25519", "Ed448", "DSA", or the algorithm OID when unknown.
    #[serde(rename = "type")]
    pub kind: String,
    /// Key size in bits (RSA modulus bits, curve size), or null when unknown.
    pub bits: Option<u32>,
    /// Curve name for EC keys ("secp256r1"), else null.
    pub curve: Option<String>,
}

/// One certificate as sent on the wire. Its texts are shared (`Arc`): every flow to a server
/// carries the same chain, which the chain cache decodes once, and copying its strings into
/// each record was a visible share of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// Subject distinguished name, RFC 4514 style ("CN=server.test, O=tlsnoop").
    pub subject: Option<Arc<str>>,
    /// Issuer distinguished name.
    pub issuer: Option<Arc<str>>,
    /// Serial number, uppercase hex bytes separated by colons.
    pub serial: Option<Arc<str>>,
    /// Start of validity, RFC 3339.
    pub not_before: Option<Arc<str>>,
    /// End of validity, RFC 3339.
    pub not_after: Option<Arc<str>>,
    /// Start of validity, seconds since the epoch (for analysis at capture time).
    #[serde(skip)]
    pub not_before_unix: Option<i64>,
    /// End of validity, seconds since the epoch.
    #[serde(skip)]
    pub not_after_unix: Option<i64>,
    /// DNS names in the subjectAltName extension.
    pub san_dns: Arc<[String]>,
    /// IP addresses in the subjectAltName extension.
    pub san_ip: Arc<[String]>,
    /// Public key type and size.
    pub key: Option<Arc<KeyInfo>>,
    /// Signature algorithm ("sha256WithRSAEncryption", "ecdsa-with-SHA256", or the OID).
    pub signature_algorithm: Option<Arc<str>>,
    /// basicConstraints CA flag.
    pub is_ca: bool,
    /// SHA-256 of the DER, lowercase hex.
    pub sha256: Arc<str>,
    /// Length of the DER in bytes.
    pub der_len: usize,
    /// Why the certificate could not be parsed, if it could not (the other fields are then null).
    pub parse_error: Option<Arc<str>>,
    /// Frame that completed the Certificate message.
    pub frame: u64,
    /// Subject and issuer names are the same (a root or a self-signed certificate).
    pub self_issued: bool,
    /// Index in the same chain of the certificate that issued this one (names and, when both
    /// carry them, AKI/SKI match); null when none of the sent certificates did.
    pub issuer_index: Option<usize>,
    /// This certificate's signature checked with its issuer's key (with its own key when
    /// self-issued): "verified", "invalid", or "unsupported: REASON" when the algorithm cannot
    /// be checked here; null when the issuer was not sent.
    pub signature: Option<Arc<str>>,
    /// Extended key usages ("serverAuth", "clientAuth", or the OID); null without the extension.
    pub eku: Option<Arc<[String]>>,
    /// The subject's commonName values in order, as text (a name hostname checks fall back to
    /// when there is no DNS subjectAltName). Not written to JSON: `subject` shows them.
    #[serde(skip)]
    pub subject_cn: Arc<[String]>,
    /// The DER as sent (not written to JSON: `sha256` identifies it), kept so that analysis
    /// can check the chain against trust roots. Shared: every flow to a server carries the same
    /// chain, and copying it into each record was a visible cost.
    #[serde(skip)]
    pub der: Arc<[u8]>,
}

/// A negotiation record: everything seen of one TCP connection that carried TLS.
#[derive(Debug, Clone, Serialize)]
pub struct Negotiation {
    /// 1-based, in order of first packet (over all inputs).
    pub id: u64,
    /// Index into the document's `inputs`.
    pub input: usize,
    /// 1-based frame number of the flow's first packet in its file, as Wireshark counts.
    pub first_frame: u64,
    /// Time of the first packet.
    pub first_seen: Timestamp,
    /// Time of the last packet.
    pub last_seen: Timestamp,
    /// Always "tcp" for now.
    pub transport: &'static str,
    /// The TLS client.
    pub client: Endpoint,
    /// The TLS server.
    pub server: Endpoint,
    /// How far the handshake got.
    pub outcome: Outcome,
    /// The negotiated version (TLS 1.3 from supported_versions).
    pub version: Option<Version>,
    /// The negotiated cipher suite.
    pub cipher_suite: Option<CipherSuite>,
    /// The key exchange group (server key_share or ServerKeyExchange named curve), e.g. "x25519".
    pub group: Option<String>,
    /// Server name from the ClientHello's SNI.
    pub sni: Option<String>,
    /// The ALPN protocol the server selected.
    pub alpn: Option<String>,
    /// Session id echoed, session ticket or PSK accepted.
    pub resumed: bool,
    /// The server sent a HelloRetryRequest.
    pub hello_retry_request: bool,
    /// A CertificateStatus was sent (TLS ≤ 1.2); null when it cannot be seen (TLS 1.3).
    pub ocsp_stapled: Option<bool>,
    /// 0-RTT early data offered by the client (accepted is not visible without keys).
    pub early_data: bool,
    /// What the client offered. Boxed, as are the fingerprints and the diagnosis: a record
    /// exists from a flow's first TLS bytes, and with tens of thousands of handshakes open at
    /// once their 448 bytes inline (of a 952-byte record) were a seventh of what each open flow
    /// held.
    pub client_hello: Option<Box<ClientHelloInfo>>,
    /// What the server chose.
    pub server_hello: Option<ServerHelloInfo>,
    /// Server certificate chain, in the order sent (TLS ≤ 1.2; encrypted in TLS 1.3).
    pub certificates: Vec<CertInfo>,
    /// Client certificate chain, in the order sent.
    pub client_certificates: Vec<CertInfo>,
    /// The server asked for a client certificate.
    pub certificate_request: bool,
    /// Alerts in the order seen.
    pub alerts: Vec<Alert>,
    /// One letter per message, Zeek's ssl_history convention (uppercase = client).
    pub history: String,
    /// The first FIN or RST seen, if any.
    pub close: Option<Close>,
    /// Frame number of the flow's last packet.
    pub last_frame: u64,
    /// Packets and TCP payload bytes each side sent (as captured).
    pub traffic: Traffic,
    /// Size in bits of the DHE prime the server sent in ServerKeyExchange, when it did.
    pub dh_bits: Option<u32>,
    /// Client and server fingerprints; null when neither hello was seen.
    pub fingerprints: Option<Box<Fingerprints>>,
    /// What is weak or wrong, from the crypto negotiated and offered and the certificates.
    pub findings: Vec<Finding>,
    /// Why the negotiation failed or what stopped it; null for a healthy established flow.
    pub diagnosis: Option<Box<Diagnosis>>,
    /// Facts about the capture of this flow (gaps, retransmissions, truncation, limits hit).
    pub notes: Vec<String>,
}

/// What each side sent, as captured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Traffic {
    /// Packets from the client.
    pub client_packets: u64,
    /// Packets from the server.
    pub server_packets: u64,
    /// TCP payload bytes from the client.
    pub client_bytes: u64,
    /// TCP payload bytes from the server.
    pub server_bytes: u64,
}

/// TLS fingerprints of the hellos (JA3/JA3S per Salesforce's definition, JA4 per FoxIO's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Fingerprints {
    /// MD5 of `ja3_full`.
    pub ja3: Option<Arc<str>>,
    /// `version,ciphers,extensions,groups,point_formats` (GREASE removed).
    pub ja3_full: Option<Arc<str>>,
    /// MD5 of `ja3s_full`; null without a ServerHello.
    pub ja3s: Option<Arc<str>>,
    /// `version,cipher,extensions`.
    pub ja3s_full: Option<Arc<str>>,
    /// JA4 (`t13d1516h2_8daaf6152771_e5627efa2ab1`).
    pub ja4: Option<Arc<str>>,
    /// JA4 raw form: the sorted lists instead of their hashes.
    pub ja4_r: Option<Arc<str>>,
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, not a weakness.
    Info,
    /// A weakness with little practical risk.
    Low,
    /// A weakness to fix.
    Medium,
    /// Broken or dangerous: fix now.
    High,
}

impl Severity {
    /// "info", "low", "medium", "high".
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// One thing that is weak or wrong about a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable id ("cipher.rc4", "cert.expired"); `tlsnoop explain ID` describes it.
    pub id: &'static str,
    /// How bad it is under the chosen policy.
    pub severity: Severity,
    /// One sentence with the facts ("negotiated TLS_RSA_WITH_RC4_128_SHA (0x0005)").
    pub message: String,
    /// Frames that show it.
    pub evidence: Vec<u64>,
    /// Index in `certificates` for certificate findings, else null.
    pub certificate: Option<usize>,
}

/// Why a negotiation failed, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// Stable code ("protocol_version_mismatch"); `tlsnoop explain CODE` describes it.
    pub code: &'static str,
    /// One sentence.
    pub summary: String,
    /// The facts it rests on.
    pub detail: String,
    /// What to change and where.
    pub remediation: String,
    /// Frames that show it.
    pub evidence_frames: Vec<u64>,
}

/// How a TCP connection was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Close {
    /// Who closed it.
    pub from: Sender,
    /// "fin" or "rst".
    pub kind: CloseKind,
    /// Frame of the FIN or RST.
    pub frame: u64,
    /// The TLS handshake was still in progress (not established, no fatal alert yet).
    pub during_handshake: bool,
}

/// A FIN or a RST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CloseKind {
    /// An orderly close.
    Fin,
    /// A reset.
    Rst,
}

impl CloseKind {
    /// "fin" or "rst", as in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            CloseKind::Fin => "fin",
            CloseKind::Rst => "rst",
        }
    }
}

impl Negotiation {
    /// An empty record for a flow between `client` and `server` first seen at `first_frame`.
    pub fn new(
        input: usize,
        first_frame: u64,
        ts: Timestamp,
        client: Endpoint,
        server: Endpoint,
    ) -> Self {
        Negotiation {
            id: 0,
            input,
            first_frame,
            first_seen: ts,
            last_seen: ts,
            transport: "tcp",
            client,
            server,
            outcome: Outcome::Incomplete,
            version: None,
            cipher_suite: None,
            group: None,
            sni: None,
            alpn: None,
            resumed: false,
            hello_retry_request: false,
            ocsp_stapled: None,
            early_data: false,
            client_hello: None,
            server_hello: None,
            certificates: Vec::new(),
            client_certificates: Vec::new(),
            certificate_request: false,
            alerts: Vec::new(),
            // Room for a full handshake's letters, so that they are not pushed into ever
            // larger strings.
            history: String::with_capacity(24),
            close: None,
            last_frame: first_frame,
            traffic: Traffic::default(),
            dh_bits: None,
            fingerprints: None,
            findings: Vec::new(),
            diagnosis: None,
            notes: Vec::new(),
        }
    }
}

/// One input file as read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InputInfo {
    /// Path as given on the command line ("-" for stdin; "live:IFACE" for a live capture).
    pub path: String,
    /// "pcap", "pcapng", "pcap.gz", "pcapng.gz", "live", or null when the file could not be read.
    pub format: Option<String>,
    /// Link types seen ("ethernet", "linux_sll2", …).
    pub link_types: Vec<String>,
    /// Frames read.
    pub packets: u64,
    /// Captured bytes of the frames read.
    pub bytes: u64,
    /// Time of the first frame.
    pub first_ts: Option<Timestamp>,
    /// Time of the last frame.
    pub last_ts: Option<Timestamp>,
    /// Facts about the file (unknown link type, file ends inside a frame, read error).
    pub notes: Vec<String>,
}

/// Counters over all inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Frames read.
    pub packets: u64,
    /// TCP connections seen (TLS or not).
    pub tcp_flows: u64,
    /// Flows reported (carried TLS or looked like it).
    pub tls_flows: u64,
    /// Reported flows whose outcome is established.
    pub established: u64,
    /// Reported flows whose outcome is failed.
    pub failed: u64,
    /// Reported flows whose outcome is incomplete.
    pub incomplete: u64,
    /// Frames whose captured length was shorter than their original length.
    pub truncated_packets: u64,
    /// Frames that could not be decoded down to TCP although they claimed to be IP.
    pub decode_errors: u64,
    /// How often each resource limit was hit.
    pub limits_hit: LimitsHit,
}

impl std::ops::AddAssign<&Stats> for Stats {
    fn add_assign(&mut self, o: &Stats) {
        self.packets += o.packets;
        self.tcp_flows += o.tcp_flows;
        self.tls_flows += o.tls_flows;
        self.established += o.established;
        self.failed += o.failed;
        self.incomplete += o.incomplete;
        self.truncated_packets += o.truncated_packets;
        self.decode_errors += o.decode_errors;
        self.limits_hit += &o.limits_hit;
    }
}
