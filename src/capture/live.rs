//! Live capture through libpcap (cargo feature `live`): open an interface with a BPF filter,
//! read its packets on a capture thread, and hand them to the engine over a bounded queue.
//!
//! What this module owns: opening (and the words for why an interface cannot be opened), the
//! interface list, the capture thread, the queue of owned [`Batch`]es (recycled through a
//! return channel), stopping, and the capture counters (libpcap's kernel and interface drops,
//! frames dropped because the queue was full). It knows nothing of TCP or TLS and never prints.
//!
//! Three libpcap facts shape it. On Linux a blocking read does not honour the read timeout when
//! no packet arrives (TPACKET_V3, libpcap #1001). `pcap_breakloop`, which would wake it, loses
//! the packet being read when it lands during a read (`pcap_next_ex` returns "break" instead of
//! the packet it has just taken off the ring): called to hand over partial batches, it dropped
//! about one packet in a hundred on loopback. So the handle is non-blocking and the thread
//! waits in `poll(2)` on libpcap's selectable descriptor for at most [`POLL_MS`], looking at
//! the stop flag each time it wakes; breakloop is never called. And a packet is only borrowed
//! until the next read, so it is copied into the batch.
//!
//! Batching is adaptive: while the analysis side keeps up (nothing waiting in the queue) each
//! packet is handed over at once, for latency; when it falls behind, packets are gathered into
//! batches of up to [`BATCH_FRAMES`] frames or [`BATCH_BYTES`] bytes, and whatever is gathered
//! is handed over as soon as the ring is empty. When the queue is full the batch is dropped and
//! counted, so a slow terminal never blocks the capture.

use super::{Batch, LinkType};
use crate::record::Timestamp;
use nix::poll::{poll, PollFd, PollFlags};
use std::net::IpAddr;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Frames gathered at most into one batch while the analysis side is behind.
pub const BATCH_FRAMES: usize = 256;
/// Captured bytes gathered at most into one batch while the analysis side is behind.
pub const BATCH_BYTES: usize = 256 * 1024;
/// Batches the queue holds; when it is full, further batches are dropped and counted.
pub const QUEUE_BATCHES: usize = 64;
/// How long the capture thread waits for a packet before it looks at the stop flag again
/// (milliseconds): the longest a stop waits.
pub const POLL_MS: u16 = 50;

/// How to open an interface.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Interface name (`eth0`, `lo`, `any`).
    pub interface: String,
    /// BPF filter expression, compiled by libpcap (`tcp`, `tcp port 443`).
    pub filter: String,
    /// Bytes captured per packet at most.
    pub snaplen: u32,
    /// Kernel capture buffer, in MiB.
    pub buffer_mib: u32,
    /// Put the interface in promiscuous mode.
    pub promisc: bool,
}

/// Why live capture could not start. `Display` is the part after "tlsnoop: ".
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// Not root and without CAP_NET_RAW (the caller adds how to grant it).
    #[error("{interface}: cannot capture: permission denied ({detail})")]
    Permission {
        /// The interface.
        interface: String,
        /// What libpcap said.
        detail: String,
    },
    /// No such interface.
    #[error("{interface}: cannot capture: no such interface ({detail}); `tlsnoop live --list-interfaces` lists them")]
    NoSuchInterface {
        /// The interface.
        interface: String,
        /// What libpcap said.
        detail: String,
    },
    /// The interface exists but could not be opened (down, busy, unsupported).
    #[error("{interface}: cannot capture: {detail}")]
    Open {
        /// The interface.
        interface: String,
        /// What libpcap said.
        detail: String,
    },
    /// libpcap rejected the filter expression.
    #[error("bad capture filter {filter:?}: {detail}")]
    Filter {
        /// The expression as given.
        filter: String,
        /// What libpcap said.
        detail: String,
    },
    /// The interface list could not be read.
    #[error("cannot list interfaces: {0}")]
    List(String),
}

impl LiveError {
    /// A permission problem (the fix is root or `setcap`).
    pub fn is_permission(&self) -> bool {
        matches!(self, LiveError::Permission { .. })
    }
}

/// What libpcap said, without the crate's "libpcap error: " prefix.
fn words(e: &pcap::Error) -> String {
    match e {
        pcap::Error::PcapError(s) => s.clone(),
        e => e.to_string(),
    }
}

