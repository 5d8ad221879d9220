//! Every limit of the engine, in one place. Relations between limits are checked at compile
//! time at the bottom of this file.

/// The largest canonical event (envelope and body) the engine writes or accepts.
pub const EVENT_BYTES_MAX: usize = 64 * 1024;

/// The largest unit or person code, in bytes. Unit codes are paths (`tinh/xa-binh-lu/ban-na-ri`),
/// so this bounds the depth of the tree times the length of a segment.
pub const NAME_BYTES_MAX: usize = 128;

/// The most body-kind name bytes; longer kinds are refused as malformed.
pub const BODY_KIND_BYTES_MAX: usize = 64;

/// The most events one local append (one call) may carry.
pub const APPEND_EVENTS_MAX: usize = 10_000;

/// A local commit seals its last event, and at least every this many events inside a large
/// commit, so that a sender can always cut a batch at a sealed event.
pub const SEAL_INTERVAL_EVENTS: usize = 256;

/// A local commit also seals an event once this many bytes of its chain follow the previous
/// seal, so that a sealed prefix of a chain is never much larger than this.
pub const SEAL_INTERVAL_BYTES: usize = 1024 * 1024;

/// The most events one foreign batch may carry.
pub const BATCH_EVENTS_MAX: usize = 4096;

/// The most seals one foreign batch may carry.
pub const BATCH_SEALS_MAX: usize = BATCH_EVENTS_MAX;

/// How far (ms) an incoming event's clock may run ahead of this node's clock. Clocks may be
/// wrong by up to a day each way (design.md), so two of them may disagree by two days; beyond a
/// third day the event is refused for now and accepted once the clocks agree.
pub const HLC_AHEAD_MS_MAX: u64 = 3 * 24 * 60 * 60 * 1000;

/// The most requests one group commit folds into a single redb transaction.
pub const GROUP_COMMIT_REQUESTS_MAX: usize = 256;

/// How many times a group-commit leader yields the CPU to let returning writers join its group
/// before committing; it stops early as soon as a yield brings no one new.
pub const GROUP_GATHER_YIELDS_MAX: usize = 8;

/// An item counts as due soon this many days before its deadline.
pub const DUE_SOON_DAYS: i32 = 7;

/// The largest sealed (passphrase-encrypted) person key a `person.key_added` event may carry.
pub const SEALED_KEY_BYTES_MAX: usize = 512;

/// The longest a setup code may stay usable after it is issued (ms).
pub const SETUP_CODE_MS_MAX: u64 = 30 * 24 * 60 * 60 * 1000;
/// Days after a period's end by which its report is due at the level above.
pub const REPORT_DUE_DAYS: i32 = 5;

/// The longest reporting period (a from–to range), in days.
pub const REPORT_PERIOD_DAYS_MAX: i32 = 366 * 2;

/// The most weeks a report's progress chart shows.
pub const REPORT_WEEKS_MAX: usize = 106;

const _: () = assert!(SEAL_INTERVAL_EVENTS <= BATCH_EVENTS_MAX);
const _: () = assert!(EVENT_BYTES_MAX <= SEAL_INTERVAL_BYTES);
const _: () = assert!(BODY_KIND_BYTES_MAX <= EVENT_BYTES_MAX);
const _: () = assert!(APPEND_EVENTS_MAX * 64 <= u32::MAX as usize);
const _: () = assert!(REPORT_WEEKS_MAX as i32 * 7 >= REPORT_PERIOD_DAYS_MAX);
