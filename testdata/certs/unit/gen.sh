#!/bin/sh
# Makes the DER certificates used by the unit tests in src/tls/cert.rs and src/compat/x509_parser.rs.
#
# Run from anywhere: sh testdata/certs/unit/gen.sh (made with OpenSSL 3.0.19). Keys are random, so a
# re-run gives new keys, fingerprints and signatures: the tests assert the values of the committed
# files, and the expected values in the tests were read with `openssl x509 -inform DER -noout
# -subject -serial -dates -fingerprint -sha256` and `openssl asn1parse -inform DER` (see facts.txt,
# written by this script). Update the tests from facts.txt after a re-run. Private keys are not kept.
#
# Files (all self-signed unless an issuer is named):
#   rsa2047.der      RSA key whose modulus is 2047 bits: top byte < 0x80, so no 00 pad in DER
#   rsa2048.der      RSA 2048, subject C/O/OU/CN, serial with the top bit set (DER adds a 0x00)
#   rsa4096.der      RSA 4096, sha512WithRSAEncryption
#   p256.der p384.der p521.der   ECDSA on secp256r1/secp384r1/secp521r1 (SHA-256/384/512)
#   secp256k1.der brainpool256.der   EC on secp256k1 and brainpoolP256r1
#   ed25519.der ed448.der        EdDSA keys
#   dsa.der          DSA, p of 2048 bits, y with its top bit set, dsa_with_SHA256
#   rsa1024.der      RSA 1024 with sha256WithRSAEncryption (ring verifies SHA-2 from 2048 bits)
#   rsa-pss.der      RSASSA-PSS key (OID 1.2.840.113549.1.1.10), rsassaPss signature with
#                    OpenSSL's default salt (the maximum, 222 bytes: ring needs 32)
#   rsa-pss-salt32.der  another RSASSA-PSS key, rsassaPss with SHA-256 and a 32-byte salt
#   sans.der         10 DNS SANs, IPv4/IPv6/IPv4-mapped IP SANs, plus email and URI (ignored)
#   expired.der      valid 2020-01-01 .. 2021-01-01
#   sha1.der md5.der ecdsa-sha1.der   weak signature algorithms
#   odd.der          subject CN a T61String with bytes E9 FF (not UTF-8), a DNS SAN with a 0xFF
#                    byte and a 5-byte iPAddress SAN; the patch breaks its signature
#   chain-root.der   RSA 2048 CA (CN=tlsnoop Test Root), notAfter 2056 (a GeneralizedTime)
#   chain-int.der    P-384 CA issued by chain-root (sha256WithRSAEncryption)
#   chain-int-other.der  same subject DN as chain-int, different P-384 key (SKI differs)
#   chain-leaf.der   P-256 leaf issued by chain-int (ecdsa-with-SHA384)
#   chain-leaf-tampered.der  chain-leaf with the last byte of its signature flipped
#   p521-leaf.der    P-256 leaf issued by p521.der (ecdsa-with-SHA512)
#   rsa2047-leaf.der P-256 leaf issued by rsa2047.der (sha256WithRSAEncryption)
#   garbage.der      bytes that are not a certificate
#
# The certificate checks (src/analysis/certs.rs) use a second PKI, made by `sh gen.sh checks`
# (which leaves every file above as it is; plain `sh gen.sh` remakes both parts):
#   chk-root.der chk-root.pem    RSA 2048 root CA "O=tlsnoop test, CN=tlsnoop Check Root", to 2056
#   chk-int.der      RSA 2048 CA "O=tlsnoop test, CN=tlsnoop Check Intermediate" issued by chk-root
#   chk-root-impostor.der chk-root-impostor.pem   self-signed, the same subject DN as chk-root,
#                    another key (a trust root with the right name and the wrong key)
#   chk-other-root.pem   an unrelated RSA 2048 root (CN=tlsnoop Other Root)
#   chk-bundle.pem   chk-other-root and chk-root, with text and a private key block around them
#   Leaves issued by chk-int (sha256WithRSAEncryption; valid 2026-01-01 .. 2027-01-01 unless
#   said; EKU serverAuth unless said):
#   chk-leaf.der     P-256, SAN DNS:leaf.example.test, DNS:www.example.test, IP:192.0.2.10
#   chk-wildcard.der P-256, CN=*.example.test, SAN DNS:*.example.test
#   chk-nosan.der    P-256, CN=cn-only.example.test, no subjectAltName, no EKU
#   chk-rsa1024.der  RSA 1024 key
#   chk-p192.der     EC key on prime192v1 (192 bits)
#   chk-sha1.der     P-256, signed with sha1WithRSAEncryption
#   chk-clientauth.der   P-256, EKU clientAuth only
#   chk-long.der     P-256, valid 2021-01-01 .. 2023-04-06 (825 days)
#   chk-long-2019.der    P-256, valid 2019-06-01 .. 2021-09-03 (825 days, issued before 2020-09-01)
set -eu

