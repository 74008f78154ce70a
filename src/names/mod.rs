//! Names and static facts for the numbers a TLS handshake carries.
//!
//! Every lookup is a pure function of the wire value and returns `None` for a
//! value it does not know. None of them returns a name for a GREASE value
//! (RFC 8701, see [`is_grease`]): callers should test [`is_grease`] first and
//! show such values as GREASE.
//!
//! | lookup | registry | where the table comes from |
//! |---|---|---|
//! | [`cipher_suite`], [`cipher_suites`] | TLS Cipher Suites | **generated**: `src/names/cipher_suites.rs` is written by `scripts/gen_names.py` from `scripts/data/`: the IANA list as extracted by the tls-parser crate 0.12.2 (`tls-ciphersuites.txt`, MIT OR Apache-2.0) with its known errors corrected, a few suites it leaves out (`extra-ciphersuites.txt`), OpenSSL names from the local `openssl ciphers -V -stdname` (`openssl-ciphers.txt`, OpenSSL 3.0) and, for suites modern OpenSSL dropped, from OpenSSL 1.0.2's `openssl ciphers` documentation (`openssl-legacy-names.txt`). Do not edit it by hand. |
//! | [`scsv`], [`cipher_suite_name`] | TLS Cipher Suites (signalling values) | generated with the above: RFC 5746, RFC 7507 |
//! | [`extension`] | TLS ExtensionType Values | hand-written below from the IANA registry, plus well-known private code points (NPN, Channel ID, ALPS, ...) |
//! | [`group`], [`group_bits`], [`group_kind`] | TLS Supported Groups | hand-written below from the IANA registry (RFC 8422, RFC 7919, RFC 8734, RFC 9189, RFC 8998, draft-ietf-tls-mlkem, draft-ietf-tls-ecdhe-mlkem) plus pre-standard Kyber/CECPQ2 code points |
//! | [`signature_scheme`] | TLS SignatureScheme | hand-written below from the IANA registry (RFC 8446, RFC 8734, RFC 8998, RFC 9189, draft-ietf-tls-mldsa) plus the TLS 1.2 (hash, signature) pairs of RFC 5246 |
//! | [`alert_level`], [`alert_description`] | TLS Alerts | hand-written below from the IANA registry (RFC 8446 and the RFCs it cites) |
//! | [`handshake_type`] | TLS HandshakeType | hand-written below from the IANA registry, plus TLS 1.3 draft and NPN types |
//! | [`content_type`] | TLS ContentType | hand-written below from the IANA registry |
//! | [`version`] | protocol versions | hand-written below: RFC 6101, 2246, 4346, 5246, 8446, 4347, 6347, 9147, the TLS 1.3 drafts and Facebook's draft versions |
//! | [`compression_method`] | TLS Compression Method Identifiers | RFC 3749, RFC 3943 |
//! | [`psk_key_exchange_mode`] | TLS PskKeyExchangeMode | RFC 8446 |
//! | [`ec_point_format`] | TLS EC Point Format | RFC 8422 |
//! | [`cert_compression_algorithm`] | TLS Certificate Compression Algorithm IDs | RFC 8879 |
//!
//! The IANA registries are the "Transport Layer Security (TLS) Parameters" and
//! "TLS Extensions" registry groups at iana.org. SSLv2 cipher specs (3-byte
//! codes) are not covered.

mod cipher_suites;

use cipher_suites::{CIPHER_SUITES, SCSVS};

/// Static facts about one cipher suite.
///
/// The string fields use a small fixed vocabulary so callers can match on
/// them; it is listed on each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CipherSuiteInfo {
    /// The two-byte cipher suite code, e.g. `0xc02f`.
    pub id: u16,
    /// The IANA name, e.g. `"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"`. For the
    /// few suites that never reached the registry (0x0060-0x0066 of
    /// draft-ietf-tls-56-bit-ciphersuites, 0xcc13-0xcc15 of
    /// draft-agl-tls-chacha20poly1305, the latter with an `_OLD` suffix) it is
    /// the draft's name.
    pub iana: &'static str,
    /// The OpenSSL name, e.g. `"ECDHE-RSA-AES128-GCM-SHA256"`; for TLS 1.3
    /// suites OpenSSL uses the IANA name. `None` if OpenSSL never had the
    /// suite (ARIA-CBC, ECDHE-PSK-GCM, GOST, ...).
    pub openssl: Option<&'static str>,
    /// Key exchange: `"RSA"`, `"DH"` (static or anonymous), `"DHE"`, `"ECDH"`
    /// (static or anonymous), `"ECDHE"`, `"PSK"`, `"DHE_PSK"`, `"ECDHE_PSK"`,
    /// `"RSA_PSK"`, `"SRP"`, `"KRB5"`, `"ECCPWD"`, `"GOSTR341112_256"`,
    /// `"NULL"` (TLS_NULL_WITH_NULL_NULL), or `"any"` for TLS 1.3 suites,
    /// whose key exchange is negotiated separately.
    pub kx: &'static str,
    /// Authentication: `"RSA"`, `"DSS"`, `"ECDSA"`, `"anon"`, `"PSK"`,
    /// `"SRP"`, `"KRB5"`, `"ECCPWD"`, `"GOSTR341112_256"`, `"NULL"`, or
    /// `"any"` (TLS 1.3). RSA_PSK suites say `"RSA"`: the server shows an RSA
    /// certificate (OpenSSL's convention too).
    pub au: &'static str,
    /// Bulk cipher as the IANA name spells it: `"AES_128_GCM"`,
    /// `"CHACHA20_POLY1305"`, `"3DES_EDE_CBC"`, `"RC4_128"`, `"DES40_CBC"`,
    /// `"DES_CBC_40"`, `"AEGIS_128L"`, `"KUZNYECHIK_MGM_L"`, `"NULL"`, ...
    pub enc: &'static str,
    /// Key size in bits: AES_128 → 128, CHACHA20 → 256, 3DES → 168, DES → 56,
    /// export ciphers → 40 or 56, NULL → 0.
    pub enc_bits: u16,
    /// Mode of the cipher: `"GCM"`, `"CCM"`, `"CCM_8"`, `"CBC"`, `"STREAM"`
    /// (RC4), `"POLY1305"` (ChaCha20-Poly1305), `"AEGIS"`, `"MGM"`, `"CTR"`,
    /// `"CNT"` (GOST 28147-89) or `"NULL"`.
    pub mode: &'static str,
    /// Record MAC: `"AEAD"` (no separate MAC), `"SHA1"`, `"SHA256"`,
    /// `"SHA384"`, `"MD5"`, `"OMAC"`, `"IMIT"` or `"NULL"`. For AEAD suites the
    /// hash in the name is the PRF hash, not a MAC.
    pub mac: &'static str,
    /// An EXPORT or EXPORT1024 suite (deliberately weakened for 1990s US
    /// export rules).
    pub export: bool,
}

