//! What each diagnosis code and finding id means, how it is detected and what to do: the text of
//! `tlsnoop explain` and of the README's reference.

/// One entry of the reference.
pub struct Entry {
    /// The code or finding id.
    pub id: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// How tlsnoop detects it.
    pub detection: &'static str,
    /// What to do.
    pub action: &'static str,
}

macro_rules! e {
    ($id:expr, $m:expr, $d:expr, $a:expr) => {
        Entry {
            id: $id,
            meaning: $m,
            detection: $d,
            action: $a,
        }
    };
}

/// Every diagnosis code, then every finding id.
pub const ENTRIES: &[Entry] = &[
    e!("protocol_version_mismatch", "Client and server share no protocol version.", "A protocol_version alert, or a ServerHello below what the client offered as minimum.", "Enable a common version on both sides; test with `openssl s_client -tls1_2` / `-tls1_3`."),
    e!("no_shared_cipher", "The server found no cipher suite it shares with the client.", "handshake_failure or insufficient_security from the server right after the ClientHello (no ServerHello).", "Enable a common suite (ECDHE with AES-GCM or ChaCha20-Poly1305); list the server's with `nmap --script ssl-enum-ciphers`."),
    e!("no_shared_group", "The server found no key-exchange group it shares with the client.", "handshake_failure right after a TLS 1.3-only ClientHello that offers TLS_AES_128_GCM_SHA256 (mandatory for servers), so suites cannot be the cause.", "Configure a common group (x25519, secp256r1); test with `openssl s_client -groups X25519:P-256`."),
    e!("no_shared_signature_algorithm", "The server cannot sign with any signature algorithm the client offered.", "handshake_failure right after a TLS 1.3-only ClientHello that offers TLS_AES_128_GCM_SHA256 and no RSA signature scheme.", "Add a certificate of a kind the client accepts (ECDSA besides RSA), or allow RSA-PSS on the client."),
    e!("inappropriate_fallback", "The server refused a version fallback signalled with TLS_FALLBACK_SCSV.", "An inappropriate_fallback alert.", "Find why the client's first, higher-version attempt failed."),
    e!("certificate_rejected_by_client", "The client did not accept the server's certificate.", "bad_certificate, unsupported_certificate, certificate_revoked, certificate_expired, certificate_unknown, unknown_ca, decrypt_error or access_denied from the client after the server's Certificate (or after a TLS 1.3 ServerHello); joined with the certificate findings.", "Send a valid leaf for the name used plus every intermediate; check with `openssl s_client -showcerts -verify_return_error`."),
    e!("client_certificate_required", "The server requires a client certificate and did not get an acceptable one.", "certificate_required, or handshake_failure/bad_certificate from the server after its CertificateRequest when the client sent no certificate.", "Give the client a certificate from a CA the server trusts, or make client certificates optional."),
    e!("client_certificate_rejected", "The server did not accept the client's certificate.", "A certificate-rejection alert (unknown_ca, bad_certificate, certificate_expired, …) from the server after the client sent a certificate.", "Give the client a certificate from a CA in the server's client-CA list, unexpired, with clientAuth."),
    e!("unrecognized_name", "The server does not serve the name the client asked for.", "An unrecognized_name alert from the server.", "Configure the name (virtual host, certificate) on the server or use a name it serves."),
    e!("server_alert", "The server ended the handshake with another fatal alert.", "Any other fatal alert from the server; the detail names it and the message it followed.", "The server's logs say why; reproduce with `openssl s_client -msg`."),
    e!("client_alert", "The client ended the handshake with another fatal alert.", "Any other fatal alert from the client.", "The client's logs say why; reproduce with `openssl s_client -msg`."),
    e!("encrypted_failure", "The handshake ended with an encrypted alert whose reason cannot be read.", "An encrypted alert before the handshake completed (TLS 1.3: a record of an encrypted alert's size); the detail says what it most likely was from when it came.", "Reproduce with `openssl s_client -state`, or capture with SSLKEYLOGFILE to decrypt."),
    e!("connection_reset", "The connection was reset or closed in the middle of the handshake.", "A RST or FIN before the handshake completed and without an alert; the detail says who sent it and when.", "Check the logs of the side that closed and of any proxy, load balancer or firewall in between."),
    e!("no_server_response", "The client sent a ClientHello and the server never answered.", "No TLS data from the server after the ClientHello, until the client gave up or the capture ended.", "Check that the port speaks TLS, MTU/MSS problems, and whether the server process is stuck."),
    e!("capture_incomplete", "The capture itself is missing what would decide the flow.", "One direction has no packets (a one-sided capture), there are holes (gaps, snaplen truncation) before the answer, or the capture ends first.", "Capture on the host, both directions, with `-s 0` and a large buffer."),
    e!("version.sslv3", "SSL 3.0 was negotiated.", "The negotiated version is 0x0300.", "Disable SSL 3.0 (POODLE); allow TLS 1.2 and 1.3 only."),
    e!("version.tls1_0", "TLS 1.0 was negotiated.", "The negotiated version is 0x0301.", "Disable TLS 1.0 (RFC 8996)."),
    e!("version.tls1_1", "TLS 1.1 was negotiated.", "The negotiated version is 0x0302.", "Disable TLS 1.1 (RFC 8996)."),
    e!("version.tls1_2", "TLS 1.2 was negotiated where the modern policy wants TLS 1.3.", "The negotiated version is 0x0303 and --policy modern.", "Enable TLS 1.3."),
    e!("cipher.null", "The negotiated suite does not encrypt.", "The suite's cipher is NULL.", "Remove NULL suites."),
    e!("cipher.export", "An EXPORT-grade suite was negotiated (40/56-bit keys).", "The suite is flagged EXPORT.", "Remove EXPORT suites (FREAK, Logjam)."),
    e!("cipher.anon", "Anonymous key exchange: the server is not authenticated.", "The suite's authentication is anon.", "Remove ADH/AECDH suites."),
    e!("cipher.rc4", "The RC4 stream cipher was negotiated.", "The suite's cipher is RC4.", "Remove RC4 suites (RFC 7465)."),
    e!("cipher.des", "Single DES was negotiated.", "The suite's cipher is DES or DES40.", "Remove DES suites."),
    e!("cipher.3des", "3DES was negotiated (64-bit blocks, Sweet32).", "The suite's cipher is 3DES_EDE_CBC.", "Remove 3DES suites."),
    e!("cipher.no_forward_secrecy", "The key exchange has no forward secrecy.", "Static RSA, DH or ECDH key exchange.", "Prefer ECDHE (or DHE) suites."),
    e!("cipher.cbc", "A CBC (MAC-then-encrypt) suite was negotiated, not an AEAD one.", "The suite's mode is CBC.", "Prefer AES-GCM or ChaCha20-Poly1305 suites."),
    e!("cipher.md5_mac", "Records are authenticated with HMAC-MD5.", "The suite's MAC is MD5.", "Remove MD5 suites."),
    e!("handshake.compression", "TLS compression was negotiated (CRIME).", "The ServerHello's compression method is not null.", "Disable TLS compression."),
    e!("handshake.insecure_renegotiation", "Secure renegotiation (RFC 5746) is not supported.", "TLS ≤ 1.2 and the ServerHello lacks renegotiation_info, or the client offers neither the extension nor its SCSV.", "Upgrade the TLS stack; it predates 2010."),
    e!("handshake.no_extended_master_secret", "The session does not use the extended master secret (RFC 7627).", "TLS ≤ 1.2 and the ServerHello lacks extended_master_secret.", "Enable EMS (every current stack supports it) or move to TLS 1.3."),
    e!("handshake.no_sni", "The client sent no server name (SNI).", "The ClientHello has no server_name extension.", "Make the client send SNI (it needs it for virtual hosts and for name checks)."),
    e!("handshake.weak_dh_group", "The server's DHE group is smaller than 2048 bits.", "The DH prime in ServerKeyExchange has fewer than 2048 bits.", "Use a 2048-bit or larger group (RFC 7919 ffdhe2048) or ECDHE."),
    e!("offer.weak_suites", "The client still offers weak suites.", "The ClientHello lists RC4, DES, 3DES, NULL, EXPORT, anonymous or MD5 suites (listed).", "Remove them from the client's cipher list."),
    e!("offer.fallback_scsv", "The client is retrying with a lower version after a failed attempt.", "The ClientHello contains TLS_FALLBACK_SCSV (RFC 7507).", "Find why the first attempt failed."),
    e!("offer.downgrade_sentinel", "A TLS 1.3 server negotiated a lower version with a client that offered TLS 1.3.", "The ServerHello.random ends with RFC 8446's DOWNGRD sentinel and the client offered TLS 1.3.", "Look for a middlebox that strips TLS 1.3 from the ClientHello."),
    e!("cert.expired", "A certificate had expired at capture time.", "not_after is before the flow's first packet.", "Renew the certificate."),
    e!("cert.not_yet_valid", "A certificate was not yet valid at capture time.", "not_before is after the flow's first packet.", "Check the issuing and the host clocks."),
    e!("cert.expires_soon", "A certificate expires within 30 days of the capture.", "not_after is less than 30 days after the flow's first packet.", "Renew it now."),
    e!("cert.hostname_mismatch", "The leaf does not cover the name the client asked for.", "SNI checked against the SAN DNS names (RFC 6125 wildcards) or IP SANs, the CN only without SANs.", "Issue a certificate for that name, or use a name it covers."),
    e!("cert.self_signed", "The leaf is self-signed.", "The leaf's issuer is its subject and its own key verifies it.", "Use a certificate from a CA the clients trust."),
    e!("cert.missing_intermediate", "The chain is missing an intermediate.", "Following issuers from the leaf, the top certificate sent is not a CA, not self-issued, and neither a sent certificate nor a trusted root issued it.", "Send the full chain (leaf then intermediates)."),
    e!("cert.chain_order", "The chain is sent in the wrong order.", "A certificate's issuer is in the chain but not right after it.", "Send leaf first, then each issuer in order."),
    e!("cert.bad_signature", "A certificate's signature does not verify with its issuer's key.", "The signature check of a chain link failed (an algorithm that cannot be checked is not called bad).", "The chain is corrupt or forged: replace it."),
    e!("cert.signature_unchecked", "A certificate's signature could not be checked here.", "The algorithm is not supported by the verifier (e.g. P-521, DSA, ECDSA with SHA-1); this is never reported as a bad signature.", "Nothing to fix by itself; check the chain with `openssl verify` if in doubt."),
    e!("cert.weak_key", "A certificate has a weak key.", "RSA or DSA under 2048 bits, EC under 224 bits, computed from the key itself.", "Reissue with RSA 2048+ or ECDSA P-256+."),
    e!("cert.weak_signature", "A certificate is signed with MD5, or with SHA-1 below the root.", "The signature algorithm.", "Reissue with SHA-256."),
    e!("cert.validity_too_long", "A leaf is valid for more than 398 days.", "Only for chains that end at a public root (--system-roots): a leaf issued after 2020-09-01 with a validity over 398 days.", "Browsers reject it: reissue with a shorter validity."),
    e!("cert.not_server_auth", "The leaf's extended key usage does not allow server authentication.", "An EKU extension without serverAuth.", "Reissue with serverAuth."),
    e!("cert.untrusted_root", "The chain does not end at a trusted root.", "Only with --ca-file/--system-roots: the last certificate is not, and is not issued by, one of those roots.", "Send a chain that leads to a public root, or trust the private root on the clients."),
    e!("cert.unparseable", "A certificate could not be decoded.", "x509-parser rejected the DER.", "Check the certificate file the server is configured with."),
];

/// The entry for `id`.
pub fn lookup(id: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|e| e.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_finding_is_explained() {
        for e in ENTRIES {
            assert!(!e.meaning.is_empty() && !e.action.is_empty(), "{}", e.id);
        }
        for id in [
            "version.sslv3",
            "cipher.rc4",
            "offer.downgrade_sentinel",
            "cert.expired",
        ] {
            assert!(lookup(id).is_some(), "{id}");
        }
        let mut ids: Vec<&str> = ENTRIES.iter().map(|e| e.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ENTRIES.len(), "duplicate ids");
    }
}
