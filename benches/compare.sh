#!/usr/bin/env bash
# benches/compare.sh - time tlsnoop, tshark and ssldump on the same capture, in one run.
#
# Usage:  benches/compare.sh FILE
#
#   FILE is made with benches/gen_bench.py (GEN_ARGS="--size 500M ..." passes arguments) if it
#   does not exist; its summary is written to FILE.txt.
#
# Environment:
#   TSHARK=0, SSLDUMP=0   skip that peer (tshark takes minutes on the 1.69 GB capture)
#   NULL_OUT=0            no -o /dev/null rows
#   BASELINE=PATH         also time an older tlsnoop binary (without -j) and check that its
#                         flows are the same, e.g. BASELINE=../bench/tlsnoop-7054563 (a build of commit 7054563)
#   TLSNOOP=PATH          the binary to measure (default target/release/tlsnoop, built with
#                         `cargo build --release` if missing)
#   OUTDIR=DIR            where the outputs go (default FILE.compare/); they are kept
#   GEN_ARGS=...          arguments for gen_bench.py when FILE has to be made
#   ROUNDS=N              runs of each tool but tshark, the fastest one shown (default 3; tshark
#                         runs once: it takes minutes, long enough for the host's bursts to even
#                         out, where a run of seconds can lose half its speed to one)
#
# What it runs (each ROUNDS times, each run after `cat FILE > /dev/null` has put the file in the
# page cache again: this VM's DAMON pages cold page-cache memory out at up to 128 MB/s, so one warm-up
# at the start leaves the later tools reading part of the file from disk),
# every command under /usr/bin/time -v (apt-get install -y time):
#   tlsnoop read --format jsonl -q [-j 1 | -j 2] FILE -o OUT    (-j rows only if `tlsnoop read
#                                                                --help` mentions --threads)
#   the same with -o /dev/null (rows tlsnoop-j1-null, tlsnoop-j2-null; NULL_OUT=0 leaves them out): what
#     reading costs without the kernel taking in the 525 MB written, which on this project's VM is
#     0.2-0.3 s of system time (a page of tmpfs the guest had given back costs the host a fault)
#   $BASELINE read --format jsonl -q FILE -o OUT
#   tshark -n -r FILE -T fields -e frame.number -e tcp.stream -e tls.handshake.type
#          -e tls.handshake.extensions_server_name -e tls.handshake.ciphersuite
#          -e tls.handshake.extensions.supported_version > OUT
#   ssldump -n -r FILE > OUT                                    (-n: no name resolution)
# and prints a table: seconds, MB/s, packets/s, peak RSS, speed relative to tshark, for
# tlsnoop -j 2 the speed-up over -j 1, and CPU seconds (user + system). Then the checks: the per-flow (id, version, cipher
# suite, SNI) tuples of tlsnoop -j 1, -j 2 and BASELINE must be identical (OK/DIFF); tshark's
# last frame number must be the packet count and ssldump's connection count the TCP
# connection count (so each peer read the whole file); tshark's count of TCP streams with a
# ClientHello or ServerHello is shown next to tlsnoop's TLS flows. Exit status 1 if a check
# fails (or a tool exits non-zero), else 0.
# Needs python3 (stdlib only); tshark and ssldump are skipped with a note when not installed.
set -euo pipefail

