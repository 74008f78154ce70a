//! What the client offered and what the server chose, as raw code points in wire order.
//!
//! Lists keep every value, GREASE and unknown ones included, in the order sent (fingerprints need
//! that). In JSON each list of ids is written as `"0x1301"`-style strings with a parallel list of
//! names (`cipher_suites` + `cipher_suite_names`), where a name is null when unknown and
//! `"GREASE"` for RFC 8701 values.

use super::{Hex16, Hex8};
use crate::names;
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

/// The ClientHello, decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHelloInfo {
    /// Frame that completed the ClientHello.
    pub frame: u64,
    /// `legacy_version` (client_version) field.
    pub legacy_version: u16,
    /// supported_versions extension, in order (empty when absent).
    pub versions: Vec<u16>,
    /// Offered cipher suites in order.
    pub cipher_suites: Vec<u16>,
    /// Extension types in wire order.
    pub extensions: Vec<u16>,
    /// supported_groups in order.
    pub groups: Vec<u16>,
    /// signature_algorithms in order.
    pub signature_algorithms: Vec<u16>,
    /// Groups of the key_share entries in order.
    pub key_share_groups: Vec<u16>,
    /// ALPN protocols offered, in order (non-UTF-8 bytes replaced).
    pub alpn: Vec<String>,
    /// SNI host name.
    pub sni: Option<String>,
    /// Length of the legacy session id.
    pub session_id_length: u8,
    /// Compression methods offered.
    pub compression_methods: Vec<u8>,
    /// ec_point_formats in order.
    pub ec_point_formats: Vec<u8>,
    /// The hello came in SSLv2-compatible format.
    pub sslv2_format: bool,
}

impl ClientHelloInfo {
    /// The highest version the client offers (supported_versions without GREASE, else legacy).
    pub fn max_version(&self) -> u16 {
        self.versions
            .iter()
            .copied()
            .filter(|v| !names::is_grease(*v))
            .filter(|v| (*v >> 8) == 0x03 || *v == 0x0002)
            .max()
            .unwrap_or(self.legacy_version)
    }
}

/// A list of code points, serialized as `["0x1301", ...]` without building strings.
struct Ids<'a>(&'a [u16]);

impl Serialize for Ids<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|x| Hex16(*x)))
    }
}

fn ids(v: &[u16]) -> Ids<'_> {
    Ids(v)
}

/// The names parallel to [`Ids`]: null when unknown, `"GREASE"` for RFC 8701 values.
struct Named<'a>(&'a [u16], fn(u16) -> Option<&'static str>);

impl Serialize for Named<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|x| list_name(*x, self.1)))
    }
}

/// The name written beside code point `v` in a list: `"GREASE"` for RFC 8701 values, else what
/// `namer` gives (None: unknown, written as null).
pub fn list_name(v: u16, namer: fn(u16) -> Option<&'static str>) -> Option<&'static str> {
    if names::is_grease(v) {
        Some("GREASE")
    } else {
        namer(v)
    }
}

fn named(v: &[u16], namer: fn(u16) -> Option<&'static str>) -> Named<'_> {
    Named(v, namer)
}

/// A list of 8-bit code points, serialized as `["0x00", ...]`.
struct Ids8<'a>(&'a [u8]);

impl Serialize for Ids8<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|x| Hex8(*x)))
    }
}

impl Serialize for ClientHelloInfo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ClientHello", 20)?;
        st.serialize_field("frame", &self.frame)?;
        st.serialize_field("legacy_version", &Hex16(self.legacy_version))?;
        st.serialize_field("versions", &ids(&self.versions))?;
        st.serialize_field("version_names", &named(&self.versions, names::version))?;
        st.serialize_field("cipher_suites", &ids(&self.cipher_suites))?;
        st.serialize_field(
            "cipher_suite_names",
            &named(&self.cipher_suites, names::cipher_suite_name),
        )?;
        st.serialize_field("extensions", &ids(&self.extensions))?;
        st.serialize_field(
            "extension_names",
            &named(&self.extensions, names::extension),
        )?;
        st.serialize_field("groups", &ids(&self.groups))?;
        st.serialize_field("group_names", &named(&self.groups, names::group))?;
        st.serialize_field("signature_algorithms", &ids(&self.signature_algorithms))?;
        st.serialize_field(
            "signature_algorithm_names",
            &named(&self.signature_algorithms, names::signature_scheme),
        )?;
        st.serialize_field("key_share_groups", &ids(&self.key_share_groups))?;
        st.serialize_field(
            "key_share_group_names",
            &named(&self.key_share_groups, names::group),
        )?;
        st.serialize_field("alpn", &self.alpn)?;
        st.serialize_field("sni", &self.sni)?;
        st.serialize_field("session_id_length", &self.session_id_length)?;
        st.serialize_field("compression_methods", &Ids8(&self.compression_methods))?;
        st.serialize_field("ec_point_formats", &Ids8(&self.ec_point_formats))?;
        st.serialize_field("sslv2_format", &self.sslv2_format)?;
        st.end()
    }
}

/// The ServerHello (the final one, after any HelloRetryRequest), decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerHelloInfo {
    /// Frame that completed the ServerHello.
    pub frame: u64,
    /// `legacy_version` (server_version) field.
    pub legacy_version: u16,
    /// supported_versions selected version, when the extension is present.
    pub version: Option<u16>,
    /// Chosen cipher suite.
    pub cipher_suite: u16,
    /// Extension types in wire order.
    pub extensions: Vec<u16>,
    /// Group of the server's key_share.
    pub key_share_group: Option<u16>,
    /// Length of the session id.
    pub session_id_length: u8,
    /// Chosen compression method.
    pub compression_method: u8,
    /// The 32-byte random (kept for the TLS 1.3 downgrade sentinel check).
    pub random: Vec<u8>,
}

impl Serialize for ServerHelloInfo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ServerHello", 9)?;
        st.serialize_field("frame", &self.frame)?;
        st.serialize_field("legacy_version", &Hex16(self.legacy_version))?;
        st.serialize_field("version", &self.version.map(Hex16))?;
        st.serialize_field("cipher_suite", &Hex16(self.cipher_suite))?;
        st.serialize_field("extensions", &ids(&self.extensions))?;
        st.serialize_field(
            "extension_names",
            &named(&self.extensions, names::extension),
        )?;
        st.serialize_field("key_share_group", &self.key_share_group.map(Hex16))?;
        st.serialize_field("session_id_length", &self.session_id_length)?;
        st.serialize_field("compression_method", &Hex8(self.compression_method))?;
        st.end()
    }
}
