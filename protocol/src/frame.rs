//! Framing: every message is a 4-byte big-endian length, then that many bytes of MessagePack.
//!
//! The length is checked against [`FRAME_BYTES_MAX`] before anything is allocated, nesting is
//! bounded by [`NESTING_DEPTH_MAX`], and decoding tells "not enough bytes yet"
//! ([`FrameError::Incomplete`]) apart from bytes that can never be a frame. No input panics.

use serde::Deserialize;

use crate::limits::{FRAME_BYTES_MAX, FRAME_PREFIX_BYTES, NESTING_DEPTH_MAX};
use crate::message::Message;

/// Why bytes are not (yet) a frame.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum FrameError {
    /// More bytes are needed; `needed` is the total length of the frame in progress, or of the
    /// prefix while it is incomplete.
    #[error("incomplete frame: {needed} bytes needed, {have} held")]
    Incomplete {
        /// Bytes needed in all.
        needed: usize,
        /// Bytes held.
        have: usize,
    },
    /// The prefix announces more than any frame may carry.
    #[error("frame of {len} bytes announced; at most {max} are allowed")]
    TooLarge {
        /// The announced length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The payload is not a message this version knows.
    #[error("malformed frame: {0}")]
    Malformed(String),
}

/// Encodes a message as one frame.
pub fn encode(message: &Message) -> Vec<u8> {
    // Invariant: messages hold only ids, numbers, strings and bytes, which always encode.
    let payload = rmp_serde::to_vec(message).expect("a message always encodes");
    debug_assert!(
        payload.len() <= FRAME_BYTES_MAX,
        "the sender respects the limit"
    );
    let mut frame = Vec::with_capacity(FRAME_PREFIX_BYTES + payload.len());
    // Invariant: FRAME_BYTES_MAX fits u32 (checked in limits.rs).
    frame.extend_from_slice(
        &u32::try_from(payload.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    frame.extend_from_slice(&payload);
    frame
}

/// Decodes the first frame of `buffer`, returning the message and the bytes it used.
pub fn decode(buffer: &[u8]) -> Result<(Message, usize), FrameError> {
    let Some(prefix) = buffer.get(..FRAME_PREFIX_BYTES) else {
        return Err(FrameError::Incomplete {
            needed: FRAME_PREFIX_BYTES,
            have: buffer.len(),
        });
    };
    // Invariant: the slice is FRAME_PREFIX_BYTES = 4 long.
    let len = u32::from_be_bytes(prefix.try_into().expect("4 bytes")) as usize;
    if len > FRAME_BYTES_MAX {
        return Err(FrameError::TooLarge {
            len,
            max: FRAME_BYTES_MAX,
        });
    }
    let total = FRAME_PREFIX_BYTES + len;
    let Some(payload) = buffer.get(FRAME_PREFIX_BYTES..total) else {
        return Err(FrameError::Incomplete {
            needed: total,
            have: buffer.len(),
        });
    };
    // Reading from a slice advances it, so what is left after the message is visible.
    let mut rest: &[u8] = payload;
    let message = {
        let mut deserializer = rmp_serde::Deserializer::new(&mut rest);
        deserializer.set_max_depth(NESTING_DEPTH_MAX);
        Message::deserialize(&mut deserializer)
            .map_err(|error| FrameError::Malformed(error.to_string()))?
    };
    if !rest.is_empty() {
        return Err(FrameError::Malformed(format!(
            "{} bytes follow the message in its frame",
            rest.len()
        )));
    }
    Ok((message, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Close, Heads};

    fn sample() -> Message {
        Message::Close(Close {
            code: 0,
            reason: "xong".into(),
        })
    }

    #[test]
    fn round_trips() {
        let frame = encode(&sample());
        assert_eq!(decode(&frame), Ok((sample(), frame.len())));
        let mut two = frame.clone();
        two.extend_from_slice(&encode(&Message::Heads(Heads::default())));
        let (first, used) = decode(&two).unwrap();
        assert_eq!(first, sample());
        assert_eq!(
            decode(&two[used..]).unwrap().0,
            Message::Heads(Heads::default())
        );
    }

    #[test]
    fn every_truncation_is_incomplete_never_malformed() {
        let frame = encode(&sample());
        for len in 0..frame.len() {
            assert!(
                matches!(decode(&frame[..len]), Err(FrameError::Incomplete { .. })),
                "prefix of {len} bytes"
            );
        }
    }

    #[test]
    fn a_huge_length_prefix_is_refused_before_allocation() {
        let bytes = [0xff, 0xff, 0xff, 0xff, 0x00];
        assert!(matches!(
            decode(&bytes),
            Err(FrameError::TooLarge { len, .. }) if len == u32::MAX as usize
        ));
    }

    #[test]
    fn deep_nesting_is_malformed_not_a_stack_overflow() {
        let depth = 10_000;
        let mut payload = vec![0x91; depth]; // fixarray of one element, nested
        payload.push(0xc0);
        let mut frame = (payload.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&payload);
        assert!(matches!(decode(&frame), Err(FrameError::Malformed(_))));
    }

    #[test]
    fn garbage_is_malformed() {
        let payload = b"definitely not messagepack of a message";
        let mut frame = (payload.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(payload);
        assert!(matches!(decode(&frame), Err(FrameError::Malformed(_))));
    }

    #[test]
    fn trailing_bytes_in_a_frame_are_malformed() {
        let mut frame = encode(&sample());
        frame.push(0xc0);
        let len = (frame.len() - 4) as u32;
        frame[..4].copy_from_slice(&len.to_be_bytes());
        assert!(matches!(decode(&frame), Err(FrameError::Malformed(_))));
    }

    mod fuzz {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

            /// Any bytes at all: an answer, never a panic, and never more bytes used than held.
            #[test]
            fn any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
                if let Ok((_, used)) = decode(&bytes) {
                    prop_assert!(used <= bytes.len());
                }
            }

            /// A well-formed prefix around arbitrary payload bytes (the decoder's real input
            /// from a hostile peer): a message or a clear error; a message decoded this way
            /// encodes and decodes again.
            #[test]
            fn arbitrary_payload(payload in prop::collection::vec(any::<u8>(), 0..600)) {
                let mut frame = (payload.len() as u32).to_be_bytes().to_vec();
                frame.extend_from_slice(&payload);
                match decode(&frame) {
                    Ok((message, used)) => {
                        prop_assert_eq!(used, frame.len());
                        prop_assert!(decode(&encode(&message)).is_ok());
                    }
                    Err(FrameError::Malformed(_)) => {}
                    Err(other) => prop_assert!(false, "unexpected {other:?}"),
                }
            }

            /// A valid frame with one byte changed: an answer, never a panic.
            #[test]
            fn one_byte_changed(at in any::<prop::sample::Index>(), value in any::<u8>()) {
                let mut frame = encode(&sample());
                let index = at.index(frame.len());
                frame[index] = value;
                let _ = decode(&frame);
            }
        }
    }
}