die() { echo "compare.sh: $*" >&2; exit 1; }
[[ $# -eq 1 ]] || { sed -n '2,/^# Needs python3/p' "$0"; exit 2; }
FILE=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=${PYTHON:-python3}
TSHARK=${TSHARK:-1}
NULL_OUT=${NULL_OUT:-1}
SSLDUMP=${SSLDUMP:-1}
ROUNDS=${ROUNDS:-3}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive number"
BASELINE=${BASELINE:-}
TLSNOOP=${TLSNOOP:-$ROOT/target/release/tlsnoop}

[[ -x /usr/bin/time ]] || die "needs /usr/bin/time (apt-get install -y time)"
command -v "$PY" >/dev/null || die "needs python3"

if [[ ! -e $TLSNOOP ]]; then
    [[ $TLSNOOP == "$ROOT/target/release/tlsnoop" ]] || die "TLSNOOP=$TLSNOOP does not exist"
    echo "== building $TLSNOOP (cargo build --release)"
    (cd "$ROOT" && cargo build --release --quiet)
fi
if [[ -n $BASELINE && ! -x $BASELINE ]]; then die "BASELINE=$BASELINE is not an executable"; fi
if [[ ! -e $FILE ]]; then
    echo "== $FILE does not exist: making it with benches/gen_bench.py ${GEN_ARGS:-}"
    # shellcheck disable=SC2086
    "$PY" "$HERE/gen_bench.py" "$FILE" ${GEN_ARGS:-} | tee "$FILE.txt"
fi
[[ -f $FILE ]] || die "$FILE is not a file"
OUTDIR=${OUTDIR:-$FILE.compare}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

if [[ $TSHARK != 0 ]] && ! command -v tshark >/dev/null; then
    echo "note: tshark not installed (DEBIAN_FRONTEND=noninteractive apt-get install -y tshark); skipped"
    TSHARK=0
fi
if [[ $SSLDUMP != 0 ]] && ! command -v ssldump >/dev/null; then
    echo "note: ssldump not installed (apt-get install -y ssldump); skipped"
    SSLDUMP=0
fi
THREADS=0
if "$TLSNOOP" read --help 2>/dev/null | grep -q -- '--threads'; then THREADS=1; fi

# ---- the file: bytes, packets, TCP connections (classic pcap: read here; else capinfos)
facts() {
    "$PY" - "$1" <<'EOF'
import mmap, struct, subprocess, sys
path = sys.argv[1]
with open(path, "rb") as f:
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
size = len(m)
magic = m[:4]
endian = {b"\xd4\xc3\xb2\xa1": "<", b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
if endian is None:          # pcapng, gzip, ...: packets from capinfos, connections unknown
    try:
        out = subprocess.run(["capinfos", "-c", "-M", path], capture_output=True, text=True).stdout
        pk = int(out.rsplit(":", 1)[1].strip().replace(",", ""))
    except Exception:
        pk = 0
    print(size, pk, -1)
    sys.exit()
link = struct.unpack_from(endian + "I", m, 20)[0] & 0xFFFF
hdr = struct.Struct(endian + "IIII")
off, n, conns = 24, 0, set()
unpack = hdr.unpack_from
while off + 16 <= size:
    incl = unpack(m, off)[2]
    p = off + 16
    # Ethernet, IPv4, TCP: one connection per unordered address/port pair
    if link == 1 and m[p + 12:p + 14] == b"\x08\x00" and m[p + 23] == 6:
        t = p + 14 + (m[p + 14] & 0x0F) * 4
        a, b = m[p + 26:p + 30] + m[t:t + 2], m[p + 30:p + 34] + m[t + 2:t + 4]
        conns.add(a + b if a < b else b + a)
    n += 1
    off = p + incl
print(size, n, len(conns) if link == 1 else -1)
EOF
}

# ---- timed runs. A tool's state: its fastest run's seconds, CPU time and RSS, every run's seconds.
declare -A SECS CPU RSS RC ALL CMD OUT
NAMES=()
# tool NAME OUTFILE CMD...: declares a tool (stdout of CMD goes to OUTFILE).
tool() {
    local name=$1 out=$2; shift 2
    NAMES+=("$name")
    OUT[$name]=$out
    CMD[$name]=$(printf '%q ' "$@")
    ALL[$name]=""
    RC[$name]=0
}
# once NAME ROUND: one run of NAME, after `cat FILE > /dev/null`; keeps it if it is the fastest.
once() {
    local name=$1 r=$2 tf=$OUTDIR/$1.time
    cat "$FILE" >/dev/null
    set +e
    eval "/usr/bin/time -v -o \"\$tf.\$r\" ${CMD[$name]}" >"${OUT[$name]}" 2>"$OUTDIR/$name.stderr"
    local rc=$?
    set -e
    local el kb us ss secs
    el=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tf.$r")
    secs=$(awk -v t="$el" 'BEGIN { n = split(t, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "%.2f", s }')
    ALL[$name]+=" $secs"
    # The fastest run is kept (its CPU time and RSS with it); any failing run fails the row.
    if [[ -z ${SECS[$name]:-} || $rc != 0 ]] || awk -v a="$secs" -v b="${SECS[$name]}" 'BEGIN { exit !(a < b) }'; then
        kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tf.$r")
        us=$(sed -n 's/.*User time (seconds): //p' "$tf.$r")
        ss=$(sed -n 's/.*System time (seconds): //p' "$tf.$r")
        CPU[$name]=$(awk -v u="$us" -v s="$ss" 'BEGIN { printf "%.2f", u + s }')
        SECS[$name]=$secs
        RSS[$name]=$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')
        cp "$tf.$r" "$tf"
    fi
    rm -f "$tf.$r"
    if [[ $rc != 0 ]]; then
        RC[$name]=$rc
        echo "   $name: exit status $rc; stderr: $(tail -3 "$OUTDIR/$name.stderr" | tr '\n' ' ')" >&2
    fi
    return "$rc"
}
# rounds N NAME...: N rounds, each running every NAME once in turn (interleaved, so that a change
# in the host's speed falls on all of them alike); a tool that fails is not run again.
rounds() {
    local n=$1 r name; shift
    for name in "$@"; do echo "== $name (${n}x$([[ $# -gt 1 ]] && echo ", interleaved with the others of this line")): ${CMD[$name]}"; done
    for ((r = 1; r <= n; r++)); do
        for name in "$@"; do
            [[ ${RC[$name]} == 0 ]] || continue
            once "$name" "$r" || true
        done
    done
}

echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n): $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== tlsnoop: $TLSNOOP ($("$TLSNOOP" --version 2>/dev/null || echo '?'); -j/--threads: $([[ $THREADS == 1 ]] && echo yes || echo no))"
read -r BYTES PACKETS CONNS < <(facts "$FILE")
echo "== $FILE: $BYTES bytes, $PACKETS packets, $([[ $CONNS -ge 0 ]] && echo "$CONNS TCP connections" || echo "TCP connections not counted (not an Ethernet classic pcap)")"

TN=(read --format jsonl -q)
if [[ $THREADS == 1 ]]; then
    tool tlsnoop-j1 /dev/null "$TLSNOOP" "${TN[@]}" -j 1 "$FILE" -o "$OUTDIR/tlsnoop-j1.jsonl"
    tool tlsnoop-j2 /dev/null "$TLSNOOP" "${TN[@]}" -j 2 "$FILE" -o "$OUTDIR/tlsnoop-j2.jsonl"
    MAIN=tlsnoop-j1
    ROWS=(tlsnoop-j1 tlsnoop-j2)
    if [[ $NULL_OUT != 0 ]]; then
        tool tlsnoop-j1-null /dev/null "$TLSNOOP" "${TN[@]}" -j 1 "$FILE" -o /dev/null
        tool tlsnoop-j2-null /dev/null "$TLSNOOP" "${TN[@]}" -j 2 "$FILE" -o /dev/null
        ROWS+=(tlsnoop-j1-null tlsnoop-j2-null)
    fi
    rounds "$ROUNDS" "${ROWS[@]}"
else
    tool tlsnoop /dev/null "$TLSNOOP" "${TN[@]}" "$FILE" -o "$OUTDIR/tlsnoop.jsonl"
    MAIN=tlsnoop
    rounds "$ROUNDS" tlsnoop
fi
if [[ -n $BASELINE ]]; then
    tool baseline /dev/null "$BASELINE" "${TN[@]}" "$FILE" -o "$OUTDIR/baseline.jsonl"
    rounds "$ROUNDS" baseline
fi
if [[ $TSHARK != 0 ]]; then
    tool tshark "$OUTDIR/tshark.tsv" tshark -n -r "$FILE" -T fields -e frame.number -e tcp.stream \
        -e tls.handshake.type -e tls.handshake.extensions_server_name -e tls.handshake.ciphersuite \
        -e tls.handshake.extensions.supported_version
    rounds 1 tshark
fi
if [[ $SSLDUMP != 0 ]]; then
    tool ssldump "$OUTDIR/ssldump.txt" ssldump -n -r "$FILE"
    rounds "$ROUNDS" ssldump
fi

# ---- the table. The speed-up of -j 2 is the median of its rounds' ratios (-j 1 and -j 2 run one
# after the other in each round), not the ratio of the two fastest runs, which may come from
# different phases of a host whose speed changes.
# ratios A B: each round's A seconds / B seconds; median: the median of such a list.
ratios() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        n = split(a, x, " "); m = split(b, y, " "); if (m < n) n = m
        for (i = 1; i <= n; i++) if (y[i] > 0) printf " %.2f", x[i] / y[i] }'
}
median() {
    echo "$1" | tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
        if (NR) printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
PAIRS=""
SPEEDUP=""
NULL_PAIRS=""
NULL_SPEEDUP=""
if [[ $THREADS == 1 ]]; then
    PAIRS=$(ratios "${ALL[tlsnoop-j1]}" "${ALL[tlsnoop-j2]}")
    SPEEDUP=$(median "$PAIRS")
    if [[ $NULL_OUT != 0 ]]; then
        NULL_PAIRS=$(ratios "${ALL[tlsnoop-j1-null]}" "${ALL[tlsnoop-j2-null]}")
        NULL_SPEEDUP=$(median "$NULL_PAIRS")
    fi
fi
echo
printf '%-15s %9s %9s %12s %10s %9s %8s %9s\n' tool seconds MB/s packets/s "RSS MiB" "vs tshark" "vs -j1" "CPU s"
for n in "${NAMES[@]}"; do
    awk -v n="$n" -v s="${SECS[$n]}" -v c="${CPU[$n]}" -v r="${RSS[$n]}" -v b="$BYTES" -v p="$PACKETS" \
        -v ts="${SECS[tshark]:-}" -v sp="$SPEEDUP" -v nsp="$NULL_SPEEDUP" -v rc="${RC[$n]}" 'BEGIN {
        t = (s > 0) ? s : 0.01
        vt = (ts != "") ? sprintf("%.1fx", ts / t) : "-"
        vj = (n == "tlsnoop-j2" && sp != "") ? sp "x" : (n == "tlsnoop-j2-null" && nsp != "") ? nsp "x" : ""
        printf "%-15s %9.2f %9.1f %12.0f %10.1f %9s %8s %9.2f%s\n", n, s, b / 1e6 / t, p / t, r, vt, vj, c, (rc != 0 ? "  (exit " rc ")" : "")
    }'
