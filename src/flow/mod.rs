//! TCP connections: flow keys and per-direction reassembly. Knows nothing of TLS.

pub mod key;
pub mod reassembly;
