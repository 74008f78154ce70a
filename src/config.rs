//! Run configuration shared by every stage: the resource limits.
//!
//! Every buffer and table that input can grow is bounded by a field here. Each field's doc says
//! its default, what it bounds and what happens when it is hit (always a note on the flow or the
//! input, never a crash or a silent drop).

/// Resource limits. `Limits::default()` gives the documented defaults.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes buffered per flow direction for out-of-order segments while the handshake is in
    /// progress. Default 256 KiB. When hit, the reassembler gives up waiting for the missing data:
    /// the hole is reported as a gap note and parsing resumes at the buffered data.
    pub max_ooo_bytes: usize,
    /// Handshake bytes buffered per direction (partial records and partial handshake messages).
    /// Default 256 KiB. A longer handshake message (a huge certificate chain) is reported as
    /// truncated with a note; the rest of the handshake is still followed by record headers.
    pub max_handshake_bytes: usize,
    /// Largest handshake message length accepted from the 24-bit length field. Default 256 KiB.
    /// A larger claimed length is noted and the message skipped without buffering it.
    pub max_handshake_message: usize,
    /// Bytes held for reassembly and handshakes over all flows together. Default 64 MiB. When
    /// hit, the flow whose segment pushed the total over stops waiting for missing data (its held
    /// segments are released after a gap) and gets a note.
    pub max_total_buffered: usize,
    /// Flows tracked at once. Default 200,000 (about 150 MB at worst). When hit, the oldest flow is finished
    /// and reported early with a note.
    pub max_flows: usize,
    /// Bytes of payload a flow may carry before TLS is found on it (STARTTLS, proxies).
    /// Default 64 KiB per direction; after that the flow is taken as not TLS.
    pub max_probe_bytes: u64,
    /// Letters kept in a flow's history. Default 100 (as Zeek); a note says when it is cut.
    pub max_history: usize,
    /// Notes kept per flow. Default 32; the last note says how many were dropped.
    pub max_notes: usize,
    /// Certificates decoded per Certificate message. Default 32; more are counted in a note.
    pub max_certificates: usize,
    /// Capture seconds without a packet after which a connection is finished and reported.
    /// Default 300 (as Zeek's TCP inactivity timeout). A later packet starts a new flow.
    pub idle_timeout_secs: i64,
    /// Capture seconds without a packet after one side's FIN before the connection is finished.
    /// Default 30.
    pub half_closed_timeout_secs: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_ooo_bytes: 256 * 1024,
            max_handshake_bytes: 256 * 1024,
            max_handshake_message: 256 * 1024,
            max_total_buffered: 64 << 20,
            max_flows: 200_000,
            max_probe_bytes: 64 * 1024,
            max_history: 100,
            max_notes: 32,
            max_certificates: 32,
            idle_timeout_secs: 300,
            half_closed_timeout_secs: 30,
        }
    }
}

/// A byte count as the notes and the help show it: `256 KiB`, `64 MiB`, `1500 bytes`, `1 byte`
/// (a unit is only used when the count is an exact multiple of it).
pub fn size(n: usize) -> String {
    const MIB: usize = 1 << 20;
    match n {
        1 => "1 byte".to_string(),
        n if n >= MIB && n % MIB == 0 => format!("{} MiB", n / MIB),
        n if n >= 1024 && n % 1024 == 0 => format!("{} KiB", n / 1024),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes() {
        let cases = [
            (0, "0 bytes"),
            (1, "1 byte"),
            (1500, "1500 bytes"),
            (1024, "1 KiB"),
            (256 * 1024, "256 KiB"),
            (64 << 20, "64 MiB"),
            ((1 << 20) + 1024, "1025 KiB"),
        ];
        for (n, want) in cases {
            assert_eq!(super::size(n), want, "{n}");
        }
    }
}