impl CipherSuiteInfo {
    /// True if the record protection is an AEAD (GCM, CCM, ChaCha20-Poly1305,
    /// AEGIS, MGM).
    pub fn is_aead(&self) -> bool {
        self.mac == "AEAD"
    }

    /// True for suites defined for TLS 1.3, which leave key exchange and
    /// authentication to extensions (`kx` and `au` are `"any"`).
    pub fn is_tls13(&self) -> bool {
        self.kx == "any"
    }
}

/// A count and its noun, in the plural unless the count is 1: `count(1, "packet")` is
/// "1 packet", `count(3, "TLS flow")` "3 TLS flows" (for nouns whose plural takes an `s`).
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Facts about cipher suite `id`, or `None` if unknown, a signalling value
/// (see [`scsv`]) or GREASE (see [`is_grease`]).
pub fn cipher_suite(id: u16) -> Option<&'static CipherSuiteInfo> {
    // Looked up many times per flow (names, findings, reports): a table indexed by the id
    // (128 KiB, built once) instead of a binary search, which was a visible share of a run.
    static INDEX: std::sync::OnceLock<Vec<u16>> = std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut t = vec![u16::MAX; 1 << 16];
        for (i, s) in CIPHER_SUITES.iter().enumerate() {
            if let (Some(slot), Ok(i)) = (t.get_mut(usize::from(s.id)), u16::try_from(i)) {
                *slot = i;
            }
        }
        t
    });
    let i = *index.get(usize::from(id))?;
    CIPHER_SUITES.get(usize::from(i))
}

/// Every known cipher suite, sorted by id.
pub fn cipher_suites() -> &'static [CipherSuiteInfo] {
    &CIPHER_SUITES
}

/// IANA name of a signalling cipher suite value: 0x00ff
/// `"TLS_EMPTY_RENEGOTIATION_INFO_SCSV"` (RFC 5746) and 0x5600
/// `"TLS_FALLBACK_SCSV"` (RFC 7507). These are not cipher suites, so
/// [`cipher_suite`] does not know them.
pub fn scsv(id: u16) -> Option<&'static str> {
    SCSVS
        .binary_search_by_key(&id, |&(v, _)| v)
        .ok()
        .map(|i| SCSVS[i].1)
}

/// IANA name of whatever `id` is in a cipher suite list: a cipher suite or a
/// signalling value. `None` for unknown values and GREASE.
pub fn cipher_suite_name(id: u16) -> Option<&'static str> {
    cipher_suite(id).map(|s| s.iana).or_else(|| scsv(id))
}

/// The 16 GREASE values of RFC 8701: 0x0a0a, 0x1a1a, ..., 0xfafa.
pub const GREASE: [u16; 16] = [
    0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba,
    0xcaca, 0xdada, 0xeaea, 0xfafa,
];

/// True for exactly the 16 GREASE values of RFC 8701 (both bytes equal, low
/// nibble 0xa), as used in cipher suites, extensions, groups, signature
/// schemes and versions. Unlike tls-parser's `v & 0x0f0f == 0x0a0a`, 0x1a2a is
/// not GREASE.
pub fn is_grease(v: u16) -> bool {
    let [hi, lo] = v.to_be_bytes();
    hi == lo && lo & 0x0f == 0x0a
}

/// True for the GREASE values of one-byte PskKeyExchangeMode lists
/// (RFC 8701 section 2: 0x0b, 0x2a, 0x49, ..., 0xe4, i.e. 0x0b + 0x1f * n).
pub fn is_grease_psk_key_exchange_mode(m: u8) -> bool {
    matches!(m, 0x0b | 0x2a | 0x49 | 0x68 | 0x87 | 0xa6 | 0xc5 | 0xe4)
}

