#!/usr/bin/env bash
# testdata/make.sh - regenerate every REAL capture in testdata/real/.
#
# Usage:   sudo bash testdata/make.sh [--new-certs] [--out DIR] [SCENARIO ...]
#
#   --new-certs   regenerate the PKI files in testdata/certs/ (certs/unit/,
#                 which belongs to the unit tests, is left alone); fingerprints
#                 in expected.json, README.md and tests then change.
#   --out DIR     write the captures (and key logs) to DIR instead of
#                 testdata/real/ - e.g. to try the script without touching the
#                 committed captures that tests/ and expected.json refer to.
#   SCENARIO ...  only (re)build the named scenarios (default: all of them).
#
# WARNING: re-running into testdata/real/ changes ports, frame numbers, randoms
# and timings; expected.json, README.md and tests that quote frame numbers must
# then be refreshed (python3 testdata/extract_expected.py) and re-checked.
#
# Needs: root (network namespace + packet capture), bash, iproute2 (ip, ss),
#        tcpdump, openssl (3.x), gnutls-bin (gnutls-cli, gnutls-serv), curl, faketime (for certs/server-future),
#        python3 (stdlib only), coreutils timeout.
#        Debian: apt-get install -y tcpdump gnutls-bin iproute2 curl openssl python3 faketime
#
# What it does:
#   * creates a private network namespace "tlsnoop-mk-$$" with only "lo" up
#     (removed again by an EXIT trap), so nothing else is ever captured;
#   * makes sure the throw-away PKI in testdata/certs/ exists (CA, intermediate,
#     RSA + ECDSA P-256 leaves for server.test, an expired leaf, a self-signed
#     leaf, a 1024-bit RSA leaf and a SHA-1-signed leaf).  Existing certs are
#     REUSED unless --new-certs is given, so certificate subjects / fingerprints
#     in expected.json stay valid; missing "extra" leaves (rsa1024, sha1) are
#     generated on their own without touching the others;
#   * for every scenario: starts "tcpdump -i lo -s 0 -U -w" inside the
#     namespace, starts the server(s), drives the client(s), waits 0.5 s,
#     stops tcpdump with SIGINT and writes testdata/real/<scenario>.pcap
#     (classic pcap, microsecond timestamps, DLT_EN10MB because Linux "lo"
#     is reported as Ethernet with zero MAC addresses).
#     Where a TLS library can log secrets, the NSS key log is written next to
#     the capture as testdata/real/<scenario>.keylog (lets Wireshark/tshark
#     decrypt the TLS 1.3 parts; tlsnoop itself does not need them).
#   * every process runs under "timeout"; each scenario uses its own port.
#
# Captures are not byte-for-byte reproducible (random keys, nonces, ports,
# timestamps).  After re-running into testdata/real/, regenerate in this order:
#     python3 testdata/crafted/gen.py        # crafted/ is derived from real/
#     python3 testdata/extract_expected.py   # expected.json + tables in README.md
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CERTS=$HERE/certs
REAL=$HERE/real
PY=${PYTHON:-python3}

NEW_CERTS=0
ONLY=()
OUT_NEXT=0
for a in "$@"; do
    if [[ $OUT_NEXT == 1 ]]; then REAL=$(mkdir -p "$a" && cd "$a" && pwd); OUT_NEXT=0; continue; fi
    case $a in
        --new-certs) NEW_CERTS=1 ;;
        --out) OUT_NEXT=1 ;;
        -h|--help) sed -n '2,45p' "$0"; exit 0 ;;
        -*) echo "unknown option $a" >&2; exit 2 ;;
        *) ONLY+=("$a") ;;
    esac
done

