//! Bad input never panics: arbitrary and mutated bytes into the event decoder and the ingest
//! path, arbitrary and mutated text into the workflow-definition parser. These are the
//! proptest stand-ins for fuzz targets (no nightly toolchain here); raise `PROPTEST_CASES` for
//! long runs, e.g. `PROPTEST_CASES=1000000 cargo test -p nhip-engine --test robustness`.

use nhip_engine::workflow::{BUILTIN_SOURCES, Definition};
use nhip_engine::{Batch, Event, EventLog, MemoryLog, NodeId};
use proptest::prelude::*;

fn sample_event() -> Vec<u8> {
    let event = Event {
        format: 1,
        id: nhip_engine::EventId(uuid::Uuid::from_u128(7)),
        origin: NodeId([1; 32]),
        seq: nhip_engine::Seq(3),
        prev: nhip_engine::Hash([2; 32]),
        hlc: nhip_engine::Hlc {
            wall_ms: 1_758_585_600_000,
            logical: 1,
        },
        actor: nhip_engine::PersonId::new("ta-thi-dung").unwrap(),
        unit: nhip_engine::UnitId::new("xa-binh-lu").unwrap(),
        seen: None,
        body: nhip_engine::Body {
            kind: "item.commented".into(),
            version: 1,
            data: vec![0x92, 0xc4, 0x01, 0x00, 0xa1, 0x61],
        },
    };
    event.encode()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_event_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Event::decode(&bytes);
    }

    #[test]
    fn mutated_events_never_panic_and_never_pass_as_the_original(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let original = sample_event();
        let mut bytes = original.clone();
        for (index, value) in flips {
            let at = index.index(bytes.len());
            bytes[at] = value;
        }
        if let Ok(event) = Event::decode(&bytes) {
            if bytes != original {
                prop_assert_ne!(nhip_engine::Hash::of(&bytes), nhip_engine::Hash::of(&original));
                let _ = event;
            }
        }
    }

    #[test]
    fn ingesting_garbage_never_panics_and_stores_nothing(
        events in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..8),
    ) {
        let log = MemoryLog::new(NodeId([9; 32]));
        let batch = Batch {
            events: events.into_iter().map(serde_bytes::ByteBuf::from).collect(),
            seals: Vec::new(),
        };
        let _ = log.ingest(1_758_585_600_000, &batch);
        prop_assert!(log.heads().unwrap().is_empty());
    }

    #[test]
    fn the_definition_parser_never_panics_on_text(text in ".{0,400}") {
        let _ = Definition::parse(&text);
    }

    #[test]
    fn mutated_definitions_never_panic(
        which in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        insert in "[\\\\x00-\\\\x7f]{0,12}",
    ) {
        let source = BUILTIN_SOURCES[which.index(BUILTIN_SOURCES.len())];
        let mut at = cut.index(source.len() + 1);
        while !source.is_char_boundary(at) {
            at -= 1;
        }
        let mutated = format!("{}{}{}", &source[..at], insert, &source[at..]);
        if let Err(errors) = Definition::parse(&mutated) {
            for error in errors.0 {
                prop_assert!(error.line >= 1 && error.column >= 1);
            }
        }
    }
}