/// IANA name of TLS extension `id`, e.g. 0 → `"server_name"`,
/// 16 → `"application_layer_protocol_negotiation"`, 43 → `"supported_versions"`,
/// 0xfe0d → `"encrypted_client_hello"`, 0xff01 → `"renegotiation_info"`.
/// Covers the IANA TLS ExtensionType registry (0-62, 0xfd00, 0xfe0d, 0xff01),
/// draft code points that shipped (40, 46, 0xffa5, 0xffce) and common private
/// ones (0x3374 NPN, 0x754f Channel ID, 0x4469 ALPS, ...). `None` for GREASE.
pub fn extension(id: u16) -> Option<&'static str> {
    Some(match id {
        0 => "server_name",                             // RFC 6066
        1 => "max_fragment_length",                     // RFC 6066, RFC 8449
        2 => "client_certificate_url",                  // RFC 6066
        3 => "trusted_ca_keys",                         // RFC 6066
        4 => "truncated_hmac",                          // RFC 6066
        5 => "status_request",                          // RFC 6066
        6 => "user_mapping",                            // RFC 4681
        7 => "client_authz",                            // RFC 5878
        8 => "server_authz",                            // RFC 5878
        9 => "cert_type",                               // RFC 6091
        10 => "supported_groups",                       // RFC 8422, RFC 7919 (was elliptic_curves)
        11 => "ec_point_formats",                       // RFC 8422
        12 => "srp",                                    // RFC 5054
        13 => "signature_algorithms",                   // RFC 8446
        14 => "use_srtp",                               // RFC 5764
        15 => "heartbeat",                              // RFC 6520
        16 => "application_layer_protocol_negotiation", // RFC 7301
        17 => "status_request_v2",                      // RFC 6961
        18 => "signed_certificate_timestamp",           // RFC 6962
        19 => "client_certificate_type",                // RFC 7250
        20 => "server_certificate_type",                // RFC 7250
        21 => "padding",                                // RFC 7685
        22 => "encrypt_then_mac",                       // RFC 7366
        23 => "extended_master_secret",                 // RFC 7627
        24 => "token_binding",                          // RFC 8472
        25 => "cached_info",                            // RFC 7924
        26 => "tls_lts",                                // draft-gutmann-tls-lts
        27 => "compress_certificate",                   // RFC 8879
        28 => "record_size_limit",                      // RFC 8449
        29 => "pwd_protect",                            // RFC 8492
        30 => "pwd_clear",                              // RFC 8492
        31 => "password_salt",                          // RFC 8492
        32 => "ticket_pinning",                         // RFC 8672
        33 => "tls_cert_with_extern_psk",               // RFC 8773
        34 => "delegated_credential",                   // RFC 9345
        35 => "session_ticket", // RFC 5077, RFC 8447 (was SessionTicket TLS)
        36 => "TLMSP",          // ETSI TS 103 523-2
        37 => "TLMSP_proxying", // ETSI TS 103 523-2
        38 => "TLMSP_delegate", // ETSI TS 103 523-2
        39 => "supported_ekt_ciphers", // RFC 8870
        40 => "key_share_old",  // reserved; key_share in TLS 1.3 drafts <= 22
        41 => "pre_shared_key", // RFC 8446
        42 => "early_data",     // RFC 8446
        43 => "supported_versions", // RFC 8446
        44 => "cookie",         // RFC 8446
        45 => "psk_key_exchange_modes", // RFC 8446
        46 => "ticket_early_data_info", // reserved; TLS 1.3 drafts <= 18
        47 => "certificate_authorities", // RFC 8446
        48 => "oid_filters",    // RFC 8446
        49 => "post_handshake_auth", // RFC 8446
        50 => "signature_algorithms_cert", // RFC 8446
        51 => "key_share",      // RFC 8446
        52 => "transparency_info", // RFC 9162
        53 => "connection_id_deprecated", // draft-ietf-tls-dtls-connection-id (pre RFC 9146)
        54 => "connection_id",  // RFC 9146
        55 => "external_id_hash", // RFC 8844
        56 => "external_session_id", // RFC 8844
        57 => "quic_transport_parameters", // RFC 9001
        58 => "ticket_request", // RFC 9149
        59 => "dnssec_chain",   // RFC 9102
        60 => "sequence_number_encryption_algorithms", // draft-pismenny-tls-dtls-plaintext-sequence-number
        61 => "rrc",                                   // draft-ietf-tls-dtls-rrc
        62 => "tls_flags",                             // draft-ietf-tls-tlsflags
        0x3374 => "next_protocol_negotiation",         // draft-agl-tls-nextprotoneg (private)
        0x3377 => "origin_bound_certificates",         // draft-balfanz-tls-obc (private)
        0x337c => "encrypted_client_certificates",     // Chromium experiment (private)
        0x4469 => "application_settings", // draft-vvv-tls-alps, first code point (private)
        0x44cd => "application_settings_new", // draft-vvv-tls-alps, code point Chrome moved to in 2024
        0x754f => "channel_id",               // draft-balfanz-tls-channelid-00 (private)
        0x7550 => "channel_id_new", // draft-balfanz-tls-channelid-01 / BoringSSL (private)
        0x8b47 => "padding_old",    // Chrome's padding before RFC 7685 assigned 21
        0xfd00 => "ech_outer_extensions", // RFC 9849
        0xfe0d => "encrypted_client_hello", // RFC 9849
        0xff01 => "renegotiation_info", // RFC 5746
        0xffa5 => "quic_transport_parameters_draft", // draft-ietf-quic-tls <= 32
        0xffce => "encrypted_server_name", // draft-ietf-tls-esni <= 02 (ESNI)
        _ => return None,
    })
}

/// How a supported group is built, for judging its strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupKind {
    /// An elliptic curve (ECDHE): secp*, sect*, brainpool*, x25519, x448, GOST
    /// and SM2 curves.
    EllipticCurve,
    /// A finite-field Diffie-Hellman group (RFC 7919 ffdhe*).
    FiniteField,
    /// A post-quantum KEM alone (ML-KEM).
    PostQuantum,
    /// A classical group combined with a post-quantum KEM (X25519MLKEM768,
    /// X25519Kyber768Draft00, CECPQ2, ...).
    Hybrid,
    /// The arbitrary_explicit_* code points: curve parameters sent explicitly
    /// (RFC 4492, deprecated by RFC 8422).
    ExplicitCurves,
}

/// IANA name of supported group (named curve) `id`, e.g. 23 → `"secp256r1"`,
/// 29 → `"x25519"`, 256 → `"ffdhe2048"`, 0x11ec → `"X25519MLKEM768"`.
/// `None` for GREASE.
pub fn group(id: u16) -> Option<&'static str> {
    Some(match id {
        // RFC 4492 curves, deprecated for TLS 1.3 (RFC 8422, RFC 8446)
        1 => "sect163k1",
        2 => "sect163r1",
        3 => "sect163r2",
        4 => "sect193r1",
        5 => "sect193r2",
        6 => "sect233k1",
        7 => "sect233r1",
        8 => "sect239k1",
        9 => "sect283k1",
        10 => "sect283r1",
        11 => "sect409k1",
        12 => "sect409r1",
        13 => "sect571k1",
        14 => "sect571r1",
        15 => "secp160k1",
        16 => "secp160r1",
        17 => "secp160r2",
        18 => "secp192k1",
        19 => "secp192r1",
        20 => "secp224k1",
        21 => "secp224r1",
        22 => "secp256k1",
        // RFC 8422, RFC 8446
        23 => "secp256r1",
        24 => "secp384r1",
        25 => "secp521r1",
        // RFC 7027 (TLS 1.2 only)
        26 => "brainpoolP256r1",
        27 => "brainpoolP384r1",
        28 => "brainpoolP512r1",
        // RFC 8422, RFC 8446
        29 => "x25519",
        30 => "x448",
        // RFC 8734 (TLS 1.3 brainpool)
        31 => "brainpoolP256r1tls13",
        32 => "brainpoolP384r1tls13",
        33 => "brainpoolP512r1tls13",
        // RFC 9189 (GOST)
        34 => "GC256A",
        35 => "GC256B",
        36 => "GC256C",
        37 => "GC256D",
        38 => "GC512A",
        39 => "GC512B",
        40 => "GC512C",
        // RFC 8998
        41 => "curveSM2",
        // RFC 7919
        256 => "ffdhe2048",
        257 => "ffdhe3072",
        258 => "ffdhe4096",
        259 => "ffdhe6144",
        260 => "ffdhe8192",
        // draft-ietf-tls-mlkem
        0x0200 => "MLKEM512",
        0x0201 => "MLKEM768",
        0x0202 => "MLKEM1024",
        // draft-ietf-tls-ecdhe-mlkem
        0x11eb => "SecP256r1MLKEM768",
        0x11ec => "X25519MLKEM768",
        0x11ed => "SecP384r1MLKEM1024",
        // draft-yang-tls-hybrid-sm2-mlkem
        0x11ee => "curveSM2MLKEM768",
        // pre-standard hybrids
        0x4138 => "CECPQ2", // BoringSSL experiment (X25519 + NTRU-HRSS)
        0x6399 => "X25519Kyber768Draft00", // draft-tls-westerbaan-xyber768d00
        0x639a => "SecP256r1Kyber768Draft00", // draft-kwiatkowski-tls-ecdhe-kyber
        // RFC 4492, deprecated by RFC 8422
        0xff01 => "arbitrary_explicit_prime_curves",
        0xff02 => "arbitrary_explicit_char2_curves",
        _ => return None,
    })
}

