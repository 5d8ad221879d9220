//! Any text into the workflow-definition parser: a definition or errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nhip_engine::workflow::Definition;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Definition::parse(text);
    }
});
