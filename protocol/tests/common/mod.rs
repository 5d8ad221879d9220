//! What the protocol's simulations share: a seeded generator and a fixed directory.
// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;

use nhip_engine::{NodeId, UnitId};
use nhip_protocol::Directory;

/// A tiny deterministic generator (xorshift64*): faults are drawn from the test's seed.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True `per_mille` times in a thousand.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// Which unit each node belongs to, fixed for the test.
pub struct StaticDirectory(pub BTreeMap<NodeId, UnitId>);

impl Directory for StaticDirectory {
    fn unit_of(&self, node: &NodeId) -> Option<UnitId> {
        self.0.get(node).cloned()
    }
}