/// What kind of group `id` is; `None` if [`group`] does not know it.
pub fn group_kind(id: u16) -> Option<GroupKind> {
    group(id)?;
    Some(match id {
        256..=260 => GroupKind::FiniteField,
        0x0200..=0x0202 => GroupKind::PostQuantum,
        0x11eb..=0x11ee | 0x4138 | 0x6399 | 0x639a => GroupKind::Hybrid,
        0xff01 | 0xff02 => GroupKind::ExplicitCurves,
        _ => GroupKind::EllipticCurve,
    })
}

/// Security-relevant size of group `id` in bits: the field size of an
/// elliptic curve (secp256r1 → 256, x25519 → 255, sect571r1 → 571) or the
/// modulus size of a finite-field group (ffdhe2048 → 2048). `None` for
/// unknown groups, for post-quantum and hybrid groups (whose strength is not a
/// key size; see [`group_kind`]) and for the arbitrary_explicit_* code points.
pub fn group_bits(id: u16) -> Option<u16> {
    Some(match id {
        1..=3 => 163,
        4 | 5 => 193,
        6 | 7 => 233,
        8 => 239,
        9 | 10 => 283,
        11 | 12 => 409,
        13 | 14 => 571,
        15..=17 => 160,
        18 | 19 => 192,
        20 | 21 => 224,
        22 | 23 => 256,
        24 => 384,
        25 => 521,
        26 | 31 => 256,
        27 | 32 => 384,
        28 | 33 => 512,
        29 => 255,
        30 => 448,
        34..=37 => 256,
        38..=40 => 512,
        41 => 256,
        256 => 2048,
        257 => 3072,
        258 => 4096,
        259 => 6144,
        260 => 8192,
        _ => return None,
    })
}

/// IANA name of signature scheme `id` (TLS 1.3 SignatureScheme, or a TLS 1.2
/// SignatureAndHashAlgorithm pair read as one u16), e.g. 0x0403 →
/// `"ecdsa_secp256r1_sha256"`, 0x0804 → `"rsa_pss_rsae_sha256"`, 0x0807 →
/// `"ed25519"`, 0x0101 → `"rsa_pkcs1_md5"`. `None` for GREASE.
pub fn signature_scheme(id: u16) -> Option<&'static str> {
    Some(match id {
        // TLS 1.2 (hash, signature) pairs, RFC 5246 section 7.4.1.4.1: hash
        // md5(1) sha1(2) sha224(3) sha256(4) sha384(5) sha512(6), signature
        // rsa(1) dsa(2) ecdsa(3). RFC 8446 names the ones TLS 1.3 kept.
        0x0101 => "rsa_pkcs1_md5",
        0x0102 => "dsa_md5",
        0x0103 => "ecdsa_md5",
        0x0201 => "rsa_pkcs1_sha1",
        0x0202 => "dsa_sha1",
        0x0203 => "ecdsa_sha1",
        0x0301 => "rsa_pkcs1_sha224",
        0x0302 => "dsa_sha224",
        0x0303 => "ecdsa_sha224",
        0x0401 => "rsa_pkcs1_sha256",
        0x0402 => "dsa_sha256",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0501 => "rsa_pkcs1_sha384",
        0x0502 => "dsa_sha384",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0601 => "rsa_pkcs1_sha512",
        0x0602 => "dsa_sha512",
        0x0603 => "ecdsa_secp521r1_sha512",
        // draft-davidben-tls13-pkcs1: PKCS#1 v1.5 for TLS 1.3 client certs
        0x0420 => "rsa_pkcs1_sha256_legacy",
        0x0520 => "rsa_pkcs1_sha384_legacy",
        0x0620 => "rsa_pkcs1_sha512_legacy",
        // RFC 8446 and later registrations
        0x0704 => "eccsi_sha256", // draft-wang-tls-raw-public-key-with-ibc
        0x0705 => "iso_ibs1",     // draft-wang-tls-raw-public-key-with-ibc
        0x0706 => "iso_ibs2",     // draft-wang-tls-raw-public-key-with-ibc
        0x0707 => "iso_chinese_ibs", // draft-wang-tls-raw-public-key-with-ibc
        0x0708 => "sm2sig_sm3",   // RFC 8998
        0x0709 => "gostr34102012_256a", // RFC 9367
        0x070a => "gostr34102012_256b", // RFC 9367
        0x070b => "gostr34102012_256c", // RFC 9367
        0x070c => "gostr34102012_256d", // RFC 9367
        0x070d => "gostr34102012_512a", // RFC 9367
        0x070e => "gostr34102012_512b", // RFC 9367
        0x070f => "gostr34102012_512c", // RFC 9367
        0x0804 => "rsa_pss_rsae_sha256", // RFC 8446
        0x0805 => "rsa_pss_rsae_sha384", // RFC 8446
        0x0806 => "rsa_pss_rsae_sha512", // RFC 8446
        0x0807 => "ed25519",      // RFC 8446
        0x0808 => "ed448",        // RFC 8446
        0x0809 => "rsa_pss_pss_sha256", // RFC 8446
        0x080a => "rsa_pss_pss_sha384", // RFC 8446
        0x080b => "rsa_pss_pss_sha512", // RFC 8446
        0x081a => "ecdsa_brainpoolP256r1tls13_sha256", // RFC 8734
        0x081b => "ecdsa_brainpoolP384r1tls13_sha384", // RFC 8734
        0x081c => "ecdsa_brainpoolP512r1tls13_sha512", // RFC 8734
        // RFC 9189: TLS 1.2 GOST, hash "intrinsic"(8) + gostr34102012_256(64)/_512(65)
        0x0840 => "gostr34102012_256",
        0x0841 => "gostr34102012_512",
        // draft-ietf-tls-mldsa
        0x0904 => "mldsa44",
        0x0905 => "mldsa65",
        0x0906 => "mldsa87",
        _ => return None,
    })
}

