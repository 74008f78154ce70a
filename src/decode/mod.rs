//! STUB (replaced by the decode helper's module).
#![allow(missing_docs)]
use crate::capture::{Frame, LinkType};
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
}
pub struct TcpSegment<'a> {
    pub src: std::net::SocketAddr,
    pub dst: std::net::SocketAddr,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub payload: &'a [u8],
    pub truncated: bool,
    pub wire_payload_len: u32,
}
pub enum Decoded<'a> {
    Tcp(TcpSegment<'a>),
    NotTcp,
    FragmentHeld,
    UnsupportedLink(LinkType),
    Malformed(DecodeError),
}
#[derive(Debug, Clone, thiserror::Error)]
pub enum DecodeError {
    #[error("x")]
    X,
}
#[derive(Debug, Clone, Default)]
pub struct DefragLimits {
    pub max_bytes: usize,
    pub max_datagrams: usize,
    pub timeout_secs: u64,
}
pub struct Decoder;
impl Decoder {
    pub fn new(_l: DefragLimits) -> Self {
        Decoder
    }
    pub fn decode<'a>(&'a mut self, _f: &'a Frame<'a>) -> Decoded<'a> {
        Decoded::NotTcp
    }
}