die() { echo "make.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[[ $EUID -eq 0 ]] || die "must run as root (network namespaces, tcpdump)"
for t in ip ss tcpdump openssl gnutls-cli gnutls-serv curl "$PY" timeout; do
    command -v "$t" >/dev/null || die "missing tool: $t"
done

NS=tlsnoop-mk-$$
TMP=$(mktemp -d /tmp/tlsnoop-mk.XXXXXX)
BG_PIDS=()

cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
# NB: background jobs must be started with a plain "ip netns exec" (not this
# function), so that $! is the process that receives our signals.
nsx() { ip netns exec "$NS" "$@"; }

# Debian's /etc/ssl/openssl.cnf enforces SECLEVEL=2 / MinProtocol=TLSv1.2;
# use an empty config so the command line alone decides.
printf 'openssl_conf = openssl_init\n[openssl_init]\n' >"$TMP/openssl.cnf"
export OPENSSL_CONF=$TMP/openssl.cnf

###########################################################################
# PKI
###########################################################################
EXTRA_LEAVES="server-rsa1024 server-sha1 server-future server-soon server-clientauth server-badsig"

write_ext_cnf() {        # write_ext_cnf FILE: the X.509v3 extension sections used for the PKI
    cat >"$1" <<'EOF'
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_int]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:server.test, DNS:www.server.test, IP:127.0.0.1
[v3_leaf_client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:server.test, DNS:www.server.test, IP:127.0.0.1
[v3_self]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = DNS:server.test, DNS:www.server.test, IP:127.0.0.1
EOF
}

gen_certs() {
    log "generating new test PKI in $CERTS"
    # remove only our own files: testdata/certs/unit/ belongs to the unit tests
    mkdir -p "$CERTS"
    local base
    for base in ca intermediate server-rsa server-ecdsa server-expired server-selfsigned $EXTRA_LEAVES; do
        rm -f "$CERTS/$base".{pem,key,der} "$CERTS/$base-chain.pem"
    done
    rm -f "$CERTS/FINGERPRINTS.txt"
    local d=$TMP/pki; mkdir -p "$d"
    write_ext_cnf "$d/ext.cnf"
    local DAYS=36500   # ~100 years, so the tests never expire

    # Root CA (RSA 2048, self-signed)
    openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days $DAYS \
        -subj "/O=tlsnoop test/CN=tlsnoop Test Root CA" \
        -keyout "$CERTS/ca.key" -out "$CERTS/ca.pem" \
        -config "$d/ext.cnf" -extensions v3_ca 2>/dev/null
    # Intermediate CA (RSA 2048)
    openssl req -new -newkey rsa:2048 -nodes -subj "/O=tlsnoop test/CN=tlsnoop Test Intermediate CA" \
        -keyout "$CERTS/intermediate.key" -out "$d/int.csr" 2>/dev/null
    openssl x509 -req -sha256 -days $DAYS -in "$d/int.csr" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca.key" \
        -set_serial 0x1001 -extfile "$d/ext.cnf" -extensions v3_int -out "$CERTS/intermediate.pem" 2>/dev/null
    # RSA leaf for server.test (signed by the intermediate)
    openssl req -new -newkey rsa:2048 -nodes -subj "/O=tlsnoop test/OU=rsa/CN=server.test" \
        -keyout "$CERTS/server-rsa.key" -out "$d/rsa.csr" 2>/dev/null
    openssl x509 -req -sha256 -days $DAYS -in "$d/rsa.csr" -CA "$CERTS/intermediate.pem" \
        -CAkey "$CERTS/intermediate.key" -set_serial 0x2001 -extfile "$d/ext.cnf" -extensions v3_leaf \
        -out "$CERTS/server-rsa.pem" 2>/dev/null
    # ECDSA P-256 leaf for server.test (signed by the RSA intermediate)
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/O=tlsnoop test/OU=ecdsa/CN=server.test" \
        -keyout "$CERTS/server-ecdsa.key" -out "$d/ec.csr" 2>/dev/null
    openssl x509 -req -sha256 -days $DAYS -in "$d/ec.csr" -CA "$CERTS/intermediate.pem" \
        -CAkey "$CERTS/intermediate.key" -set_serial 0x2002 -extfile "$d/ext.cnf" -extensions v3_leaf \
        -out "$CERTS/server-ecdsa.pem" 2>/dev/null
    # Expired RSA leaf (valid 2020-01-01 .. 2021-01-01), needs "openssl ca" for explicit dates
    openssl req -new -newkey rsa:2048 -nodes -subj "/O=tlsnoop test/OU=expired/CN=server.test" \
        -keyout "$CERTS/server-expired.key" -out "$d/exp.csr" 2>/dev/null
    mkdir -p "$d/ca/new"; : >"$d/ca/index.txt"; echo 2003 >"$d/ca/serial"
    cat >"$d/ca.cnf" <<EOF
[ca]
default_ca = c
[c]
dir = $d/ca
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
[p]
organizationName = supplied
organizationalUnitName = optional
commonName = supplied
EOF
    cat "$d/ext.cnf" >>"$d/ca.cnf"
    openssl ca -batch -notext -config "$d/ca.cnf" -extensions v3_leaf \
        -cert "$CERTS/intermediate.pem" -keyfile "$CERTS/intermediate.key" \
        -startdate 20200101000000Z -enddate 20210101000000Z \
        -in "$d/exp.csr" -out "$CERTS/server-expired.pem" 2>/dev/null
    # Self-signed RSA leaf for server.test
    openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days $DAYS \
        -subj "/O=tlsnoop test/OU=self-signed/CN=server.test" \
        -keyout "$CERTS/server-selfsigned.key" -out "$CERTS/server-selfsigned.pem" \
        -config "$d/ext.cnf" -extensions v3_self 2>/dev/null

    local c
    for c in ca intermediate server-rsa server-ecdsa server-expired server-selfsigned; do
        openssl x509 -in "$CERTS/$c.pem" -outform DER -out "$CERTS/$c.der"
    done
    # Chain files as servers send them (leaf first, then intermediate)
    cat "$CERTS/server-rsa.pem" "$CERTS/intermediate.pem" >"$CERTS/server-rsa-chain.pem"
    cat "$CERTS/server-ecdsa.pem" "$CERTS/intermediate.pem" >"$CERTS/server-ecdsa-chain.pem"
    cat "$CERTS/server-expired.pem" "$CERTS/intermediate.pem" >"$CERTS/server-expired-chain.pem"
    gen_extra_certs
}

gen_extra_certs() {
    # Leaves added for issue 4 (cert.weak_key, cert.weak_signature).  Generated only
    # when missing (or with --new-certs), so the other certificates stay unchanged.
    # Both are issued by the test intermediate for server.test with the usual SAN.
    local d=$TMP/pki-extra; mkdir -p "$d"
    write_ext_cnf "$d/ext.cnf"
    local DAYS=36500
    if [[ ! -s $CERTS/server-rsa1024.pem || ! -s $CERTS/server-rsa1024.key ]]; then
        log "generating certs/server-rsa1024 (RSA 1024, signed by the intermediate, SHA-256)"
        openssl req -new -newkey rsa:1024 -nodes -subj "/O=tlsnoop test/OU=rsa1024/CN=server.test" \
            -keyout "$CERTS/server-rsa1024.key" -out "$d/rsa1024.csr" 2>/dev/null
        openssl x509 -req -sha256 -days $DAYS -in "$d/rsa1024.csr" -CA "$CERTS/intermediate.pem" \
            -CAkey "$CERTS/intermediate.key" -set_serial 0x2004 -extfile "$d/ext.cnf" -extensions v3_leaf \
            -out "$CERTS/server-rsa1024.pem" 2>/dev/null
    fi
    if [[ ! -s $CERTS/server-sha1.pem || ! -s $CERTS/server-sha1.key ]]; then
        log "generating certs/server-sha1 (RSA 2048, signed by the intermediate with sha1WithRSAEncryption)"
        openssl req -new -newkey rsa:2048 -nodes -subj "/O=tlsnoop test/OU=sha1/CN=server.test" \
            -keyout "$CERTS/server-sha1.key" -out "$d/sha1.csr" 2>/dev/null
        openssl x509 -req -sha1 -days $DAYS -in "$d/sha1.csr" -CA "$CERTS/intermediate.pem" \
            -CAkey "$CERTS/intermediate.key" -set_serial 0x2005 -extfile "$d/ext.cnf" -extensions v3_leaf \
            -out "$CERTS/server-sha1.pem" 2>/dev/null
    fi
    # extra_leaf NAME OU SERIAL EXTENSIONS [CMD-PREFIX] [DAYS]: an RSA 2048 leaf from the intermediate
    extra_leaf() {
        [[ -s $CERTS/$1.pem && -s $CERTS/$1.key ]] && return 0
        log "generating certs/$1 ($2)"
        openssl req -new -newkey rsa:2048 -nodes -subj "/O=tlsnoop test/OU=$2/CN=server.test" \
            -keyout "$CERTS/$1.key" -out "$d/$1.csr" 2>/dev/null
        ${5:-} openssl x509 -req -sha256 -days "${6:-$DAYS}" -in "$d/$1.csr" -CA "$CERTS/intermediate.pem" \
            -CAkey "$CERTS/intermediate.key" -set_serial "$3" -extfile "$d/ext.cnf" -extensions "$4" \
            -out "$CERTS/$1.pem" 2>/dev/null
    }
    # not valid before 2036 (signed under faketime; needs the faketime package)
    extra_leaf server-future future 0x2006 v3_leaf "faketime 2036-01-01" 3650
    # valid for 10 days from when it is made: expires soon at capture time
    extra_leaf server-soon soon 0x2007 v3_leaf "" 10
    # extendedKeyUsage clientAuth only
    extra_leaf server-clientauth clientauth 0x2008 v3_leaf_client
    # server-rsa with the last byte of its signature flipped: served as is, it fails to verify
    if [[ ! -s $CERTS/server-badsig.pem || ! -s $CERTS/server-badsig.key ]]; then
        log "generating certs/server-badsig (server-rsa with a corrupted signature)"
        openssl x509 -in "$CERTS/server-rsa.pem" -outform DER -out "$d/badsig.der"
        python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-1] ^= 0x01; open(sys.argv[1], "wb").write(b)' "$d/badsig.der"
        openssl x509 -inform DER -in "$d/badsig.der" -out "$CERTS/server-badsig.pem"
        cp "$CERTS/server-rsa.key" "$CERTS/server-badsig.key"
    fi
    local c
    for c in $EXTRA_LEAVES; do
        openssl x509 -in "$CERTS/$c.pem" -outform DER -out "$CERTS/$c.der"   # same PEM -> same DER
    done
    write_fingerprints
}

