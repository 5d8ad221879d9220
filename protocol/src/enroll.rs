//! Enrollment as a sans-IO state machine: a child redeems its invitation with one `Enroll`, the
//! parent answers with one `Enrolled` (PROTOCOL.md §8), on one stream of a connection the child
//! opened with the parent's key pinned.
//!
//! Like [`crate::Sync`], an [`Enrollment`] owns no socket, clock or thread: feed it what
//! arrived ([`Enrollment::handle_input`]), write what [`Enrollment::poll_transmit`] gives, take
//! what happened from [`Enrollment::poll_event`], and call [`Enrollment::handle_timeout`] when
//! the time [`Enrollment::poll_timeout`] names has come. It uses the same framing as sync, with
//! a smaller frame limit ([`ENROLL_FRAME_BYTES_MAX`]) and a deadline for the whole exchange
//! ([`ENROLL_WITHIN_MS`]). Whether an invitation is good is the parent's business: the machine
//! hands it the request ([`EnrollEvent::Asked`]) and sends the answer it is given
//! ([`Enrollment::answer`]).

use std::collections::VecDeque;

use crate::frame::{self, FrameError};
use crate::limits::{ENROLL_FRAME_BYTES_MAX, ENROLL_WITHIN_MS};
use crate::message::{Enroll, Enrolled, Message};

/// What an enrollment came to.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum EnrollEvent {
    /// The parent's side: a child asks to be enrolled. Decide, then [`Enrollment::answer`].
    Asked(Enroll),
    /// The child's side: the parent answered.
    Answered(Enrolled),
    /// The exchange failed: the peer sent something that is not its part of an enrollment, a
    /// frame too large or malformed, or nothing in time. Nothing more is sent or read.
    Failed(String),
}

/// Where the exchange stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    /// Waiting for the peer's message (the parent for `Enroll`, the child for `Enrolled`).
    Awaiting,
    /// The parent's side holds a request and waits for its own decision.
    Deciding,
    /// Over: answered, or failed.
    Done,
}

/// One side of one enrollment.
#[derive(Debug)]
pub struct Enrollment {
    /// True on the child's side.
    child: bool,
    stage: Stage,
    inbox: Vec<u8>,
    outbox: VecDeque<Vec<u8>>,
    events: VecDeque<EnrollEvent>,
    /// When the exchange must be over (ms since the epoch).
    deadline_ms: u64,
}

impl Enrollment {
    /// The child's side, started at `now_ms`: queues `request`.
    pub fn child(now_ms: u64, request: Enroll) -> Enrollment {
        let mut machine = Enrollment::new(true, now_ms);
        machine
            .outbox
            .push_back(frame::encode(&Message::Enroll(request)));
        machine
    }

    /// The parent's side, started at `now_ms` (when the connection was accepted).
    pub fn parent(now_ms: u64) -> Enrollment {
        Enrollment::new(false, now_ms)
    }

    fn new(child: bool, now_ms: u64) -> Enrollment {
        Enrollment {
            child,
            stage: Stage::Awaiting,
            inbox: Vec::new(),
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            deadline_ms: now_ms.saturating_add(ENROLL_WITHIN_MS),
        }
    }

