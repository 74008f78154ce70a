//! The TLS layer gives the same record however its bytes are cut: records that arrive whole in
//! one delivery are read where they lie, the others are gathered first, and both ways must
//! agree. Each real capture's first connection is fed as captured (segment by segment), with
//! each direction's consecutive segments joined (whole records, several at a time), and in
//! pieces of 1 to 7 bytes (no record whole), all under one frame number; the records must be
//! equal. The first 8 bytes of each direction stay in one piece: an SSLv2-compatible
//! ClientHello is recognised by its first delivery (no TCP stack sends less than its first 8
//! bytes in a segment; cut after 1 byte, it is taken for a bad TLS record header).

use crate::support::testdata;
use std::net::SocketAddr;
use tlsnoop::config::Limits;
use tlsnoop::decode::{Decoded, Decoder, DefragLimits};
use tlsnoop::record::{CloseKind, Endpoint, InputInfo, Negotiation, Sender, Timestamp};
use tlsnoop::tls::TlsFlow;

/// The payloads of the first TCP connection of a capture, in capture order, with their sender.
fn first_connection(path: &std::path::Path) -> (Endpoint, Endpoint, Vec<(Sender, Vec<u8>)>) {
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

#[test]
fn records_whole_or_in_pieces_make_the_same_record() {
    let mut files: Vec<_> = std::fs::read_dir(testdata("real"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "{} captures", files.len());
    let mut handshakes = 0;
    for path in &files {
        let (client, server, segs) = first_connection(path);
        let as_captured: Vec<(Sender, &[u8])> =
            segs.iter().map(|(f, b)| (*f, b.as_slice())).collect();
        let mut joined: Vec<(Sender, Vec<u8>)> = Vec::new();
        for (from, bytes) in &segs {
            match joined.last_mut() {
                Some((f, b)) if f == from => b.extend_from_slice(bytes),
                _ => joined.push((*from, bytes.clone())),
            }
        }
        let joined: Vec<(Sender, &[u8])> = joined.iter().map(|(f, b)| (*f, b.as_slice())).collect();
        let mut small = Vec::new();
        let mut size = 0;
        let mut started = [false; 2];
        for (from, bytes) in &segs {
            let mut rest = bytes.as_slice();
            let first = &mut started[usize::from(*from == Sender::Server)];
            if !*first {
                *first = true;
                let (head, r) = rest.split_at(8.min(rest.len()));
                small.push((*from, head));
                rest = r;
            }
            while !rest.is_empty() {
                size = size % 7 + 1;
                let (piece, r) = rest.split_at(size.min(rest.len()));
                small.push((*from, piece));
                rest = r;
            }
        }
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