done
echo "(seconds: wall clock, the fastest run; vs tshark = tshark's seconds / this row's; vs -j1 = median over the"
echo " rounds of -j1's seconds / -j2's in the same round (-null: of the -null rows);"
echo " CPU s = user + system time, steadier than the wall clock on a busy machine)"
echo "every run's seconds:"
for n in "${NAMES[@]}"; do printf '  %-15s%s\n' "$n" "${ALL[$n]}"; done
[[ -n $PAIRS ]] && printf '  %-15s%s\n' "-j1 / -j2" "$PAIRS"
[[ -n $NULL_PAIRS ]] && printf '  %-15s%s\n' "same, -null" "$NULL_PAIRS"

# ---- the checks
echo
"$PY" - "$OUTDIR" "$MAIN" "$PACKETS" "$CONNS" "$THREADS" "${BASELINE:+baseline}" "$TSHARK" "$SSLDUMP" "${RC[@]}" <<'EOF'
import json, os, re, sys
outdir, main, packets, conns, threads, baseline, tshark, ssldump = sys.argv[1:9]
packets, conns = int(packets), int(conns)

def tuples(name):
    path = os.path.join(outdir, name + ".jsonl")
    if not os.path.exists(path):
        return None
    out = []
    with open(path, "rb") as f:
        for line in f:
            j = json.loads(line)
            cs = j.get("cipher_suite")
            out.append((j["id"], j.get("version"), cs.get("id") if isinstance(cs, dict) else cs, j.get("sni")))
    out.sort(key=lambda t: t[0])
    return out