    /// Feeds bytes read from the stream.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if self.stage != Stage::Awaiting {
            return;
        }
        self.inbox.extend_from_slice(bytes);
        let message = match frame::decode(&self.inbox) {
            Ok((message, _)) => message,
            Err(FrameError::Incomplete { needed, .. }) => {
                if needed > ENROLL_FRAME_BYTES_MAX {
                    self.fail(format!(
                        "an enrollment frame of {needed} bytes; the limit is {ENROLL_FRAME_BYTES_MAX}"
                    ));
                }
                return;
            }
            Err(error) => return self.fail(error.to_string()),
        };
        match (self.child, message) {
            (false, Message::Enroll(request)) => {
                self.stage = Stage::Deciding;
                self.events.push_back(EnrollEvent::Asked(request));
            }
            (true, Message::Enrolled(answer)) => {
                self.stage = Stage::Done;
                self.events.push_back(EnrollEvent::Answered(answer));
            }
            (false, _) => {
                // A stranger that says anything else is told what this connection is for.
                let reason = "this node is not enrolled here; only an invitation may be redeemed";
                self.outbox
                    .push_back(frame::encode(&Message::Enrolled(Enrolled {
                        accepted: false,
                        reason: reason.into(),
                    })));
                self.fail(reason.into());
            }
            (true, _) => self.fail("the parent answered something else".into()),
        }
    }

    /// The parent's decision on the request it was handed: queued to be sent. Ignored unless
    /// a request is waiting for one.
    pub fn answer(&mut self, answer: Enrolled) {
        if self.child || self.stage != Stage::Deciding {
            return;
        }
        self.outbox
            .push_back(frame::encode(&Message::Enrolled(answer)));
        self.stage = Stage::Done;
    }

    /// The next frame to write to the stream.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.outbox.pop_front()
    }

    /// What happened.
    pub fn poll_event(&mut self) -> Option<EnrollEvent> {
        self.events.pop_front()
    }

    /// When [`Enrollment::handle_timeout`] must be called, while the exchange is not over.
    pub fn poll_timeout(&self) -> Option<u64> {
        (self.stage != Stage::Done).then_some(self.deadline_ms)
    }

    /// Tells the machine the time: past the deadline, the exchange fails.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        if self.stage != Stage::Done && now_ms >= self.deadline_ms {
            let whose = if self.child {
                "the parent"
            } else {
                "the child"
            };
            self.fail(format!(
                "{whose} did not finish the enrollment within {} s",
                ENROLL_WITHIN_MS / 1000
            ));
        }
    }

    /// Whether the exchange is over (answered or failed).
    pub fn is_done(&self) -> bool {
        self.stage == Stage::Done
    }

    fn fail(&mut self, reason: String) {
        self.stage = Stage::Done;
        self.inbox = Vec::new();
        self.events.push_back(EnrollEvent::Failed(reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nhip_engine::UnitId;

    const T0: u64 = 1_758_560_400_000;

    fn request() -> Enroll {
        Enroll {
            secret: [7; 32],
            unit: UnitId::new("tinh/xa/ban-na-ri").unwrap(),
        }
    }

    /// Moves every frame `from` wants to send into `to`, a byte at a time.
    fn pass(from: &mut Enrollment, to: &mut Enrollment) {
        while let Some(bytes) = from.poll_transmit() {
            for byte in bytes {
                to.handle_input(&[byte]);
            }
        }
    }

    #[test]
    fn a_request_and_its_answer_cross_in_pieces() {
        let mut child = Enrollment::child(T0, request());
        let mut parent = Enrollment::parent(T0);
        pass(&mut child, &mut parent);
        assert_eq!(parent.poll_event(), Some(EnrollEvent::Asked(request())));
        assert!(!parent.is_done(), "the parent decides before it is done");
        parent.answer(Enrolled {
            accepted: true,
            reason: String::new(),
        });
        pass(&mut parent, &mut child);
        assert_eq!(
            child.poll_event(),
            Some(EnrollEvent::Answered(Enrolled {
                accepted: true,
                reason: String::new()
            }))
        );
        assert!(child.is_done() && parent.is_done());
        assert_eq!(child.poll_timeout(), None);
    }

    #[test]
    fn a_stranger_that_says_something_else_is_told_why() {
        let mut parent = Enrollment::parent(T0);
        parent.handle_input(&frame::encode(&Message::CaughtUp));
        assert!(matches!(parent.poll_event(), Some(EnrollEvent::Failed(_))));
        let mut child = Enrollment::child(T0, request());
        child.poll_transmit();
        pass(&mut parent, &mut child);
        match child.poll_event() {
            Some(EnrollEvent::Answered(answer)) => {
                assert!(!answer.accepted);
                assert!(answer.reason.contains("invitation"), "{}", answer.reason);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_huge_prefix_fails_before_anything_is_held() {
        let mut parent = Enrollment::parent(T0);
        parent.handle_input(&u32::MAX.to_be_bytes());
        match parent.poll_event() {
            Some(EnrollEvent::Failed(reason)) => assert!(reason.contains("frame"), "{reason}"),
            other => panic!("{other:?}"),
        }
        parent.handle_input(&[0; 1024]);
        assert!(parent.inbox.is_empty(), "nothing is held after a failure");
        let mut parent = Enrollment::parent(T0);
        let too_large = u32::try_from(ENROLL_FRAME_BYTES_MAX + 1).unwrap();
        parent.handle_input(&too_large.to_be_bytes());
        assert!(matches!(parent.poll_event(), Some(EnrollEvent::Failed(_))));
    }

    #[test]
    fn garbage_fails_with_a_reason() {
        let mut child = Enrollment::child(T0, request());
        child.handle_input(&[0, 0, 0, 3, 0xc1, 0xc1, 0xc1]);
        assert!(matches!(child.poll_event(), Some(EnrollEvent::Failed(_))));
    }

    #[test]
    fn a_silent_peer_fails_at_the_deadline_on_virtual_time() {
        let mut child = Enrollment::child(T0, request());
        let deadline = child.poll_timeout().unwrap();
        assert_eq!(deadline, T0 + ENROLL_WITHIN_MS);
        child.handle_timeout(deadline - 1);
        assert_eq!(child.poll_event(), None);
        child.handle_timeout(deadline);
        match child.poll_event() {
            Some(EnrollEvent::Failed(reason)) => assert!(reason.contains("parent"), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert!(child.is_done());
    }
}
