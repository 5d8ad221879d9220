//! Scope (design.md invariant 7): which chains may cross a link, in which direction.
//!
//! A child sends up the chains written by nodes of its subtree. A parent sends down the chains
//! about the child's unit, its ancestors and its descendants, written by nodes in that same
//! line — never a sibling's. Unit codes are paths, so "in line" is a prefix test; which unit a
//! node belongs to comes from a [`Directory`] the shell keeps (enrollments).

use std::sync::Arc;

use nhip_engine::{ChainId, NodeId, UnitId};

/// What a sync connection may send and receive.
pub trait Scope: Send + Sync {
    /// May this node send `chain` to the peer?
    fn may_send(&self, chain: &ChainId) -> bool;
    /// May this node accept `chain` from the peer?
    fn may_receive(&self, chain: &ChainId) -> bool;
}

/// Which unit each known node belongs to.
pub trait Directory: Send + Sync {
    /// The unit of `node`, if known.
    fn unit_of(&self, node: &NodeId) -> Option<UnitId>;
}

/// Which side of a parent–child link this node is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    /// This node is the child; the peer is its parent.
    Child,
    /// This node is the parent; the peer is its child.
    Parent,
}

/// The scope of a parent–child link.
pub struct TreeScope {
    side: Side,
    /// The child's unit (this node's when `side` is `Child`, the peer's otherwise).
    child_unit: UnitId,
    directory: Arc<dyn Directory>,
}

impl TreeScope {
    /// The scope of a link whose child is `child_unit`, seen from `side`.
    pub fn new(side: Side, child_unit: UnitId, directory: Arc<dyn Directory>) -> TreeScope {
        TreeScope {
            side,
            child_unit,
            directory,
        }
    }

    /// Upward: chains written by a node of the child's subtree, about a unit in line with
    /// that node's own — the rule the audit checks (`OriginNotAllowed`), enforced at the
    /// door, so that a child cannot upload, and a parent cannot forward, a chain about a unit
    /// outside its writer's line.
    fn goes_up(&self, chain: &ChainId) -> bool {
        self.directory.unit_of(&chain.origin).is_some_and(|unit| {
            unit.is_within(&self.child_unit) && chain.unit.is_in_line_with(&unit)
        })
    }

    /// Downward: chains about a unit in line with the child's, written by a node in line with
    /// it. An origin the directory does not know is not sent down.
    fn goes_down(&self, chain: &ChainId) -> bool {
        chain.unit.is_in_line_with(&self.child_unit)
            && self
                .directory
                .unit_of(&chain.origin)
                .is_some_and(|unit| unit.is_in_line_with(&self.child_unit))
    }
}

impl Scope for TreeScope {
    fn may_send(&self, chain: &ChainId) -> bool {
        match self.side {
            Side::Child => self.goes_up(chain),
            Side::Parent => self.goes_down(chain),
        }
    }

    fn may_receive(&self, chain: &ChainId) -> bool {
        match self.side {
            Side::Parent => self.goes_up(chain),
            // The child trusts its pinned parent about who wrote what above it, but still
            // refuses chains about units that are not in its line.
            Side::Child => chain.unit.is_in_line_with(&self.child_unit),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    struct Map(BTreeMap<NodeId, UnitId>);
    impl Directory for Map {
        fn unit_of(&self, node: &NodeId) -> Option<UnitId> {
            self.0.get(node).cloned()
        }
    }

    fn unit(code: &str) -> UnitId {
        UnitId::new(code).unwrap()
    }

    fn chain(origin: u8, unit_code: &str) -> ChainId {
        ChainId {
            origin: NodeId([origin; 32]),
            unit: unit(unit_code),
        }
    }

    #[test]
    fn a_sibling_never_receives_a_siblings_chains() {
        let directory = Arc::new(Map(BTreeMap::from([
            (NodeId([1; 32]), unit("tinh")),
            (NodeId([2; 32]), unit("tinh/xa")),
            (NodeId([3; 32]), unit("tinh/xa/ban-a")),
            (NodeId([4; 32]), unit("tinh/xa/ban-b")),
        ])));
        // The commune's side of its link with village B.
        let to_b = TreeScope::new(Side::Parent, unit("tinh/xa/ban-b"), directory.clone());
        assert!(
            to_b.may_send(&chain(1, "tinh")),
            "the hub's chain for everyone"
        );
        assert!(
            to_b.may_send(&chain(2, "tinh/xa/ban-b")),
            "the commune about B"
        );
        assert!(
            !to_b.may_send(&chain(2, "tinh/xa/ban-a")),
            "the commune about A"
        );
        assert!(
            !to_b.may_send(&chain(3, "tinh/xa")),
            "A's report to the commune"
        );
        assert!(to_b.may_receive(&chain(4, "tinh/xa")), "B reports up");
        assert!(
            !to_b.may_receive(&chain(3, "tinh/xa/ban-a")),
            "B cannot upload A's"
        );
        assert!(
            !to_b.may_receive(&chain(9, "tinh/xa/ban-b")),
            "unknown origin"
        );
        // B's own node writing about village A (outside B's line): the audit would call it
        // OriginNotAllowed, so the door refuses it too; B about its ancestors still goes up.
        assert!(
            !to_b.may_receive(&chain(4, "tinh/xa/ban-a")),
            "B about a sibling"
        );
        assert!(to_b.may_receive(&chain(4, "tinh")), "B about the province");

        let b_side = TreeScope::new(Side::Child, unit("tinh/xa/ban-b"), directory);
        assert!(b_side.may_send(&chain(4, "tinh/xa")));
        assert!(
            !b_side.may_send(&chain(2, "tinh/xa")),
            "not the commune's own"
        );
        assert!(b_side.may_receive(&chain(1, "tinh")));
        assert!(!b_side.may_receive(&chain(2, "tinh/xa/ban-a")));
    }
}