status = int(any(rc != "0" for rc in sys.argv[9:]))
names = [main] + (["tlsnoop-j2"] if threads == "1" else []) + ([baseline] if baseline else [])
got = {n: tuples(n) for n in names}
ref = got[main]
print("per-flow (id, version, cipher suite, sni):")
for n in names:
    t = got[n]
    if t is None:
        print("  %-12s no output" % n)
        status = 1
        continue
    if n == main:
        print("  %-12s %9s TLS flows" % (n, f"{len(t):,}"))
        continue
    if t == ref:
        print("  %-12s %9s TLS flows  OK (identical to %s)" % (n, f"{len(t):,}", main))
    else:
        a, b = set(ref or []), set(t)
        print("  %-12s %9s TLS flows  DIFF from %s: %d tuples only in %s, %d only in %s"
              % (n, f"{len(t):,}", main, len(a - b), main, len(b - a), n))
        for x in sorted(a - b)[:3]:
            print("      only in %s: %s" % (main, x))
        for x in sorted(b - a)[:3]:
            print("      only in %s: %s" % (n, x))
        status = 1

if tshark != "0" and os.path.exists(os.path.join(outdir, "tshark.tsv")):
    last, streams = 0, set()
    with open(os.path.join(outdir, "tshark.tsv"), "rb") as f:
        for line in f:
            cols = line.rstrip(b"\n").split(b"\t")
            last = int(cols[0] or 0)
            if len(cols) > 2 and cols[2] and set(cols[2].split(b",")) & {b"1", b"2"}:
                streams.add(cols[1])
    ok = "OK" if last == packets else "DIFF (the file has %s)" % f"{packets:,}"
    status |= last != packets
    print("tshark: last frame %s %s; %s TCP streams with a ClientHello or ServerHello (tlsnoop: %s TLS flows)"
          % (f"{last:,}", ok, f"{len(streams):,}", f"{len(ref):,}" if ref is not None else "?"))
if ssldump != "0" and os.path.exists(os.path.join(outdir, "ssldump.txt")):
    n, hi = 0, 0
    pat = re.compile(rb"^New TCP connection #(\d+):")
    with open(os.path.join(outdir, "ssldump.txt"), "rb") as f:
        for line in f:
            m = pat.match(line)
            if m:
                n += 1
                hi = max(hi, int(m.group(1)))
    ok = ("OK" if n == conns else "DIFF (the file has %s)" % f"{conns:,}") if conns >= 0 else ""
    status |= conns >= 0 and n != conns
    print("ssldump: %s TCP connections (highest #%s) %s" % (f"{n:,}", f"{hi:,}", ok))
sys.exit(status)
EOF