write_fingerprints() {
    # FINGERPRINTS.txt: file, SHA-256 of the DER (lowercase hex, no colons), subject (RFC 2253)
    local c fp subj
    {
        echo "# file  sha256(DER)  subject(RFC2253)   -- regenerated by make.sh"
        for c in ca intermediate server-rsa server-ecdsa server-expired server-selfsigned $EXTRA_LEAVES; do
            fp=$(openssl x509 -in "$CERTS/$c.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
            subj=$(openssl x509 -in "$CERTS/$c.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
            echo "$c.der  $fp  $subj"
        done
    } >"$CERTS/FINGERPRINTS.txt"
}

have_certs() {
    local f
    for f in ca intermediate server-rsa server-ecdsa server-expired server-selfsigned; do
        [[ -s $CERTS/$f.pem && -s $CERTS/$f.key && -s $CERTS/$f.der ]] || return 1
    done
    [[ -s $CERTS/server-rsa-chain.pem && -s $CERTS/server-ecdsa-chain.pem && -s $CERTS/server-expired-chain.pem ]]
}

have_extra_certs() {
    local f
    for f in $EXTRA_LEAVES; do
        [[ -s $CERTS/$f.pem && -s $CERTS/$f.key && -s $CERTS/$f.der ]] || return 1
    done
}

if [[ $NEW_CERTS == 1 ]] || ! have_certs; then
    gen_certs
else
    log "reusing certificates in $CERTS (pass --new-certs to regenerate)"
    have_extra_certs || gen_extra_certs
fi

C=$CERTS
RSA=(-cert "$C/server-rsa.pem" -key "$C/server-rsa.key" -cert_chain "$C/intermediate.pem")
ECDSA=(-cert "$C/server-ecdsa.pem" -key "$C/server-ecdsa.key" -cert_chain "$C/intermediate.pem")
EXPIRED=(-cert "$C/server-expired.pem" -key "$C/server-expired.key" -cert_chain "$C/intermediate.pem")

###########################################################################
# helpers
###########################################################################
CAP_PID=
CAP_NAME=
SRV_PID=

cap_start() {            # cap_start NAME
    CAP_NAME=$1
    rm -f "$REAL/$CAP_NAME.keylog"
    # --immediate-mode: deliver every packet at once (TPACKET_V3 would otherwise
    # hold them in a ring block that may be lost when we stop tcpdump early).
    # -Z root: Debian's tcpdump would otherwise drop to user "tcpdump" and
    # might not be able to write into $TMP.
    # -B 32768: a 32 MiB kernel buffer; with the default 2 MiB, tcpdump dropped 222 of 358
    # packets of a 200 KB transfer on lo (issue 6 bulk_* scenarios).
    ip netns exec "$NS" timeout 120 tcpdump -i lo -s 0 -B 32768 -U --immediate-mode -Z root -w "$TMP/$CAP_NAME.pcap" tcp \
        >"$TMP/$CAP_NAME.tcpdump.log" 2>&1 &
    CAP_PID=$!
    BG_PIDS+=("$CAP_PID")
    local i
    for i in $(seq 100); do
        grep -q "listening on" "$TMP/$CAP_NAME.tcpdump.log" 2>/dev/null && return 0
        sleep 0.05
    done
    die "tcpdump did not start: $(cat "$TMP/$CAP_NAME.tcpdump.log")"
}

cap_stop() {
    sleep 0.5
    kill -INT "$CAP_PID" 2>/dev/null || true
    wait "$CAP_PID" 2>/dev/null || true
    [[ -s $TMP/$CAP_NAME.pcap ]] || die "$CAP_NAME: no capture file"
    if grep -q '^0 packets captured' "$TMP/$CAP_NAME.tcpdump.log"; then
        die "$CAP_NAME: tcpdump captured 0 packets"
    fi
    mkdir -p "$REAL"
    cp "$TMP/$CAP_NAME.pcap" "$REAL/$CAP_NAME.pcap"
    chmod 644 "$REAL/$CAP_NAME.pcap"
    local n
    n=$(grep -Eo '^[0-9]+ packets captured' "$TMP/$CAP_NAME.tcpdump.log" | cut -d' ' -f1 || true)
    log "$CAP_NAME: wrote ${REAL#$HERE/}/$CAP_NAME.pcap (${n:-?} packets, $(stat -c %s "$REAL/$CAP_NAME.pcap") bytes)"
}

wait_port() {            # wait_port PORT
    local i
    for i in $(seq 200); do
        [[ -n $(nsx ss -Hltn "sport = :$1") ]] && return 0
        sleep 0.05
    done
    die "nothing listening on port $1"
}

srv_start() {            # srv_start PORT CMD... (runs in the namespace, under timeout)
    local port=$1; shift
    ip netns exec "$NS" timeout 60 "$@" </dev/null >"$TMP/$CAP_NAME.server.log" 2>&1 &
    SRV_PID=$!
    BG_PIDS+=("$SRV_PID")
    wait_port "$port"
}

srv_wait() {             # give a server that exits on its own (-naccept) up to $1 s, then kill it
    local t=${1:-5} i
    for i in $(seq $((t * 20))); do
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.05
    done
    kill "$SRV_PID" 2>/dev/null || true
    wait "$SRV_PID" 2>/dev/null || true
}

# ossl_client PORT [s_client args...]: sends "hello\n", keeps stdin open 0.7 s
# so the echoed line can come back, then EOF -> s_client sends close_notify.
# SNI=name ossl_client ... sends another server_name (SNI=none: -noservername);
# CLIENT_CONF=file runs s_client with that OpenSSL config instead of the empty one.
ossl_client() {
    local port=$1; shift
    local sni=(-servername "${SNI:-server.test}")
    [[ ${SNI:-} == none ]] && sni=(-noservername)
    { echo hello; sleep 0.7; } | OPENSSL_CONF=${CLIENT_CONF:-$OPENSSL_CONF} nsx timeout 10 \
        openssl s_client -connect "127.0.0.1:$port" \
        "${sni[@]}" "$@" >>"$TMP/$CAP_NAME.client.log" 2>&1 || true
}

want() {
    [[ ${#ONLY[@]} -eq 0 ]] && return 0
    local o
    for o in "${ONLY[@]}"; do [[ $o == "$1" ]] && return 0; done
    return 1
}

S_SERVER=(openssl s_server -naccept 1 -rev -quiet)

###########################################################################
# scenarios
###########################################################################

sc_openssl_tls13() {
    local p=4433
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_3 \
        -ciphersuites TLS_AES_256_GCM_SHA384 -alpn h2 -groups X25519
    ossl_client $p -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384 -alpn h2 -groups X25519 \
        -CAfile "$C/ca.pem" -verify_return_error -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_tls12_ecdhe_rsa() {
    local p=4434
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2 \
        -cipher ECDHE-RSA-AES128-GCM-SHA256 -alpn http/1.1
    ossl_client $p -tls1_2 -alpn http/1.1 -CAfile "$C/ca.pem" -verify_return_error \
        -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_tls12_ecdsa() {
    local p=4435
    srv_start $p "${S_SERVER[@]}" -accept $p "${ECDSA[@]}" -tls1_2 \
        -cipher ECDHE-ECDSA-CHACHA20-POLY1305 -groups P-256
    ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -verify_return_error \
        -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_tls13_hrr() {
    # client offers X25519 and P-256 but sends a key_share for X25519 only;
    # the server accepts only P-256 -> HelloRetryRequest, second ClientHello.
    local p=4436
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_3 -groups P-256
    ossl_client $p -tls1_3 -groups X25519:P-256 -CAfile "$C/ca.pem" -verify_return_error \
        -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_version_mismatch() {
    local p=4437
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_3
    ossl_client $p -tls1_2
    srv_wait
}

sc_openssl_no_shared_cipher() {
    local p=4438
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
    ossl_client $p -tls1_2 -cipher AES256-SHA256
    srv_wait
}

sc_openssl_resumption_tls12() {
    # TLS 1.2, session ticket (RFC 5077) resumption: 1st full handshake, 2nd abbreviated
    local p=4439
    srv_start $p openssl s_server -naccept 2 -rev -quiet -accept $p "${RSA[@]}" -tls1_2
    ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -sess_out "$TMP/sess12.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    sleep 0.2
    ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -sess_in "$TMP/sess12.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_resumption_tls12_sessid() {
    # TLS 1.2, session-ID resumption (server -no_ticket): 2nd ClientHello carries the session id
    local p=4440
    srv_start $p openssl s_server -naccept 2 -rev -quiet -accept $p "${RSA[@]}" -tls1_2 -no_ticket
    ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -sess_out "$TMP/sessid.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    sleep 0.2
    ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -sess_in "$TMP/sessid.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_resumption_tls13() {
    # TLS 1.3 PSK resumption (psk_dhe_ke): 2nd ClientHello has pre_shared_key, no Certificate
    local p=4447
    srv_start $p openssl s_server -naccept 2 -rev -quiet -accept $p "${RSA[@]}" -tls1_3
    ossl_client $p -tls1_3 -CAfile "$C/ca.pem" -sess_out "$TMP/sess13.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    sleep 0.2
    ossl_client $p -tls1_3 -CAfile "$C/ca.pem" -sess_in "$TMP/sess13.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_client_cert_required() {
    # TLS 1.2 so CertificateRequest, the empty client Certificate and the alert are plaintext
    local p=4441
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2 -Verify 1 -CAfile "$C/ca.pem"
    ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_client_cert_rejected() {
    # TLS 1.2: the client sends a self-signed certificate the server's CA list does not cover;
    # the server rejects it with a plaintext alert (unknown_ca)
    local p=4499
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2 -Verify 1 -verify_return_error -CAfile "$C/ca.pem"
    ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -cert "$C/server-selfsigned.pem" -key "$C/server-selfsigned.key" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

# TLS 1.2 server with one of the extra leaves; the client does not verify, so the chain is seen
leaf_pair() {            # leaf_pair PORT LEAF
    srv_start $1 "${S_SERVER[@]}" -accept $1 -cert "$C/$2.pem" -key "$C/$2.key" -cert_chain "$C/intermediate.pem" -tls1_2
    ossl_client $1 -tls1_2 -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}
sc_openssl_not_yet_valid() { leaf_pair 4500 server-future; }
sc_openssl_expires_soon() { leaf_pair 4501 server-soon; }
sc_openssl_not_server_auth() { leaf_pair 4502 server-clientauth; }
sc_openssl_bad_signature() { leaf_pair 4504 server-badsig; }

sc_openssl_malformed_hello() {
    # A ClientHello whose body is cut short: OpenSSL's server answers with a fatal decode_error
    local p=4503
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}"
    nsx timeout 5 python3 -c '
import socket, time
s = socket.create_connection(("127.0.0.1", '$p'))
s.sendall(bytes.fromhex("160301000901000005030300000000"))
time.sleep(0.5)
print(s.recv(100).hex())
s.close()' >>"$TMP/$CAP_NAME.client.log" 2>&1 || true
    srv_wait
}

sc_openssl_tls13_client_cert_required() {
    # TLS 1.3 variant: the server's alert (certificate_required) is encrypted
    local p=4442
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_3 -Verify 1 -CAfile "$C/ca.pem"
    ossl_client $p -tls1_3 -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_expired_cert_rejected() {
    local p=4443
    srv_start $p "${S_SERVER[@]}" -accept $p "${EXPIRED[@]}" -tls1_2
    ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -verify_return_error -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_tls13_cert_rejected() {
    local p=4444
    srv_start $p "${S_SERVER[@]}" -accept $p "${EXPIRED[@]}" -tls1_3
    ossl_client $p -tls1_3 -CAfile "$C/ca.pem" -verify_return_error -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_tls13_fragmented() {
    local p=4445
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_3 -max_send_frag 512
    ossl_client $p -tls1_3 -CAfile "$C/ca.pem" -verify_return_error -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_tls12_fragmented() {
    # TLS 1.2 variant: the (plaintext) Certificate message spans several records
    local p=4446
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2 -max_send_frag 512
    ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -verify_return_error -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_curl_tls13() {
    local p=8443
    srv_start $p openssl s_server -naccept 1 -www -quiet -accept $p "${RSA[@]}"
    SSLKEYLOGFILE=$REAL/$CAP_NAME.keylog nsx timeout 10 curl -sS -k --max-time 5 \
        --resolve server.test:$p:127.0.0.1 -o "$TMP/curl.out" "https://server.test:$p/" \
        >>"$TMP/$CAP_NAME.client.log" 2>&1 || true
    srv_wait
}

gnutls_pair() {          # gnutls_pair PORT CERT KEY CLIENT-PRIORITY
    local p=$1 cert=$2 key=$3 prio=$4
    srv_start $p gnutls-serv --port $p --echo --x509certfile "$cert" --x509keyfile "$key"
    { echo hello; sleep 0.7; } | SSLKEYLOGFILE=$REAL/$CAP_NAME.keylog nsx timeout 10 \
        gnutls-cli --port $p --sni-hostname server.test --priority "$prio" --insecure 127.0.0.1 \
        >>"$TMP/$CAP_NAME.client.log" 2>&1 || true
    sleep 0.2
    srv_wait 0           # gnutls-serv never exits on its own
}

sc_gnutls_tls12() {
    # self-signed leaf, TLS 1.2 only
    gnutls_pair 5556 "$C/server-selfsigned.pem" "$C/server-selfsigned.key" 'NORMAL:-VERS-ALL:+VERS-TLS1.2'
}

sc_gnutls_tls13() {
    # gnutls defaults (TLS 1.3), ECDSA leaf + intermediate
    gnutls_pair 5557 "$C/server-ecdsa-chain.pem" "$C/server-ecdsa.key" 'NORMAL'
}

sc_python_tls13() {
    local p=443
    cat >"$TMP/py_srv.py" <<'EOF'
import socket, ssl, sys
cert, key, port, keylog = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.set_alpn_protocols(["http/1.1"])
ctx.keylog_filename = keylog
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port)); ls.listen(1)
c, _ = ls.accept()
with ctx.wrap_socket(c, server_side=True) as s:
    line = s.recv(100)
    s.sendall(line[::-1].strip() + b"\n")
    try:
        s.unwrap()
    except OSError:
        pass
EOF
    cat >"$TMP/py_cli.py" <<'EOF'
import socket, ssl, sys
ca, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context(cafile=ca)
ctx.set_alpn_protocols(["http/1.1"])
with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
    with ctx.wrap_socket(raw, server_hostname="server.test") as s:
        s.sendall(b"hello\n")
        print(s.version(), s.cipher(), s.selected_alpn_protocol(), s.recv(100))
        s.unwrap()
EOF
    srv_start $p "$PY" "$TMP/py_srv.py" "$C/server-rsa-chain.pem" "$C/server-rsa.key" $p "$REAL/$CAP_NAME.keylog"
    nsx timeout 10 "$PY" "$TMP/py_cli.py" "$C/ca.pem" $p >>"$TMP/$CAP_NAME.client.log" 2>&1 || true
    srv_wait
}

sc_reset_mid_handshake() {
    # server reads the ClientHello, then closes with SO_LINGER{1,0} -> RST
    local p=9443
    cat >"$TMP/rst_srv.py" <<'EOF'
import socket, struct, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1]))); ls.listen(1)
c, _ = ls.accept()
c.recv(65536)
time.sleep(0.1)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
EOF
    srv_start $p "$PY" "$TMP/rst_srv.py" $p
    nsx timeout 5 openssl s_client -connect 127.0.0.1:$p -servername server.test </dev/null \
        >>"$TMP/$CAP_NAME.client.log" 2>&1 || true
    srv_wait
}

sc_no_server_response() {
    # server accepts and never answers; client gives up after 1 s (killed by timeout -> FIN)
    local p=9444
    cat >"$TMP/mute_srv.py" <<'EOF'
import socket, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1]))); ls.listen(1)
c, _ = ls.accept()
time.sleep(30)
EOF
    srv_start $p "$PY" "$TMP/mute_srv.py" $p
    { sleep 3; } | nsx timeout 1 openssl s_client -connect 127.0.0.1:$p -servername server.test \
        >>"$TMP/$CAP_NAME.client.log" 2>&1 || true
    # stop the capture BEFORE the server goes away, so no server FIN is recorded
    cap_stop
    srv_wait 0
    CAP_DONE=1
}

sc_openssl_sslv2_compat_hello() {
    # A hand-built SSLv2-compatible ClientHello (80 xx 01 03 01 ...) sent to a real
    # OpenSSL server that allows TLS 1.0 -> real TLS 1.0 ServerHello/Certificate/
    # ServerHelloDone; the client then aborts with a plaintext fatal
    # handshake_failure alert and closes.  Source for crafted/sslv2_hello.
    local p=4448
    cat >"$TMP/v2_cli.py" <<'EOF'
import socket, struct, sys, time
specs = [0x00002f, 0x000035, 0x00000a, 0x0000ff, 0x010080, 0x0700c0]   # last two: SSLv2 ciphers
challenge = bytes(range(0x10, 0x30))                                    # 32 bytes
body = bytes([1]) + b"\x03\x01" + struct.pack(">HHH", 3 * len(specs), 0, len(challenge))
body += b"".join(s.to_bytes(3, "big") for s in specs) + challenge
msg = struct.pack(">H", 0x8000 | len(body)) + body
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(msg)
got = b""
try:
    while b"\x0e\x00\x00\x00" not in got:            # until ServerHelloDone
        d = s.recv(65536)
        if not d: break
        got += d
except socket.timeout:
    pass
print(len(got), got[:16].hex())
s.sendall(bytes.fromhex("15030100020228"))    # fatal handshake_failure alert, TLS 1.0 record
time.sleep(0.1)
s.close()
EOF
    srv_start $p openssl s_server -naccept 1 -quiet -accept $p "${RSA[@]}" -tls1 \
        -cipher 'AES128-SHA:@SECLEVEL=0'
    nsx timeout 10 "$PY" "$TMP/v2_cli.py" $p >>"$TMP/$CAP_NAME.client.log" 2>&1 || true
    srv_wait
}

###########################################################################
# issue 4 scenarios: diagnosis codes, certificate checks, crypto findings
# (ports 4449-4470, gnutls 5558-5560).  Clients that must finish the handshake
# despite a bad chain run WITHOUT -verify_return_error (s_client then only
# logs the verify error); -CAfile is given so the log says what a verifying
# client would have reported.
###########################################################################
WEAK='DEFAULT:@SECLEVEL=0'

sc_openssl_version_mismatch_tls13_client() {
    # the other way round from openssl_version_mismatch: client TLS 1.3 only,
    # server TLS 1.2 only -> server protocol_version
    local p=4449
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2
    ossl_client $p -tls1_3
    srv_wait
}

sc_openssl_no_shared_group() {
    # TLS 1.3, client supports (and key-shares) only X25519, server only P-384:
    # no common group, so no HelloRetryRequest is possible -> handshake_failure
    local p=4450
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_3 -groups P-384
    ossl_client $p -tls1_3 -groups X25519
    srv_wait
}

sc_openssl_unrecognized_name() {
    # server configured for server.test only, fatal alert on any other SNI
    local p=4451
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2 \
        -servername server.test -servername_fatal -cert2 "$C/server-rsa.pem" -key2 "$C/server-rsa.key"
    SNI=other.test ossl_client $p -tls1_2
    srv_wait
}

sc_openssl_missing_intermediate() {
    # leaf only (issued by the intermediate, which is not sent)
    local p=4452
    srv_start $p "${S_SERVER[@]}" -accept $p -cert "$C/server-rsa.pem" -key "$C/server-rsa.key" \
        -no-CAfile -no-CApath -no-CAstore -tls1_2
    ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_chain_wrong_order() {
    # leaf, root, intermediate (the intermediate, which issued the leaf, comes last)
    local p=4453
    cat "$C/ca.pem" "$C/intermediate.pem" >"$TMP/root-then-int.pem"
    srv_start $p "${S_SERVER[@]}" -accept $p -cert "$C/server-rsa.pem" -key "$C/server-rsa.key" \
        -cert_chain "$TMP/root-then-int.pem" -tls1_2
    ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_self_signed() {
    local p=4454
    srv_start $p "${S_SERVER[@]}" -accept $p -cert "$C/server-selfsigned.pem" -key "$C/server-selfsigned.key" \
        -no-CAfile -no-CApath -no-CAstore -tls1_2
    ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_hostname_mismatch() {
    # valid chain for server.test, but the client asks for wrong.test
    local p=4455
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2
    SNI=wrong.test ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -verify_hostname wrong.test \
        -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_rsa1024_leaf() {
    local p=4456
    srv_start $p "${S_SERVER[@]}" -accept $p -cert "$C/server-rsa1024.pem" -key "$C/server-rsa1024.key" \
        -cert_chain "$C/intermediate.pem" -tls1_2 -cipher "$WEAK"
    ossl_client $p -tls1_2 -cipher "$WEAK" -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_sha1_leaf() {
    local p=4457
    srv_start $p "${S_SERVER[@]}" -accept $p -cert "$C/server-sha1.pem" -key "$C/server-sha1.key" \
        -cert_chain "$C/intermediate.pem" -tls1_2 -cipher "$WEAK"
    ossl_client $p -tls1_2 -cipher "$WEAK" -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_tls10() {
    local p=4458
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1 -cipher "$WEAK"
    ossl_client $p -tls1 -cipher "$WEAK" -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_tls11() {
    local p=4459
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_1 -cipher "$WEAK"
    ossl_client $p -tls1_1 -cipher "$WEAK" -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_static_rsa() {
    # the client offers its defaults; the server only has AES128-SHA (RSA key exchange, CBC)
    local p=4460
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2 -cipher AES128-SHA
    ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_no_ems() {
    # TLS 1.2 without extended_master_secret: s_client has no switch for it, the
    # SSL_CONF option "Options = -ExtendedMasterSecret" (SSL_OP_NO_EXTENDED_MASTER_SECRET,
    # OpenSSL >= 3.0) in a client-only config file does it
    local p=4461
    cat >"$TMP/noems.cnf" <<'CNF'
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = noems
[noems]
Options = -ExtendedMasterSecret
CNF
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2
    CLIENT_CONF=$TMP/noems.cnf ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_client_offers_weak() {
    # client offers everything OpenSSL 3.0 still has incl. NULL and anonymous suites
    # (RC4/3DES/EXPORT are not compiled in); server picks a strong ECDHE+AEAD suite
    local p=4462
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2
    ossl_client $p -tls1_2 -cipher 'ALL:eNULL:@SECLEVEL=0' -CAfile "$C/ca.pem" \
        -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_fallback_scsv() {
    # client retries "after a failure" with TLS 1.1 + TLS_FALLBACK_SCSV; the server
    # (TLS 1.0..1.3) notices the downgrade -> inappropriate_fallback
    local p=4463
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -cipher "$WEAK"
    ossl_client $p -tls1_1 -fallback_scsv -cipher "$WEAK"
    srv_wait
}

gnutls_pair2() {         # gnutls_pair2 PORT SERVER-PRIORITY CLIENT-PRIORITY (RSA leaf + intermediate)
    local p=$1 sprio=$2 cprio=$3
    srv_start $p gnutls-serv --port $p --echo --x509certfile "$C/server-rsa-chain.pem" \
        --x509keyfile "$C/server-rsa.key" --priority "$sprio"
    { echo hello; sleep 0.7; } | SSLKEYLOGFILE=$REAL/$CAP_NAME.keylog nsx timeout 10 \
        gnutls-cli --port $p --sni-hostname server.test --priority "$cprio" --insecure 127.0.0.1 \
        >>"$TMP/$CAP_NAME.client.log" 2>&1 || true
    sleep 0.2
    srv_wait 0
}

sc_gnutls_3des() {
    # OpenSSL 3.0 (Debian build) has no 3DES suites at all, so GnuTLS:
    # server allows only TLS_RSA_WITH_3DES_EDE_CBC_SHA (OpenSSL: DES-CBC3-SHA)
    gnutls_pair2 5558 'NONE:+VERS-TLS1.2:+3DES-CBC:+SHA1:+RSA:+COMP-NULL:+SIGN-ALL:+CURVE-ALL' \
        'NORMAL:-VERS-ALL:+VERS-TLS1.2:+3DES-CBC'
}

sc_gnutls_rc4() {
    # RC4 is not in OpenSSL 3.0 (not even the legacy provider has the TLS suites), so
    # GnuTLS: server allows only TLS_RSA_WITH_RC4_128_SHA (OpenSSL: RC4-SHA)
    gnutls_pair2 5559 'NONE:+VERS-TLS1.2:+ARCFOUR-128:+SHA1:+RSA:+COMP-NULL:+SIGN-ALL:+CURVE-ALL' \
        'NORMAL:-VERS-ALL:+VERS-TLS1.2:+ARCFOUR-128'
}

# ---- extra issue-4 scenarios (findings the list above does not produce) ----

sc_openssl_dhe_1024() {
    # handshake.weak_dh_group: DHE with a 1024-bit group in the ServerKeyExchange
    local p=4464
    openssl dhparam -out "$TMP/dh1024.pem" 1024 2>/dev/null
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2 \
        -cipher 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0' -dhparam "$TMP/dh1024.pem"
    ossl_client $p -tls1_2 -cipher "$WEAK" -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_null_md5() {
    # cipher.null + cipher.md5_mac: TLS_RSA_WITH_NULL_MD5, application data in clear
    local p=4465
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2 -cipher 'NULL-MD5:@SECLEVEL=0'
    ossl_client $p -tls1_2 -cipher 'ECDHE+AESGCM:NULL-MD5:@SECLEVEL=0' -CAfile "$C/ca.pem" \
        -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_anon_ecdh() {
    # cipher.anon: TLS_ECDH_anon_WITH_AES_128_CBC_SHA, the server sends no Certificate
    local p=4466
    srv_start $p "${S_SERVER[@]}" -accept $p -nocert -tls1_2 -cipher 'AECDH-AES128-SHA:@SECLEVEL=0'
    ossl_client $p -tls1_2 -cipher 'ECDHE+AESGCM:AECDH-AES128-SHA:@SECLEVEL=0' -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_no_sni() {
    # handshake.no_sni: s_client -noservername, otherwise like openssl_tls12_ecdhe_rsa
    local p=4467
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2
    SNI=none ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_downgrade_sentinel() {
    # offer.downgrade_sentinel: TLS 1.3-capable server, client offers at most TLS 1.2
    # -> ServerHello.random ends with 44 4f 57 4e 47 52 44 01 ("DOWNGRD\1", RFC 8446 4.1.3)
    local p=4468
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}"
    ossl_client $p -tls1_2 -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog"
    srv_wait
}

sc_openssl_no_shared_sigalg() {
    # no_shared_signature_algorithm: TLS 1.3, client accepts only ECDSA/EdDSA
    # signatures, the server has only an RSA certificate -> handshake_failure
    local p=4469
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_3
    ossl_client $p -tls1_3 -sigalgs 'ECDSA+SHA256:ECDSA+SHA384:ed25519'
    srv_wait
}

sc_gnutls_insecure_renegotiation() {
    # handshake.insecure_renegotiation: GnuTLS client with %DISABLE_SAFE_RENEGOTIATION
    # sends neither renegotiation_info nor TLS_EMPTY_RENEGOTIATION_INFO_SCSV, so the
    # OpenSSL server's ServerHello has no renegotiation_info either (TLS 1.2)
    local p=4470
    srv_start $p "${S_SERVER[@]}" -accept $p "${RSA[@]}" -tls1_2
    { echo hello; sleep 0.7; } | SSLKEYLOGFILE=$REAL/$CAP_NAME.keylog nsx timeout 10 \
        gnutls-cli --port $p --sni-hostname server.test --insecure \
        --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2:%DISABLE_SAFE_RENEGOTIATION' 127.0.0.1 \
        >>"$TMP/$CAP_NAME.client.log" 2>&1 || true
    srv_wait
}

# ---- issue 6: bulk transfers and plain TCP, templates for benches/gen_bench.py ----
# On "lo" the MTU is 65536 and TCP segments are up to 64 KB, so a 200 KB transfer would be a
# handful of packets. These scenarios set lo to an Ethernet MTU of 1500 with GSO off
# (gso_max_segs 1; tcpdump on lo sees a packet before it would be segmented), so the capture
# looks like one from a real link (1448-byte segments, 1514-byte frames); then set it back.
link_1500() { nsx ip link set lo mtu 1500 gso_max_segs 1; }
link_lo() { nsx ip link set lo mtu 65536 gso_max_segs 65535; }

payload() {              # payload FILE BYTES SEED [text]: deterministic pseudo-random content
    "$PY" - "$@" <<'EOF'
import base64, random, sys
path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = random.Random(seed).randbytes(n)
if len(sys.argv) > 4:    # base64 text in 76-character lines (for line-based echo servers)
    data = base64.encodebytes(data)
open(path, "wb").write(data)
EOF
}

sc_bulk_tls13_curl() {
    # curl downloads a 200 KB file over TLS 1.3 from s_server -WWW (a minimal HTTP/1.0 file server)
    local p=4505
    link_1500
    mkdir -p "$TMP/www"
    payload "$TMP/www/bulk.bin" 204800 6
    pushd "$TMP/www" >/dev/null          # -WWW serves files relative to its working directory
    srv_start $p openssl s_server -naccept 1 -WWW -quiet -accept $p "${RSA[@]}" -tls1_3
    popd >/dev/null
    SSLKEYLOGFILE=$REAL/$CAP_NAME.keylog nsx timeout 10 curl -sS -k --tlsv1.3 --max-time 5 \
        --resolve server.test:$p:127.0.0.1 -o "$TMP/bulk.out" -w 'HTTP %{http_code}, %{size_download} bytes\n' \
        "https://server.test:$p/bulk.bin" >>"$TMP/$CAP_NAME.client.log" 2>&1 || true
    srv_wait
    link_lo
}

sc_bulk_tls12_openssl() {
    # s_client uploads 300 KB (base64 text) over TLS 1.2 (ECDHE-ECDSA) to s_server, which
    # writes it to its log and sends nothing back. s_server's stdin is a pipe that stays
    # open: on EOF of its stdin s_server would close the connection right after the handshake.
    # s_client: -quiet implies -ign_eof (no close on EOF), hence -no_ign_eof; -nocommands so
    # that lines starting with R, Q or k are data, not renegotiate/quit/key-update commands.
    local p=4506
    link_1500
    payload "$TMP/upload.txt" 230400 12 text
    srv_start $p sh -c "sleep 8 | exec openssl s_server -naccept 1 -quiet -accept $p \
        -cert '$C/server-ecdsa.pem' -key '$C/server-ecdsa.key' -cert_chain '$C/intermediate.pem' -tls1_2"
    { cat "$TMP/upload.txt"; sleep 0.7; } | nsx timeout 10 openssl s_client -connect 127.0.0.1:$p \
        -servername server.test -tls1_2 -quiet -no_ign_eof -nocommands -CAfile "$C/ca.pem" -keylogfile "$REAL/$CAP_NAME.keylog" \
        >>"$TMP/$CAP_NAME.client.log" 2>&1 || true
    srv_wait 1
    echo "server received $(wc -c <"$TMP/$CAP_NAME.server.log") bytes" >>"$TMP/$CAP_NAME.client.log"
    link_lo
}

sc_bulk_gnutls() {
    # gnutls-cli (default priority: TLS 1.3) sends 100 KB of base64 text to gnutls-serv --echo,
    # which sends it back
    local p=5560
    link_1500
    payload "$TMP/echo.txt" 75000 5560 text
    srv_start $p gnutls-serv --port $p --echo --x509certfile "$C/server-rsa-chain.pem" \
        --x509keyfile "$C/server-rsa.key"
    { cat "$TMP/echo.txt"; sleep 0.7; } | SSLKEYLOGFILE=$REAL/$CAP_NAME.keylog nsx timeout 10 \
        gnutls-cli --port $p --sni-hostname server.test --insecure 127.0.0.1 \
        >"$TMP/$CAP_NAME.echoed" 2>>"$TMP/$CAP_NAME.client.log" || true
    echo "echoed back $(wc -c <"$TMP/$CAP_NAME.echoed") bytes" >>"$TMP/$CAP_NAME.client.log"
    sleep 0.2
    srv_wait 0           # gnutls-serv never exits on its own
    link_lo
}

sc_plain_http() {
    # no TLS: curl fetches a 100 KB file from python3 -m http.server (HTTP/1.0, the server closes)
    local p=8080
    link_1500
    mkdir -p "$TMP/plain"
    payload "$TMP/plain/page.bin" 102400 80
    srv_start $p "$PY" -m http.server $p --bind 127.0.0.1 --directory "$TMP/plain"
    nsx timeout 10 curl -sS --max-time 5 -o "$TMP/plain.out" -w 'HTTP %{http_code}, %{size_download} bytes\n' \
        "http://127.0.0.1:$p/page.bin" >>"$TMP/$CAP_NAME.client.log" 2>&1 || true
    srv_wait 0           # http.server never exits on its own
    link_lo
}

SCENARIOS=(
    openssl_tls13 openssl_tls12_ecdhe_rsa openssl_tls12_ecdsa openssl_tls13_hrr
    openssl_version_mismatch openssl_no_shared_cipher
    openssl_resumption_tls12 openssl_resumption_tls12_sessid openssl_resumption_tls13
    openssl_client_cert_required openssl_tls13_client_cert_required
    openssl_expired_cert_rejected openssl_tls13_cert_rejected
    openssl_tls13_fragmented openssl_tls12_fragmented
    curl_tls13 gnutls_tls12 gnutls_tls13 python_tls13
    reset_mid_handshake no_server_response openssl_sslv2_compat_hello
    openssl_version_mismatch_tls13_client openssl_no_shared_group openssl_unrecognized_name
    openssl_missing_intermediate openssl_chain_wrong_order openssl_self_signed
    openssl_hostname_mismatch openssl_rsa1024_leaf openssl_sha1_leaf
    openssl_tls10 openssl_tls11 openssl_static_rsa openssl_no_ems openssl_client_offers_weak
    openssl_fallback_scsv gnutls_3des gnutls_rc4
    openssl_dhe_1024 openssl_null_md5 openssl_anon_ecdh openssl_no_sni openssl_downgrade_sentinel
    openssl_no_shared_sigalg gnutls_insecure_renegotiation openssl_client_cert_rejected
    openssl_not_yet_valid openssl_expires_soon openssl_not_server_auth openssl_malformed_hello
    openssl_bad_signature
    bulk_tls13_curl bulk_tls12_openssl bulk_gnutls plain_http
)

for sc in "${SCENARIOS[@]}"; do
    want "$sc" || continue
    log "scenario $sc"
    CAP_DONE=0
    cap_start "$sc"
    "sc_$sc"
    [[ $CAP_DONE == 1 ]] || cap_stop
    if [[ -s $TMP/$sc.client.log ]]; then
        sed 's/^/   client| /' "$TMP/$sc.client.log" | grep -Ei 'alert|error|Verify return code|Protocol *:|Cipher is|ALPN|olleh|Reused|^   client\| [0-9]|Handshake was|Description|bytes$' | sort -u | head -12 >&2 || true
    fi
    if [[ -s $REAL/$sc.keylog ]]; then chmod 644 "$REAL/$sc.keylog"; else rm -f "$REAL/$sc.keylog"; fi
done
log "done"
