//! Integration tests: one binary, one module per topic.

mod certs;
mod corpus;
mod diagnosis;
mod expected;
mod fingerprints;
mod hostile;
#[cfg(feature = "live")]
mod live;
mod read;
mod support;
mod threads;
mod tls_cuts;
