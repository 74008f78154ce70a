//! STUB (replaced by the capture helper's module).
#![allow(missing_docs)]
use crate::record::{InputInfo, Timestamp};
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);
impl LinkType {
    pub fn name(&self) -> String {
        format!("linktype_{}", self.0)
    }
}
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub number: u64,
    pub ts: Timestamp,
    pub link: LinkType,
    pub data: &'a [u8],
    pub orig_len: u32,
}
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("stub")]
    Stub,
}
pub fn read_capture(
    _p: &str,
    _i: &mut InputInfo,
    _f: &mut dyn FnMut(&Frame<'_>),
) -> Result<(), CaptureError> {
    Err(CaptureError::Stub)
}
