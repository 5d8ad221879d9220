//! Any bytes into the frame decoder: an error or a message, never a panic; a decoded message
//! re-encodes to a frame that decodes to the same message. (Not always to the same bytes: the
//! decoder also takes variant indices for names, PROTOCOL.md says so.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use nhip_protocol::frame;

fuzz_target!(|data: &[u8]| {
    if let Ok((message, _)) = frame::decode(data) {
        let again = frame::encode(&message);
        assert_eq!(frame::decode(&again).map(|(decoded, _)| decoded), Ok(message));
    }
});
