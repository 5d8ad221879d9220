//! Any bytes into the event decoder and the body decoder: an error or an event, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nhip_engine::Event;
use nhip_engine::body::Known;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = Event::decode(data) {
        let _ = Known::from_body(&event.body);
    }
});
