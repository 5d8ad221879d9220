//! Hybrid logical clock. Every event carries one; each origin's stamps strictly increase, and a
//! node's clock never falls below a stamp it has seen, so ordering events by stamp respects
//! causality (design.md invariant 4) even when wall clocks are wrong.

use serde::{Deserialize, Serialize};

/// A hybrid logical clock stamp: wall-clock milliseconds, then a counter for events within one
/// millisecond (or while the wall clock lags behind a stamp already seen).
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, Serialize, Deserialize,
)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch, as the writer's clock (or a later stamp) said.
    pub wall_ms: u64,
    /// Tie-breaking counter within `wall_ms`.
    pub logical: u32,
}

impl Hlc {
    /// The stamp for a new local event: later than `self` (the last stamp issued or seen) and
    /// no earlier than the wall clock `now_ms`.
    pub fn tick(self, now_ms: u64) -> Hlc {
        if now_ms > self.wall_ms {
            Hlc {
                wall_ms: now_ms,
                logical: 0,
            }
        } else if self.logical < u32::MAX {
            Hlc {
                wall_ms: self.wall_ms,
                logical: self.logical + 1,
            }
        } else {
            // Four billion events within one millisecond cannot happen in practice; moving the
            // wall part forward keeps the stamp strictly increasing all the same.
            Hlc {
                wall_ms: self.wall_ms + 1,
                logical: 0,
            }
        }
    }

    /// The clock after seeing `other`: never below anything seen.
    pub fn observe(self, other: Hlc) -> Hlc {
        self.max(other)
    }

    /// A fixed-width, order-preserving encoding (big-endian), used in storage keys and heads.
    pub fn to_bytes(self) -> [u8; 12] {
        let mut out = [0u8; 12];
        out[..8].copy_from_slice(&self.wall_ms.to_be_bytes());
        out[8..].copy_from_slice(&self.logical.to_be_bytes());
        out
    }

    /// The inverse of [`Hlc::to_bytes`].
    pub fn from_bytes(bytes: [u8; 12]) -> Hlc {
        let (wall, logical) = bytes.split_at(8);
        Hlc {
            // Invariant: the split sizes are 8 and 4 by construction.
            wall_ms: u64::from_be_bytes(wall.try_into().expect("8 bytes")),
            logical: u32::from_be_bytes(logical.try_into().expect("4 bytes")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_is_strictly_increasing_even_when_the_clock_goes_back() {
        let start = Hlc {
            wall_ms: 1_000,
            logical: 0,
        };
        let a = start.tick(2_000);
        let b = a.tick(1_500); // the wall clock went back
        let c = b.tick(2_000);
        assert!(start < a && a < b && b < c);
        assert_eq!(
            b,
            Hlc {
                wall_ms: 2_000,
                logical: 1
            }
        );
    }

    #[test]
    fn observe_never_goes_back() {
        let local = Hlc {
            wall_ms: 5,
            logical: 3,
        };
        let remote = Hlc {
            wall_ms: 9,
            logical: 0,
        };
        assert_eq!(local.observe(remote), remote);
        assert_eq!(remote.observe(local), remote);
        assert!(local.observe(remote).tick(0) > remote);
    }

    #[test]
    fn byte_encoding_preserves_order() {
        let stamps = [
            Hlc {
                wall_ms: 1,
                logical: 9,
            },
            Hlc {
                wall_ms: 2,
                logical: 0,
            },
            Hlc {
                wall_ms: 2,
                logical: 1,
            },
        ];
        for pair in stamps.windows(2) {
            assert!(pair[0].to_bytes() < pair[1].to_bytes());
            assert_eq!(Hlc::from_bytes(pair[0].to_bytes()), pair[0]);
        }
    }
}
