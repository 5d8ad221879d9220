//! Any bytes into the frame decoder: an error or a message, never a panic; a decoded message
//! re-encodes to the bytes it was read from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nhip_protocol::frame;

fuzz_target!(|data: &[u8]| {
    if let Ok((message, used)) = frame::decode(data) {
        assert_eq!(frame::encode(&message), data[..used]);
    }
});
