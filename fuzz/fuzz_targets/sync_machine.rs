//! Arbitrary bytes, cut into arbitrary pieces, into a parent's sync machine that holds events
//! of its own: never a panic, never an event of its own lost. The first byte of each piece says
//! how long the piece is, so the fuzzer learns to build frames across pieces.
#![no_main]

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use nhip_engine::{EventLog, MemoryLog, NodeId, UnitId, node_id};
use nhip_protocol::{Config, Directory, Side, Sync, TreeScope};

struct Units(Vec<(NodeId, UnitId)>);
impl Directory for Units {
    fn unit_of(&self, node: &NodeId) -> Option<UnitId> {
        self.0
            .iter()
            .find(|(known, _)| known == node)
            .map(|(_, unit)| unit.clone())
    }
}

fuzz_target!(|data: &[u8]| {
    let parent = SigningKey::from_bytes(&[1; 32]);
    let child = SigningKey::from_bytes(&[2; 32]);
    let commune = UnitId::new("xa-binh-lu").unwrap();
    let village = UnitId::new("xa-binh-lu/ban-na-ri").unwrap();
    let log = MemoryLog::new(node_id(&parent));
    let units = Arc::new(Units(vec![
        (node_id(&parent), commune.clone()),
        (node_id(&child), village.clone()),
    ]));
    let mut machine = Sync::new(
        Config {
            signer: parent,
            unit: commune,
            expected_peer: Some(node_id(&child)),
        },
        Box::new(TreeScope::new(Side::Parent, village, units)),
    );
    let before = log.heads().unwrap();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len());
        machine.handle_input(1_758_560_400_000, &tail[..len], &log);
        while machine.poll_transmit(&log).is_some() {}
        while machine.poll_event().is_some() {}
        rest = &tail[len..];
    }
    let after = log.heads().unwrap();
    for (chain, head) in before {
        assert!(after[&chain].seq >= head.seq);
    }
});
