#!/usr/bin/env python3
"""Generate src/names/cipher_suites.rs, tlsnoop's cipher suite table.

Standard library only. Run from anywhere:

    python3 scripts/gen_names.py                  # rewrite src/names/cipher_suites.rs
    python3 scripts/gen_names.py --check          # exit 1 if that file is stale
    python3 scripts/gen_names.py --refresh-openssl
        # re-run the local `openssl ciphers` and rewrite data/openssl-ciphers.txt
    python3 scripts/gen_names.py --refresh-tls-parser [PATH]
        # copy tls-parser's scripts/tls-ciphersuites.txt (default: found in
        # ~/.cargo/registry) to data/tls-ciphersuites.txt

Inputs, all in scripts/data/:

  tls-ciphersuites.txt      The IANA "TLS Cipher Suites" registry as extracted
                            by tls-parser 0.12.2 (scripts/tls-ciphersuites.txt of
                            the crate; MIT OR Apache-2.0, (c) Pierre Chifflier).
                            One suite a line:
                            id:name:kx:au:enc:mode:bits:mac:macbits:prf:prfbits:
                            rfc:export:minver:maxver
  extra-ciphersuites.txt    Suites that list leaves out (IANA GOST suites,
                            pre-standard ChaCha20 code points).
  openssl-ciphers.txt       Output of `openssl ciphers -V -stdname ...` from the
                            local OpenSSL, with the commands and `openssl version`
                            in its header (see --refresh-openssl).
  openssl-legacy-names.txt  Hand-written id -> OpenSSL name for suites a modern
                            OpenSSL no longer has, from OpenSSL 1.0.2's
                            `openssl ciphers` documentation. Used only where
                            openssl-ciphers.txt has no name (a conflict is a
                            warning; the local OpenSSL wins).

Every attribute (kx, au, enc, enc_bits, mode, mac, export) is derived from the
suite's IANA name, then cross-checked against tls-parser's columns and against
OpenSSL's Kx/Au/Enc/Mac columns. A disagreement with tls-parser that is not one
of the documented CORRECTIONS below, or any disagreement with OpenSSL, stops
the generator, so a refreshed input cannot slip in unreviewed changes.

SSLv2 cipher specs (3-byte codes such as 0x010080) are not included: they live
in a separate code space and only appear in SSLv2-format ClientHellos.
"""

import argparse
import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
ROOT = os.path.dirname(HERE)
OUTPUT = os.path.join(ROOT, "src", "names", "cipher_suites.rs")

TLS_PARSER_TXT = os.path.join(DATA, "tls-ciphersuites.txt")
EXTRA_TXT = os.path.join(DATA, "extra-ciphersuites.txt")
OPENSSL_TXT = os.path.join(DATA, "openssl-ciphers.txt")
LEGACY_TXT = os.path.join(DATA, "openssl-legacy-names.txt")