/// Sorts a libpcap error from opening `interface` into a [`LiveError`].
fn open_error(interface: &str, e: pcap::Error) -> LiveError {
    let detail = words(&e);
    let lower = detail.to_lowercase();
    let interface = interface.to_string();
    if lower.contains("permission") || lower.contains("not permitted") {
        LiveError::Permission { interface, detail }
    } else if lower.contains("no such device") {
        LiveError::NoSuchInterface { interface, detail }
    } else {
        LiveError::Open { interface, detail }
    }
}

/// One interface, as `--list-interfaces` shows it.
#[derive(Debug, Clone)]
pub struct Interface {
    /// Name to give to `-i`.
    pub name: String,
    /// libpcap's description, if any.
    pub description: Option<String>,
    /// Addresses configured on it.
    pub addresses: Vec<IpAddr>,
    /// Administratively up.
    pub up: bool,
    /// Running (link up).
    pub running: bool,
    /// A loopback interface.
    pub loopback: bool,
}

/// The interfaces libpcap can capture on, in its order.
pub fn interfaces() -> Result<Vec<Interface>, LiveError> {
    let list = pcap::Device::list().map_err(|e| LiveError::List(words(&e)))?;
    Ok(list
        .into_iter()
        .map(|d| Interface {
            up: d.flags.is_up(),
            running: d.flags.is_running(),
            loopback: d.flags.is_loopback(),
            addresses: d.addresses.iter().map(|a| a.addr).collect(),
            description: d.desc,
            name: d.name,
        })
        .collect())
}

/// An opened interface with its filter set, not yet read.
pub struct LiveCapture {
    /// Non-blocking: waited for with `poll` on its descriptor.
    cap: pcap::Capture<pcap::Active>,
    link: LinkType,
    snaplen: u32,
}

impl LiveCapture {
    /// Opens the interface (immediate mode: packets are delivered as they arrive; non-blocking,
    /// waited for with `poll`) and sets the filter.
    pub fn open(o: &LiveOptions) -> Result<LiveCapture, LiveError> {
        let snaplen = i32::try_from(o.snaplen).unwrap_or(i32::MAX);
        let buffer = i32::try_from(u64::from(o.buffer_mib) << 20).unwrap_or(i32::MAX);
        let cap = pcap::Capture::from_device(o.interface.as_str())
            .map_err(|e| open_error(&o.interface, e))?
            .snaplen(snaplen)
            .buffer_size(buffer)
            .promisc(o.promisc)
            .immediate_mode(true)
            .timeout(250)
            .open()
            .map_err(|e| open_error(&o.interface, e))?;
        let mut cap = cap;
        cap.filter(&o.filter, true).map_err(|e| LiveError::Filter {
            filter: o.filter.clone(),
            detail: words(&e),
        })?;
        let link = LinkType(u32::try_from(cap.get_datalink().0).unwrap_or(u32::MAX));
        let cap = cap.setnonblock().map_err(|e| open_error(&o.interface, e))?;
        Ok(LiveCapture {
            cap,
            link,
            snaplen: o.snaplen,
        })
    }

    /// The interface's link type.
    pub fn link(&self) -> LinkType {
        self.link
    }

    /// The snaplen asked for.
    pub fn snaplen(&self) -> u32 {
        self.snaplen
    }

    /// Starts the capture thread.
    pub fn spawn(self) -> std::io::Result<Running> {
        let (tx, rx) = mpsc::sync_channel(QUEUE_BATCHES);
        let (recycle_tx, recycle_rx) = mpsc::channel();
        let shared = Arc::new(Shared::default());
        let stopper = Stopper {
            shared: Arc::clone(&shared),
        };
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("capture".into())
            .spawn(move || capture_loop(self, tx, recycle_rx, s))?;
        Ok(Running {
            batches: rx,
            recycle: recycle_tx,
            shared,
            stopper,
            thread: Some(thread),
        })
    }
}

/// State shared by the capture thread and the analysis side.
#[derive(Default)]
struct Shared {
    /// Stop asked for (signal, `--count`, `--duration`).
    stop: AtomicBool,
    /// Batches in the queue, not yet taken by the analysis side.
    queued: AtomicUsize,
    /// Frames read from libpcap.
    captured: AtomicU64,
    /// Frames dropped because the queue was full.
    queue_dropped: AtomicU64,
}

/// Stops a running capture from any thread (a signal handler's thread, a timer).
#[derive(Clone)]
pub struct Stopper {
    shared: Arc<Shared>,
}

impl Stopper {
    /// Asks the capture thread to stop; within [`POLL_MS`] it hands over what it holds and ends.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }

    /// A stop has been asked for.
    pub fn is_stopped(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }
}

