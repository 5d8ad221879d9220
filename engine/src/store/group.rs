//! Group commit: concurrent local appends share one write transaction, one fsync and one seal
//! per chain. The first appender leads; the others queue and sleep on their own channel (no
//! thundering herd); the leader commits every pending append, answers each, and hands the lead
//! to the oldest append that arrived meanwhile.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{MutexGuard, mpsc};

use ed25519_dalek::SigningKey;

use super::tables::WriteTables;
use super::{RedbLog, storage};
use crate::chain::{self, SealedAppend};
use crate::event::{Draft, StoredEvent};
use crate::limits::{GROUP_COMMIT_REQUESTS_MAX, GROUP_GATHER_YIELDS_MAX};
use crate::log::{AppendError, StoreError};

/// Appends waiting for a commit.
///
/// Invariant: when `leader` is false, `pending` is empty — a leader that finds appends still
/// pending after its commit hands the lead to the oldest of them instead of standing down.
#[derive(Default)]
pub(super) struct GroupQueue {
    next_ticket: u64,
    pending: VecDeque<PendingAppend>,
    leader: bool,
}

/// The result an append's caller receives, by ticket.
type AppendOutcome = (u64, Result<Vec<StoredEvent>, AppendError>);

/// What a waiting appender is woken with: exactly one message per append.
enum Wake {
    /// The append was committed (or refused).
    Done(Result<Vec<StoredEvent>, AppendError>),
    /// The previous leader is finished and this append is the oldest pending: lead the next
    /// group.
    Lead,
}

struct PendingAppend {
    ticket: u64,
    now_ms: u64,
    drafts: Vec<Draft>,
    wake: mpsc::SyncSender<Wake>,
}
impl RedbLog {
    /// Appends `drafts` as part of the next group commit; see the module documentation.
    pub(super) fn append_grouped(
        &self,
        signer: &SigningKey,
        now_ms: u64,
        drafts: Vec<Draft>,
    ) -> Result<Vec<StoredEvent>, AppendError> {
        chain::check_append(self.node, signer, &drafts)?;
        // Group commit: an appender that finds no leader leads; the others queue and sleep on
        // their own channel (no thundering herd). The leader commits every pending append in
        // one transaction, answers each, and hands the lead to the oldest append that arrived
        // meanwhile.
        let (wake, woken) = mpsc::sync_channel(1);
        let mut queue = self.lock_group();
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.pending.push_back(PendingAppend {
            ticket,
            now_ms,
            drafts,
            wake,
        });
        if queue.leader {
            drop(queue);
            match woken.recv() {
                Ok(Wake::Done(result)) => return result,
                Ok(Wake::Lead) => queue = self.lock_group(),
                // Invariant: a pending append's sender lives in the queue until it is used.
                Err(mpsc::RecvError) => unreachable!("a pending append is always answered"),
            }
        } else {
            queue.leader = true;
        }
        // Leading. Writers whose appends were just answered usually come straight back with
        // the next one; give them a moment to join this group rather than form the next.
        for _ in 0..GROUP_GATHER_YIELDS_MAX {
            let before = queue.pending.len();
            drop(queue);
            std::thread::yield_now();
            queue = self.lock_group();
            if queue.pending.len() == before {
                break;
            }
        }
        let take = queue.pending.len().min(GROUP_COMMIT_REQUESTS_MAX);
        let group: Vec<PendingAppend> = queue.pending.drain(..take).collect();
        drop(queue);
        let senders: Vec<(u64, mpsc::SyncSender<Wake>)> = group
            .iter()
            .map(|pending| (pending.ticket, pending.wake.clone()))
            .collect();
        let mut own = None;
        for (done_ticket, result) in self.commit_group(signer, group) {
            if done_ticket == ticket {
                own = Some(result);
            } else if let Some((_, sender)) = senders.iter().find(|(t, _)| *t == done_ticket) {
                // A receiver that is gone was a thread that panicked; nothing to tell it.
                let _ = sender.send(Wake::Done(result));
            }
        }
        let mut queue = self.lock_group();
        match queue.pending.front() {
            Some(next) => {
                let _ = next.wake.send(Wake::Lead);
            }
            None => queue.leader = false,
        }
        drop(queue);
        // Invariant: the leader's own append is the oldest pending, so it is in its group.
        own.expect("the leader's append is in its own group")
    }

    fn lock_group(&self) -> MutexGuard<'_, GroupQueue> {
        // The queue holds plain data and every critical section leaves it consistent.
        self.group
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Commits every pending append in one transaction and hands out the results.
    fn commit_group(&self, signer: &SigningKey, group: Vec<PendingAppend>) -> Vec<AppendOutcome> {
        match self.try_commit_group(signer, &group) {
            Ok(results) => results,
            Err(error) => group
                .iter()
                .map(|pending| (pending.ticket, Err(AppendError::Store(error.clone()))))
                .collect(),
        }
    }

    fn try_commit_group(
        &self,
        signer: &SigningKey,
        group: &[PendingAppend],
    ) -> Result<Vec<AppendOutcome>, StoreError> {
        let txn = self.db.begin_write()?;
        let mut results = Vec::with_capacity(group.len());
        let mut clock = self.lock_clock();
        {
            let mut tables = WriteTables::open(&txn)?;
            // The whole group is one stretch of each chain it writes, with one seal at the end
            // of each, so a group of sixteen appends to one unit costs one signature, not
            // sixteen. A request whose event is too large is answered on its own and the rest is
            // sealed again without it.
            let mut members: Vec<&PendingAppend> = group.iter().collect();
            let sealed = loop {
                let timed: Vec<(u64, &Draft)> = members
                    .iter()
                    .flat_map(|pending| pending.drafts.iter().map(|draft| (pending.now_ms, draft)))
                    .collect();
                match chain::seal_local(signer, &mut tables, *clock, &timed) {
                    Ok(sealed) => break sealed,
                    Err(AppendError::TooLarge { index, len, max }) => {
                        let (member, local) = locate(&members, index);
                        let refused = members.remove(member);
                        results.push((
                            refused.ticket,
                            Err(AppendError::TooLarge {
                                index: local,
                                len,
                                max,
                            }),
                        ));
                        if members.is_empty() {
                            return Ok(results);
                        }
                    }
                    Err(AppendError::Store(error)) => return Err(error),
                    Err(other) => return Err(StoreError::Storage(other.to_string())),
                }
            };
            let SealedAppend {
                events,
                seals,
                clock: new_clock,
            } = sealed;
            tables.store(&events, &seals)?;
            let mut events = events.into_iter();
            for pending in members {
                let own: Vec<StoredEvent> = events.by_ref().take(pending.drafts.len()).collect();
                results.push((pending.ticket, Ok(own)));
            }
            drop(tables);
            txn.commit().map_err(storage)?;
            *clock = new_clock;
        }
        self.commits.fetch_add(1, Ordering::Relaxed);
        Ok(results)
    }
}

/// Which member of a group holds the group-wide draft `index`, and its index there.
fn locate(members: &[&PendingAppend], index: usize) -> (usize, usize) {
    let mut start = 0;
    for (member, pending) in members.iter().enumerate() {
        if index < start + pending.drafts.len() {
            return (member, index - start);
        }
        start += pending.drafts.len();
    }
    // Invariant: `index` comes from sealing exactly these members' drafts.
    unreachable!("draft index {index} outside the group")
}
