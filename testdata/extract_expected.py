#!/usr/bin/env python3
"""testdata/extract_expected.py - read the expected values of every capture ONCE with
tshark (never with tlsnoop) and write testdata/expected.json.

Usage:  python3 testdata/extract_expected.py [--check]
        --check  do not write, exit 1 if expected.json would change

Needs tshark (Wireshark >= 4.0; made with 4.0.17) and openssl on PATH.

For every file the script runs ONE tshark dissection (PDML output) without keys:

    tshark -r FILE -T pdml -o tcp.reassemble_out_of_order:TRUE -o tcp.analyze_sequence_numbers:TRUE \
           [-d tcp.port==PORT,tls ...]

(PORT = destination port of each SYN and source port of each SYN-ACK in the
file, so TLS on 4433, 5556, ... is decoded as TLS), and, when real/NAME.keylog exists, a second one with
    -o tls.keylog_file:real/NAME.keylog
whose additional findings (TLS 1.3 EncryptedExtensions/ALPN, certificates,
encrypted alerts) go to the "decrypted" member of a flow.  Everything outside
"decrypted" is what a passive observer WITHOUT keys can see.

Certificate fingerprints are SHA-256 of the DER bytes tshark shows in
tls.handshake.certificate; the script checks that each one equals
`openssl x509 -noout -fingerprint -sha256` of a DER file in testdata/certs/ and
takes the subject from `openssl x509 -noout -subject -nameopt RFC2253`.
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
CERTS = os.path.join(HERE, "certs")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, **kw).stdout


# ---------------------------------------------------------------- certs
def load_certs():
    out = {}
    for fn in sorted(os.listdir(CERTS)):
        if not fn.endswith(".der"):
            continue
        p = os.path.join(CERTS, fn)
        fp = sh(["openssl", "x509", "-inform", "DER", "-in", p, "-noout", "-fingerprint", "-sha256"]).decode()
        fp = fp.strip().split("=", 1)[1].replace(":", "").lower()
        subj = sh(["openssl", "x509", "-inform", "DER", "-in", p, "-noout", "-subject", "-nameopt", "RFC2253"])
        subj = subj.decode().strip()[len("subject="):]
        iss = sh(["openssl", "x509", "-inform", "DER", "-in", p, "-noout", "-issuer", "-nameopt", "RFC2253"])
        iss = iss.decode().strip()[len("issuer="):]
        fwd = sh(["openssl", "x509", "-inform", "DER", "-in", p, "-noout", "-subject", "-issuer", "-nameopt",
                  "esc_2253,esc_ctrl,esc_msb,utf8,sep_comma_plus_space,sname"]).decode()
        subj_fwd = re.search(r"subject=(.*)", fwd).group(1).strip()
        iss_fwd = re.search(r"issuer=(.*)", fwd).group(1).strip()
        san = sh(["openssl", "x509", "-inform", "DER", "-in", p, "-noout", "-ext", "subjectAltName"]).decode()
        san = [x.strip() for x in san.split("\n", 1)[1].split(",")] if "\n" in san.strip() else []
        serial = sh(["openssl", "x509", "-inform", "DER", "-in", p, "-noout", "-serial"]).decode().strip().split("=")[1]
        dates = sh(["openssl", "x509", "-inform", "DER", "-in", p, "-noout", "-startdate", "-enddate"]).decode()
        nb = re.search(r"notBefore=(.*)", dates).group(1).strip()
        na = re.search(r"notAfter=(.*)", dates).group(1).strip()
        with open(p, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == fp
        out[fp] = {"file": "certs/" + fn, "sha256": fp, "subject": subj, "issuer": iss,
                   "subject_x509_order": subj_fwd, "issuer_x509_order": iss_fwd, "serial": serial,
                   "san": [x for x in san if x], "not_before": nb, "not_after": na}
    return out


# ---------------------------------------------------------------- tshark
def tshark_pdml(path, keylog=None):
    ports = sh(["tshark", "-r", path, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0",
                "-T", "fields", "-e", "tcp.dstport"]).decode().split()
    # and the source port of each SYN-ACK, for captures without the client's SYN
    # (crafted/one_sided_server_only); the same port as above whenever both are there
    ports += sh(["tshark", "-r", path, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==1",
                 "-T", "fields", "-e", "tcp.srcport"]).decode().split()
    cmd = ["tshark", "-r", path, "-T", "pdml",
           "-o", "tcp.reassemble_out_of_order:TRUE", "-o", "tcp.analyze_sequence_numbers:TRUE"]
    for p in sorted(set(ports), key=int):
        cmd += ["-d", "tcp.port==%s,tls" % p]
    if keylog:
        cmd += ["-o", "tls.keylog_file:" + keylog]
    return cmd, ET.fromstring(sh(cmd))


def show(el):
    return el.get("show")


def ival(el):
    return int(el.get("show"), 0)


def showname_label(el):
    """'Cipher Suite: TLS_AES_256_GCM_SHA384 (0x1302)' -> 'TLS_AES_256_GCM_SHA384'"""
    s = el.get("showname") or ""
    s = s.split(": ", 1)[-1]
    return re.sub(r"\s*\(0x[0-9a-fA-F]+\)$|\s*\(\d+\)$", "", s)


def children(el, name):
    return [c for c in el if c.get("name") == name]


def first(el, name):
    for c in el.iter("field"):
        if c.get("name") == name:
            return c
    return None


def all_fields(el, name):
    return [c for c in el.iter("field") if c.get("name") == name]


def snake(s):
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


# file -> (how it was made, what it shows). Used for expected.json "description" and README.md.
DESCRIPTIONS = {
    "real/openssl_tls13.pcap": ("make.sh: s_client ↔ s_server -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384 -alpn h2 -groups X25519, RSA leaf + intermediate",
                                "TLS 1.3 full handshake; ALPN h2 offered, selection only in the encrypted EncryptedExtensions; certificates encrypted"),
    "real/openssl_tls12_ecdhe_rsa.pcap": ("make.sh: s_server -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -alpn http/1.1 -cert_chain intermediate; s_client -tls1_2 -alpn http/1.1",
                                          "TLS 1.2 ECDHE-RSA, ALPN http/1.1 in plaintext ServerHello, leaf + intermediate in plaintext Certificate"),
    "real/openssl_tls12_ecdsa.pcap": ("make.sh: s_server -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305 -groups P-256, ECDSA P-256 leaf",
                                      "TLS 1.2 ECDHE-ECDSA ChaCha20-Poly1305 over secp256r1, ECDSA leaf + RSA intermediate"),
    "real/openssl_tls13_hrr.pcap": ("make.sh: client -groups X25519:P-256 (key_share X25519 only), server -groups P-256",
                                    "HelloRetryRequest (frame hrr_frame), second ClientHello with a P-256 key share, then ServerHello"),
    "real/openssl_version_mismatch.pcap": ("make.sh: s_client -tls1_2 against s_server -tls1_3",
                                           "server answers the ClientHello with a plaintext fatal protocol_version alert; no ServerHello"),
    "real/openssl_no_shared_cipher.pcap": ("make.sh: s_client -tls1_2 -cipher AES256-SHA256 against s_server -cipher ECDHE-RSA-AES128-GCM-SHA256",
                                           "server answers the ClientHello with a plaintext fatal handshake_failure alert"),
    "real/openssl_resumption_tls12.pcap": ("make.sh: two s_client -tls1_2 runs, -sess_out then -sess_in (session ticket)",
                                           "flow 1 full handshake with NewSessionTicket; flow 2 abbreviated (ServerHello, CCS, Finished; no Certificate) - resumed"),
    "real/openssl_resumption_tls12_sessid.pcap": ("make.sh: as openssl_resumption_tls12 but s_server -no_ticket",
                                                  "TLS 1.2 session-ID resumption: flow 2 ServerHello echoes the ClientHello session id"),
    "real/openssl_resumption_tls13.pcap": ("make.sh: two s_client -tls1_3 runs, -sess_out then -sess_in",
                                           "TLS 1.3 PSK resumption: flow 2 ServerHello carries pre_shared_key (psk_dhe_ke, x25519), no certificates"),
    "real/openssl_not_yet_valid.pcap": ("make.sh: s_server -tls1_2 with certs/server-future (signed under faketime 2036-01-01); s_client does not verify",
                                        "leaf not valid before 2036-01-01T00:00:00Z"),
    "real/openssl_expires_soon.pcap": ("make.sh: s_server -tls1_2 with certs/server-soon (valid for 10 days); s_client does not verify",
                                       "leaf expires 10 days after it was made"),
    "real/openssl_not_server_auth.pcap": ("make.sh: s_server -tls1_2 with certs/server-clientauth (extendedKeyUsage clientAuth only)",
                                          "leaf without serverAuth; OpenSSL's client reports verify error 26, continues"),
    "real/openssl_bad_signature.pcap": ("make.sh: s_server -tls1_2 with certs/server-badsig (server-rsa with the last signature byte flipped)",
                                        "leaf whose signature does not verify with the intermediate's key"),
    "real/openssl_malformed_hello.pcap": ("make.sh: Python sends a ClientHello record whose body is cut short to s_server",
                                          "server fatal decode_error (frame 6)"),
    "real/openssl_client_cert_rejected.pcap": ("make.sh: s_server -tls1_2 -Verify 1 -verify_return_error -CAfile ca; s_client -cert server-selfsigned",
                                                "client sends a self-signed certificate; server fatal unknown_ca (frame 9)"),
    "real/openssl_client_cert_required.pcap": ("make.sh: s_server -tls1_2 -Verify 1 -CAfile ca; s_client sends no certificate",
                                               "plaintext CertificateRequest, empty client Certificate, server fatal handshake_failure alert"),
    "real/openssl_tls13_client_cert_required.pcap": ("make.sh: s_server -tls1_3 -Verify 1; s_client sends no certificate",
                                                     "server's certificate_required alert is ENCRYPTED (an application_data record of 24 bytes): no plaintext alert"),
    "real/openssl_expired_cert_rejected.pcap": ("make.sh: s_server -tls1_2 with the expired leaf; s_client -verify_return_error -CAfile ca",
                                                "client sends plaintext fatal certificate_expired right after ServerHelloDone"),
    "real/openssl_tls13_cert_rejected.pcap": ("make.sh: s_server -tls1_3 with the expired leaf; s_client -verify_return_error",
                                              "surprise: OpenSSL sends the certificate_expired alert in PLAINTEXT (client has not switched to handshake keys yet); certificates themselves are encrypted"),
    "real/openssl_tls13_fragmented.pcap": ("make.sh: s_server -tls1_3 -max_send_frag 512",
                                           "encrypted handshake spread over many <=512-byte records (all in one TCP segment on lo)"),
    "real/openssl_tls12_fragmented.pcap": ("make.sh: s_server -tls1_2 -max_send_frag 512",
                                           "plaintext Certificate message spans 4 TLS records (handshake reassembly across records)"),
    "real/curl_tls13.pcap": ("make.sh: curl -k --resolve server.test:8443:127.0.0.1 https://server.test:8443/ against s_server -www",
                                     "curl ClientHello (ALPN h2,http/1.1 offered, server selects none), HTTP GET + response inside TLS 1.3"),
    "real/gnutls_tls12.pcap": ("make.sh: gnutls-serv --echo (self-signed leaf) ↔ gnutls-cli --priority NORMAL:-VERS-ALL:+VERS-TLS1.2 --insecure",
                               "GnuTLS TLS 1.2 with secp256r1, single self-signed certificate, gnutls-serv sends a CertificateRequest, client sends an empty Certificate"),
    "real/gnutls_tls13.pcap": ("make.sh: gnutls-serv --echo (ECDSA leaf + intermediate) ↔ gnutls-cli (default priority)",
                               "GnuTLS TLS 1.3, key share secp256r1, ServerHello in its own segment"),
    "real/bulk_tls13_curl.pcap": ("make.sh: curl --tlsv1.3 downloads a 200 KB file from s_server -WWW (lo at MTU 1500, GSO off)",
                                  "a real bulk transfer for benches/: about 140 full-size segments of application data after the handshake"),
    "real/bulk_tls12_openssl.pcap": ("make.sh: s_client -tls1_2 uploads 311 KB to s_server (ECDSA leaf; lo at MTU 1500)",
                                     "a real bulk upload over TLS 1.2 for benches/"),
    "real/bulk_gnutls.pcap": ("make.sh: gnutls-cli sends 100 KB to gnutls-serv --echo, which sends it back (TLS 1.3)",
                              "bulk data in both directions for benches/"),
    "real/plain_http.pcap": ("make.sh: curl fetches a 100 KB file from python3 -m http.server",
                             "no TLS at all: must not be reported"),
    "real/python_tls13.pcap": ("make.sh: Python 3 ssl client and server on port 443, ALPN http/1.1",
                               "Python/OpenSSL TLS 1.3 on 443; ALPN selection encrypted"),
    "real/reset_mid_handshake.pcap": ("make.sh: s_client against a Python server that reads the ClientHello and closes with SO_LINGER 0",
                                      "ClientHello answered by TCP RST; no ServerHello, no alert"),
    "real/no_server_response.pcap": ("make.sh: s_client (killed after 1 s) against a Python server that accepts and never writes",
                                     "ClientHello, no answer, client FIN after 1 s"),
    "real/openssl_sslv2_compat_hello.pcap": ("make.sh: Python client sends a hand-built SSLv2-compatible ClientHello (80 3b 01 03 01 ...) to s_server -tls1 -cipher AES128-SHA@SECLEVEL=0",
                                             "real OpenSSL TLS 1.0 ServerHello/Certificate/ServerHelloDone to an SSLv2-format hello; client aborts with a fatal handshake_failure alert"),
    "crafted/base_tls12.pcap": ("gen.py: TCP payloads of real/openssl_tls12_ecdhe_rsa.pcap replayed with fixed addresses/timestamps",
                                "reference flow for all crafted variants (192.0.2.10:51000 -> 198.51.100.20:443)"),
    "crafted/ch_split_3_ooo.pcap": ("gen.py: ClientHello cut at bytes 80 and 160, segments sent in order 1,3,2",
                                    "out-of-order TCP reassembly; tshark reports the ClientHello in the frame that fills the gap"),
    "crafted/record_split_2seg.pcap": ("gen.py: server flight cut 300 bytes into the Certificate record",
                                       "one TLS record spanning two TCP segments"),
    "crafted/hs_msg_split_2rec.pcap": ("gen.py: ClientHello handshake message re-framed into two TLS records (100 + 118 bytes), one TCP segment",
                                       "handshake message spanning two records"),
    "crafted/retrans_overlap.pcap": ("gen.py: ClientHello sent as bytes 0-150 then 100-end; server flight sent twice identically",
                                     "overlapping and exact retransmissions with identical bytes"),
    "crafted/retrans_conflict.pcap": ("gen.py: ClientHello bytes 0-136 sent, then the same range again with SNI 'attack.test', then the rest",
                                      "conflicting retransmission; tshark keeps the FIRST copy (SNI server.test) and flags the overlap"),
    "crafted/sslv2_hello.pcap": ("gen.py: payloads of real/openssl_sslv2_compat_hello.pcap replayed",
                                 "SSLv2-compatible ClientHello (no SNI, no extensions) + TLS 1.0 ServerHello (TLS_RSA_WITH_AES_128_CBC_SHA)"),
    "crafted/midstream.pcap": ("gen.py: base flow without SYN, SYN-ACK, ACK, ClientHello and its ACK",
                               "capture starts at the ServerHello: no ClientHello, no SNI"),
    "crafted/vlan.pcap": ("gen.py: base flow in 802.1Q (VLAN 100) Ethernet frames", "VLAN tag"),
    "crafted/qinq.pcap": ("gen.py: base flow in 802.1ad (S-VLAN 200) + 802.1Q (C-VLAN 100)", "QinQ double tag"),
    "crafted/sll.pcap": ("gen.py: base flow, DLT 113 LINUX_SLL (client side, 'any' device)", "Linux cooked capture v1"),
    "crafted/sll2.pcap": ("gen.py: base flow, DLT 276 LINUX_SLL2, ifindex 2", "Linux cooked capture v2"),
    "crafted/raw_ipv4.pcap": ("gen.py: base flow, LINKTYPE_RAW (101)", "raw IP, no link header"),
    "crafted/null_loopback.pcap": ("gen.py: base flow, DLT 0 NULL with 4-byte little-endian AF_INET (2)", "BSD loopback"),
    "crafted/ipv6.pcap": ("gen.py: base flow over IPv6 on Ethernet ([2001:db8::10] -> [2001:db8::20])", "IPv6"),
    "crafted/ipv4_fragments.pcap": ("gen.py: the ClientHello IP packet fragmented at 96/192 bytes of IP payload",
                                    "IPv4 reassembly needed (3 fragments, same IP id, in order)"),
    "crafted/pcapng_two_links.pcapng": ("gen.py: pcapng, IDB 0 Ethernet 'eth0' with the base TLS 1.2 flow, IDB 1 raw IP 'tun0' with the TLS 1.3 flow of real/openssl_tls13.pcap (192.0.2.11:51001 -> 198.51.100.21:443), interleaved",
                                        "pcapng with two interfaces of different link types"),
    "crafted/interleaved_flows.pcap": ("gen.py: the same two flows as pcapng_two_links, both on Ethernet, packets interleaved",
                                       "two concurrent flows"),
    "crafted/openssl_tls13.pcap.gz": ("gen.py: gzip (mtime 0) of real/openssl_tls13.pcap", "gzip-compressed capture"),
    "crafted/nanosecond.pcap": ("gen.py: base flow in a classic pcap with nanosecond magic a1b23c4d, timestamps +123 ns",
                                "nanosecond timestamps (first packet 1700000000.000000123)"),
    "crafted/bigendian.pcap": ("gen.py: base flow in a big-endian classic pcap (magic bytes a1 b2 c3 d4)", "big-endian file header"),
    "crafted/truncated_snaplen.pcap": ("gen.py: base flow with snaplen 96 (caplen 96 < origlen for every data packet)",
                                       "truncated packets: only the first 42 bytes of each TCP payload; tshark decodes no handshake message"),
    # ---- issue 4: diagnosis codes, certificate checks, crypto findings
    "real/openssl_version_mismatch_tls13_client.pcap": ("make.sh: s_client -tls1_3 against s_server -tls1_2",
        "client offers only TLS 1.3 (supported_versions), TLS 1.2-only server answers with a plaintext fatal protocol_version alert; no ServerHello"),
    "real/openssl_no_shared_group.pcap": ("make.sh: s_client -tls1_3 -groups X25519 against s_server -tls1_3 -groups P-384",
        "no common group, so no HelloRetryRequest is possible: server fatal handshake_failure right after the ClientHello"),
    "real/openssl_unrecognized_name.pcap": ("make.sh: s_server -tls1_2 -servername server.test -servername_fatal (+ -cert2/-key2); s_client -servername other.test",
        "server answers the ClientHello (SNI other.test) with a plaintext fatal unrecognized_name alert"),
    "real/openssl_missing_intermediate.pcap": ("make.sh: s_server -tls1_2 with the RSA leaf only (no -cert_chain); s_client without -verify_return_error",
        "chain = leaf only, its issuer (the intermediate) is not sent; handshake completes (client logs verify error 21)"),
    "real/openssl_chain_wrong_order.pcap": ("make.sh: s_server -tls1_2 -cert server-rsa -cert_chain (ca.pem + intermediate.pem)",
        "chain sent as leaf, root, intermediate (the leaf's issuer is not the next certificate); OpenSSL's client still verifies it (return code 0)"),
    "real/openssl_self_signed.pcap": ("make.sh: s_server -tls1_2 with server-selfsigned; s_client without -verify_return_error",
        "single self-signed leaf; handshake completes (client logs verify error 18)"),
    "real/openssl_hostname_mismatch.pcap": ("make.sh: s_server -tls1_2 with server-rsa + intermediate; s_client -servername wrong.test -verify_hostname wrong.test",
        "SNI wrong.test, certificate for server.test/www.server.test/127.0.0.1; handshake completes (client logs verify error 62)"),
    "real/openssl_rsa1024_leaf.pcap": ("make.sh: s_server -tls1_2 -cipher DEFAULT:@SECLEVEL=0 with server-rsa1024 + intermediate; s_client -cipher DEFAULT:@SECLEVEL=0",
        "1024-bit RSA leaf (SHA-256 signed by the intermediate) in the plaintext Certificate; handshake completes"),
    "real/openssl_sha1_leaf.pcap": ("make.sh: s_server -tls1_2 -cipher DEFAULT:@SECLEVEL=0 with server-sha1 + intermediate; s_client -cipher DEFAULT:@SECLEVEL=0",
        "RSA 2048 leaf signed with sha1WithRSAEncryption by the intermediate; handshake completes"),
    "real/openssl_tls10.pcap": ("make.sh: s_server -tls1 ↔ s_client -tls1, both -cipher DEFAULT:@SECLEVEL=0",
        "TLS 1.0 negotiated (ECDHE-RSA-AES256-SHA, CBC); application data split 1/n-1 (two records per write)"),
    "real/openssl_tls11.pcap": ("make.sh: s_server -tls1_1 ↔ s_client -tls1_1, both -cipher DEFAULT:@SECLEVEL=0",
        "TLS 1.1 negotiated (ECDHE-RSA-AES256-SHA, CBC)"),
    "real/openssl_static_rsa.pcap": ("make.sh: s_server -tls1_2 -cipher AES128-SHA; s_client -tls1_2 (default offer)",
        "TLS_RSA_WITH_AES_128_CBC_SHA: RSA key exchange (no ServerKeyExchange, no forward secrecy), CBC + HMAC-SHA1"),
    "real/openssl_no_ems.pcap": ("make.sh: s_client -tls1_2 with OPENSSL_CONF 'Options = -ExtendedMasterSecret' (SSL_OP_NO_EXTENDED_MASTER_SECRET); plain s_server -tls1_2",
        "TLS 1.2 without extended_master_secret: extension 23 absent from ClientHello and ServerHello"),
    "real/openssl_client_offers_weak.pcap": ("make.sh: s_client -tls1_2 -cipher 'ALL:eNULL:@SECLEVEL=0' against s_server -tls1_2 (default ciphers)",
        "client offers 90 suites incl. 6 NULL (0x0001,0x0002,0x003b,0xc006,0xc010,0xc015) and 13 anonymous DH_anon/ECDH_anon ones (no RC4/3DES/EXPORT: not in this OpenSSL); server picks ECDHE-RSA-AES256-GCM-SHA384"),
    "real/openssl_fallback_scsv.pcap": ("make.sh: s_client -tls1_1 -fallback_scsv -cipher DEFAULT:@SECLEVEL=0 against s_server -cipher DEFAULT:@SECLEVEL=0 (TLS 1.0-1.3)",
        "TLS 1.1 ClientHello with TLS_FALLBACK_SCSV (0x5600); server fatal inappropriate_fallback"),
    "real/gnutls_3des.pcap": ("make.sh: gnutls-serv --priority NONE:+VERS-TLS1.2:+3DES-CBC:+SHA1:+RSA:... ↔ gnutls-cli --priority NORMAL:-VERS-ALL:+VERS-TLS1.2:+3DES-CBC (OpenSSL 3.0 here has no 3DES suites)",
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA (OpenSSL DES-CBC3-SHA): 3DES, static RSA, CBC; client also offers 3DES with ECDHE/DHE"),
    "real/gnutls_rc4.pcap": ("make.sh: gnutls-serv --priority NONE:+VERS-TLS1.2:+ARCFOUR-128:+SHA1:+RSA:... ↔ gnutls-cli --priority NORMAL:-VERS-ALL:+VERS-TLS1.2:+ARCFOUR-128 (OpenSSL 3.0 here has no RC4 suites)",
        "TLS_RSA_WITH_RC4_128_SHA (OpenSSL RC4-SHA): RC4, static RSA; client also offers ECDHE-RC4"),
    "real/openssl_dhe_1024.pcap": ("make.sh: s_server -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0 -dhparam (openssl dhparam 1024); s_client -cipher DEFAULT:@SECLEVEL=0",
        "DHE with a 1024-bit prime (ServerKeyExchange p length 128 bytes)"),
    "real/openssl_null_md5.pcap": ("make.sh: s_server -tls1_2 -cipher NULL-MD5:@SECLEVEL=0; s_client -cipher 'ECDHE+AESGCM:NULL-MD5:@SECLEVEL=0'",
        "TLS_RSA_WITH_NULL_MD5: no encryption (application data in clear), MD5 MAC, static RSA"),
    "real/openssl_anon_ecdh.pcap": ("make.sh: s_server -nocert -tls1_2 -cipher AECDH-AES128-SHA:@SECLEVEL=0; s_client -cipher 'ECDHE+AESGCM:AECDH-AES128-SHA:@SECLEVEL=0'",
        "TLS_ECDH_anon_WITH_AES_128_CBC_SHA: anonymous key exchange, the server sends no Certificate"),
    "real/openssl_no_sni.pcap": ("make.sh: s_client -tls1_2 -noservername against s_server -tls1_2",
        "ClientHello without server_name; otherwise a normal TLS 1.2 handshake"),
    "real/openssl_downgrade_sentinel.pcap": ("make.sh: s_client -tls1_2 against s_server with default versions (TLS 1.3 capable)",
        "TLS 1.2 ServerHello whose random ends with 444f574e47524401 (DOWNGRD 01, RFC 8446 4.1.3)"),
    "real/openssl_no_shared_sigalg.pcap": ("make.sh: s_client -tls1_3 -sigalgs ECDSA+SHA256:ECDSA+SHA384:ed25519 against s_server -tls1_3 (RSA certificate only)",
        "no signature algorithm usable with the server's RSA key: server fatal handshake_failure after the ClientHello"),
    "real/gnutls_insecure_renegotiation.pcap": ("make.sh: gnutls-cli --priority NORMAL:-VERS-ALL:+VERS-TLS1.2:%DISABLE_SAFE_RENEGOTIATION against s_server -tls1_2",
        "neither renegotiation_info nor TLS_EMPTY_RENEGOTIATION_INFO_SCSV in the ClientHello, no renegotiation_info in the ServerHello"),
    "crafted/one_sided_client_only.pcap": ("gen.py (= tcpdump -r real/openssl_tls12_ecdhe_rsa.pcap -w ... 'tcp dst port 4434'): client->server packets only, bytes unchanged",
        "one-sided capture: ClientHello, ClientKeyExchange/CCS/Finished, data, alert, FIN, but nothing from the server"),
    "crafted/one_sided_server_only.pcap": ("gen.py (= tcpdump -r real/openssl_tls12_ecdhe_rsa.pcap -w ... 'tcp src port 4434'): server->client packets only, bytes unchanged",
        "one-sided capture: SYN-ACK, ServerHello..ServerHelloDone, NewSessionTicket/CCS/Finished, data, alert, FIN; no ClientHello (midstream)"),
    "crafted/garbage_443.pcap": ("gen.py: TCP connection to port 443 carrying 300/200/64 seeded random bytes (first byte 0x5a)",
                                 "not TLS at all: no flow expected"),
}


VERSIONS = {0x0002: "SSL 2.0", 0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1",
            0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}
HRR_RANDOM = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"


def parse_packets(root):
    pkts = []
    for p in root.iter("packet"):
        rec = {"hs": [], "alerts": [], "records": []}
        segs = all_fields(p, "tcp.segment")          # reassembled PDU: frames in payload order
        if segs:
            rec["segments"] = [ival(x) for x in segs]
        frags = all_fields(p, "ip.fragment")
        if frags:
            rec["ip_fragments"] = [ival(x) for x in frags]
        for proto in p.findall("proto"):
            n = proto.get("name")
            if n == "frame":
                rec["frame"] = ival(first(proto, "frame.number"))
            elif n in ("ip", "ipv6") and "src" not in rec:
                rec["src"] = show(first(proto, n + ".src"))
                rec["dst"] = show(first(proto, n + ".dst"))
                rec["v6"] = n == "ipv6"
            elif n == "tcp":
                rec["sport"] = ival(first(proto, "tcp.srcport"))
                rec["dport"] = ival(first(proto, "tcp.dstport"))
                rec["stream"] = ival(first(proto, "tcp.stream"))
            elif n == "tls":
                for r in proto.iter("field"):
                    if r.get("name") != "tls.record":
                        continue
                    ct = first(r, "tls.record.content_type")
                    ctv = ival(ct) if ct is not None else None
                    rv = first(r, "tls.record.version")
                    rec["records"].append(ctv)
                    if ctv == 21:
                        lv = children(r, "tls.alert_message")
                        lvl = first(lv[0], "tls.alert_message.level") if lv else None
                        dsc = first(lv[0], "tls.alert_message.desc") if lv else None
                        if lvl is not None and dsc is not None:
                            rec["alerts"].append({"level": ival(lvl), "level_name": snake(showname_label(lvl)),
                                                  "desc": ival(dsc), "desc_name": snake(showname_label(dsc))})
                        else:
                            rec["alerts"].append({"encrypted": True})
                    # handshake messages: children tls.handshake (TLS) or the record itself (SSLv2)
                    hss = children(r, "tls.handshake")
                    if not hss and rv is not None and show(rv) == "0x0002" and children(r, "tls.handshake.type"):
                        hss = [r]
                    for h in hss:
                        t = children(h, "tls.handshake.type")
                        if not t:
                            continue          # "[... Fragment]" pieces
                        rec["hs"].append(parse_hs(h, ival(t[0]), show(rv) if rv is not None else None))
        pkts.append(rec)
    return pkts


def parse_hs(h, t, recver):
    m = {"type": t, "record_version": recver}
    v = children(h, "tls.handshake.version")
    if v:
        m["legacy_version"] = int(show(v[0]), 16)
    r = first(h, "tls.handshake.random")
    if r is not None:
        m["random"] = r.get("value")
    sid = first(h, "tls.handshake.session_id")
    m["session_id"] = sid.get("value") if sid is not None else ""
    if t == 1:
        m["ciphers"] = ["0x%04x" % ival(c) for c in all_fields(h, "tls.handshake.ciphersuite")]
        m["cipherspecs"] = [show(c) for c in all_fields(h, "tls.handshake.cipherspec")]
        m["sni"] = [show(c) for c in all_fields(h, "tls.handshake.extensions_server_name")]
        m["alpn"] = [show(c) for c in all_fields(h, "tls.handshake.extensions_alpn_str")]
        m["supported_versions"] = [VERSIONS.get(ival(c), show(c)) for c in
                                   all_fields(h, "tls.handshake.extensions.supported_version")]
        m["groups"] = [showname_label(c) for c in all_fields(h, "tls.handshake.extensions_supported_group")]
        m["key_share_groups"] = [showname_label(c) for c in all_fields(h, "tls.handshake.extensions_key_share_group")]
        m["psk"] = bool(all_fields(h, "tls.handshake.extensions.psk.identity.identity"))
        m["ext_types"] = [ival(c) for c in all_fields(h, "tls.handshake.extension.type")]
    elif t == 2:
        c = first(h, "tls.handshake.ciphersuite")
        if c is not None:
            m["cipher"] = "0x%04x" % ival(c)
            m["cipher_name"] = showname_label(c)
        sv = all_fields(h, "tls.handshake.extensions.supported_version")
        m["supported_version"] = ival(sv[0]) if sv else None
        ks = all_fields(h, "tls.handshake.extensions_key_share_group") + \
            all_fields(h, "tls.handshake.extensions_key_share_selected_group")
        m["key_share"] = (showname_label(ks[0]), "0x%04x" % ival(ks[0])) if ks else None
        m["alpn"] = [show(c) for c in all_fields(h, "tls.handshake.extensions_alpn_str")]
        m["psk_selected"] = bool(all_fields(h, "tls.handshake.extensions.psk.identity.selected"))
        m["hrr"] = m.get("random") == HRR_RANDOM
    elif t == 8:   # EncryptedExtensions (TLS 1.3, only with keys)
        m["alpn"] = [show(c) for c in all_fields(h, "tls.handshake.extensions_alpn_str")]
    elif t == 11:
        m["certs"] = [c.get("value") for c in all_fields(h, "tls.handshake.certificate")]
    elif t == 12:
        c = first(h, "tls.handshake.server_named_curve")
        m["curve"] = (showname_label(c), "0x%04x" % ival(c)) if c is not None else None
    return m


HS_NAMES = {1: "ClientHello", 2: "ServerHello", 4: "NewSessionTicket", 8: "EncryptedExtensions",
            11: "Certificate", 12: "ServerKeyExchange", 13: "CertificateRequest", 14: "ServerHelloDone",
            15: "CertificateVerify", 16: "ClientKeyExchange", 20: "Finished"}


def build_flows(pkts, certdb):
    streams = {}
    for p in pkts:
        if "stream" in p:
            streams.setdefault(p["stream"], []).append(p)
    flows = []
    for sid in sorted(streams):
        ps = streams[sid]
        client = server = None
        for p in ps:                       # client = sender of the ClientHello, else of the SYN
            if any(m["type"] == 1 for m in p["hs"]):
                client, server = (p["src"], p["sport"]), (p["dst"], p["dport"])
                break
        if client is None:
            for p in ps:
                if any(m["type"] == 2 for m in p["hs"]):
                    client, server = (p["dst"], p["dport"]), (p["src"], p["sport"])
                    break
        if client is None:
            continue                       # no TLS handshake in this stream

        def ep(a):
            return ("[%s]:%d" if ":" in a[0] else "%s:%d") % a

        f = {"client": ep(client), "server": ep(server),
             "ch_frame": None, "sh_frame": None, "version": None, "cipher": None, "cipher_iana": None,
             "sni": None, "alpn_offered": [], "alpn": None, "group": None, "group_id": None,
             "resumed": False, "alerts": [], "cert_sha256": [], "cert_subjects": [], "handshake": []}
        chs, ch_msgs, sh = [], [], None
        for p in ps:
            frm = "client" if (p["src"], p["sport"]) == client else "server"
            for m in p["hs"]:
                name = HS_NAMES.get(m["type"], "type%d" % m["type"])
                if m["type"] == 2 and m.get("hrr"):
                    name = "HelloRetryRequest"
                f["handshake"].append({"frame": p["frame"], "from": frm, "msg": name})
                if m["type"] == 1:
                    chs.append(p)
                    ch_msgs.append(m)
                elif m["type"] == 2 and m.get("hrr"):
                    f["hrr_frame"] = p["frame"]
                elif m["type"] == 2 and sh is None:
                    sh = m
                    f["sh_frame"] = p["frame"]
                    if "segments" in p:
                        f["sh_segments"] = p["segments"]
                elif m["type"] == 11:
                    for der in m["certs"]:
                        fp = hashlib.sha256(bytes.fromhex(der)).hexdigest()
                        if frm == "server":
                            f["cert_sha256"].append(fp)
                            f["cert_subjects"].append(certdb[fp]["subject"] if fp in certdb else None)
                        else:
                            f.setdefault("client_cert_sha256", []).append(fp)
                elif m["type"] == 8 and m.get("alpn"):
                    f["alpn"] = m["alpn"][0]          # TLS 1.3: only visible with keys
                elif m["type"] == 12 and m.get("curve"):
                    f["group"], f["group_id"] = m["curve"]
            for a in p["alerts"]:
                e = {"frame": p["frame"], "from": frm}
                if a.get("encrypted"):
                    e.update({"encrypted": True, "level": None, "description": None})
                else:
                    e.update({"level": a["level_name"], "description": a["desc_name"],
                              "level_code": a["level"], "description_code": a["desc"]})
                f["alerts"].append(e)
        if chs:
            f["ch_frame"] = chs[0]["frame"]
            if "segments" in chs[0]:
                f["ch_segments"] = chs[0]["segments"]
            if "ip_fragments" in chs[0]:
                f["ch_ip_fragments"] = chs[0]["ip_fragments"]
            m = ch_msgs[0]
            f["sni"] = m["sni"][0] if m["sni"] else None
            f["alpn_offered"] = m["alpn"]
            f["offered"] = {k: m[k] for k in ("legacy_version", "supported_versions", "ciphers", "groups",
                                              "key_share_groups", "psk") if k in m}
            f["offered"]["legacy_version"] = VERSIONS.get(m.get("legacy_version"), m.get("legacy_version"))
            f["offered"]["record_version"] = VERSIONS.get(int(m["record_version"], 16), m["record_version"])
            if m["cipherspecs"]:
                f["offered"]["sslv2_cipher_specs"] = m["cipherspecs"]
                f["offered"]["format"] = "sslv2"
            if len(chs) > 1:
                f["ch2_frame"] = chs[1]["frame"]
                f["offered2"] = {"key_share_groups": ch_msgs[1]["key_share_groups"]}
        if sh is not None:
            ver = sh["supported_version"] or sh.get("legacy_version")
            f["version"] = VERSIONS.get(ver, hex(ver))
            f["cipher"], f["cipher_iana"] = sh.get("cipher"), sh.get("cipher_name")
            if sh["alpn"]:
                f["alpn"] = sh["alpn"][0]
            if sh["key_share"]:
                f["group"], f["group_id"] = sh["key_share"]
            if ver == 0x0304:
                f["resumed"] = sh["psk_selected"]
            else:
                f["resumed"] = bool(chs) and sh["session_id"] != "" and \
                    sh["session_id"] == ch_msgs[0]["session_id"]
        if f["ch_frame"] is None:
            f["midstream"] = True
        flows.append(f)
    return flows


def decrypted_extras(plain_flows, dec_flows):
    """attach what only the keylog pass sees."""
    for pf, df in zip(plain_flows, dec_flows):
        assert pf["client"] == df["client"]
        extra = {}
        if df["alpn"] != pf["alpn"]:
            extra["alpn"] = df["alpn"]
        if df["cert_sha256"] != pf["cert_sha256"]:
            extra["cert_sha256"] = df["cert_sha256"]
            extra["cert_subjects"] = df["cert_subjects"]
        if df.get("client_cert_sha256") != pf.get("client_cert_sha256"):
            extra["client_cert_sha256"] = df.get("client_cert_sha256")
        if df["alerts"] != pf["alerts"]:
            extra["alerts"] = df["alerts"]
        if df["handshake"] != pf["handshake"]:
            extra["handshake"] = df["handshake"]
        if extra:
            pf["decrypted"] = extra


def files():
    out = []
    for d in ("real", "crafted"):
        for fn in sorted(os.listdir(os.path.join(HERE, d))):
            if fn.endswith((".pcap", ".pcapng", ".pcap.gz")):
                out.append(d + "/" + fn)
    return out


def readme_tables(result):
    """markdown tables for README.md (between the BEGIN/END markers)."""
    name = {c["sha256"]: os.path.basename(c["file"])[:-4] for c in result["certs"]}
    L = ["| cert file (DER) | subject (RFC 2253) | issuer | SHA-256 of DER |", "|---|---|---|---|"]
    for c in result["certs"]:
        L.append("| `%s` | %s | %s | `%s` |" % (c["file"], c["subject"], c["issuer"], c["sha256"]))
    L += ["", "| file | size | how it was made | what it shows |", "|---|---|---|---|"]
    for e in result["captures"]:
        size = os.path.getsize(os.path.join(HERE, e["file"]))
        L.append("| `%s` | %d | %s | %s |" % (e["file"], size, e["made_by"], e["shows"]))
    L += ["", "| file | client → server | CH / SH frame | version | cipher | SNI | ALPN offered → selected | group | alerts (frame from level description) | server certs |",
          "|---|---|---|---|---|---|---|---|---|---|"]

    def alerts(al):
        out = []
        for a in al:
            if a.get("encrypted"):
                out.append("%d %s (encrypted)" % (a["frame"], a["from"]))
            else:
                out.append("%d %s %s %s" % (a["frame"], a["from"], a["level"], a["description"]))
        return "; ".join(out)

    for e in result["captures"]:
        if not e["flows"]:
            L.append("| `%s` | *no TLS flow* | | | | | | | | |" % e["file"])
        for f in e["flows"]:
            dec = f.get("decrypted", {})
            chsh = "%s / %s" % (f["ch_frame"] or "–", f["sh_frame"] or "–")
            if f.get("hrr_frame"):
                chsh += " (HRR %d, CH2 %d)" % (f["hrr_frame"], f["ch2_frame"])
            if f.get("ch_segments"):
                chsh += " (CH segs %s)" % ",".join(map(str, f["ch_segments"]))
            if f.get("ch_ip_fragments"):
                chsh += " (CH IP frags %s)" % ",".join(map(str, f["ch_ip_fragments"]))
            ver = (f["version"] or "–") + (" resumed" if f["resumed"] else "")
            ciph = "%s %s" % (f["cipher"], f["cipher_iana"]) if f["cipher"] else "–"
            alpn = "%s → %s" % (",".join(f["alpn_offered"]) or "–", f["alpn"] or
                                ("*%s (encrypted)*" % dec["alpn"] if dec.get("alpn") else "–"))
            al = alerts(f["alerts"]) or "–"
            if "alerts" in dec:
                al += "<br>*with keys:* " + (alerts(dec["alerts"]) or "–")
            certs = " + ".join(name.get(x, x[:12]) for x in f["cert_sha256"])
            if dec.get("cert_sha256"):
                certs += ("" if not certs else " ") + "*(encrypted: %s)*" % " + ".join(
                    name.get(x, x[:12]) for x in dec["cert_sha256"])
            L.append("| `%s` | %s → %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                e["file"], f["client"], f["server"], chsh, ver, ciph, f["sni"] or "–", alpn,
                f["group"] or "–", al, certs or "–"))
    return "\n".join(L) + "\n"


def update_readme(result):
    p = os.path.join(HERE, "README.md")
    if not os.path.exists(p):
        return
    text = open(p).read()
    b, e = "<!-- BEGIN GENERATED TABLES -->\n", "<!-- END GENERATED TABLES -->"
    if b in text and e in text:
        head, rest = text.split(b, 1)
        _, tail = rest.split(e, 1)
        with open(p, "w") as f:
            f.write(head + b + readme_tables(result) + e + tail)


def main():
    certdb = load_certs()
    result = {"generated_by": "testdata/extract_expected.py (tshark %s)" %
              sh(["tshark", "--version"]).decode().split("\n")[0].split()[2],
              "note": "values read with tshark, not with tlsnoop; see testdata/README.md",
              "certs": sorted(certdb.values(), key=lambda c: c["file"]),
              "captures": []}
    for rel in files():
        path = os.path.join(HERE, rel)
        cmd, root = tshark_pdml(path)
        pkts = parse_packets(root)
        flows = build_flows(pkts, certdb)
        how, what = DESCRIPTIONS.get(rel, ("?", "?"))
        entry = {"file": rel, "made_by": how, "shows": what, "frames": len(pkts), "tshark": " ".join(
            c if " " not in c else "'%s'" % c for c in ["tshark"] + cmd[1:]).replace(HERE + "/", ""),
            "flows": flows}
        base = os.path.basename(rel)
        kl = os.path.join(HERE, "real", re.sub(r"\.pcap(\.gz)?$", "", base) + ".keylog")
        if os.path.exists(kl):
            _, droot = tshark_pdml(path, kl)
            decrypted_extras(flows, build_flows(parse_packets(droot), certdb))
            entry["keylog"] = os.path.relpath(kl, HERE)
        for fl in flows:
            for fp in fl["cert_sha256"] + fl.get("decrypted", {}).get("cert_sha256", []):
                assert fp in certdb, "%s: certificate %s not in testdata/certs" % (rel, fp)
        result["captures"].append(entry)
        print("%-45s %3d frames %d flow(s)" % (rel, len(pkts), len(flows)), file=sys.stderr)
    text = json.dumps(result, indent=1, sort_keys=False) + "\n"
    dst = os.path.join(HERE, "expected.json")
    if "--check" in sys.argv:
        old = open(dst).read() if os.path.exists(dst) else ""
        sys.exit(0 if old == text else 1)
    with open(dst, "w") as f:
        f.write(text)
    update_readme(result)


if __name__ == "__main__":
    main()