/// Counters of a finished capture.
#[derive(Debug, Clone, Default)]
pub struct CaptureStats {
    /// Frames read from libpcap.
    pub captured: u64,
    /// Frames dropped by tlsnoop because the analysis queue was full.
    pub queue_dropped: u64,
    /// libpcap's counters, when it could give them: packets received by the filter, dropped
    /// by the kernel (buffer full), dropped by the interface or driver.
    pub libpcap: Option<LibpcapStats>,
    /// Why libpcap's counters are missing.
    pub libpcap_error: Option<String>,
    /// The read error that ended the capture, if one did.
    pub error: Option<String>,
}

/// libpcap's `pcap_stats` (see pcap_stats(3PCAP) for what each platform counts).
#[derive(Debug, Clone, Copy, Default)]
pub struct LibpcapStats {
    /// Packets that passed the filter.
    pub received: u32,
    /// Packets dropped because the kernel buffer was full.
    pub kernel_dropped: u32,
    /// Packets dropped by the interface or its driver.
    pub if_dropped: u32,
}

/// A capture thread at work: batches to take, a way to stop it, its counters at the end.
pub struct Running {
    batches: Receiver<Batch>,
    recycle: Sender<Batch>,
    shared: Arc<Shared>,
    stopper: Stopper,
    thread: Option<JoinHandle<CaptureStats>>,
}

impl Running {
    /// The next batch, waiting at most `timeout`. `Disconnected` means the capture ended (after
    /// a stop, or a read error) and every batch has been taken.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Batch, RecvTimeoutError> {
        let b = self.batches.recv_timeout(timeout)?;
        self.shared.queued.fetch_sub(1, Ordering::SeqCst);
        Ok(b)
    }

    /// Gives a processed batch back for reuse.
    pub fn recycle(&self, mut b: Batch) {
        b.clear();
        let _ = self.recycle.send(b);
    }

    /// A handle that stops the capture.
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Frames read from libpcap so far, and frames dropped at the queue so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.shared.captured.load(Ordering::SeqCst),
            self.shared.queue_dropped.load(Ordering::SeqCst),
        )
    }

    /// Waits for the capture thread (call after `recv_timeout` said `Disconnected`, or after
    /// a stop) and returns its counters.
    pub fn join(mut self) -> CaptureStats {
        self.stopper.stop();
        // Unblock a thread waiting on a full queue: nothing will be taken any more.
        let Running {
            batches, thread, ..
        } = &mut self;
        let rx = std::mem::replace(batches, mpsc::sync_channel(0).1);
        drop(rx);
        match thread.take().map(JoinHandle::join) {
            Some(Ok(stats)) => stats,
            Some(Err(_)) => CaptureStats {
                error: Some("the capture thread panicked".into()),
                ..Default::default()
            },
            None => CaptureStats::default(),
        }
    }
}

/// Hands `batch` over (or drops and counts it when the queue is full) and leaves an empty batch
/// in its place. False when the analysis side is gone.
fn hand_over(
    tx: &SyncSender<Batch>,
    recycled: &Receiver<Batch>,
    batch: &mut Batch,
    shared: &Shared,
) -> bool {
    let link = batch.link();
    let full = std::mem::replace(batch, Batch::new(link));
    shared.queued.fetch_add(1, Ordering::SeqCst);
    match tx.try_send(full) {
        Ok(()) => {
            if let Ok(b) = recycled.try_recv() {
                if b.link() == link {
                    *batch = b;
                }
            }
            true
        }
        Err(TrySendError::Full(mut b)) => {
            shared.queued.fetch_sub(1, Ordering::SeqCst);
            shared
                .queue_dropped
                .fetch_add(b.len() as u64, Ordering::SeqCst);
            b.clear();
            *batch = b;
            true
        }
        Err(TrySendError::Disconnected(_)) => false,
    }
}

