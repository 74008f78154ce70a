//! Integration tests: one binary, one module per topic.

mod certs;
mod corpus;
mod expected;
mod read;
mod support;
