//! The TLS layer gives the same record however its bytes are cut: records that arrive whole in
//! one delivery are read where they lie, the others are gathered first, and both ways must
//! agree. Each real capture's first connection is fed as captured (segment by segment), with
//! each direction's consecutive segments joined (whole records, several at a time), and in
//! pieces of 1 to 7 bytes (no record whole), all under one frame number; the records must be
//! equal. The first 8 bytes of each direction stay in one piece: the TLS layer recognises an
//! SSLv2-compatible ClientHello by its first delivery, and the connection's detection gives it
//! the start of a stream cut into smaller segments in one piece (the last test here checks
//! that through the whole program).

use crate::support::testdata;
use std::net::SocketAddr;
use tlsnoop::capture::write::PcapWriter;
use tlsnoop::capture::Frame;
use tlsnoop::config::Limits;
use tlsnoop::decode::{Decoded, Decoder, DefragLimits};
use tlsnoop::record::{CloseKind, Endpoint, InputInfo, Negotiation, Sender, Timestamp};
use tlsnoop::tls::TlsFlow;

/// The payloads of the first TCP connection of a capture, in capture order, with their sender.
fn first_connection(path: &std::path::Path) -> (Endpoint, Endpoint, Pieces) {
    let mut decoder = Decoder::new(DefragLimits::default());
    let mut ends: Option<(SocketAddr, SocketAddr)> = None;
    let mut segs = Vec::new();
    let mut info = InputInfo::default();
    tlsnoop::capture::read_capture(path.to_str().unwrap(), &mut info, &mut |frame| {
        if let Decoded::Tcp(t) = decoder.decode(frame) {
            let (client, server) = *ends.get_or_insert((t.src, t.dst));
            let from = if (t.src, t.dst) == (client, server) {
                Sender::Client
            } else if (t.src, t.dst) == (server, client) {
                Sender::Server
            } else {
                return;
            };
            if !t.payload.is_empty() {
                segs.push((from, t.payload.to_vec()));
            }
        }
    })
    .unwrap();
    let (c, s) = ends.expect("a TCP connection");
    let ep = |a: SocketAddr| Endpoint {
        ip: a.ip(),
        port: a.port(),
    };
    (ep(c), ep(s), segs)
}

/// The record the TLS layer makes of `pieces`, all in frame 1.
fn record(client: Endpoint, server: Endpoint, pieces: &[(Sender, &[u8])]) -> serde_json::Value {
    let mut rec = Negotiation::new(0, 1, Timestamp::default(), client, server);
    let mut tls = TlsFlow::new(&Limits::default());
    for (from, bytes) in pieces {
        tls.data(*from, bytes, 1, &mut rec);
    }
    tls.close(Sender::Client, CloseKind::Fin, 1, &mut rec);
    tls.finish(&mut rec);
    serde_json::to_value(&rec).unwrap()
}

