//! Run configuration shared by every stage: the resource limits.
//!
//! Every buffer and table that input can grow is bounded by a field here. Each field's doc says
//! its default, what it bounds and what happens when it is hit (always a note on the flow or the
//! input, never a crash or a silent drop).

/// Resource limits. `Limits::default()` gives the documented defaults; `tlsnoop read` and
/// `tlsnoop live` set each with the flag named in its doc. Every hit is counted in
/// [`crate::record::LimitsHit`] (`stats.limits_hit` in JSON) under the field's name (the
/// timeouts without `_secs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes held per flow direction for segments that arrived ahead of a hole, each held
    /// segment counting [`crate::flow::reassembly::HELD_SEGMENT_COST`] bytes more for its
    /// bookkeeping (`--max-ooo-bytes`). Default 256 KiB. When hit, the reassembler gives up
    /// waiting for the missing data: the hole is reported as a gap, a note says the limit was
    /// hit, and parsing resumes at the next record header.
    pub max_ooo_bytes: usize,
    /// Handshake bytes buffered per direction for one handshake message
    /// (`--max-handshake-bytes`). Default 256 KiB. A longer handshake message (a huge
    /// certificate chain) is skipped with a note; the rest of the handshake is still followed.
    pub max_handshake_bytes: usize,
    /// Largest handshake message length accepted from the 24-bit length field
    /// (`--max-handshake-message`; default the same as `max_handshake_bytes`, 256 KiB). A
    /// larger claimed length is noted and the message skipped without buffering it.
    pub max_handshake_message: usize,
    /// Bytes held for reassembly and handshakes over all flows together (`--max-buffered`).
    /// Default 64 MiB. When hit, the flow whose segment pushed the total over stops waiting for
    /// missing data (its held segments are released after a gap) and gets a note.
    pub max_total_buffered: usize,
    /// Flows tracked at once (`--max-flows`). Default 200,000. When hit, the oldest flow is
    /// finished and reported early with a note.
    pub max_flows: usize,
    /// Bytes of the open flows' own state together: each connection, its TLS state and its
    /// record so far with the lists and texts it holds (`--max-flow-memory`; the buffers are
    /// `max_total_buffered`'s). Default 96 MiB: about 150,000 connections that only opened,
    /// or 45,000 waiting for the answer to a ClientHello. When hit, the oldest flows are
    /// finished and reported early with a note, as for `max_flows`.
    pub max_flow_memory: usize,
    /// Bytes of payload a flow may carry before TLS is found on it (STARTTLS, proxies;
    /// `--max-probe-bytes`). Default 64 KiB per direction; after that the flow is taken as not
    /// TLS (there is no flow record to note it on: only the counter says it).
    pub max_probe_bytes: u64,
    /// Letters kept in a flow's history (`--max-history`). Default 100 (as Zeek); a note says
    /// when it is cut.
    pub max_history: usize,
    /// Notes kept per flow (`--max-notes`). Default 32; the last note says how many were
    /// dropped.
    pub max_notes: usize,
    /// Certificates decoded per Certificate message (`--max-certificates`). Default 32; more
    /// are counted in a note.
    pub max_certificates: usize,
    /// Capture seconds without a packet after which a connection is finished and reported
    /// (`--idle-timeout`). Default 300 (as Zeek's TCP inactivity timeout), with a note.
    pub idle_timeout_secs: i64,
    /// Capture seconds without a packet after one side's FIN before the connection is finished
    /// (`--half-closed-timeout`). Default 30, with a note.
    pub half_closed_timeout_secs: i64,
    /// Bytes held by the IP fragment pool over all pending datagrams (`--max-fragment-bytes`).
    /// Default 4 MiB. The oldest pending datagrams are evicted to make room; a note on the
    /// input counts them.
    pub max_fragment_bytes: usize,
    /// Datagrams waiting for fragments at once (`--max-fragment-datagrams`). Default 1024; the
    /// oldest is evicted to admit a new one (a note on the input).
    pub max_fragment_datagrams: usize,
    /// Capture seconds a datagram may wait for its missing fragments (`--fragment-timeout`).
    /// Default 30; then it is dropped (a note on the input).
    pub fragment_timeout_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_ooo_bytes: 256 * 1024,
            max_handshake_bytes: 256 * 1024,
            max_handshake_message: 256 * 1024,
            max_total_buffered: 64 << 20,
            max_flows: 200_000,
            max_flow_memory: 96 << 20,
            max_probe_bytes: 64 * 1024,
            max_history: 100,
            max_notes: 32,
            max_certificates: 32,
            idle_timeout_secs: 300,
            half_closed_timeout_secs: 30,
            max_fragment_bytes: 4 << 20,
            max_fragment_datagrams: 1024,
            fragment_timeout_secs: 30,
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