# The two `openssl ciphers` runs saved in openssl-ciphers.txt. The first lists
# every TLS <= 1.2 suite the library has (plus the default TLS 1.3 ones); the
# legacy provider adds SEED. The second adds the TLS 1.3 CCM suites, which are
# not enabled by default.
OPENSSL_COMMANDS = [
    ["openssl", "ciphers", "-provider", "default", "-provider", "legacy",
     "-V", "-stdname", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
    ["openssl", "ciphers", "-V", "-stdname", "-s", "-tls1_3", "-ciphersuites",
     "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
     "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:"
     "TLS_AES_128_CCM_8_SHA256"],
]

# TLS 1.3 suites whose OpenSSL name is, by OpenSSL's convention, the IANA name.
TLS13_OPENSSL_IANA = range(0x1301, 0x1306)


class GenError(Exception):
    pass


# ---------------------------------------------------------------------------
# Deriving a suite's attributes from its IANA name
# ---------------------------------------------------------------------------

# Key exchange and authentication, keyed by the part between "TLS_" and
# "_WITH_" (after removing _EXPORT / _EXPORT1024).
KXAU = {
    "NULL": ("NULL", "NULL"),
    "RSA": ("RSA", "RSA"),
    "DH_DSS": ("DH", "DSS"),
    "DH_RSA": ("DH", "RSA"),
    "DHE_DSS": ("DHE", "DSS"),
    "DHE_RSA": ("DHE", "RSA"),
    "DH_anon": ("DH", "anon"),
    "KRB5": ("KRB5", "KRB5"),
    "PSK": ("PSK", "PSK"),
    "DHE_PSK": ("DHE_PSK", "PSK"),
    "PSK_DHE": ("DHE_PSK", "PSK"),  # RFC 6655 spells 0xc0aa/0xc0ab this way
    "RSA_PSK": ("RSA_PSK", "RSA"),  # server proves itself with an RSA cert
    "ECDHE_PSK": ("ECDHE_PSK", "PSK"),
    "ECDH_ECDSA": ("ECDH", "ECDSA"),
    "ECDHE_ECDSA": ("ECDHE", "ECDSA"),
    "ECDH_RSA": ("ECDH", "RSA"),
    "ECDHE_RSA": ("ECDHE", "RSA"),
    "ECDH_anon": ("ECDH", "anon"),
    "SRP_SHA": ("SRP", "SRP"),
    "SRP_SHA_RSA": ("SRP", "RSA"),
    "SRP_SHA_DSS": ("SRP", "DSS"),
    "ECCPWD": ("ECCPWD", "ECCPWD"),
    "GOSTR341112_256": ("GOSTR341112_256", "GOSTR341112_256"),
}

MAC_SUFFIX = re.compile(r"^(.*)_(MD5|SHA|SHA256|SHA384|SHA512|SM3|OMAC|IMIT|NULL)$")
HASH_TO_MAC = {
    "MD5": "MD5",
    "SHA": "SHA1",
    "SHA256": "SHA256",
    "SHA384": "SHA384",
    "SHA512": "SHA512",
    "NULL": "NULL",
    "OMAC": "OMAC",
    "IMIT": "IMIT",
}
AEAD_MODES = {"GCM", "CCM", "CCM_8", "POLY1305", "AEGIS", "MGM"}


def enc_mode(enc):
    if enc == "NULL":
        return "NULL"
    if enc.startswith("RC4_"):
        return "STREAM"
    if enc == "CHACHA20_POLY1305":
        return "POLY1305"
    if enc.startswith("AEGIS_"):
        return "AEGIS"
    if enc.endswith("_CCM_8"):
        return "CCM_8"
    if enc.endswith("_CCM"):
        return "CCM"
    if enc.endswith("_GCM"):
        return "GCM"
    if "_MGM_" in enc:
        return "MGM"
    if enc.endswith("_CTR"):
        return "CTR"
    if enc.endswith("_CNT"):
        return "CNT"
    if "_CBC" in enc or enc.startswith("DES40_CBC"):
        return "CBC"
    raise GenError("no mode known for cipher %r" % enc)


def enc_bits(enc):
    t = enc.split("_")
    fam = t[0]
    if enc == "NULL":
        return 0
    if fam in ("AES", "CAMELLIA", "ARIA", "RC4"):
        return int(t[1])
    if fam == "3DES":
        return 168
    if fam == "DES40":
        return 40
    if fam == "DES":
        return 40 if t[-1] == "40" else 56
    if fam == "RC2":
        return int(t[-1])
    if fam in ("IDEA", "SEED", "SM4"):
        return 128
    if fam == "CHACHA20":
        return 256
    if fam == "AEGIS":
        return 128 if t[1] == "128L" else 256
    if fam in ("KUZNYECHIK", "MAGMA", "28147"):
        return 256
    raise GenError("no key size known for cipher %r" % enc)


def derive(name):
    """Return the attribute dict of the suite called `name`."""
    if not name.startswith("TLS_"):
        raise GenError("suite name %r does not start with TLS_" % name)
    body = name[len("TLS_"):]
    if body.endswith("_OLD"):
        body = body[: -len("_OLD")]
    export = False
    if "_WITH_" in body:
        kxau, cipher = body.split("_WITH_", 1)
        m = re.match(r"^(.*)_EXPORT(1024)?$", kxau)
        if m:
            kxau = m.group(1)
            export = True
        if kxau not in KXAU:
            raise GenError("unknown key exchange %r in %s" % (kxau, name))
        kx, au = KXAU[kxau]
    else:  # TLS 1.3 style: key exchange and authentication are negotiated apart
        kx, au, cipher = "any", "any", body

    m = MAC_SUFFIX.match(cipher)
    enc, hsh = (m.group(1), m.group(2)) if m else (cipher, None)
    if kx == "any" and enc in ("SHA256", "SHA384"):
        enc = "NULL"  # RFC 9150 integrity-only suites TLS_SHA256_SHA256 ...
    mode = enc_mode(enc)
    if mode in AEAD_MODES:
        mac = "AEAD"
    elif hsh in HASH_TO_MAC:
        mac = HASH_TO_MAC[hsh]
    else:
        raise GenError("no MAC known for %s" % name)
    return {
        "iana": name,
        "kx": kx,
        "au": au,
        "enc": enc,
        "enc_bits": enc_bits(enc),
        "mode": mode,
        "mac": mac,
        "export": export,
    }


# ---------------------------------------------------------------------------
# Cross-check against tls-parser's columns
# ---------------------------------------------------------------------------

# Known errors in tls-parser's tls-ciphersuites.txt. Each entry: (key, text,
# predicate(suite, column, derived_value, txt_value)). A column difference that
# no predicate explains is an error.
CORRECTIONS = [
    ("chacha20-bits",
     "ChaCha20-Poly1305 has a 256-bit key (tls-parser says 128)",
     lambda s, col, ours, theirs: col == "bits" and s["enc"] == "CHACHA20_POLY1305"),
    ("aegis-aead",
     "AEGIS suites are AEAD, with no HMAC (tls-parser says HMAC-SHA256/HMAC-SHA512)",
     lambda s, col, ours, theirs: col == "mac" and s["mode"] == "AEGIS"),
    ("export1024-flag",
     "EXPORT1024 suites are export suites (tls-parser's export flag is 0)",
     lambda s, col, ours, theirs: col == "export" and "_EXPORT1024_" in s["iana"]),
    ("psk-dhe-kx",
     "TLS_PSK_DHE_WITH_AES_*_CCM_8 (RFC 6655) use DHE_PSK key exchange"
     " (tls-parser says kx PSK, au DHE)",
     lambda s, col, ours, theirs: col in ("kx", "au") and s["iana"].startswith("TLS_PSK_DHE_")),
]


def to_tls_parser_convention(s):
    """Our attributes written the way tls-parser writes them (same meaning)."""
    kx = {"any": "TLS13", "DHE_PSK": "DHE", "ECDHE_PSK": "ECDHE",
          "RSA_PSK": "RSA"}.get(s["kx"], s["kx"])
    au = {"any": "TLS13", "anon": "NULL"}.get(s["au"], s["au"])
    if s["kx"] == "RSA_PSK":
        au = "PSK"
    if s["kx"] == "SRP" and au != "SRP":
        au = "SRP+" + au
    fam = s["enc"].split("_")[0]
    fam = {"DES40": "DES"}.get(fam, fam)
    if s["enc"] in ("NULL", "CHACHA20_POLY1305"):
        fam = s["enc"]
    # tls-parser has no CCM_8 mode, and leaves the mode of stream ciphers empty
    mode = {"STREAM": "", "NULL": "", "POLY1305": "", "CCM_8": "CCM",
            "AEGIS": "NULL"}.get(s["mode"], s["mode"])
    mac = s["mac"] if s["mac"] in ("AEAD", "NULL") else "HMAC-" + s["mac"]
    return {"kx": kx, "au": au, "enc": fam, "mode": mode, "bits": str(s["enc_bits"]),
            "mac": mac, "export": "1" if s["export"] else "0"}


def read_tls_parser(path):
    suites = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            cols = line.split(":")
            if len(cols) != 15:
                raise GenError("%s:%d: expected 15 columns, got %d" % (path, n, len(cols)))
            sid = int(cols[0], 16)
            if sid in suites:
                raise GenError("%s:%d: duplicate id 0x%04x" % (path, n, sid))
            suites[sid] = {
                "name": cols[1], "kx": cols[2], "au": cols[3], "enc": cols[4],
                "mode": cols[5], "bits": cols[6], "mac": cols[7], "export": cols[12],
                "line": n,
            }
    return suites


def read_extra(path):
    suites = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            sid_s, name = line.split()
            suites[int(sid_s, 16)] = name
    return suites


# ---------------------------------------------------------------------------
# OpenSSL names
# ---------------------------------------------------------------------------

OPENSSL_LINE = re.compile(
    r"^\s*0x([0-9A-Fa-f]{2}),0x([0-9A-Fa-f]{2})\s+-\s+(\S+)\s+-\s+(\S+)\s+(\S+)\s+"
    r"Kx=(\S+)\s+Au=(\S+)\s+Enc=(\S+)\s+Mac=(\S+)\s*$")


def refresh_openssl(path):
    version = subprocess.run(["openssl", "version"], check=True, capture_output=True,
                             text=True).stdout.strip()
    out = ["# OpenSSL cipher suite names, saved by scripts/gen_names.py --refresh-openssl",
           "# openssl version: " + version]
    for cmd in OPENSSL_COMMANDS:
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0 and "legacy" in cmd:
            # no legacy provider on this machine: run without it
            cmd = [c for i, c in enumerate(cmd)
                   if not (c == "legacy" or (c == "-provider" and cmd[i + 1] == "legacy"))]
            r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise GenError("%s failed: %s" % (" ".join(cmd), r.stderr.strip()))
        shown = " ".join("'%s'" % c if ":" in c else c for c in cmd)
        out.append("# $ " + shown)
        out.extend(l.rstrip() for l in r.stdout.splitlines() if l.strip())
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    print("wrote %s (%s)" % (os.path.relpath(path, ROOT), version), file=sys.stderr)


def read_openssl(path):
    """Return ({id: row}, version line)."""
    rows, version = {}, "unknown"
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith("# openssl version:"):
                version = line.split(":", 1)[1].strip()
            if line.startswith("#") or not line.strip():
                continue
            m = OPENSSL_LINE.match(line)
            if not m:
                raise GenError("%s:%d: cannot parse %r" % (path, n, line.rstrip()))
            sid = int(m.group(1), 16) << 8 | int(m.group(2), 16)
            row = {"std": m.group(3), "name": m.group(4), "kx": m.group(6),
                   "au": m.group(7), "enc": m.group(8), "mac": m.group(9), "line": n}
            if sid in rows and rows[sid]["name"] != row["name"]:
                raise GenError("%s:%d: 0x%04x named twice" % (path, n, sid))
            rows[sid] = row
    return rows, version


def read_legacy(path):
    names = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            sid_s, name = line.split()
            sid = int(sid_s, 16)
            if sid in names:
                raise GenError("%s:%d: duplicate id 0x%04x" % (path, n, sid))
            names[sid] = name
    return names


def check_openssl(s, row):
    """OpenSSL's -V columns must agree with what we derived from the name."""
    problems = []
    if row["std"] != s["iana"]:
        problems.append("OpenSSL's standard name is %s" % row["std"])
    kx = {"ECDHE": "ECDH", "DHE": "DH", "DHE_PSK": "DHEPSK", "ECDHE_PSK": "ECDHEPSK",
          "RSA_PSK": "RSAPSK"}.get(s["kx"], s["kx"])
    au = {"anon": "None"}.get(s["au"], s["au"])
    if row["kx"] != kx:
        problems.append("Kx=%s, we say %s" % (row["kx"], s["kx"]))
    if row["au"] != au:
        problems.append("Au=%s, we say %s" % (row["au"], s["au"]))
    m = re.search(r"\((\d+)\)$", row["enc"])
    bits = int(m.group(1)) if m else (0 if row["enc"] == "None" else None)
    if bits != s["enc_bits"]:
        problems.append("Enc=%s, we say %d bits" % (row["enc"], s["enc_bits"]))
    if row["mac"] != s["mac"]:
        problems.append("Mac=%s, we say %s" % (row["mac"], s["mac"]))
    return problems


# ---------------------------------------------------------------------------
# Building the table
# ---------------------------------------------------------------------------

def build():
    txt = read_tls_parser(TLS_PARSER_TXT)
    extra = read_extra(EXTRA_TXT)
    openssl, openssl_version = read_openssl(OPENSSL_TXT)
    legacy = read_legacy(LEGACY_TXT)
    errors, warnings, applied = [], [], {key: [] for key, _, _ in CORRECTIONS}

    suites, scsvs = {}, {}
    for sid, row in txt.items():
        if row["name"].endswith("_SCSV"):
            # signalling values, not cipher suites: a table of their own
            scsvs[sid] = row["name"]
            continue
        s = derive(row["name"])
        theirs = {k: row[k] for k in ("kx", "au", "enc", "mode", "bits", "mac", "export")}
        ours = to_tls_parser_convention(s)
        for col in theirs:
            if theirs[col] == ours[col]:
                continue
            for key, _, pred in CORRECTIONS:
                if pred(s, col, ours[col], theirs[col]):
                    if sid not in applied[key]:
                        applied[key].append(sid)
                    break
            else:
                errors.append("tls-ciphersuites.txt:%d 0x%04x %s: column %s is %r, we derive %r"
                              % (row["line"], sid, row["name"], col, theirs[col], ours[col]))
        suites[sid] = s
    for sid, name in extra.items():
        if sid in suites:
            errors.append("extra-ciphersuites.txt: 0x%04x is already in tls-ciphersuites.txt" % sid)
        suites[sid] = derive(name)

    sources = {"openssl": 0, "legacy": 0, "tls13": 0}
    for sid, s in suites.items():
        s["id"] = sid
        s["openssl"] = None
        if sid in openssl:
            row = openssl[sid]
            for p in check_openssl(s, row):
                errors.append("openssl-ciphers.txt:%d 0x%04x %s: %s" % (row["line"], sid, s["iana"], p))
            s["openssl"] = row["name"]
            sources["openssl"] += 1
        if sid in legacy:
            if s["openssl"] not in (None, legacy[sid]):
                # e.g. OpenSSL 1.1 renamed EDH-RSA-DES-CBC3-SHA to DHE-RSA-DES-CBC3-SHA
                warnings.append("0x%04x: using the local OpenSSL's name %s, not %s of"
                                " openssl-legacy-names.txt" % (sid, s["openssl"], legacy[sid]))
            elif s["openssl"] is None:
                s["openssl"] = legacy[sid]
                sources["legacy"] += 1
        if s["openssl"] is None and sid in TLS13_OPENSSL_IANA:
            s["openssl"] = s["iana"]
            sources["tls13"] += 1
    for sid in sorted(set(openssl) - set(suites)):
        warnings.append("openssl-ciphers.txt:%d: 0x%04x %s is not in the table (add it to"
                        " extra-ciphersuites.txt?)" % (openssl[sid]["line"], sid, openssl[sid]["name"]))
    for sid in sorted(set(legacy) - set(suites)):
        errors.append("openssl-legacy-names.txt: 0x%04x is not in the table" % sid)

    seen = {}
    for s in suites.values():
        if s["openssl"] is not None:
            if s["openssl"] in seen:
                errors.append("OpenSSL name %s used by 0x%04x and 0x%04x"
                              % (s["openssl"], seen[s["openssl"]], s["id"]))
            seen[s["openssl"]] = s["id"]

    for w in warnings:
        print("gen_names.py: warning: %s" % w, file=sys.stderr)
    if errors:
        raise GenError("\n".join(errors))
    table = [suites[k] for k in sorted(suites)]
    return table, sorted(scsvs.items()), applied, sources, openssl_version, len(txt), len(extra)


def rust_str(v):
    if v is None:
        return "None"
    if not re.match(r"^[A-Za-z0-9_.+-]*$", v):
        raise GenError("unexpected character in %r" % v)
    return '"%s"' % v


def render(table, scsvs, applied, sources, openssl_version, n_txt, n_extra):
    lines = [
        "// @generated by scripts/gen_names.py -- do not edit; change the inputs and",
        "// re-run `python3 scripts/gen_names.py` (`--check` verifies this file is current).",
        "//",
        "// Sources (all in scripts/data/):",
        "//   tls-ciphersuites.txt      %d lines: the IANA TLS Cipher Suites registry as" % n_txt,
        "//                             extracted by the tls-parser crate 0.12.2",
        "//                             (MIT OR Apache-2.0, (c) Pierre Chifflier)",
        "//   extra-ciphersuites.txt    %d suites tls-parser leaves out (IANA GOST suites," % n_extra,
        "//                             pre-standard ChaCha20-Poly1305 code points)",
        "//   openssl-ciphers.txt       %d OpenSSL names, from `openssl ciphers -V -stdname`" % sources["openssl"],
        "//                             of %s" % openssl_version,
        "//   openssl-legacy-names.txt  %d OpenSSL names of suites modern OpenSSL dropped," % sources["legacy"],
        "//                             from OpenSSL 1.0.2's `openssl ciphers` documentation",
        "//   TLS 1.3 rule              0x1301-0x1305: OpenSSL name = IANA name (used for %d" % sources["tls13"],
        "//                             suites that openssl-ciphers.txt lacks)",
        "//",
        "// Corrections to tls-parser's data:",
    ]
    for key, text, _ in CORRECTIONS:
        ids = sorted(applied[key])
        lines.append("//   - %s: %s" % (text, ", ".join("0x%04x" % i for i in ids) or "no suite"))
    lines += [
        "//",
        "// The %d signalling cipher suite values (SCSVs) of tls-ciphersuites.txt are kept" % len(scsvs),
        "// out of CIPHER_SUITES, in SCSVS. SSLv2 cipher specs (3-byte codes) are not included.",
        "",
        "use super::CipherSuiteInfo;",
        "",
        "/// Signalling cipher suite values: (id, IANA name), sorted by id.",
        "pub(super) static SCSVS: [(u16, &str); %d] = [" % len(scsvs),
    ]
    for sid, name in scsvs:
        lines.append("    (0x%04x, %s)," % (sid, rust_str(name)))
    lines += [
        "];",
        "",
        "/// Every known cipher suite, sorted by `id` (looked up by binary search).",
        "#[rustfmt::skip]",
        "pub(super) static CIPHER_SUITES: [CipherSuiteInfo; %d] = [" % len(table),
    ]
    for s in table:
        lines.append(
            "    CipherSuiteInfo { id: 0x%04x, iana: %s, openssl: %s, kx: %s, au: %s, enc: %s, "
            "enc_bits: %d, mode: %s, mac: %s, export: %s },"
            % (s["id"], rust_str(s["iana"]),
               "None" if s["openssl"] is None else "Some(%s)" % rust_str(s["openssl"]),
               rust_str(s["kx"]), rust_str(s["au"]), rust_str(s["enc"]), s["enc_bits"],
               rust_str(s["mode"]), rust_str(s["mac"]), "true" if s["export"] else "false"))
    lines.append("];")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if src/names/cipher_suites.rs is stale")
    ap.add_argument("--refresh-openssl", action="store_true",
                    help="re-run the local openssl and rewrite data/openssl-ciphers.txt first")
    ap.add_argument("--refresh-tls-parser", nargs="?", const="", metavar="PATH",
                    help="copy tls-parser's tls-ciphersuites.txt (default: from ~/.cargo/registry)")
    ap.add_argument("-o", "--output", default=OUTPUT, help="output file (default: %(default)s)")
    args = ap.parse_args()

    try:
        if args.refresh_tls_parser is not None:
            src = args.refresh_tls_parser
            if not src:
                found = sorted(glob.glob(os.path.expanduser(
                    "~/.cargo/registry/src/*/tls-parser-*/scripts/tls-ciphersuites.txt")))
                if not found:
                    raise GenError("tls-parser's tls-ciphersuites.txt not found in ~/.cargo/registry")
                src = found[-1]
            with open(src, encoding="utf-8") as f:
                text = f.read()
            with open(TLS_PARSER_TXT, "w", encoding="utf-8") as f:
                f.write(text)
            print("copied %s" % src, file=sys.stderr)
        if args.refresh_openssl:
            refresh_openssl(OPENSSL_TXT)
        text = render(*build())
    except GenError as e:
        print("gen_names.py: error:\n%s" % e, file=sys.stderr)
        return 2

    if args.check:
        try:
            with open(args.output, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current != text:
            print("%s is stale: run python3 scripts/gen_names.py" % args.output, file=sys.stderr)
            return 1
        return 0
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s" % os.path.relpath(args.output, ROOT), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
