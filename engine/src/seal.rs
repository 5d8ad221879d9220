//! Seals: an origin's ed25519 signature over one of its chain heads.
//!
//! Each event's hash covers the previous event's hash, so a signature over the head at `seq`
//! attests every event of the origin up to `seq`. A local commit seals its last event (and at
//! least every [`SEAL_INTERVAL_EVENTS`](crate::limits::SEAL_INTERVAL_EVENTS) events), which makes
//! every event attributable to its origin at the cost of one signature per commit instead of one
//! per event.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::ids::{Hash, NodeId, Seq};

/// Domain separation for seal signatures, so that no other signed message can pass as a seal.
const SEAL_CONTEXT: &[u8; 13] = b"nhip/seal/v1\0";

/// An origin's signature over the head of its chain at `seq`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Seal {
    /// The origin that signed.
    pub origin: NodeId,
    /// The sequence number of the sealed event.
    pub seq: Seq,
    /// The hash of the sealed event.
    pub hash: Hash,
    /// ed25519 signature over `nhip/seal/v1\0 ‖ origin ‖ seq (u64 BE) ‖ hash`.
    #[serde(with = "serde_bytes")]
    pub signature: [u8; 64],
}

/// Why a seal does not prove what it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The origin is not a valid ed25519 public key.
    #[error("origin {0:?} is not a valid ed25519 public key")]
    BadKey(NodeId),
    /// The signature does not verify under the origin's key.
    #[error("seal of {origin:?} at seq {seq} has a signature that does not verify")]
    BadSignature {
        /// The claimed origin.
        origin: NodeId,
        /// The claimed sequence number.
        seq: Seq,
    },
}

fn message(origin: NodeId, seq: Seq, hash: Hash) -> [u8; 13 + 32 + 8 + 32] {
    let mut out = [0u8; 13 + 32 + 8 + 32];
    out[..13].copy_from_slice(SEAL_CONTEXT);
    out[13..45].copy_from_slice(&origin.0);
    out[45..53].copy_from_slice(&seq.0.to_be_bytes());
    out[53..].copy_from_slice(&hash.0);
    out
}

impl Seal {
    /// Signs the head `(seq, hash)` of the signer's own chain.
    pub fn sign(signer: &SigningKey, seq: Seq, hash: Hash) -> Seal {
        let origin = NodeId(signer.verifying_key().to_bytes());
        let signature = signer.sign(&message(origin, seq, hash)).to_bytes();
        Seal {
            origin,
            seq,
            hash,
            signature,
        }
    }

    /// Checks the signature against the origin's key (strict verification: no malleable or
    /// small-order forms).
    pub fn verify(&self) -> Result<(), SealError> {
        let key =
            VerifyingKey::from_bytes(&self.origin.0).map_err(|_| SealError::BadKey(self.origin))?;
        let signature = Signature::from_bytes(&self.signature);
        key.verify_strict(&message(self.origin, self.seq, self.hash), &signature)
            .map_err(|_| SealError::BadSignature {
                origin: self.origin,
                seq: self.seq,
            })
    }
}

/// The node id of a signing key.
pub fn node_id(signer: &SigningKey) -> NodeId {
    NodeId(signer.verifying_key().to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seal_verifies_and_any_change_breaks_it() {
        let signer = SigningKey::from_bytes(&[9; 32]);
        let seal = Seal::sign(&signer, Seq(4), Hash([3; 32]));
        assert_eq!(seal.verify(), Ok(()));
        assert_eq!(seal.origin, node_id(&signer));

        let mut moved = seal.clone();
        moved.seq = Seq(5);
        assert!(moved.verify().is_err());

        let mut rehashed = seal.clone();
        rehashed.hash = Hash([4; 32]);
        assert!(rehashed.verify().is_err());

        let other = SigningKey::from_bytes(&[8; 32]);
        let mut stolen = Seal::sign(&other, Seq(4), Hash([3; 32]));
        stolen.origin = seal.origin;
        assert!(
            stolen.verify().is_err(),
            "another key's signature must fail"
        );
    }
}