/// Name of alert level `level`: 1 → `"warning"`, 2 → `"fatal"`.
pub fn alert_level(level: u8) -> Option<&'static str> {
    match level {
        1 => Some("warning"),
        2 => Some("fatal"),
        _ => None,
    }
}

/// IANA name of alert description `code`, e.g. 0 → `"close_notify"`,
/// 40 → `"handshake_failure"`, 70 → `"protocol_version"`.
pub fn alert_description(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "close_notify",                      // RFC 8446
        10 => "unexpected_message",               // RFC 8446
        20 => "bad_record_mac",                   // RFC 8446
        21 => "decryption_failed",                // RFC 5246 (reserved since)
        22 => "record_overflow",                  // RFC 8446
        30 => "decompression_failure",            // RFC 5246 (reserved since)
        40 => "handshake_failure",                // RFC 8446
        41 => "no_certificate",                   // SSL 3.0, RFC 6101 (reserved since)
        42 => "bad_certificate",                  // RFC 8446
        43 => "unsupported_certificate",          // RFC 8446
        44 => "certificate_revoked",              // RFC 8446
        45 => "certificate_expired",              // RFC 8446
        46 => "certificate_unknown",              // RFC 8446
        47 => "illegal_parameter",                // RFC 8446
        48 => "unknown_ca",                       // RFC 8446
        49 => "access_denied",                    // RFC 8446
        50 => "decode_error",                     // RFC 8446
        51 => "decrypt_error",                    // RFC 8446
        52 => "too_many_cids_requested",          // RFC 9147
        60 => "export_restriction",               // RFC 2246 (reserved since)
        70 => "protocol_version",                 // RFC 8446
        71 => "insufficient_security",            // RFC 8446
        80 => "internal_error",                   // RFC 8446
        86 => "inappropriate_fallback",           // RFC 7507
        90 => "user_canceled",                    // RFC 8446
        100 => "no_renegotiation",                // RFC 5246 (reserved since)
        109 => "missing_extension",               // RFC 8446
        110 => "unsupported_extension",           // RFC 8446
        111 => "certificate_unobtainable",        // RFC 6066 (reserved since)
        112 => "unrecognized_name",               // RFC 6066
        113 => "bad_certificate_status_response", // RFC 6066
        114 => "bad_certificate_hash_value",      // RFC 6066 (reserved since)
        115 => "unknown_psk_identity",            // RFC 4279
        116 => "certificate_required",            // RFC 8446
        117 => "general_error",                   // draft-ietf-tls-rfc8446bis
        120 => "no_application_protocol",         // RFC 7301
        121 => "ech_required",                    // RFC 9849
        _ => return None,
    })
}

/// IANA name of handshake message type `t`, e.g. 1 → `"client_hello"`,
/// 11 → `"certificate"`, 20 → `"finished"`. Types that TLS 1.3 marks
/// `_RESERVED` (hello_request, server_key_exchange, ...) keep their TLS 1.2
/// names here.
pub fn handshake_type(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "hello_request",               // RFC 5246
        1 => "client_hello",                // RFC 8446
        2 => "server_hello",                // RFC 8446
        3 => "hello_verify_request",        // RFC 6347 (DTLS 1.0/1.2)
        4 => "new_session_ticket",          // RFC 5077, RFC 8446
        5 => "end_of_early_data",           // RFC 8446
        6 => "hello_retry_request",         // TLS 1.3 drafts <= 21 (reserved since)
        8 => "encrypted_extensions",        // RFC 8446
        9 => "request_connection_id",       // RFC 9147
        10 => "new_connection_id",          // RFC 9147
        11 => "certificate",                // RFC 8446
        12 => "server_key_exchange",        // RFC 5246
        13 => "certificate_request",        // RFC 8446
        14 => "server_hello_done",          // RFC 5246
        15 => "certificate_verify",         // RFC 8446
        16 => "client_key_exchange",        // RFC 5246
        17 => "client_certificate_request", // RFC 9261
        20 => "finished",                   // RFC 8446
        21 => "certificate_url",            // RFC 6066
        22 => "certificate_status",         // RFC 6066
        23 => "supplemental_data",          // RFC 4680
        24 => "key_update",                 // RFC 8446
        25 => "compressed_certificate",     // RFC 8879
        26 => "ekt_key",                    // RFC 8870
        67 => "next_protocol",              // draft-agl-tls-nextprotoneg (NPN)
        254 => "message_hash",              // RFC 8446
        _ => return None,
    })
}

/// IANA name of record content type `t`, e.g. 22 → `"handshake"`.
pub fn content_type(t: u8) -> Option<&'static str> {
    Some(match t {
        20 => "change_cipher_spec", // RFC 8446
        21 => "alert",              // RFC 8446
        22 => "handshake",          // RFC 8446
        23 => "application_data",   // RFC 8446
        24 => "heartbeat",          // RFC 6520
        25 => "tls12_cid",          // RFC 9146
        26 => "ack",                // RFC 9147
        _ => return None,
    })
}