/// The captures of `testdata/real/`, by name.
fn real_captures() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(testdata("real"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    files.sort();
    files
}

/// Pieces of a connection: each with its sender.
type Pieces = Vec<(Sender, Vec<u8>)>;

/// A connection's payloads cut three ways: as captured, with each direction's consecutive
/// segments joined (whole records, several at a time), and in pieces of 1 to 7 bytes (no record
/// whole) but for the first 8 bytes of each direction (see the module's note).
fn cuttings(segs: &Pieces) -> [(&'static str, Pieces); 3] {
    let mut joined: Pieces = Vec::new();
    for (from, bytes) in segs {
        match joined.last_mut() {
            Some((f, b)) if f == from => b.extend_from_slice(bytes),
            _ => joined.push((*from, bytes.clone())),
        }
    }
    let mut small = Vec::new();
    let mut size = 0;
    let mut started = [false; 2];
    for (from, bytes) in segs {
        let mut rest = bytes.as_slice();
        let first = &mut started[usize::from(*from == Sender::Server)];
        if !*first {
            *first = true;
            let (head, r) = rest.split_at(8.min(rest.len()));
            small.push((*from, head.to_vec()));
            rest = r;
        }
        while !rest.is_empty() {
            size = size % 7 + 1;
            let (piece, r) = rest.split_at(size.min(rest.len()));
            small.push((*from, piece.to_vec()));
            rest = r;
        }
    }
    [
        ("as captured", segs.clone()),
        ("joined", joined),
        ("in pieces", small),
    ]
}

/// `pieces` as [`record`] takes them.
fn borrowed(pieces: &Pieces) -> Vec<(Sender, &[u8])> {
    pieces.iter().map(|(f, b)| (*f, b.as_slice())).collect()
}

#[test]
fn records_whole_or_in_pieces_make_the_same_record() {
    let files = real_captures();
    assert!(files.len() >= 30, "{} captures", files.len());
    let mut handshakes = 0;
    for path in &files {
        let (client, server, segs) = first_connection(path);
        let [(_, as_captured), (_, joined), (_, small)] = cuttings(&segs);
        let (as_captured, joined, small) =
            (borrowed(&as_captured), borrowed(&joined), borrowed(&small));
        let want = record(client, server, &as_captured);
        let name = path.file_name().unwrap().to_string_lossy();
        assert_eq!(record(client, server, &joined), want, "{name}: joined");
        assert_eq!(record(client, server, &small), want, "{name}: in pieces");
        if want["client_hello"].is_object() {
            handshakes += 1;
        }
    }
    assert!(handshakes >= 30, "{handshakes} ClientHellos read");
}

/// Where an Ethernet/IPv4 frame's IP and TCP headers start (the captures of `testdata/real/`).
fn ip_and_tcp_headers(frame: &[u8]) -> (usize, usize) {
    assert_eq!(frame[12..14], [8, 0], "Ethernet, IPv4");
    let ip = 14;
    (ip, ip + usize::from(frame[ip] & 0x0f) * 4)
}

/// The capture at `path` with the first segment carrying data each way of its first TCP
/// connection sent as 1-byte segments for its first 6 bytes, then one with the rest (same time
/// stamp; sequence numbers and IPv4 lengths to match; checksums are not checked by tlsnoop),
/// and which of the two directions (client, server) had such a segment.
fn hello_cut_after_each_byte(path: &std::path::Path) -> (Vec<u8>, [bool; 2]) {
    let mut decoder = Decoder::new(DefragLimits::default());
    let mut ends: Option<(SocketAddr, SocketAddr)> = None;
    let mut cut = [false; 2];
    let mut out: Option<PcapWriter<Vec<u8>>> = None;
    let mut info = InputInfo::default();
    tlsnoop::capture::read_capture(path.to_str().unwrap(), &mut info, &mut |frame| {
        let w = out.get_or_insert_with(|| PcapWriter::new(Vec::new(), frame.link, 0).unwrap());
        let mut pieces = vec![frame.data.to_vec()];
        if let Decoded::Tcp(t) = decoder.decode(frame) {
            let (c, s) = *ends.get_or_insert((t.src, t.dst));
            let side = [(c, s), (s, c)].iter().position(|&e| e == (t.src, t.dst));
            if let Some(side) = side.filter(|&i| !cut[i] && t.payload.len() > 6) {
                cut[side] = true;
                let (ip, tcp) = ip_and_tcp_headers(frame.data);
                let at = t.payload.as_ptr() as usize - frame.data.as_ptr() as usize;
                let mut bounds: Vec<usize> = (0..=6).collect();
                bounds.push(t.payload.len());
                pieces = bounds
                    .windows(2)
                    .map(|b| {
                        let mut f = frame.data[..at].to_vec();
                        f.extend_from_slice(&t.payload[b[0]..b[1]]);
                        let ip_len = (f.len() - ip) as u16;
                        f[ip + 2..ip + 4].copy_from_slice(&ip_len.to_be_bytes());
                        let seq = t.seq.wrapping_add(b[0] as u32);
                        f[tcp + 4..tcp + 8].copy_from_slice(&seq.to_be_bytes());
                        f
                    })
                    .collect();
            }
        }
        for p in &pieces {
            let piece = Frame {
                data: p,
                orig_len: p.len() as u32,
                chunk: None,
                ..*frame
            };
            w.write(&piece).unwrap();
        }
    })
    .unwrap();
    (out.expect("frames").into_inner(), cut)
}

/// A record with what depends on frame numbers and packet counts taken out: keys naming
/// frames, the id (the first frame), findings' evidence frames, the traffic counts, and the
/// number after "frame " in texts.
fn without_frames(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| {
                    !k.contains("frame") && !["id", "traffic", "evidence"].contains(&k.as_str())
                })
                .map(|(k, v)| (k.clone(), without_frames(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_frames).collect()),
        Value::String(s) => {
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(at) = rest.find("frame ") {
                let (head, tail) = rest.split_at(at + "frame ".len());
                out.push_str(head);
                let digits =
                    tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                if digits > 0 {
                    out.push('N');
                }
                rest = &tail[digits..];
            }
            out.push_str(rest);
            Value::String(out)
        }
        v => v.clone(),
    }
}

/// The first record tlsnoop writes for the capture at `path` (null if none).
fn first_record(path: &std::path::Path) -> serde_json::Value {
    let name = path.display();
    let out = crate::support::tlsnoop(&["read", "--format", "jsonl", "-q", path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match out.stdout.split(|&b| b == b'\n').next() {
        Some(line) if !line.is_empty() => {
            serde_json::from_slice(line).unwrap_or_else(|e| panic!("{name}: {e}"))
        }
        // Not TLS (plain_http): no record.
        _ => serde_json::Value::Null,
    }
}

/// A hello whose first bytes come one per segment (DPI-evasion tools send the first byte or two
/// of a ClientHello on their own) is recognised like the hello sent whole, in every real
/// capture, SSLv2-compatible ClientHellos included, the ServerHello too: the start of each
/// direction is held until it can be told.
#[test]
fn hellos_cut_after_their_first_bytes_are_read_as_sent_whole() {
    let mut hellos = 0;
    let mut both_ways = 0;
    for path in &real_captures() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let want = first_record(path);
        let (file, cut) = hello_cut_after_each_byte(path);
        assert!(cut[0], "{name}: a segment with data from the client");
        let copy = std::env::temp_dir().join(format!("tlsnoop-cuts-{}-{name}", std::process::id()));
        std::fs::write(&copy, file).unwrap();
        let got = first_record(&copy);
        let _ = std::fs::remove_file(&copy);
        assert_eq!(without_frames(&got), without_frames(&want), "{name}");
        if want["client_hello"].is_object() {
            hellos += 1;
            assert!(
                got["client_hello"]["frame"].as_u64() > want["client_hello"]["frame"].as_u64(),
                "{name}: the cut hello has more frames before it"
            );
        }
        if cut[1] && want["server_hello"].is_object() {
            both_ways += 1;
        }
    }
    assert!(hellos >= 30, "{hellos} ClientHellos read");
    assert!(both_ways >= 30, "{both_ways} ServerHellos cut too");
}

/// A decided flow's application data counted off by `skip_records` (the engine's fast path,
/// with `can_skip` and `skip` before it, as `engine::conn::fast_path` has them) leaves the TLS
/// state and the record exactly as `data` leaves them, whether the bytes come as captured, in
/// one piece per flight, or in pieces of 1 to 7 bytes (headers cut: those go to `data`).
#[test]
fn application_data_counted_off_leaves_the_state_data_leaves() {
    let mut skipped = 0;
    let mut fell_back = 0;
    for path in real_captures() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (client, server, segs) = first_connection(&path);
        for (how, pieces) in cuttings(&segs) {
            let new = || {
                (
                    TlsFlow::new(&Limits::default()),
                    Negotiation::new(0, 1, Timestamp::default(), client, server),
                )
            };
            let (mut full, mut full_rec) = new();
            let (mut fast, mut fast_rec) = new();
            for (n, (from, bytes)) in pieces.iter().enumerate() {
                full.data(*from, bytes, 1, &mut full_rec);
                if fast.decided() && fast.can_skip(*from, bytes.len()) {
                    fast.skip(*from, bytes.len());
                } else if fast.decided() && fast.skip_records(*from, bytes) {
                    skipped += 1;
                } else {
                    fell_back += usize::from(fast.decided());
                    fast.data(*from, bytes, 1, &mut fast_rec);
                }
                assert_eq!(
                    format!("{fast:?}"),
                    format!("{full:?}"),
                    "{name} {how}: piece {n}"
                );
            }
            for (t, r) in [(&mut full, &mut full_rec), (&mut fast, &mut fast_rec)] {
                t.close(Sender::Client, CloseKind::Fin, 1, r);
                t.finish(r);
            }
            assert_eq!(
                serde_json::to_value(&fast_rec).unwrap(),
                serde_json::to_value(&full_rec).unwrap(),
                "{name} {how}"
            );
        }
    }
    assert!(
        skipped > 500,
        "{skipped} pieces counted off ({fell_back} given to data)"
    );
    assert!(
        fell_back > 500,
        "{fell_back} pieces given to data ({skipped} counted off)"
    );
}
