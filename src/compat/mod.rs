//! Every work-around for an upstream crate bug, one file per crate, each with a test that fails
//! without it and a canary test that fails once upstream fixes the bug (then delete the work-around).

pub mod etherparse;
pub mod pcap_parser;
pub mod tls_parser;
pub mod x509_parser;