/// Display name of protocol version `v`: 0x0300 → `"SSL 3.0"`, 0x0303 →
/// `"TLS 1.2"`, 0xfefd → `"DTLS 1.2"`, 0x7f17 → `"TLS 1.3 (draft 23)"`.
/// 0x0002 is the SSL 2.0 version number as SSLv2 ClientHellos carry it.
/// `None` for GREASE.
pub fn version(v: u16) -> Option<&'static str> {
    Some(match v {
        0x0002 => "SSL 2.0", // SSL 2.0 (draft-hickman-netscape-ssl)
        0x0300 => "SSL 3.0", // RFC 6101
        0x0301 => "TLS 1.0", // RFC 2246
        0x0302 => "TLS 1.1", // RFC 4346
        0x0303 => "TLS 1.2", // RFC 5246
        0x0304 => "TLS 1.3", // RFC 8446
        0x0100 => "DTLS 1.0 (OpenSSL pre-0.9.8f)", // OpenSSL's DTLS1_BAD_VER
        0xfeff => "DTLS 1.0", // RFC 4347
        0xfefd => "DTLS 1.2", // RFC 6347
        0xfefc => "DTLS 1.3", // RFC 9147
        // draft-ietf-tls-tls13-NN used 0x7f00 + NN
        0x7f00 => "TLS 1.3 (draft 0)",
        0x7f01 => "TLS 1.3 (draft 1)",
        0x7f02 => "TLS 1.3 (draft 2)",
        0x7f03 => "TLS 1.3 (draft 3)",
        0x7f04 => "TLS 1.3 (draft 4)",
        0x7f05 => "TLS 1.3 (draft 5)",
        0x7f06 => "TLS 1.3 (draft 6)",
        0x7f07 => "TLS 1.3 (draft 7)",
        0x7f08 => "TLS 1.3 (draft 8)",
        0x7f09 => "TLS 1.3 (draft 9)",
        0x7f0a => "TLS 1.3 (draft 10)",
        0x7f0b => "TLS 1.3 (draft 11)",
        0x7f0c => "TLS 1.3 (draft 12)",
        0x7f0d => "TLS 1.3 (draft 13)",
        0x7f0e => "TLS 1.3 (draft 14)",
        0x7f0f => "TLS 1.3 (draft 15)",
        0x7f10 => "TLS 1.3 (draft 16)",
        0x7f11 => "TLS 1.3 (draft 17)",
        0x7f12 => "TLS 1.3 (draft 18)",
        0x7f13 => "TLS 1.3 (draft 19)",
        0x7f14 => "TLS 1.3 (draft 20)",
        0x7f15 => "TLS 1.3 (draft 21)",
        0x7f16 => "TLS 1.3 (draft 22)",
        0x7f17 => "TLS 1.3 (draft 23)",
        0x7f18 => "TLS 1.3 (draft 24)",
        0x7f19 => "TLS 1.3 (draft 25)",
        0x7f1a => "TLS 1.3 (draft 26)",
        0x7f1b => "TLS 1.3 (draft 27)",
        0x7f1c => "TLS 1.3 (draft 28)",
        // Facebook's Fizz/mvfst: 0xfb00 + draft number
        0xfb17 => "TLS 1.3 (Facebook draft 23)",
        0xfb1a => "TLS 1.3 (Facebook draft 26)",
        _ => return None,
    })
}

/// Name of compression method `m`: 0 → `"null"`, 1 → `"DEFLATE"` (RFC 3749),
/// 64 → `"LZS"` (RFC 3943).
pub fn compression_method(m: u8) -> Option<&'static str> {
    match m {
        0 => Some("null"),
        1 => Some("DEFLATE"),
        64 => Some("LZS"),
        _ => None,
    }
}

/// Name of PSK key exchange mode `m` (RFC 8446 section 4.2.9): 0 →
/// `"psk_ke"`, 1 → `"psk_dhe_ke"`. See also
/// [`is_grease_psk_key_exchange_mode`].
pub fn psk_key_exchange_mode(m: u8) -> Option<&'static str> {
    match m {
        0 => Some("psk_ke"),
        1 => Some("psk_dhe_ke"),
        _ => None,
    }
}

/// Name of EC point format `m` (RFC 8422 section 5.1.2): 0 →
/// `"uncompressed"`, 1 → `"ansiX962_compressed_prime"`, 2 →
/// `"ansiX962_compressed_char2"`.
pub fn ec_point_format(m: u8) -> Option<&'static str> {
    match m {
        0 => Some("uncompressed"),
        1 => Some("ansiX962_compressed_prime"),
        2 => Some("ansiX962_compressed_char2"),
        _ => None,
    }
}

