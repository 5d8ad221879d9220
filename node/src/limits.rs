//! Every limit of the node shell, in one place.

/// A connection with no traffic for this long is closed (keep-alives keep a live link open):
/// how long a dead link (a parent that crashed, a cable pulled) takes to notice, and a
/// connection attempt to a dead address to fail.
///
/// The trade-off is bytes on metered 2G links: a keep-alive every [`KEEP_ALIVE_MS`] costs about
/// 0.7 MB a day per idle live link, each way; 20 s of silence is three lost keep-alives in a
/// row, rare enough on a lossy link not to drop it needlessly.
pub const IDLE_TIMEOUT_MS: u64 = 20_000;

/// How often both ends of a connection send a keep-alive.
pub const KEEP_ALIVE_MS: u64 = 6_000;

/// Children connected at once; further connections are refused until one ends.
pub const CONNECTIONS_MAX: usize = 512;

/// Connections one peer may hold at once: its live link, and a second while a reconnection
/// overlaps a link not yet known dead. One peer can never hold the slots of all the others.
pub const CONNECTIONS_PER_PEER_MAX: usize = 2;

const _: () = assert!(CONNECTIONS_PER_PEER_MAX < CONNECTIONS_MAX);

/// Streams a peer may open on one connection: sync uses exactly one.
pub const STREAMS_PER_CONNECTION_MAX: u32 = 1;

/// Flow-control window of the sync stream: a full pipeline of the largest batches fits, so
/// neither side stalls on the other's acknowledgements.
pub const STREAM_WINDOW_BYTES: u32 = 48 * 1024 * 1024;

/// Bytes read from the stream at a time.
pub const READ_CHUNK_BYTES: usize = 256 * 1024;

/// How long a finished link waits for the peer to finish too before closing the connection.
pub const LINGER_MS: u64 = 2_000;

/// Refusals a link status keeps, newest last.
pub const REFUSALS_REMEMBERED_MAX: usize = 20;

/// Reconnection backoff: first delay, and the ceiling it doubles up to.
pub const BACKOFF_FIRST_MS: u64 = 500;
/// See [`BACKOFF_FIRST_MS`].
pub const BACKOFF_MAX_MS: u64 = 60_000;

const _: () = assert!(3 * KEEP_ALIVE_MS <= IDLE_TIMEOUT_MS);
const _: () = assert!(BACKOFF_FIRST_MS <= BACKOFF_MAX_MS);

/// Worker threads of the node's runtime: the old office PCs have two cores. Blocking work (the
/// commands run for socket callers, replays) goes to tokio's blocking pool, not these.
pub const WORKER_THREADS: usize = 2;

/// The largest request body the local API takes (a command line and its folder, or a form).
pub const API_BODY_BYTES_MAX: usize = 1024 * 1024;

/// The largest answer a socket caller reads back (the words of one command, e.g. a long list
/// or an export to standard output).
pub const API_ANSWER_BYTES_MAX: usize = 256 * 1024 * 1024;

/// Commands the running node executes at once for socket callers; others wait their turn.
pub const API_COMMANDS_CONCURRENT_MAX: usize = 64;

/// How long a client of the socket or the app may take to send a request's headers: a client
/// that sends them a byte at a time (slowloris), or opens a connection and says nothing, is cut
/// off after this, and its connection freed.
pub const HTTP_HEADERS_WITHIN_MS: u64 = 10_000;

/// How long a stopping node waits for the answers in flight on its socket and its app before it
/// closes their connections (a change stream never ends by itself).
pub const HTTP_STOP_GRACE_MS: u64 = 5_000;

/// How long a socket caller waits for the running node to answer a command before giving up.
pub const API_ANSWER_WITHIN_MS: u64 = 30 * 60 * 1000;

/// Events read from a chain at a time while the running node's state (and the dashboard's)
/// catches up.
pub const LIVE_READ_PAGE: usize = 4096;

/// A unit silent for longer than this (3 days) is stale: its counts read as unknown.
pub const STALE_AFTER_MS: u64 = 3 * 24 * 60 * 60 * 1000;

/// How long the dashboard serves a computed state before looking at the log again.
pub const STATE_TTL_MS: u64 = 1500;

