//! Integration tests: one binary, one module per topic.

mod corpus;
mod diagnosis;
mod expected;
mod read;
mod support;