fn capture_loop(
    mut live: LiveCapture,
    tx: SyncSender<Batch>,
    recycled: Receiver<Batch>,
    shared: Arc<Shared>,
) -> CaptureStats {
    let mut batch = Batch::new(live.link);
    let mut error = None;
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        match live.cap.next_packet() {
            Ok(p) => {
                // time_t is i64 on 64-bit Linux, narrower elsewhere.
                #[allow(clippy::unnecessary_cast)]
                let ts = Timestamp::new(
                    p.header.ts.tv_sec as i64,
                    u32::try_from(p.header.ts.tv_usec.max(0)).unwrap_or(0) * 1000,
                );
                batch.push(ts, p.header.len, p.data);
                shared.captured.fetch_add(1, Ordering::SeqCst);
                let behind = shared.queued.load(Ordering::SeqCst) > 0;
                if (!behind || batch.len() >= BATCH_FRAMES || batch.bytes() >= BATCH_BYTES)
                    && !hand_over(&tx, &recycled, &mut batch, &shared)
                {
                    break;
                }
            }
            // Non-blocking: nothing on the ring now. Hand over what is held, then wait.
            Err(pcap::Error::TimeoutExpired) | Err(pcap::Error::NoMorePackets) => {
                if !batch.is_empty() && !hand_over(&tx, &recycled, &mut batch, &shared) {
                    break;
                }
                if let Err(e) = wait_readable(live.cap.as_fd()) {
                    error = Some(format!("waiting for packets: {e}"));
                    break;
                }
            }
            Err(e) => {
                error = Some(words(&e));
                break;
            }
        }
    }
    // What is held at the stop is waited for, not dropped: the analysis side drains the queue
    // until the capture thread is gone.
    if !batch.is_empty() {
        shared.queued.fetch_add(1, Ordering::SeqCst);
        let _ = tx.send(batch);
    }
    let (libpcap, libpcap_error) = match live.cap.stats() {
        Ok(s) => (
            Some(LibpcapStats {
                received: s.received,
                kernel_dropped: s.dropped,
                if_dropped: s.if_dropped,
            }),
            None,
        ),
        Err(e) => (None, Some(words(&e))),
    };
    CaptureStats {
        captured: shared.captured.load(Ordering::SeqCst),
        queue_dropped: shared.queue_dropped.load(Ordering::SeqCst),
        libpcap,
        libpcap_error,
        error,
    }
}

/// Waits until the capture's descriptor `fd` is readable, for at most [`POLL_MS`]; an
/// interrupted wait counts as a wake-up.
fn wait_readable(fd: BorrowedFd<'_>) -> nix::Result<()> {
    match poll(&mut [PollFd::new(fd, PollFlags::POLLIN)], POLL_MS) {
        Ok(_) | Err(nix::errno::Errno::EINTR) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The wall-clock time as a capture timestamp (what [`crate::engine::Engine::tick`] wants
/// during a live capture: libpcap stamps packets with the same clock).
pub fn now() -> Timestamp {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => Timestamp::new(
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        ),
        Err(_) => Timestamp::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_errors_are_sorted_by_what_libpcap_said() {
        let e = open_error(
            "eth0",
            pcap::Error::PcapError(
                "eth0: You don't have permission to perform this capture on that device (socket: Operation not permitted)".into(),
            ),
        );
        assert!(e.is_permission());
        assert_eq!(
            e.to_string(),
            "eth0: cannot capture: permission denied (eth0: You don't have permission to perform this capture on that device (socket: Operation not permitted))"
        );
        let e = open_error(
            "nope0",
            pcap::Error::PcapError("nope0: No such device exists (No such device exists)".into()),
        );
        assert!(matches!(e, LiveError::NoSuchInterface { .. }), "{e}");
        let e = open_error(
            "eth0",
            pcap::Error::PcapError("eth0: That device is not up".into()),
        );
        assert!(matches!(e, LiveError::Open { .. }), "{e}");
    }

    #[test]
    fn a_full_queue_drops_and_counts_the_batch_and_keeps_its_buffer() {
        let (tx, rx) = mpsc::sync_channel(1);
        let (_rtx, rrx) = mpsc::channel();
        let shared = Shared::default();
        let mut b = Batch::new(LinkType::ETHERNET);
        b.push(Timestamp::default(), 1, b"a");
        assert!(hand_over(&tx, &rrx, &mut b, &shared));
        assert!(b.is_empty());
        assert_eq!(shared.queued.load(Ordering::SeqCst), 1);
        b.push(Timestamp::default(), 1, b"b");
        b.push(Timestamp::default(), 1, b"c");
        assert!(hand_over(&tx, &rrx, &mut b, &shared));
        assert_eq!(shared.queue_dropped.load(Ordering::SeqCst), 2);
        assert_eq!(shared.queued.load(Ordering::SeqCst), 1);
        assert!(b.is_empty());
        let got = rx.recv().unwrap();
        assert_eq!(got.frames(1).next().map(|f| f.data), Some(&b"a"[..]));
        drop(rx);
        b.push(Timestamp::default(), 1, b"d");
        assert!(
            !hand_over(&tx, &rrx, &mut b, &shared),
            "the analysis side is gone"
        );
    }
}