part=${1:-all}
case $part in all | checks) ;; *) echo "usage: gen.sh [all|checks]" >&2; exit 2 ;; esac

out=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir nc
: >index.txt

cat >ca.cnf <<'EOF'
[ ca ]
default_ca = d
[ d ]
dir = .
database = ./index.txt
new_certs_dir = ./nc
serial = ./serial
policy = p
unique_subject = no
default_md = default
[ p ]
EOF

cat >ext.cnf <<'EOF'
[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:server.test
[ selfleaf ]
basicConstraints = critical, CA:FALSE
subjectKeyIdentifier = hash
subjectAltName = DNS:server.test
[ ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ sans ]
basicConstraints = CA:FALSE
subjectAltName = @alt
[ alt ]
DNS.1 = sans.test
DNS.2 = www.sans.test
DNS.3 = *.sans.test
DNS.4 = a.sans.test
DNS.5 = b.sans.test
DNS.6 = c.sans.test
DNS.7 = d.sans.test
DNS.8 = e.sans.test
DNS.9 = xn--bcher-kva.test
DNS.10 = localhost
IP.1 = 192.0.2.1
IP.2 = 2001:db8::1
IP.3 = ::ffff:192.0.2.7
IP.4 = 10.0.0.255
email.1 = admin@sans.test
URI.1 = https://sans.test/
[ odd ]
basicConstraints = CA:FALSE
# SEQUENCE { [2] "bad\xffname.test", [7] 0a 00 00 01 18, [2] "good.test" }
subjectAltName = DER:3021820d626164ff6e616d652e7465737487050a000001188209676f6f642e74657374
[ chkleaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:leaf.example.test, DNS:www.example.test, IP:192.0.2.10
[ chkwild ]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:*.example.test
[ chknosan ]
basicConstraints = critical, CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ chkclient ]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:leaf.example.test
EOF

key() { # name, genpkey arguments...
	n=$1
	shift
	openssl genpkey -quiet "$@" -out "$n.key"
}

# cert NAME KEY SUBJECT SERIAL START END DIGEST EXT [ISSUER]
cert() {
	n=$1 k=$2 subj=$3 serial=$4 start=$5 end=$6 md=$7 ext=$8 iss=${9:-}
	# shellcheck disable=SC2086 # $sigopt is empty or "-sigopt name:value"
	set -- $sigopt
	openssl req -new -key "$k.key" -subj "$subj" -out "$n.csr"
	echo "$serial" >serial
	if [ -z "$iss" ]; then
		openssl ca -batch -config ca.cnf -selfsign -keyfile "$k.key" -in "$n.csr" -out "$n.pem" \
			-startdate "$start" -enddate "$end" -md "$md" -extfile ext.cnf -extensions "$ext" \
			-preserveDN -notext "$@" 2>ca.log || { cat ca.log >&2; exit 1; }
	else
		openssl ca -batch -config ca.cnf -cert "$iss.pem" -keyfile "$iss.key" -in "$n.csr" -out "$n.pem" \
			-startdate "$start" -enddate "$end" -md "$md" -extfile ext.cnf -extensions "$ext" \
			-preserveDN -notext "$@" 2>ca.log || { cat ca.log >&2; exit 1; }
	fi
	openssl x509 -in "$n.pem" -outform DER -out "$out/$n.der"
}

sigopt=
S=20260101000000Z
E=20270101000000Z

if [ "$part" = all ]; then

# RSA 2047: the modulus's top byte is < 0x80, so DER needs no 00 pad and x509-parser 0.18.1's
# key_size() strips a significant byte (2040). Retry until the top bit of the 2047-bit modulus is
# what openssl promises (it always is; the loop only guards the assumption).
while :; do
	key rsa2047 -algorithm RSA -pkeyopt rsa_keygen_bits:2047
	top=$(openssl rsa -in rsa2047.key -noout -modulus | sed 's/^Modulus=//' | cut -c1-2)
	case $top in [4-7]?) break ;; esac
done
cert rsa2047 rsa2047 "/CN=rsa2047.test" 2047 $S $E sha256 selfleaf

key rsa2048 -algorithm RSA -pkeyopt rsa_keygen_bits:2048
cert rsa2048 rsa2048 "/C=DE/O=tlsnoop test/OU=unit/CN=server.test" 8A1B2C3D4E5F60 $S $E sha256 selfleaf

