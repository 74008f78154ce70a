//! `--threads N` gives byte for byte the output of one thread: on every capture in testdata/
//! read in one run, and on a capture of 300 interleaved copies of a real handshake, where the
//! flows are spread over the workers and finish in an order different from their ids. The same
//! holds for files read with `--no-mmap` instead of mapped.

use crate::support::{testdata, tlsnoop};
use serde_json::Value;
use std::collections::BTreeSet;

/// Every `.pcap`/`.pcapng` capture under testdata/real and testdata/crafted, sorted.
fn all_captures() -> Vec<String> {
    let mut v = Vec::new();
    for dir in ["real", "crafted"] {
        for e in std::fs::read_dir(testdata(dir)).expect("testdata dir") {
            let p = e.expect("entry").path();
            let name = p.to_string_lossy().to_string();
            if name.ends_with(".pcap") || name.ends_with(".pcapng") || name.ends_with(".pcap.gz") {
                v.push(name);
            }
        }
    }
    v.sort();
    v
}

fn run(threads: &str, format: &str, files: &[String]) -> Vec<u8> {
    run_with(&[], threads, format, files)
}

fn run_with(more: &[&str], threads: &str, format: &str, files: &[String]) -> Vec<u8> {
    let mut args = vec!["read", "-q", "--format", format, "-j", threads];
    args.extend(more);
    args.extend(files.iter().map(String::as_str));
    let out = tlsnoop(&args);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn every_testdata_capture_reads_the_same_with_any_thread_count() {
    let files = all_captures();
    assert!(files.len() > 70, "{} captures", files.len());
    for format in ["jsonl", "text", "json"] {
        let one = run("1", format, &files);
        for n in ["2", "3", "8"] {
            assert!(
                run(n, format, &files) == one,
                "--format {format} -j {n} differs from -j 1"
            );
        }
        if format == "jsonl" {
            let ids: Vec<u64> = String::from_utf8_lossy(&one)
                .lines()
                .map(|l| {
                    serde_json::from_str::<Value>(l).expect("json")["id"]
                        .as_u64()
                        .expect("id")
                })
                .collect();
            assert!(ids.len() > 80, "{} flows", ids.len());
            let set: BTreeSet<u64> = ids.iter().copied().collect();
            assert_eq!(set, (1..=ids.len() as u64).collect(), "ids are 1..=N");
        }
    }
}

#[test]
fn every_testdata_capture_reads_the_same_without_mmap() {
    let files = all_captures();
    let mapped = run("1", "jsonl", &files);
    assert!(mapped.len() > 100_000, "{} bytes", mapped.len());
    for n in ["1", "2"] {
        assert!(
            run_with(&["--no-mmap"], n, "jsonl", &files) == mapped,
            "--no-mmap -j {n} differs from the mapped -j 1"
        );
    }
}

/// Classic little-endian pcap records: (ts_sec, ts_usec, frame).
fn records(bytes: &[u8]) -> Vec<(u32, u32, Vec<u8>)> {
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
    assert_eq!(u32_at(0), 0xa1b2_c3d4, "microsecond little-endian pcap");
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= bytes.len() {
        let incl = u32_at(off + 8) as usize;
        out.push((
            u32_at(off),
            u32_at(off + 4),
            bytes[off + 16..off + 16 + incl].to_vec(),
        ));
        off += 16 + incl;
    }
    out
}

/// `copies` copies of a real capture's one connection, each from its own client port and
/// started 3 ms after the previous one, so that hundreds are open at once.
fn interleaved(copies: u16) -> Vec<u8> {
    let src = std::fs::read(testdata("real/openssl_tls12_ecdhe_rsa.pcap")).expect("capture");
    let recs = records(&src);
    let mut all: Vec<(u64, Vec<u8>)> = Vec::new();
    for k in 0..copies {
        for (i, (s, us, frame)) in recs.iter().enumerate() {
            let mut f = frame.clone();
            // Ethernet + IPv4 + TCP: the client is whichever end is not port 4433..=4499.
            let t = 14 + usize::from(f[14] & 0x0f) * 4;
            for at in [t, t + 2] {
                let port = u16::from_be_bytes([f[at], f[at + 1]]);
                if port > 10_000 {
                    let p = (20_000 + k).to_be_bytes();
                    f[at] = p[0];
                    f[at + 1] = p[1];
                }
            }
            let ts = u64::from(*s) * 1_000_000 + u64::from(*us) + u64::from(k) * 3_000;
            all.push((ts * 1000 + i as u64, f));
        }
    }
    all.sort_by_key(|(t, _)| *t);
    let mut out = src[..24].to_vec();
    for (t, f) in all {
        let us = t / 1000;
        out.extend_from_slice(&((us / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((us % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&f);
    }
    out
}

#[test]
fn interleaved_flows_read_the_same_with_any_thread_count() {
    let path = std::env::temp_dir().join(format!("tlsnoop-threads-{}.pcap", std::process::id()));
    std::fs::write(&path, interleaved(300)).expect("write");
    let files = vec![path.to_string_lossy().to_string()];
    let one = run("1", "jsonl", &files);
    for n in ["2", "4"] {
        assert!(run(n, "jsonl", &files) == one, "-j {n} differs from -j 1");
    }
    let flows: Vec<Value> = String::from_utf8_lossy(&one)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(flows.len(), 300);
    // Ids follow the first packets: copy k starts k × 3 ms after the first, from port 20000+k.
    for f in &flows {
        let id = f["id"].as_u64().expect("id");
        assert_eq!(f["client"]["port"].as_u64(), Some(20_000 + id - 1));
        assert_eq!(f["outcome"], "established");
    }
    // Compressed, the file is inflated on a thread of its own with -j 2 and more (in blocks of
    // 256 KiB: this one is several blocks long), in place with -j 1; the records are the same.
    let gz = path.with_extension("pcap.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut e, &std::fs::read(&path).expect("read")).expect("gzip");
    std::fs::write(&gz, e.finish().expect("gzip")).expect("write");
    let gz_files = vec![gz.to_string_lossy().to_string()];
    for n in ["1", "2", "4"] {
        assert!(
            run(n, "jsonl", &gz_files) == one,
            "-j {n} of the gzipped copy differs"
        );
    }
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&gz);
}
