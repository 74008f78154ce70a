//! Capture-file writers for tests: classic pcap, pcapng blocks, gzip; and corpus helpers.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Bytes in a file of their own in the temporary directory, removed when dropped.
pub(crate) struct TempFile(pub(crate) PathBuf);

impl TempFile {
    pub(crate) fn new(bytes: &[u8]) -> Self {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("tlsnoop-test-{}-{n}", std::process::id()));
        std::fs::write(&path, bytes).expect("temporary file written");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A classic pcap file: `records` are (seconds, fraction, data, orig_len); the fraction is in
/// microseconds or, with `nanos`, nanoseconds.
pub(crate) fn pcap(
    big_endian: bool,
    nanos: bool,
    link: u32,
    snaplen: u32,
    records: &[(u32, u32, Vec<u8>, u32)],
) -> Vec<u8> {
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut b = Vec::new();
    b.extend(u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    b.extend(u16b(2));
    b.extend(u16b(4));
    b.extend(u32b(0));
    b.extend(u32b(0));
    b.extend(u32b(snaplen));
    b.extend(u32b(link));
    for (s, f, data, orig) in records {
        b.extend(u32b(*s));
        b.extend(u32b(*f));
        b.extend(u32b(data.len() as u32));
        b.extend(u32b(*orig));
        b.extend(data);
    }
    b
}

/// gzip-compresses `data` (one member).
pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Writes pcapng blocks in one byte order.
pub(crate) struct NgWriter {
    be: bool,
    out: Vec<u8>,
}

impl NgWriter {
    pub fn new(big_endian: bool) -> Self {
        NgWriter {
            be: big_endian,
            out: Vec::new(),
        }
    }
    fn u32b(&self, v: u32) -> [u8; 4] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u16b(&self, v: u16) -> [u8; 2] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    pub fn len(&self) -> usize {
        self.out.len()
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }
    /// A block of `block_type` around `body` (padded to 4 bytes).
    pub fn block(&mut self, block_type: u32, body: &[u8]) {
        let pad = (4 - body.len() % 4) % 4;
        let len = (12 + body.len() + pad) as u32;
        let t = self.u32b(block_type);
        let l = self.u32b(len);
        self.out.extend(t);
        self.out.extend(l);
        self.out.extend(body);
        self.out.extend(std::iter::repeat_n(0u8, pad));
        self.out.extend(l);
    }
    fn options(&self, opts: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut b = Vec::new();
        if opts.is_empty() {
            return b;
        }
        for (code, v) in opts {
            b.extend(self.u16b(*code));
            b.extend(self.u16b(v.len() as u16));
            b.extend(v);
            b.extend(std::iter::repeat_n(0u8, (4 - v.len() % 4) % 4));
        }
        b.extend([0, 0, 0, 0]);
        b
    }
    pub fn shb(&mut self) {
        let mut body = Vec::new();
        body.extend(self.u32b(0x1a2b_3c4d));
        body.extend(self.u16b(1));
        body.extend(self.u16b(0));
        body.extend((-1i64).to_le_bytes());
        self.block(0x0a0d_0d0a, &body);
    }
    pub fn idb(&mut self, link: u16, snaplen: u32, opts: &[(u16, Vec<u8>)]) {
        let mut body = Vec::new();
        body.extend(self.u16b(link));
        body.extend(self.u16b(0));
        body.extend(self.u32b(snaplen));
        body.extend(self.options(opts));
        self.block(1, &body);
    }
    pub fn epb(&mut self, if_id: u32, ts: u64, data: &[u8], orig: u32) {
        let mut body = Vec::new();
        body.extend(self.u32b(if_id));
        body.extend(self.u32b((ts >> 32) as u32));
        body.extend(self.u32b(ts as u32));
        body.extend(self.u32b(data.len() as u32));
        body.extend(self.u32b(orig));
        body.extend(data);
        self.block(6, &body);
    }
    pub fn spb(&mut self, data: &[u8], orig: u32) {
        let mut body = Vec::new();
        body.extend(self.u32b(orig));
        body.extend(data);
        self.block(3, &body);
    }
    pub fn packet_block(&mut self, if_id: u16, ts: u64, data: &[u8], orig: u32) {
        let mut body = Vec::new();
        body.extend(self.u16b(if_id));
        body.extend(self.u16b(0));
        body.extend(self.u32b((ts >> 32) as u32));
        body.extend(self.u32b(ts as u32));
        body.extend(self.u32b(data.len() as u32));
        body.extend(self.u32b(orig));
        body.extend(data);
        self.block(2, &body);
    }
    pub fn isb(&mut self, if_id: u32) {
        let mut body = Vec::new();
        body.extend(self.u32b(if_id));
        body.extend(self.u32b(0));
        body.extend(self.u32b(0));
        self.block(5, &body);
    }
    pub fn custom(&mut self, payload: &[u8]) {
        let mut body = Vec::new();
        body.extend(self.u32b(32473)); // private enterprise number
        body.extend(payload);
        self.block(0x0000_0bad, &body);
    }
}

/// path (relative to the corpus root) → tshark's frame count, from manifest.json.
pub(crate) fn manifest_counts(json: &str) -> HashMap<String, u64> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut m = HashMap::new();
    for e in v.as_array().unwrap() {
        let Some(n) = e["packets"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .or(e["packets"].as_u64())
        else {
            continue;
        };
        for p in e["paths"].as_array().unwrap() {
            m.insert(p.as_str().unwrap().to_string(), n);
        }
    }
    m
}

/// Every regular file under `dir`.
pub(crate) fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}