key rsa4096 -algorithm RSA -pkeyopt rsa_keygen_bits:4096
cert rsa4096 rsa4096 "/CN=rsa4096.test" 4096 $S $E sha512 selfleaf

key p256 -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve
cert p256 p256 "/CN=p256.test" 0256 $S $E sha256 selfleaf
key p384 -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve
cert p384 p384 "/CN=p384.test" 0384 $S $E sha384 selfleaf
key p521 -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -pkeyopt ec_param_enc:named_curve
cert p521 p521 "/CN=p521.test" 0521 $S $E sha512 ca
key secp256k1 -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -pkeyopt ec_param_enc:named_curve
cert secp256k1 secp256k1 "/CN=secp256k1.test" 256001 $S $E sha256 selfleaf
key brainpool256 -algorithm EC -pkeyopt ec_paramgen_curve:brainpoolP256r1 -pkeyopt ec_param_enc:named_curve
cert brainpool256 brainpool256 "/CN=brainpool256.test" 256002 $S $E sha256 selfleaf

key ed25519 -algorithm ED25519
cert ed25519 ed25519 "/CN=ed25519.test" 025519 $S $E default selfleaf
key ed448 -algorithm ED448
cert ed448 ed448 "/CN=ed448.test" 0448 $S $E default selfleaf

openssl genpkey -quiet -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out dsa.param
# Retry until y has its top bit set: DER then pads it with 0x00 and x509-parser 0.18.1's
# key_size() (8 × the bytes of y) says 2056, while the size of a DSA key is the size of p.
while :; do
	openssl genpkey -quiet -paramfile dsa.param -out dsa.key
	openssl pkey -in dsa.key -noout -text | sed -n '/^pub:/{n;p}' | grep -q '^ *00:' && break
done
cert dsa dsa "/CN=dsa.test" 0D5A $S $E sha256 selfleaf

key rsa-pss -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048
cert rsa-pss rsa-pss "/CN=rsa-pss.test" 0055 $S $E sha256 selfleaf
key rsa-pss-salt32 -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048
sigopt="-sigopt rsa_pss_saltlen:32"
cert rsa-pss-salt32 rsa-pss-salt32 "/CN=rsa-pss-salt32.test" 0032 $S $E sha256 selfleaf
sigopt=

key rsa1024 -algorithm RSA -pkeyopt rsa_keygen_bits:1024
cert rsa1024 rsa1024 "/CN=rsa1024.test" 1024 $S $E sha256 selfleaf

cert sans p256 "/CN=sans.test" 5A45 $S $E sha256 sans
cert expired p256 "/CN=expired.test" 0E 20200101000000Z 20210101000000Z sha256 selfleaf

cert sha1 rsa2048 "/CN=sha1.test" 05A1 $S $E sha1 selfleaf
cert md5 rsa2048 "/CN=md5.test" 0D05 $S $E md5 selfleaf
cert ecdsa-sha1 p256 "/CN=ecdsa-sha1.test" 0EC1 $S $E sha1 selfleaf

# odd.der: make CN a T61String holding E9 FF (Latin-1 é, then a byte that is never UTF-8).
cert odd p256 "/CN=odd-ZZ.test" 0D0D $S $E sha256 odd
perl -0777 -pi -e 's/\x55\x04\x03\x0c\x0bodd-ZZ\.test/\x55\x04\x03\x14\x0bodd-\xe9\xff.test/g' "$out/odd.der"

# The chain.
key chain-root -algorithm RSA -pkeyopt rsa_keygen_bits:2048
cert chain-root chain-root "/O=tlsnoop test/CN=tlsnoop Test Root" 01 $S 20560101000000Z sha256 ca
key chain-int -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve
cert chain-int chain-int "/O=tlsnoop test/CN=tlsnoop Test Intermediate" 02 $S 20310101000000Z sha256 ca chain-root
key chain-int-other -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve
cert chain-int-other chain-int-other "/O=tlsnoop test/CN=tlsnoop Test Intermediate" 03 $S 20310101000000Z sha256 ca chain-root
key chain-leaf -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve
cert chain-leaf chain-leaf "/CN=leaf.test" 1EAF $S $E sha384 leaf chain-int
# Flip the last byte (inside the ECDSA signature's s INTEGER).
perl -0777 -pe 'substr($_, -1, 1) = chr(ord(substr($_, -1, 1)) ^ 0x01)' "$out/chain-leaf.der" >"$out/chain-leaf-tampered.der"

cert p521-leaf chain-leaf "/CN=p521-leaf.test" 0522 $S $E sha512 leaf p521
cert rsa2047-leaf chain-leaf "/CN=rsa2047-leaf.test" 2048 $S $E sha256 leaf rsa2047