/// Past this many new events at once, the dashboard's summaries are counted afresh rather than
/// unit by unit (the events are held in memory either way, as one catch-up's worth).
pub const TALLY_EVENTS_MAX: usize = 65_536;

/// How long the parent waits for the child to read its answer to an enrollment.
pub const ENROLL_LINGER_MS: u64 = 2_000;

/// A running node's state is taken as current while its commit feed has not moved — but the
/// log's heads are read again at least this often, in case something wrote without telling.
pub const LIVE_RECHECK_MS: u64 = 1000;

/// The office app's lists answer at most this many rows (the page says how many matched).
pub const APP_LIST_ROWS_MAX: usize = 500;

/// The largest appendix the office app takes as an upload (an appendix of a few hundred rows
/// is a few tens of kilobytes; a workbook with pictures, a few megabytes).
pub const APP_UPLOAD_BYTES_MAX: usize = 8 * 1024 * 1024;

/// A picker (people, units) offers at most this many matches as a person types.
pub const APP_PICKER_ROWS_MAX: usize = 20;

/// A session (`nhip login`, the app's login) ends after this long without use.
pub const SESSION_IDLE_MS: u64 = 30 * 60 * 1000;

/// Sessions one running node holds at once (every office PC, every browser tab logged in).
pub const SESSIONS_MAX: usize = 1024;

/// The shortest passphrase, in characters.
pub const PASSPHRASE_CHARS_MIN: usize = 10;

/// The longest passphrase, in bytes: long enough for any sentence a person will remember.
pub const PASSPHRASE_BYTES_MAX: usize = 1024;

/// Wrong passphrases for one person before each further try waits (the wait doubles with
/// every wrong try after these, up to [`LOGIN_WAIT_MS_MAX`]).
pub const LOGIN_FAILURES_FREE: u32 = 5;

/// The longest a person's logins are held back after wrong passphrases.
pub const LOGIN_WAIT_MS_MAX: u64 = 15 * 60 * 1000;

/// How long a setup code stays usable by default.
pub const SETUP_CODE_DAYS: u64 = 7;

/// argon2id memory, in KiB (RFC 9106's second recommended option: 64 MiB, 3 passes, one lane,
/// so a guess costs an attacker who took a copy of the log as much as a login costs us).
pub const ARGON2_MEMORY_KIB: u32 = 64 * 1024;

/// argon2id passes.
pub const ARGON2_PASSES: u32 = 3;

/// argon2id lanes.
pub const ARGON2_LANES: u32 = 1;

const _: () = assert!(PASSPHRASE_CHARS_MIN * 4 <= PASSPHRASE_BYTES_MAX);
const _: () =
    assert!(SETUP_CODE_DAYS * 24 * 60 * 60 * 1000 <= nhip_engine::limits::SETUP_CODE_MS_MAX);
/// How many arrivals a report reads per page while finding the events that came after its
/// as-of date.
pub const REPORT_ARRIVALS_PAGE: usize = 1024;

/// How many events of one chain a report reads per page.
pub const REPORT_CHAIN_PAGE: usize = 4096;

/// The most rows a table of the document shows; the workbook has them all.
pub const REPORT_DOCUMENT_ROWS_MAX: usize = 300;

/// The most rows a sheet of the workbook lists; `nhip export` gives every item.
pub const REPORT_SHEET_ROWS_MAX: usize = 10_000;

/// The narrowest spreadsheet column, in characters.
pub const REPORT_COLUMN_CHARS_MIN: usize = 5;

/// The widest spreadsheet column, in characters; longer text wraps.
pub const REPORT_COLUMN_CHARS_MAX: usize = 60;

/// The most tasks named one by one in the document's narrative (the appendix lists all).
pub const REPORT_NARRATIVE_ITEMS_MAX: usize = 15;

const _: () = assert!(REPORT_COLUMN_CHARS_MIN < REPORT_COLUMN_CHARS_MAX);
const _: () = assert!(REPORT_DOCUMENT_ROWS_MAX <= REPORT_SHEET_ROWS_MAX);
// Excel's sheets hold 1,048,576 rows.
const _: () = assert!(REPORT_SHEET_ROWS_MAX < 1_048_576);