/// Name of certificate compression algorithm `id` in the
/// compress_certificate extension (RFC 8879): 1 → `"zlib"`, 2 → `"brotli"`,
/// 3 → `"zstd"`.
pub fn cert_compression_algorithm(id: u16) -> Option<&'static str> {
    match id {
        1 => Some("zlib"),
        2 => Some("brotli"),
        3 => Some("zstd"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls13_suite() {
        let s = cipher_suite(0x1302).unwrap();
        assert_eq!(s.id, 0x1302);
        assert_eq!(s.iana, "TLS_AES_256_GCM_SHA384");
        assert_eq!(s.openssl, Some("TLS_AES_256_GCM_SHA384"));
        assert_eq!(s.kx, "any");
        assert_eq!(s.au, "any");
        assert_eq!(s.enc_bits, 256);
        assert_eq!(s.mac, "AEAD");
        assert!(s.is_tls13() && s.is_aead());
        for id in 0x1301..=0x1305 {
            let s = cipher_suite(id).unwrap();
            assert_eq!(s.openssl, Some(s.iana), "{id:#06x}");
        }
    }

    #[test]
    fn ecdhe_rsa_aes128_gcm() {
        let s = cipher_suite(0xc02f).unwrap();
        assert_eq!(s.iana, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assert_eq!(s.openssl, Some("ECDHE-RSA-AES128-GCM-SHA256"));
        assert_eq!(s.kx, "ECDHE");
        assert_eq!(s.au, "RSA");
        assert_eq!(s.enc, "AES_128_GCM");
        assert_eq!(s.enc_bits, 128);
        assert_eq!(s.mode, "GCM");
        assert_eq!(s.mac, "AEAD");
        assert!(!s.export);
    }

    #[test]
    fn chacha20_is_256_bits() {
        let s = cipher_suite(0xcca9).unwrap();
        assert_eq!(s.openssl, Some("ECDHE-ECDSA-CHACHA20-POLY1305"));
        assert_eq!(s.enc_bits, 256);
        assert_eq!(s.mode, "POLY1305");
        for s in cipher_suites()
            .iter()
            .filter(|s| s.enc.starts_with("CHACHA20"))
        {
            assert_eq!(s.enc_bits, 256, "{}", s.iana);
        }
    }

    #[test]
    fn legacy_openssl_names() {
        assert_eq!(cipher_suite(0x000a).unwrap().openssl, Some("DES-CBC3-SHA"));
        assert_eq!(cipher_suite(0x000a).unwrap().enc_bits, 168);
        let rc4 = cipher_suite(0x0004).unwrap();
        assert_eq!(rc4.openssl, Some("RC4-MD5"));
        assert_eq!(rc4.mac, "MD5");
        assert_eq!(rc4.mode, "STREAM");
        assert_eq!(cipher_suite(0x0005).unwrap().openssl, Some("RC4-SHA"));
        assert_eq!(cipher_suite(0x0009).unwrap().openssl, Some("DES-CBC-SHA"));
        assert_eq!(
            cipher_suite(0x0016).unwrap().openssl,
            Some("EDH-RSA-DES-CBC3-SHA")
        );
        assert_eq!(
            cipher_suite(0x0014).unwrap().openssl,
            Some("EXP-EDH-RSA-DES-CBC-SHA")
        );
        assert_eq!(cipher_suite(0x0018).unwrap().openssl, Some("ADH-RC4-MD5"));
    }

    #[test]
    fn export_suites() {
        let s = cipher_suite(0x0003).unwrap();
        assert!(s.export);
        assert_eq!(s.openssl, Some("EXP-RC4-MD5"));
        assert_eq!(s.enc_bits, 40);
        assert!(cipher_suite(0x0064).unwrap().export); // EXPORT1024
        for s in cipher_suites() {
            assert_eq!(s.export, s.iana.contains("_EXPORT"), "{}", s.iana);
        }
    }

    #[test]
    fn anon_and_psk_kx() {
        let s = cipher_suite(0x0034).unwrap(); // TLS_DH_anon_WITH_AES_128_CBC_SHA
        assert_eq!((s.kx, s.au), ("DH", "anon"));
        let s = cipher_suite(0xc0aa).unwrap(); // TLS_PSK_DHE_WITH_AES_128_CCM_8
        assert_eq!((s.kx, s.au, s.mode), ("DHE_PSK", "PSK", "CCM_8"));
        let s = cipher_suite(0xccac).unwrap();
        assert_eq!((s.kx, s.au), ("ECDHE_PSK", "PSK"));
    }

    #[test]
    fn aegis_is_aead() {
        for id in [0x1306, 0x1307] {
            let s = cipher_suite(id).unwrap();
            assert_eq!(s.mac, "AEAD", "{}", s.iana);
        }
    }

    #[test]
    fn table_sorted_unique_and_consistent() {
        let t = cipher_suites();
        assert!(t.len() > 350);
        assert!(t.windows(2).all(|w| w[0].id < w[1].id), "sorted, unique");
        for s in t {
            assert_eq!(cipher_suite(s.id), Some(s));
            assert!(!is_grease(s.id), "{}", s.iana);
            assert!(s.iana.starts_with("TLS_"), "{}", s.iana);
            assert_eq!(s.enc_bits == 0, s.enc == "NULL", "{}", s.iana);
            let aead = matches!(
                s.mode,
                "GCM" | "CCM" | "CCM_8" | "POLY1305" | "AEGIS" | "MGM"
            );
            assert_eq!(aead, s.is_aead(), "{}", s.iana);
        }
        let mut names: Vec<_> = t.iter().filter_map(|s| s.openssl).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "OpenSSL names unique");
    }

    #[test]
    fn scsvs_are_not_suites() {
        assert!(cipher_suite(0x00ff).is_none());
        assert_eq!(scsv(0x00ff), Some("TLS_EMPTY_RENEGOTIATION_INFO_SCSV"));
        assert_eq!(cipher_suite_name(0x5600), Some("TLS_FALLBACK_SCSV"));
        assert_eq!(
            cipher_suite_name(0xc02f),
            Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        );
        assert_eq!(cipher_suite_name(0x0a0a), None);
    }

    #[test]
    fn grease() {
        assert!(!is_grease(0x1a2a)); // tls-parser's v & 0x0f0f == 0x0a0a says yes
        assert!(is_grease(0x2a2a));
        let all: Vec<u16> = (0..=u16::MAX).filter(|&v| is_grease(v)).collect();
        assert_eq!(all, GREASE);
        for v in GREASE {
            assert_eq!(cipher_suite_name(v), None);
            assert_eq!(extension(v), None);
            assert_eq!(group(v), None);
            assert_eq!(signature_scheme(v), None);
            assert_eq!(version(v), None);
        }
        let modes: Vec<u8> = (0..=u8::MAX)
            .filter(|&m| is_grease_psk_key_exchange_mode(m))
            .collect();
        assert_eq!(modes, [0x0b, 0x2a, 0x49, 0x68, 0x87, 0xa6, 0xc5, 0xe4]);
    }

    #[test]
    fn extensions() {
        assert_eq!(extension(0), Some("server_name"));
        assert_eq!(
            extension(16),
            Some("application_layer_protocol_negotiation")
        );
        assert_eq!(extension(43), Some("supported_versions"));
        assert_eq!(extension(65281), Some("renegotiation_info"));
        assert_eq!(extension(0xfe0d), Some("encrypted_client_hello"));
        assert_eq!(extension(17513), Some("application_settings"));
        assert_eq!(extension(0x3374), Some("next_protocol_negotiation"));
        assert_eq!(extension(0x754f), Some("channel_id"));
        for id in 0..=62 {
            assert!(extension(id).is_some(), "IANA extension {id} missing");
        }
        assert_eq!(extension(63), None);
    }

    #[test]
    fn groups() {
        assert_eq!(group(23), Some("secp256r1"));
        assert_eq!(group(29), Some("x25519"));
        assert_eq!(group(30), Some("x448"));
        assert_eq!(group(256), Some("ffdhe2048"));
        assert_eq!(group(0x11ec), Some("X25519MLKEM768"));
        assert_eq!(group(0x11eb), Some("SecP256r1MLKEM768"));
        assert_eq!(group(0x11ed), Some("SecP384r1MLKEM1024"));
        assert_eq!(group(0x6399), Some("X25519Kyber768Draft00"));
        assert_eq!(group(0x0200), Some("MLKEM512"));
        assert_eq!(group(0x0201), Some("MLKEM768"));
        assert_eq!(group(0x0202), Some("MLKEM1024"));
        assert_eq!(group(26), Some("brainpoolP256r1"));
        assert_eq!(group(0xff01), Some("arbitrary_explicit_prime_curves"));
        for id in 1..=28 {
            assert!(group(id).is_some(), "legacy group {id} missing");
        }
        assert_eq!(group_bits(23), Some(256));
        assert_eq!(group_bits(29), Some(255));
        assert_eq!(group_bits(25), Some(521));
        assert_eq!(group_bits(256), Some(2048));
        assert_eq!(group_bits(0x11ec), None);
        assert_eq!(group_kind(0x11ec), Some(GroupKind::Hybrid));
        assert_eq!(group_kind(0x0201), Some(GroupKind::PostQuantum));
        assert_eq!(group_kind(257), Some(GroupKind::FiniteField));
        assert_eq!(group_kind(29), Some(GroupKind::EllipticCurve));
        assert_eq!(group_kind(0x1234), None);
        for id in 0..=u16::MAX {
            if group_bits(id).is_some() {
                assert!(group(id).is_some(), "{id}");
                assert!(matches!(
                    group_kind(id),
                    Some(GroupKind::EllipticCurve | GroupKind::FiniteField)
                ));
            } else if let Some(k) = group_kind(id) {
                assert!(!matches!(
                    k,
                    GroupKind::EllipticCurve | GroupKind::FiniteField
                ));
            }
        }
    }

    #[test]
    fn signature_schemes() {
        assert_eq!(signature_scheme(0x0403), Some("ecdsa_secp256r1_sha256"));
        assert_eq!(signature_scheme(0x0804), Some("rsa_pss_rsae_sha256"));
        assert_eq!(signature_scheme(0x0201), Some("rsa_pkcs1_sha1"));
        assert_eq!(signature_scheme(0x0807), Some("ed25519"));
        assert_eq!(signature_scheme(0x0101), Some("rsa_pkcs1_md5"));
        assert_eq!(signature_scheme(0x0202), Some("dsa_sha1"));
        assert_eq!(signature_scheme(0x0303), Some("ecdsa_sha224"));
        assert_eq!(signature_scheme(0x0905), Some("mldsa65"));
        assert_eq!(
            signature_scheme(0x081b),
            Some("ecdsa_brainpoolP384r1tls13_sha384")
        );
        assert_eq!(signature_scheme(0x0000), None);
    }

    #[test]
    fn alerts() {
        assert_eq!(alert_description(0), Some("close_notify"));
        assert_eq!(alert_description(10), Some("unexpected_message"));
        assert_eq!(alert_description(20), Some("bad_record_mac"));
        assert_eq!(alert_description(40), Some("handshake_failure"));
        assert_eq!(alert_description(70), Some("protocol_version"));
        assert_eq!(alert_description(86), Some("inappropriate_fallback"));
        assert_eq!(alert_description(109), Some("missing_extension"));
        assert_eq!(alert_description(112), Some("unrecognized_name"));
        assert_eq!(alert_description(116), Some("certificate_required"));
        assert_eq!(alert_description(120), Some("no_application_protocol"));
        assert_eq!(alert_description(121), Some("ech_required"));
        assert_eq!(alert_description(255), None);
        assert_eq!(alert_level(2), Some("fatal"));
    }

    #[test]
    fn counts() {
        assert_eq!(count(0, "packet"), "0 packets");
        assert_eq!(count(1, "packet"), "1 packet");
        assert_eq!(count(2, "TLS flow"), "2 TLS flows");
    }

    #[test]
    fn handshake_types() {
        assert_eq!(handshake_type(0), Some("hello_request"));
        assert_eq!(handshake_type(1), Some("client_hello"));
        assert_eq!(handshake_type(2), Some("server_hello"));
        assert_eq!(handshake_type(4), Some("new_session_ticket"));
        assert_eq!(handshake_type(8), Some("encrypted_extensions"));
        assert_eq!(handshake_type(14), Some("server_hello_done"));
        assert_eq!(handshake_type(25), Some("compressed_certificate"));
        assert_eq!(handshake_type(254), Some("message_hash"));
        assert_eq!(handshake_type(7), None);
        assert_eq!(content_type(22), Some("handshake"));
    }

    #[test]
    fn versions() {
        assert_eq!(version(0x0002), Some("SSL 2.0"));
        assert_eq!(version(0x0300), Some("SSL 3.0"));
        assert_eq!(version(0x0301), Some("TLS 1.0"));
        assert_eq!(version(0x0303), Some("TLS 1.2"));
        assert_eq!(version(0x0304), Some("TLS 1.3"));
        assert_eq!(version(0xfeff), Some("DTLS 1.0"));
        assert_eq!(version(0xfefd), Some("DTLS 1.2"));
        assert_eq!(version(0xfefc), Some("DTLS 1.3"));
        for n in 0..=28u16 {
            assert_eq!(
                version(0x7f00 + n),
                Some(format!("TLS 1.3 (draft {n})").as_str())
            );
        }
        assert_eq!(version(0x7f1d), None);
    }

    #[test]
    fn small_tables() {
        assert_eq!(compression_method(0), Some("null"));
        assert_eq!(compression_method(1), Some("DEFLATE"));
        assert_eq!(compression_method(64), Some("LZS"));
        assert_eq!(psk_key_exchange_mode(1), Some("psk_dhe_ke"));
        assert_eq!(ec_point_format(0), Some("uncompressed"));
        assert_eq!(cert_compression_algorithm(2), Some("brotli"));
    }
}