printf 'this is not a certificate\n\060\202\377\377\001\002\003' >"$out/garbage.der"
fi # part all

# The PKI of the certificate checks.
key chk-root -algorithm RSA -pkeyopt rsa_keygen_bits:2048
cert chk-root chk-root "/O=tlsnoop test/CN=tlsnoop Check Root" C001 $S 20560101000000Z sha256 ca
cp chk-root.pem "$out/chk-root.pem"
key chk-int -algorithm RSA -pkeyopt rsa_keygen_bits:2048
cert chk-int chk-int "/O=tlsnoop test/CN=tlsnoop Check Intermediate" C002 $S 20360101000000Z sha256 ca chk-root
key chk-impostor -algorithm RSA -pkeyopt rsa_keygen_bits:2048
cert chk-root-impostor chk-impostor "/O=tlsnoop test/CN=tlsnoop Check Root" C003 $S 20560101000000Z sha256 ca
cp chk-root-impostor.pem "$out/chk-root-impostor.pem"
key chk-other -algorithm RSA -pkeyopt rsa_keygen_bits:2048
cert chk-other-root chk-other "/O=tlsnoop test/CN=tlsnoop Other Root" C004 $S 20560101000000Z sha256 ca
rm "$out/chk-other-root.der"
cp chk-other-root.pem "$out/chk-other-root.pem"
{
	echo "A bundle as distributions ship them: comments, two roots, and a block that is not one."
	echo "# tlsnoop Other Root"
	cat chk-other-root.pem
	echo
	echo "# tlsnoop Check Root"
	cat chk-root.pem
	cat chk-other.key
} >"$out/chk-bundle.pem"

key chk-p256 -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve
cert chk-leaf chk-p256 "/CN=leaf.example.test" C101 $S $E sha256 chkleaf chk-int
cert chk-wildcard chk-p256 "/CN=*.example.test" C102 $S $E sha256 chkwild chk-int
cert chk-nosan chk-p256 "/CN=cn-only.example.test" C103 $S $E sha256 chknosan chk-int
key chk-rsa1024 -algorithm RSA -pkeyopt rsa_keygen_bits:1024
cert chk-rsa1024 chk-rsa1024 "/CN=leaf.example.test" C104 $S $E sha256 chkleaf chk-int
key chk-p192 -algorithm EC -pkeyopt ec_paramgen_curve:prime192v1 -pkeyopt ec_param_enc:named_curve
cert chk-p192 chk-p192 "/CN=leaf.example.test" C105 $S $E sha256 chkleaf chk-int
cert chk-sha1 chk-p256 "/CN=leaf.example.test" C106 $S $E sha1 chkleaf chk-int
cert chk-clientauth chk-p256 "/CN=leaf.example.test" C107 $S $E sha256 chkclient chk-int
cert chk-long chk-p256 "/CN=leaf.example.test" C108 20210101000000Z 20230406000000Z sha256 chkleaf chk-int
cert chk-long-2019 chk-p256 "/CN=leaf.example.test" C109 20190601000000Z 20210903000000Z sha256 chkleaf chk-int

# The facts the tests assert (sha256 here is lowercase without colons, as CertInfo writes it).
{
	for f in "$out"/*.der; do
		b=$(basename "$f")
		echo "== $b ($(wc -c <"$f") bytes)"
		if ! openssl x509 -inform DER -in "$f" -noout >/dev/null 2>&1; then
			echo "(not parsed by openssl)"
			continue
		fi
		openssl x509 -inform DER -in "$f" -noout -subject -issuer -serial -dates \
			-nameopt sep_comma_plus_space,esc_msb
		echo "sha256=$(openssl x509 -inform DER -in "$f" -noout -fingerprint -sha256 |
			sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')"
		openssl x509 -inform DER -in "$f" -noout -text |
			grep -E 'Public-Key:|ASN1 OID|Signature Algorithm|Public Key Algorithm|Salt Length' |
			sed 's/ *$//' | sort -u
		# RSA: the first bytes of the modulus (no 00 pad here); DSA: of y.
		openssl x509 -inform DER -in "$f" -noout -modulus 2>/dev/null | cut -c1-24 || true
		openssl x509 -inform DER -in "$f" -noout 2>/dev/null \
			-ext subjectAltName,basicConstraints,subjectKeyIdentifier,authorityKeyIdentifier
		case $b in chk-*)
			openssl x509 -inform DER -in "$f" -noout -ext keyUsage,extendedKeyUsage 2>/dev/null || true
			;;
		esac
	done
} >"$out/facts.txt"
echo "wrote $out"
