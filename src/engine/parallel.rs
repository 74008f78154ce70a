//! Reading with several worker threads.
