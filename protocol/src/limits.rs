//! Every limit of the wire, in one place. A peer that exceeds one is told why and closed.

use nhip_engine::limits::{BATCH_EVENTS_MAX, EVENT_BYTES_MAX};

/// The protocol version this build speaks. Peers must speak the same one.
pub const PROTOCOL_VERSION: u32 = 1;

/// Bytes of the length prefix before every frame.
pub const FRAME_PREFIX_BYTES: usize = 4;

/// The largest frame payload accepted, checked from the prefix before anything is allocated.
pub const FRAME_BYTES_MAX: usize = 8 * 1024 * 1024;

/// The largest uncompressed batch (MessagePack of the engine's `Batch`). Decompression stops
/// at this size, so a small compressed frame cannot expand into a large allocation.
pub const BATCH_BYTES_MAX: usize = 4 * 1024 * 1024;

/// Events per batch the sender aims for; the engine's own limit is the hard one.
pub const BATCH_EVENTS_TARGET: usize = 1024;

/// Batches sent and not yet acknowledged, per connection: the pipeline's depth.
pub const WINDOW_BATCHES: usize = 8;

/// The most chains one `Heads` message may list.
pub const HEADS_CHAINS_MAX: usize = 200_000;

/// The deepest MessagePack nesting any message may have. Real messages nest four levels.
pub const NESTING_DEPTH_MAX: usize = 16;

/// The longest human-readable reason in a `Close` message, in bytes.
pub const REASON_BYTES_MAX: usize = 512;

/// Frames queued for sending before the machine stops producing more.
pub const OUTBOX_FRAMES_MAX: usize = WINDOW_BATCHES + 16;

/// zstd level for batches: the fastest, which already takes most of the gain on repetitive
/// event envelopes (the sender's CPU is the bottleneck of a catch-up, not the link).
pub const ZSTD_LEVEL: i32 = 1;

const _: () = assert!(BATCH_EVENTS_TARGET <= BATCH_EVENTS_MAX);
// A batch of the largest events may exceed the byte limit: the sender then sends fewer events.
const _: () = assert!(EVENT_BYTES_MAX * 2 <= BATCH_BYTES_MAX);
const _: () = assert!(BATCH_BYTES_MAX < FRAME_BYTES_MAX);
const _: () = assert!(FRAME_BYTES_MAX <= u32::MAX as usize);

/// A peer must open its stream and say `Hello` within this long of the handshake, or be closed
/// (code 8, Timeout): a silent peer holds no connection slot. Generous enough for a lossy 2G
/// link, where a frame may take a few retransmissions.
pub const HELLO_WITHIN_MS: u64 = 15_000;

/// How long an enrollment exchange may take, from the connection to the answer.
pub const ENROLL_WITHIN_MS: u64 = 20_000;

/// The largest enrollment frame (an `Enroll` is a secret and a unit code: far smaller).
pub const ENROLL_FRAME_BYTES_MAX: usize = 64 * 1024;
